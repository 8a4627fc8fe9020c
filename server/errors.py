"""Errors as RFC 9457 problem details, in French first and English.

A domain rule that refuses something raises ``domain.errors.DomainError`` (code, French and
English messages); this module maps it to a problem detail: ``title`` and ``detail`` in the
language the request prefers (French unless ``Accept-Language`` puts English first), with both
versions in ``detail_fr`` / ``detail_en`` and the stable ``code`` for programs.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

__all__ = ["Problem", "exception_handlers", "prefers_english", "problem"]

log = logging.getLogger("atelier.http")

_TITLES = {
    400: ("Requête invalide", "Bad request"),
    401: ("Non authentifié", "Not authenticated"),
    403: ("Action non autorisée", "Forbidden"),
    404: ("Introuvable", "Not found"),
    409: ("Conflit", "Conflict"),
    410: ("Plus disponible", "Gone"),
    413: ("Contenu trop volumineux", "Content too large"),
    415: ("Format non pris en charge", "Unsupported media type"),
    422: ("Données invalides", "Invalid data"),
    429: ("Trop de tentatives", "Too many attempts"),
    500: ("Erreur interne", "Internal error"),
}


def prefers_english(request: Request[Any, Any, Any]) -> bool:
    header = request.headers.get("accept-language", "")
    first = header.split(",")[0].strip().lower()
    return first.startswith("en")


class Problem(HTTPException):
    """An HTTP error with a French and an English explanation and a stable code."""

    def __init__(
        self,
        status: int,
        code: str,
        detail_fr: str,
        detail_en: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(status_code=status, detail=detail_fr, headers=headers)
        self.code = code
        self.detail_fr = detail_fr
        self.detail_en = detail_en
        self.extra_fields = extra


def problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail_fr: str,
    detail_en: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    english = prefers_english(request)
    title_fr, title_en = _TITLES.get(status, ("Erreur", "Error"))
    body = {
        "type": f"https://atelier.invalid/problems/{code}",
        "title": title_en if english else title_fr,
        "status": status,
        "detail": detail_en if english else detail_fr,
        "code": code,
        "detail_fr": detail_fr,
        "detail_en": detail_en,
        "instance": request.url.path,
        **extra,
    }
    return Response(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def _problem_handler(request: Request[Any, Any, Any], exc: Problem) -> Response[dict[str, Any]]:
    return problem(
        request,
        exc.status_code,
        exc.code,
        exc.detail_fr,
        exc.detail_en,
        headers=exc.headers,
        **exc.extra_fields,
    )


def _domain_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    from domain.errors import Conflict, DomainError, Forbidden, InvalidInput, InvalidTransition

    assert isinstance(exc, DomainError)
    status = 422
    if isinstance(exc, Forbidden):
        status = 403
    elif isinstance(exc, Conflict | InvalidTransition):
        status = 409
    elif isinstance(exc, InvalidInput):
        status = 422
    return problem(request, status, exc.code, exc.message_fr, exc.message_en)


def _public_name(request: Request[Any, Any, Any], key: str) -> str:
    """The name a client used for a parameter (``from``), not the handler's (``before``)."""
    try:
        parameter = request.route_handler.parsed_fn_signature.parameters.get(key)
    except (KeyError, AttributeError):  # an error before routing: the key is all there is
        return key
    definition = getattr(parameter, "kwarg_definition", None)
    return str(getattr(definition, "query", None) or getattr(definition, "header", None) or key)


def _http_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    title_fr, title_en = _TITLES.get(status, ("Erreur", "Error"))
    detail = str(exc.detail) if exc.detail else title_en
    extra: dict[str, Any] = {}
    if getattr(exc, "extra", None):
        extra["errors"] = exc.extra
    fr = title_fr if detail.lower() == title_en.lower() else detail
    code = f"http_{status}"
    if isinstance(exc, ValidationException):
        fields = ", ".join(
            _public_name(request, str(e.get("key")))
            for e in (exc.extra or [])
            if isinstance(e, dict)
        )
        code = "invalid_request"
        fr = f"Données invalides ({fields})." if fields else "Données invalides."
        detail = f"Invalid data ({fields})." if fields else "Invalid data."
    return problem(request, status, code, fr, detail, headers=exc.headers, **extra)


def _too_large_handler(
    request: Request[Any, Any, Any], exc: RequestEntityTooLarge
) -> Response[dict[str, Any]]:
    # Litestar refuses a body past ``request_max_body_size`` (ATELIER_MAX_REQUEST_BODY_BYTES,
    # or a route's own limit) before reading it all: say what the limit is.
    limit = request.route_handler.resolve_request_max_body_size()
    return problem(
        request,
        413,
        "request_too_large",
        f"Requête trop volumineuse ({limit} octets au plus).",
        f"Request body too large ({limit} bytes at most).",
        max_bytes=limit,
    )


def _unexpected_handler(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[dict[str, Any]]:
    # Logged with its traceback; the client gets a problem detail that reveals nothing inside.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(
        request,
        500,
        "internal_error",
        "Une erreur inattendue s’est produite ; rien n’a été enregistré à moitié. Réessayez.",
        "An unexpected error occurred; nothing was half-saved. Please try again.",
    )


def exception_handlers() -> dict[Any, Any]:
    from domain.errors import DomainError

    return {
        Problem: _problem_handler,
        RequestEntityTooLarge: _too_large_handler,
        DomainError: _domain_handler,
        HTTPException: _http_handler,
        Exception: _unexpected_handler,
    }

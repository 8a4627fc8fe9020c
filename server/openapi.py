"""What the OpenAPI document says about errors, for every route at once (issue 23, #12).

Every error the API answers is an RFC 9457 problem (``server.errors.problem``), served as
``application/problem+json``. Litestar documents only a 400 of its own shape (``status_code``,
``detail``, as ``application/json``) and nothing else; :func:`document_problems` replaces that
with one shared ``Problem`` schema and the statuses each route can answer, decided here from what
the route is rather than written on each of seventy routes:

- 400 everywhere: a malformed body, parameter or query, JSON nested too deep, a control
  character, a NUL in the address (``server.schemas``);
- 401 and 403 where a token is needed (the route takes ``actor``, ``reader`` or ``staff``);
- 404 where the path names something;
- 409 (a state that does not allow it) and 422 (a rule of the domain) where the route changes
  something, or reads something that must be in a state first;
- 413 where the route reads a body;
- and, by path, what a few routes add: 429 past a rate limit (join codes, ateliers, ballots,
  comments), 410 for the code of a cancelled séance or of a closed atelier, 503 when the render
  workers are busy or a document cannot be loaded, 415 for an image in a format not taken.

Where a status has a reason a client should know ahead, :data:`_CODES_BY_PATH` names its problem
codes in that response's description (« Ici / here: `atelier_closed` »): every change a closed
atelier refuses (its attendance included), a cancelled séance's edit, arrivals, new code and sign-in
sheet, the 410 of their join and QR codes, closing and reopening.

:func:`document_content` then says what the few routes that answer in several formats send:
the activity feeds (Atom or JSON Feed, by the path's extension) and the compte-rendu (Markdown,
HTML or PDF, by ``?format=``), which Litestar, knowing one media type a handler, documented as
JSON or Markdown only.

``tests/server/test_openapi_fuzz.py`` checks the result against the server: every status a
generated request gets is one its operation documents, and so is every success's media type.
"""

from __future__ import annotations

import re
from typing import Any, Final

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Schema,
)
from litestar.routes import HTTPRoute

__all__ = [
    "Problem",
    "document_content",
    "document_problems",
    "problem_codes",
    "problem_statuses",
]

PROBLEM_JSON: Final = "application/problem+json"


class Problem(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem detail, as every error of the API is (``server.errors.problem``).

    ``title`` and ``detail`` are in French, or in English when ``Accept-Language`` puts ``en``
    first; ``detail_fr`` and ``detail_en`` carry both; ``code`` is stable, for programs. Some
    problems add a member of their own (below), as RFC 9457 allows."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    detail_fr: str
    detail_en: str
    instance: str
    #: 400 ``invalid_request``: what was wrong, field by field.
    errors: list[dict[str, Any]] | None = None
    #: 400 ``control_character``: the field (``agenda[1].title``) holding the character.
    field: str | None = None
    #: 400 ``json_too_deep``: how deep a body may nest.
    max_depth: int | None = None
    #: 413 ``request_too_large``: how large a body may be.
    max_bytes: int | None = None
    #: 410 ``session_cancelled``: the séance's date, and the reason made public (or null).
    date: str | None = None
    cancel_reason: str | None = None
    #: 410 ``atelier_closed``: when the atelier was closed, and the public reason (or null).
    closed_at: str | None = None
    close_reason: str | None = None


_DESCRIPTIONS: Final = {
    400: "Requête mal formée / malformed request: body, parameter or query (`invalid_request`), "
    "JSON nested too deep (`json_too_deep`), a control character (`control_character`)",
    401: "Jeton absent, invalide, expiré ou révoqué / no valid token (bearer or cookie)",
    403: "Action non autorisée pour ce rôle / not allowed for this role",
    404: "Introuvable / not found",
    409: "Conflit avec l’état actuel / conflicts with the current state (frozen, closed, …)",
    410: (
        "Plus disponible / gone: the séance of this code is cancelled (`session_cancelled`), "
        "or its atelier closed (`atelier_closed`)"
    ),
    413: "Corps trop volumineux / body too large (`max_bytes`)",
    415: "Format non pris en charge / unsupported format",
    422: "Refusé par une règle / refused by a rule of the domain",
    429: "Trop de tentatives / too many attempts (`Retry-After`)",
    503: "Momentanément indisponible / unavailable for a moment, try again (`Retry-After`)",
}

#: Who answers 401/403: a route that resolves one of these dependencies needs a token.
_AUTHENTICATED: Final = frozenset({"actor", "reader", "staff"})

#: What some routes answer beyond what they are: (path pattern, methods or None for any, statuses).
_BY_PATH: Final[list[tuple[re.Pattern[str], frozenset[str] | None, frozenset[int]]]] = [
    # Join codes are looked up behind a limit on unknown codes per address (server.guards).
    (re.compile(r"^/api/join/"), None, frozenset({429})),
    # Creating an atelier: a staff credential for an AP (401 if it is not a valid one, 403
    # without one) and a limit per hour.
    (re.compile(r"^/api/ateliers$"), frozenset({"POST"}), frozenset({401, 403, 409, 422, 429})),
    # Joining: the charter (403), an invitation code (409/422).
    (re.compile(r"^/api/join/[^/]+$"), frozenset({"POST"}), frozenset({403})),
    # A cancelled séance's code, or a closed atelier's: what it opened, and joining, are gone.
    (re.compile(r"^/api/join/[^/]+$"), frozenset({"GET", "POST"}), frozenset({410})),
    # Nor has a cancelled séance a QR code, nor a closed atelier's (their invitation is a notice).
    (re.compile(r"^/api/join/[^/]+/qr\.(svg|png)$"), frozenset({"GET"}), frozenset({410})),
    # Ballots: a limit per participant; the proposals' texts must load (503).
    (re.compile(r"/ballot$"), frozenset({"PUT"}), frozenset({429, 503})),
    (re.compile(r"/proxy-ballots$"), frozenset({"POST"}), frozenset({503})),
    # Comments and replies: a limit per participant.
    (re.compile(r"(/comments|/replies)$"), frozenset({"POST"}), frozenset({429})),
    # Documents made by the render workers: busy or past their time (503).
    (re.compile(r"(\.pdf|/pdf|/odt|/compte-rendu)$"), frozenset({"GET"}), frozenset({503})),
    (re.compile(r"/compte-rendu$"), frozenset({"GET"}), frozenset({409})),
    # A cancelled séance has no sign-in sheet: nobody comes to sign it.
    (re.compile(r"/emargement\.pdf$"), frozenset({"GET"}), frozenset({409})),
    # The council's sign-in kept by the browser: a token refused (401) or not the council's (403).
    (re.compile(r"^/api/council/session$"), frozenset({"GET", "POST"}), frozenset({401, 403})),
    # An uploaded image: its size, its format, decoded in a worker.
    (re.compile(r"/image$"), frozenset({"PUT"}), frozenset({413, 415, 503})),
    # Subjects: proposed for an instance only with a staff credential (401/403); proposals and
    # supports limited per address and hour (429).
    (re.compile(r"^/api/subjects$"), frozenset({"POST"}), frozenset({401, 403, 429})),
    (re.compile(r"^/api/subjects/[^/]+/supports$"), frozenset({"POST"}), frozenset({429})),
]


_CLOSED: Final = frozenset({"atelier_closed"})

#: The problem codes a route answers with a status, beyond what the status says: (path pattern,
#: methods, status, codes). They are named in that response's description, so a client reading
#: the document learns which ``code`` to expect (the server's wording is in its ``detail``).
_CODES_BY_PATH: Final[list[tuple[re.Pattern[str], frozenset[str], int, frozenset[str]]]] = [
    # Closing an atelier, once; reopening it is the city's (staff).
    (
        re.compile(r"^/api/ateliers/[^/]+/close$"),
        frozenset({"POST"}),
        409,
        frozenset({"atelier_already_closed"}),
    ),
    (
        re.compile(r"^/api/ateliers/[^/]+/reopen$"),
        frozenset({"POST"}),
        409,
        frozenset({"atelier_not_closed"}),
    ),
    # Nothing changes in a closed atelier (« Cet atelier est clos : il ne peut plus être
    # modifié. »): its description and charter, its séances, ...
    (
        re.compile(r"^/api/ateliers/[^/]+(/charter|/sessions|/proposals)?$"),
        frozenset({"PUT", "POST"}),
        409,
        _CLOSED,
    ),
    (
        re.compile(
            r"^/api/sessions/[^/]+(/cancel|/restore|/step|/next|/walk-ins|/polls|/join-code)?$"
        ),
        frozenset({"PUT", "POST"}),
        409,
        _CLOSED,
    ),
    (re.compile(r"^/api/sessions/[^/]+/headcount$"), frozenset({"PUT"}), 409, _CLOSED),
    # ... its attendance (checking in and out, at the door or oneself), ...
    (
        re.compile(r"^/api/sessions/[^/]+/(attendance|check-in|check-out)$"),
        frozenset({"POST"}),
        409,
        _CLOSED,
    ),
    (
        re.compile(r"^/api/sessions/[^/]+/attendance/[^/]+$"),
        frozenset({"DELETE"}),
        409,
        _CLOSED,
    ),
    # ... its polls and ballots (paper ones too), ...
    (
        re.compile(r"^/api/polls/[^/]+/(open|close|publish|runoff|proxy-ballots)$"),
        frozenset({"POST"}),
        409,
        _CLOSED,
    ),
    (re.compile(r"^/api/polls/[^/]+/ballot$"), frozenset({"PUT"}), 409, _CLOSED),
    # ... its comments, ...
    (re.compile(r"^/api/proposals/[^/]+/comments$"), frozenset({"POST"}), 409, _CLOSED),
    (
        re.compile(r"^/api/comments/[^/]+(/replies|/resolve)?$"),
        frozenset({"POST", "DELETE"}),
        409,
        _CLOSED,
    ),
    # ... its amendments, ...
    (
        re.compile(r"^/api/proposals/[^/]+/(amendments|amendments/vote|amendment-mode)$"),
        frozenset({"PUT", "POST"}),
        409,
        _CLOSED,
    ),
    (
        re.compile(r"^/api/amendments/[^/]+/(withdraw|reject|accept)$"),
        frozenset({"POST"}),
        409,
        _CLOSED,
    ),
    # ... and its proposals: renamed, locked, archived, a section restored, a new draft or a
    # copy from a version. Freezing: once after the closing, for a text its latest version does
    # not hold; then 409 ``atelier_closed``.
    (
        re.compile(r"^/api/proposals/[^/]+/(title|lock|archive|history/restore|freeze)$"),
        frozenset({"PUT", "POST"}),
        409,
        _CLOSED,
    ),
    (
        re.compile(r"^/api/proposals/[^/]+/versions/[^/]+/(draft|fork)$"),
        frozenset({"POST"}),
        409,
        _CLOSED,
    ),
    (re.compile(r"^/api/sessions/[^/]+/freeze$"), frozenset({"POST"}), 409, _CLOSED),
    # A proposal handed to the council (transmise and after) changes no more: no amendment is
    # proposed, accepted or put to the vote there, no revision restored (withdrawing one's own
    # stays possible: it changes no text).
    (
        re.compile(r"^/api/proposals/[^/]+/(amendments|amendments/vote|history/restore)$"),
        frozenset({"POST"}),
        409,
        frozenset({"proposal_transmitted"}),
    ),
    (
        re.compile(r"^/api/amendments/[^/]+/accept$"),
        frozenset({"POST"}),
        409,
        frozenset({"proposal_transmitted"}),
    ),
    # A cancelled séance changes no more until restored, has no new code nor sign-in sheet.
    (
        re.compile(r"^/api/sessions/[^/]+(/join-code)?$"),
        frozenset({"PUT", "POST"}),
        409,
        frozenset({"session_cancelled"}),
    ),
    # Nobody arrives at a cancelled séance (oneself or at the door); leaving stays possible.
    (
        re.compile(r"^/api/sessions/[^/]+/(attendance|check-in)$"),
        frozenset({"POST"}),
        409,
        frozenset({"session_cancelled"}),
    ),
    (
        re.compile(r"^/api/sessions/[^/]+/emargement\.pdf$"),
        frozenset({"GET"}),
        409,
        frozenset({"session_cancelled"}),
    ),
    # A cancelled séance's join code, or a closed atelier's, opens nothing (nor its QR code).
    (
        re.compile(r"^/api/join/[^/]+(/qr\.(svg|png))?$"),
        frozenset({"GET", "POST"}),
        410,
        frozenset({"session_cancelled", "atelier_closed"}),
    ),
]


def problem_codes(path: str, method: str) -> dict[int, list[str]]:
    """The problem codes (by status) that :data:`_CODES_BY_PATH` names for a route, sorted."""
    codes: dict[int, set[str]] = {}
    for pattern, methods, status, named in _CODES_BY_PATH:
        if method in methods and pattern.search(path):
            codes.setdefault(status, set()).update(named)
    return {status: sorted(named) for status, named in codes.items()}


def problem_statuses(path: str, method: str, parameters: set[str]) -> set[int]:
    """The problem statuses a route answers: ``path`` as the document writes it
    (``/api/polls/{poll_id}/ballot``), its ``method``, the names its handler takes."""
    if path == "/health":  # its 503 is the Health body, not a problem; a NUL in the query: 400
        return {400}
    statuses = {400}
    if parameters & _AUTHENTICATED:
        statuses |= {401, 403}
    if "{" in path:
        statuses.add(404)
    if method not in {"GET", "HEAD"}:
        statuses |= {409, 422}
    if "data" in parameters:
        statuses |= {413, 422}
    for pattern, methods, extra in _BY_PATH:
        if (methods is None or method in methods) and pattern.search(path):
            statuses |= extra
    return statuses


def _spec(status: int, codes: list[str] | None = None) -> ResponseSpec:
    description = _DESCRIPTIONS[status]
    if codes:
        description += ". Ici / here: " + ", ".join(f"`{code}`" for code in codes)
    return ResponseSpec(
        data_container=Problem,
        description=description,
        media_type=PROBLEM_JSON,
        generate_examples=False,
    )


def document_problems(app: Litestar) -> None:
    """Give every documented route its problem responses (before the document is first built;
    a response a route declares itself is kept)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not isinstance(handler, HTTPRouteHandler) or not handler.resolve_include_in_schema():
                continue
            parameters = set(handler.parsed_fn_signature.parameters)
            statuses: set[int] = set()
            codes: dict[int, list[str]] = {}
            for method in handler.http_methods:
                statuses |= problem_statuses(route.path_format, method, parameters)
                for status, named in problem_codes(route.path_format, method).items():
                    codes[status] = sorted({*codes.get(status, []), *named})
            own = dict(handler.responses or {})
            handler.responses = {
                **{status: _spec(status, codes.get(status)) for status in sorted(statuses)},
                **own,
            }


_TEXT: Final = Schema(type=OpenAPIType.STRING)
_BINARY: Final = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)

#: The success content of routes that answer in more than one format, by path.
_CONTENT_BY_PATH: Final[list[tuple[re.Pattern[str], dict[str, Schema]]]] = [
    (re.compile(r"^/api/.*\.atom$"), {"application/atom+xml": _TEXT}),
    (
        re.compile(r"^/api/.*/(activity|handoffs)\.json$"),
        {"application/feed+json": Schema(type=OpenAPIType.OBJECT)},
    ),
    (
        re.compile(r"/compte-rendu$"),
        {"text/markdown": _TEXT, "text/html": _TEXT, "application/pdf": _BINARY},
    ),
]


def document_content(app: Litestar) -> None:
    """Write the media types of the routes in :data:`_CONTENT_BY_PATH` into the document
    (built here, once; Litestar keeps it)."""
    document = app.openapi_schema
    for path, item in (document.paths or {}).items():
        operation = item.get
        if operation is None or operation.responses is None:
            continue
        success = operation.responses.get("200")
        if not isinstance(success, OpenAPIResponse):
            continue
        for pattern, content in _CONTENT_BY_PATH:
            if pattern.search(path):
                success.content = {
                    media: OpenAPIMediaType(schema=schema) for media, schema in content.items()
                }

"""The council staff's sign-in, kept by the browser for the token's life (issue 21, #6).

Staff pasted their credential (`atelier council-token`) again in every tab: it lived in one
tab's storage. Signing in now hands the token to the server once, which keeps it in an
``HttpOnly`` cookie (no script of the page can read it), ``SameSite=Strict``, limited to
``/api`` and ending when the token does; every tab of that browser is signed in.

The cookie is a credential only for a request that asks for it with the header
``X-Atelier-Council: 1`` and carries no ``Authorization``: a page of another site cannot set
that header without the browser asking this server first (CORS), which it never allows, and a
browser that also joined an atelier as a participant keeps both identities apart. Revoking the
credential (``atelier credential revoke``) refuses the cookie at its next request, since the
token inside is checked each time like a bearer one.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.connection import ASGIConnection
from litestar.status_codes import HTTP_200_OK

from server.auth import CouncilGrant, InvalidGrant, verify_grant
from server.errors import Problem
from server.services import credentials
from server.state import AppServices

__all__ = ["COUNCIL_COOKIE", "CouncilSessionController", "council_cookie_token"]

COUNCIL_COOKIE = "atelier_council"
#: The header a council screen sends to be read with the cookie.
COUNCIL_HEADER = "x-atelier-council"


def council_cookie_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The council token kept in the cookie, when the request asks to be read with it."""
    if connection.headers.get(COUNCIL_HEADER) != "1" or "authorization" in connection.headers:
        return None
    return connection.cookies.get(COUNCIL_COOKIE) or None


class SignIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


class CouncilSession(msgspec.Struct):
    #: The service the credential names (`--name`).
    name: str
    expires_at: datetime


async def _grant(request: Request[Any, Any, Any], token: str | None) -> CouncilGrant:
    services = AppServices.of(request.app)
    try:
        grant = verify_grant(services.settings.signing_key, token)
    except InvalidGrant as exc:
        if str(exc) == "token expired":
            raise Problem(
                401, "token_expired", "Votre accès a expiré.", "Your access expired."
            ) from exc
        if str(exc) == "no token":
            raise Problem(401, "no_token", "Connexion requise.", "Sign-in required.") from exc
        raise Problem(401, "invalid_token", "Jeton invalide.", "Invalid token.") from exc
    if not isinstance(grant, CouncilGrant):
        raise Problem(
            403,
            "not_council",
            "Ce jeton n’est pas celui des services du conseil municipal.",
            "This token is not the city council services' one.",
        )
    await credentials.check(services.engine, grant)  # revoked: 401
    return grant


def _session(grant: CouncilGrant) -> CouncilSession:
    return CouncilSession(grant.sub, datetime.fromtimestamp(grant.exp, UTC))


class CouncilSessionController(Controller):
    path = "/api/council/session"
    tags = ["conseil municipal"]

    @post(
        "",
        summary="Se connecter : le navigateur garde le jeton du conseil",
        status_code=HTTP_200_OK,
    )
    async def sign_in(
        self, request: Request[Any, Any, Any], data: SignIn
    ) -> Response[CouncilSession]:
        token = data.token.strip()
        grant = await _grant(request, token)
        response = Response(_session(grant))
        response.set_cookie(
            COUNCIL_COOKIE,
            token,
            max_age=max(0, grant.exp - int(time.time())),
            httponly=True,
            samesite="strict",
            path="/api",
        )
        return response

    @get("", summary="Qui est connecté pour le conseil, dans ce navigateur")
    async def who(self, request: Request[Any, Any, Any]) -> CouncilSession:
        return _session(await _grant(request, council_cookie_token(request)))

    @delete("", summary="Se déconnecter", status_code=HTTP_200_OK)
    async def sign_out(self) -> Response[dict[str, bool]]:
        response = Response({"signed_out": True})
        response.delete_cookie(COUNCIL_COOKIE, path="/api")
        return response

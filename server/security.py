"""HTTP hardening that applies to every response and every state-changing request.

* Security headers on every response, and a Content Security Policy: the web client loads
  only its own scripts and styles and talks only to its own origin (``connect-src 'self'``
  covers same-origin ``ws:``/``wss:`` in current browsers; both are listed for older ones).
* CSRF: a request that changes something and authenticates with the ``atelier_token`` cookie
  (not with an ``Authorization`` header, which a foreign page cannot set) must come from this
  site: its ``Origin`` (or, failing that, ``Referer``) must name this host when present. The
  cookie is ``SameSite=Lax`` already; this closes the rest (same-site subdomains, old
  browsers).
* Cross-site WebSockets: a browser sends that cookie on a handshake from a same-site page too,
  and a socket is read as well as written. The web client always names its token (``?token=``),
  so a handshake that authenticates with the cookie alone must come from this site as well;
  otherwise it is accepted only to be closed with 4403 (final for the client, as documented for
  ``/ws/docs``, preceded on that path by a y-websocket PermissionDenied message).
* CORS: none. The web client is served from this origin; no response carries
  ``Access-Control-Allow-*``, so a foreign page can neither read an answer nor pass a preflight.
* Cookies: in production (``ATELIER_ENV=production``, served over HTTPS behind the proxy) every
  cookie the server sets is ``Secure``, so a browser never sends a token over plain HTTP; in
  development, on ``http://127.0.0.1``, it is not (a browser would never send it back).
* ``/schema`` serves the OpenAPI document only, under the same CSP: no API browser whose
  script comes from a CDN runs on this origin, next to the ``atelier_token`` cookie.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from collab.protocol import permission_denied_message
from server.auth import COOKIE_NAME

__all__ = ["CSP", "CrossSiteGuard", "close_cross_site_socket", "cross_site", "security_headers"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self' ws: wss:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cross-origin-opener-policy": "same-origin",
}
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_PROBLEM = (
    b'{"type":"about:blank","title":"Interdit","status":403,"code":"cross_site_request",'
    b'"detail":"Requ\xc3\xaate refus\xc3\xa9e : elle ne vient pas de ce site.",'
    b'"detail_fr":"Requ\xc3\xaate refus\xc3\xa9e : elle ne vient pas de ce site.",'
    b'"detail_en":"Request refused: it does not come from this site."}'
)


_CROSS_SITE_REASON = "cross-site request"


def cross_site(scope: Scope) -> bool:
    """Whether this request or socket carries the site's cookie from another site."""
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    if "authorization" in headers:
        return False
    if scope["type"] == ScopeType.WEBSOCKET:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if any(query.get("token", [])):
            return False  # an explicit token (what the web client sends): not ambient
    elif scope["method"] not in _UNSAFE:
        return False
    cookies = headers.get("cookie", "")
    if f"{COOKIE_NAME}=" not in cookies:
        return False  # no ambient credential: nothing to forge
    source = headers.get("origin") or headers.get("referer")
    if source is None:
        # Browsers send Origin with every cross-origin request that can change something
        # (and the SameSite=Lax cookie keeps cross-site form posts cookieless anyway); no
        # header at all is a script or a tool, which holds the token it sends.
        return False
    return source == "null" or urlsplit(source).netloc != headers.get("host", "")


class CrossSiteGuard(ASGIMiddleware):
    """Refuses cookie-authenticated changes that do not come from this site."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if not cross_site(scope):
            await next_app(scope, receive, send)
        elif scope["type"] == ScopeType.WEBSOCKET:
            await close_cross_site_socket(scope, receive, send)
        else:
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [(b"content-type", b"application/problem+json")],
                }
            )
            await send({"type": "http.response.body", "body": _PROBLEM})


async def close_cross_site_socket(scope: Scope, receive: Receive, send: Send) -> None:
    """Accept, then close with 4403: a refused handshake would look like a network error, and
    the client would retry; 4403 tells it to stop."""
    if (await receive())["type"] != "websocket.connect":
        return
    requested = scope.get("subprotocols") or []
    # A client that asks for subprotocols must get one back, or Node's `ws` drops the socket.
    await send({"type": "websocket.accept", "subprotocol": requested[0] if requested else None})
    if scope["path"].startswith("/ws/docs/"):
        frame = permission_denied_message(_CROSS_SITE_REASON)
        await send({"type": "websocket.send", "bytes": frame})
    await send({"type": "websocket.close", "code": 4403, "reason": _CROSS_SITE_REASON})


async def security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: every HTTP response, errors and unknown paths included."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in _HEADERS.items():
        headers.setdefault(name, value)
    headers.setdefault("content-security-policy", CSP)
    if _production(scope):
        message["headers"] = [_secure(name, value) for name, value in message["headers"]]


def _production(scope: Scope) -> bool:
    services = getattr(scope["app"].state, "services", None)
    return services is not None and services.settings.env == "production"


def _secure(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    """A ``Set-Cookie`` header with the ``Secure`` attribute (added once)."""
    if name.lower() != b"set-cookie":
        return name, value
    attributes = {part.strip().lower() for part in value.split(b";")[1:]}
    return name, value if b"secure" in attributes else value + b"; Secure"

"""Access grants: signed, expiring tokens that name a document and an access level.

A grant is a JWT (HS256, signed with ``ATELIER_SECRET_KEY``) with the claims
``doc`` (the document id), ``acc`` (``rw`` or ``r``), ``sub`` (who), ``iat`` and ``exp``.
A WebSocket presents it as ``?token=``, as the ``atelier_token`` cookie, or as a bearer header.
"""

from __future__ import annotations

import time
from typing import Literal

import jwt
import msgspec

__all__ = [
    "COOKIE_NAME",
    "Access",
    "CouncilGrant",
    "DocGrant",
    "Grant",
    "InvalidGrant",
    "ParticipantGrant",
    "StaffGrant",
    "mint_council_token",
    "mint_grant",
    "mint_participant_token",
    "mint_staff_token",
    "token_from",
    "verify_grant",
]

COOKIE_NAME = "atelier_token"
_ALGORITHM = "HS256"
Access = Literal["rw", "r"]


class InvalidGrant(Exception):
    """The token is missing, malformed, forged or expired."""


class DocGrant(msgspec.Struct, frozen=True, tag_field="typ", tag="doc"):
    """Access to one document, for operators and tests (``atelier grant``)."""

    doc: str
    acc: Access
    sub: str
    iat: int
    exp: int

    @property
    def read_only(self) -> bool:
        return self.acc == "r"


class ParticipantGrant(msgspec.Struct, frozen=True, tag_field="typ", tag="participant"):
    """A participant of one atelier: what they may do follows their role and the permission
    table; the participant's row is checked on each use (revocation)."""

    atl: str
    pid: str
    role: str
    sub: str
    iat: int
    exp: int


class CouncilGrant(msgspec.Struct, frozen=True, tag_field="typ", tag="council"):
    """The city's council service (``atelier council-token``): reads what ateliers handed over,
    in every atelier, and records decisions. ``sub`` names the service; ``jti`` the operator's
    credential row, which revoking refuses at once (tokens minted before credentials were
    recorded carry none and stay valid until they expire)."""

    sub: str
    iat: int
    exp: int
    jti: str | None = None


class StaffGrant(msgspec.Struct, frozen=True, tag_field="typ", tag="staff"):
    """A member of the city's staff (``atelier facilitator-invite``): proposes ateliers de
    projet and approves the ateliers residents start. ``sub`` is their name as the operator
    gave it; ``jti`` the credential row (revocable)."""

    sub: str
    jti: str
    iat: int
    exp: int


Grant = DocGrant | ParticipantGrant | CouncilGrant | StaffGrant


def _sign(key: str, claims: dict[str, object], ttl_seconds: int, now: float | None) -> str:
    issued = int(time.time() if now is None else now)
    return jwt.encode(
        {**claims, "iat": issued, "exp": issued + ttl_seconds}, key, algorithm=_ALGORITHM
    )


def mint_grant(
    key: str, doc: str, access: Access, subject: str, ttl_seconds: int, now: float | None = None
) -> str:
    claims: dict[str, object] = {"typ": "doc", "doc": doc, "acc": access, "sub": subject}
    return _sign(key, claims, ttl_seconds, now)


def mint_participant_token(
    key: str,
    atelier_id: str,
    participant_id: str,
    role: str,
    ttl_seconds: int,
    now: float | None = None,
) -> str:
    claims: dict[str, object] = {
        "typ": "participant",
        "atl": atelier_id,
        "pid": participant_id,
        "role": role,
        "sub": participant_id,
    }
    return _sign(key, claims, ttl_seconds, now)


def mint_council_token(
    key: str,
    service: str,
    ttl_seconds: int,
    now: float | None = None,
    *,
    credential: str | None = None,
) -> str:
    claims: dict[str, object] = {"typ": "council", "sub": service}
    if credential is not None:
        claims["jti"] = credential
    return _sign(key, claims, ttl_seconds, now)


def mint_staff_token(
    key: str, credential: str, name: str, ttl_seconds: int, now: float | None = None
) -> str:
    return _sign(key, {"typ": "staff", "sub": name, "jti": credential}, ttl_seconds, now)


class _Verified:
    """Tokens already verified with one key, and what they decoded to, until they expire.

    A participant's browser presents the same token on each of its sockets and at every
    reconnection (when a room's Wi-Fi comes back, everyone reconnects at once), and PyJWT's
    decoding was a tenth of what opening a WebSocket cost the server (bench/RESULTS.md §15).
    Only a token that verified is kept, expiry is checked at each use, and the oldest entry
    goes first past :attr:`LIMIT`. Revocation is not this function's business: a participant's
    or a credential's row is still read at each use (:mod:`server.actors`)."""

    LIMIT = 4096

    def __init__(self) -> None:
        self.key = ""
        self.grants: dict[str, Grant] = {}

    def get(self, key: str, token: str) -> Grant | None:
        return self.grants.get(token) if key == self.key else None

    def put(self, key: str, token: str, grant: Grant) -> None:
        if key != self.key:
            self.key, self.grants = key, {}
        elif len(self.grants) >= self.LIMIT:
            del self.grants[next(iter(self.grants))]
        self.grants[token] = grant


_verified = _Verified()


def verify_grant(key: str, token: str | None) -> Grant:
    """Decode and check a token of either kind; raises :class:`InvalidGrant`."""
    if not token:
        raise InvalidGrant("no token")
    known = _verified.get(key, token)
    if known is not None:
        if known.exp <= time.time():  # PyJWT's rule: valid while now < exp
            raise InvalidGrant("token expired")
        return known
    try:
        claims = jwt.decode(
            token, key, algorithms=[_ALGORITHM], options={"require": ["exp", "typ", "sub"]}
        )
        grant: Grant = msgspec.convert(claims, Grant)  # type: ignore[arg-type]
    except jwt.ExpiredSignatureError as exc:
        raise InvalidGrant("token expired") from exc
    except (jwt.InvalidTokenError, msgspec.ValidationError) as exc:
        raise InvalidGrant("invalid token") from exc
    _verified.put(key, token, grant)
    return grant


def token_from(
    query: dict[str, str], cookies: dict[str, str], authorization: str | None
) -> str | None:
    """The token of a request: ``?token=``, else ``Authorization: Bearer``, else the cookie.

    An explicit credential wins over the ambient cookie (a facilitator's script acting for
    someone keeps its own identity even in a browser that joined as someone else).
    """
    if query.get("token"):
        return query["token"]
    if authorization and authorization.lower().startswith("bearer "):
        bearer = authorization[7:].strip()
        if bearer:
            return bearer
    return cookies.get(COOKIE_NAME) or None

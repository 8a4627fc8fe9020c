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
    "Grant",
    "InvalidGrant",
    "mint_grant",
    "token_from",
    "verify_grant",
]

COOKIE_NAME = "atelier_token"
_ALGORITHM = "HS256"
Access = Literal["rw", "r"]


class InvalidGrant(Exception):
    """The token is missing, malformed, forged or expired."""


class Grant(msgspec.Struct, frozen=True):
    doc: str
    acc: Access
    sub: str
    iat: int
    exp: int

    @property
    def read_only(self) -> bool:
        return self.acc == "r"


def mint_grant(
    key: str, doc: str, access: Access, subject: str, ttl_seconds: int, now: float | None = None
) -> str:
    issued = int(time.time() if now is None else now)
    claims = {"doc": doc, "acc": access, "sub": subject, "iat": issued, "exp": issued + ttl_seconds}
    return jwt.encode(claims, key, algorithm=_ALGORITHM)


def verify_grant(key: str, token: str | None) -> Grant:
    if not token:
        raise InvalidGrant("no token")
    try:
        claims = jwt.decode(
            token, key, algorithms=[_ALGORITHM], options={"require": ["exp", "doc", "acc", "sub"]}
        )
        return msgspec.convert(claims, Grant)
    except jwt.ExpiredSignatureError as exc:
        raise InvalidGrant("token expired") from exc
    except (jwt.InvalidTokenError, msgspec.ValidationError) as exc:
        raise InvalidGrant("invalid token") from exc


def token_from(
    query: dict[str, str], cookies: dict[str, str], authorization: str | None
) -> str | None:
    """The token of a request: ``?token=``, else the cookie, else ``Authorization: Bearer``."""
    if query.get("token"):
        return query["token"]
    if cookies.get(COOKIE_NAME):
        return cookies[COOKIE_NAME]
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None

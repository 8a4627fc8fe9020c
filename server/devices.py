"""What a browser remembers of the people it joined as: the ``atelier_device`` cookie.

Joining again from the same browser must not make a second participant (one voice per person,
issue 23). The participant token says who a browser is, but it holds one atelier at a time (the
cookie is the last atelier joined) and expires; so the join answer also sets this cookie: the
participant ids this browser joined as, in every atelier, signed with the server's key so that
no one can claim another's. The server keeps nothing of it — no device id in any table links a
person's participations — and a browser whose site data is cleared is a new device.

The cookie is sent to ``/api/join`` only, and read there only: it is no credential (a token is
refused by :func:`server.auth.verify_grant`, its ``typ`` being no grant's).
"""

from __future__ import annotations

from collections.abc import Sequence

import jwt
import msgspec

__all__ = ["DEVICE_COOKIE", "DEVICE_COOKIE_PATH", "DEVICE_TTL", "MAX_REMEMBERED", "read", "write"]

DEVICE_COOKIE = "atelier_device"
DEVICE_COOKIE_PATH = "/api/join"
#: Longer than a participant token (30 days): an atelier meets over months.
DEVICE_TTL = 400 * 24 * 3600
#: Participants a browser remembers, the latest kept (a family tablet, a town hall's kiosk).
MAX_REMEMBERED = 16
_ALGORITHM = "HS256"


class _Claims(msgspec.Struct):
    typ: str
    pids: list[str]


def read(key: str, cookie: str | None) -> list[str]:
    """The participant ids a device cookie names; none if it is absent, forged or unreadable."""
    if not cookie:
        return []
    try:
        claims = msgspec.convert(
            jwt.decode(cookie, key, algorithms=[_ALGORITHM], options={"require": ["typ"]}),
            _Claims,
        )
    except (jwt.InvalidTokenError, msgspec.ValidationError):
        return []
    return claims.pids[-MAX_REMEMBERED:] if claims.typ == "device" else []


def write(key: str, remembered: Sequence[str], participant_id: str) -> str:
    """The device cookie's value once ``participant_id`` joined (added last, once)."""
    pids = [pid for pid in remembered if pid != participant_id] + [participant_id]
    return jwt.encode({"typ": "device", "pids": pids[-MAX_REMEMBERED:]}, key, algorithm=_ALGORITHM)

"""The public door: what anyone sees without a token.

Server-rendered pages under ``/decouvrir`` — the directory of ateliers, an atelier's page, an
instance's page, a search — and the séances' iCalendar feeds. ``data`` reads (listed ateliers
only, no personal data), ``search`` finds ateliers and published proposals by their words,
``pages`` writes HTML (every value escaped), ``ical`` writes calendars, ``routes`` wires them.

``public_routes`` is imported when first asked for: a render worker builds calendar feeds with
``ical`` and ``seances`` alone, without the routes' Litestar, SQLAlchemy and models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.public.routes import public_routes

__all__ = ["public_routes"]


def __getattr__(name: str) -> Any:
    if name == "public_routes":
        from server.public.routes import public_routes

        return public_routes
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The public door: what anyone sees without a token.

Server-rendered pages under ``/decouvrir`` — the directory of ateliers, an atelier's page, an
instance's page, a search — and the séances' iCalendar feeds. ``data`` reads (listed ateliers
only, no personal data), ``search`` finds ateliers and published proposals by their words,
``pages`` writes HTML (every value escaped), ``ical`` writes calendars, ``routes`` wires them.
"""

from server.public.routes import public_routes

__all__ = ["public_routes"]

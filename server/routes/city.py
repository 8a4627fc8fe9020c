"""``GET /api/city``: what the browser needs to know of the city this instance serves.

Its time zone (``ATELIER_TIME_ZONE``): a séance's date and times are the city's wall-clock, so
the séance form says which zone they are in and warns about a séance in the past by the city's
clock, not by the browser's (a facilitator abroad, a laptop set to UTC). Public: it says nothing
about anyone, and the form may ask before anything else.
"""

from __future__ import annotations

import msgspec
from litestar import Request, get
from litestar.response import Response

from server.state import AppServices

__all__ = ["CityRead", "city"]


class CityRead(msgspec.Struct):
    #: An IANA name (``Europe/Paris``), as ``Intl.DateTimeFormat``'s ``timeZone`` takes it.
    time_zone: str


@get("/api/city", tags=["city"], summary="La ville : son fuseau horaire")
async def city(request: Request) -> Response[CityRead]:
    zone = AppServices.of(request.app).settings.time_zone
    # A setting changes with a restart only: an hour in the browser's cache is harmless.
    return Response(CityRead(zone), headers={"cache-control": "public, max-age=3600"})

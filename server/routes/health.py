"""``GET /health``: is the database reachable, is the broker reachable."""

from __future__ import annotations

import msgspec
from litestar import Request, get
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy import text

from server.state import AppServices


class Health(msgspec.Struct):
    status: str  # "ok" or "degraded"
    database: str  # "ok" or "unavailable"
    broker: str  # "memory", "ok" or "unavailable"
    rooms: int


@get("/health", tags=["operations"], summary="Database and broker state")
async def health(request: Request) -> Response[Health]:
    services = AppServices.of(request.app)
    database = "ok"
    try:
        async with services.engine.connect() as connection:
            conn = await connection.execution_options(read_only=True)
            await conn.execute(text("SELECT 1"))
    except Exception:
        database = "unavailable"
    broker = await services.broker_state()
    ok = database == "ok" and broker != "unavailable"
    body = Health(
        status="ok" if ok else "degraded",
        database=database,
        broker=broker,
        rooms=len(services.registry.rooms),
    )
    return Response(body, status_code=HTTP_200_OK if ok else HTTP_503_SERVICE_UNAVAILABLE)

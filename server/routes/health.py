"""``GET /health``: is the database reachable, are edits being stored, is the broker reachable.

``database`` says whether the database answers a query; ``store`` whether the rooms' writes are
landing: a database that reads but cannot write (a full disk) answers queries while every room
holds its edits in memory and retries (``collab.room``). Either failing makes the instance
``degraded`` (503), as does an unreachable broker.
"""

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
    store: str  # "ok", or "failing": some room's edits are held in memory, their writes retried
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
    store = "failing" if services.registry.unsaved() else "ok"
    ok = database == "ok" and store == "ok" and broker != "unavailable"
    body = Health(
        status="ok" if ok else "degraded",
        database=database,
        store=store,
        broker=broker,
        rooms=len(services.registry.rooms),
    )
    return Response(body, status_code=HTTP_200_OK if ok else HTTP_503_SERVICE_UNAVAILABLE)

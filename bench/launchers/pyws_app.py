"""pycrdt-websocket served under uvicorn, the way its documentation shows (ASGIServer inside
``async with WebsocketServer()``). Run with the anchors' own venv (``bench/.anchors/pyws``); it
imports nothing from Atelier.

Rooms are created with pycrdt-websocket's own ``exception_logger`` as exception handler (its
default, none, lets a client that disconnects mid-broadcast stop the whole server).

With ``--store DIR`` every room persists to a pycrdt-store ``SQLiteYStore`` (one row per update,
checkpoints every 100 writes) and is loaded from it before its first client syncs: the set-up
needed to measure a join after a restart. Without it, rooms live in memory only (the default).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os

import uvicorn
from pycrdt.store import SQLiteYStore, YDocNotFound
from pycrdt.websocket import ASGIServer, WebsocketServer, YRoom, exception_logger


class StoredServer(WebsocketServer):
    def __init__(self, store_dir: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store_dir = store_dir
        self.loading: dict[str, asyncio.Future] = {}

    async def get_room(self, name: str) -> YRoom:
        if name not in self.rooms:
            store_cls = type(
                "Store", (SQLiteYStore,), {"db_path": os.path.join(self.store_dir, "ystore.db")}
            )
            store = store_cls(path=name)
            await self._task_group.start(store.start)
            room = YRoom(
                ready=False, ystore=store, log=self.log, exception_handler=self.exception_handler
            )
            self.rooms[name] = room
            self.loading[name] = asyncio.get_running_loop().create_future()
            await self.start_room(room)
            with contextlib.suppress(YDocNotFound):
                await room.ystore.apply_updates(room.ydoc)
            room.ready = True
            self.loading[name].set_result(None)
        else:
            await self.loading.get(name) if name in self.loading else None
        room = self.rooms[name]
        await self.start_room(room)
        return room


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", default="")
    args = parser.parse_args()
    # exception_logger (shipped by pycrdt-websocket): without it, one client that disconnects
    # while a broadcast is in flight takes the whole server down.
    kwargs = {"exception_handler": exception_logger}
    websocket_server = (
        StoredServer(args.store, **kwargs) if args.store else WebsocketServer(**kwargs)
    )
    app = ASGIServer(websocket_server)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning")
    async with websocket_server:
        await uvicorn.Server(config).serve()


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:
        uvloop = None
    with contextlib.suppress(KeyboardInterrupt):
        (uvloop.run if uvloop else asyncio.run)(main())

"""The room registry: a room is loaded once, however many join at once, and unloaded when idle.

A room that is closing (flushing before unload) is never handed out: a joiner waits for it to
close and then loads a fresh one, so there is at most one live document per name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from pycrdt import Doc

from collab.peer import Peer
from collab.relay import Relay
from collab.room import Room, RoomPolicy, RoomState
from collab.store import DocumentStore

_T = TypeVar("_T")

__all__ = ["RoomLoadError", "RoomRegistry"]

log = logging.getLogger("atelier.collab")


class RoomLoadError(RuntimeError):
    """The room's stored state could not be loaded; the client should retry later."""


class RoomRegistry:
    def __init__(
        self,
        store: DocumentStore,
        relay: Relay,
        *,
        policy: RoomPolicy | None = None,
        idle_seconds: float = 10.0,
        room_factory: Callable[..., Room] = Room,
    ) -> None:
        self.store = store
        self.relay = relay
        self.policy = policy or RoomPolicy()
        self.idle_seconds = idle_seconds
        self._room_factory = room_factory
        self.rooms: dict[str, Room] = {}
        self._unload_timers: dict[str, asyncio.TimerHandle] = {}
        self._closing: dict[str, asyncio.Task[None]] = {}
        self.loads = 0  # how many times a room was loaded from the store (for tests and metrics)

    async def get(self, name: str) -> Room:
        """The ready room for ``name``, loading it if needed. Raises :class:`RoomLoadError`."""
        while True:
            closing = self._closing.get(name)
            if closing is not None:
                await asyncio.shield(closing)
                continue
            room = self.rooms.get(name)
            if room is None:
                room = self._room_factory(name, self.store, self.relay, self.policy)
                self.rooms[name] = room
                self.loads += 1
                asyncio.get_running_loop().create_task(self._load(room))
            self._cancel_unload(name)
            try:
                await asyncio.shield(room.ready)
            except Exception as exc:
                raise RoomLoadError(f"could not load document {name!r}") from exc
            if room.state == RoomState.READY:
                return room

    def unsaved(self) -> list[str]:
        """The rooms whose edits the store is failing to take (kept in memory, retried): for a
        health check — a store that reads but cannot write (a full disk) looks fine otherwise."""
        return sorted(name for name, room in self.rooms.items() if room.store_failing)

    async def state_vector(self, name: str) -> bytes:
        """The state vector of ``name``'s document as this node holds it now: which edits it
        contains. A room loaded only for this stays loaded while idle, then unloads."""
        room = await self.get(name)
        if not room.peers:
            self._schedule_unload(room)
        return room.doc.get_state()

    async def edit(self, name: str, change: Callable[[Doc[Any]], _T]) -> _T:
        """Apply a server-side edit to ``name``'s live document (see :meth:`Room.edit`): loaded
        for it if no one has it open, then unloaded once idle. Deletions made by ``change`` only
        reach text that exists now; what clients type meanwhile merges as any concurrent edit."""
        room = await self.get(name)
        try:
            return await room.edit(change)
        finally:
            if not room.peers:
                self._schedule_unload(room)

    async def _load(self, room: Room) -> None:
        try:
            await room.load()
        except Exception:
            log.exception("room %s: load failed", room.name)
            if self.rooms.get(room.name) is room:
                del self.rooms[room.name]

    @contextlib.asynccontextmanager
    async def join(self, name: str, peer: Peer) -> AsyncIterator[Room]:
        """Put ``peer`` in the room for the duration of the block."""
        room = await self.enter(name, peer)
        try:
            yield room
        finally:
            self.leave(room, peer)

    async def enter(self, name: str, peer: Peer) -> Room:
        """:meth:`join` without a block, for a caller that keeps a connection open for hours
        (a suspended generator per connection is 0.3 KB): :meth:`leave` must follow."""
        room = await self.get(name)
        room.add_peer(peer)
        return room

    def leave(self, room: Room, peer: Peer) -> None:
        room.remove_peer(peer)
        if not room.peers:
            self._schedule_unload(room)

    def _cancel_unload(self, name: str) -> None:
        timer = self._unload_timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    def _schedule_unload(self, room: Room) -> None:
        self._cancel_unload(room.name)
        loop = asyncio.get_running_loop()
        self._unload_timers[room.name] = loop.call_later(
            self.idle_seconds, lambda: self._start_unload(room)
        )

    def _start_unload(self, room: Room) -> None:
        self._unload_timers.pop(room.name, None)
        if room.peers or self.rooms.get(room.name) is not room or room.name in self._closing:
            return
        self._closing[room.name] = asyncio.get_running_loop().create_task(self._unload(room))

    async def _unload(self, room: Room) -> None:
        try:
            await room.close()
        finally:
            if self.rooms.get(room.name) is room:
                del self.rooms[room.name]
            self._closing.pop(room.name, None)

    async def unload_idle_now(self) -> None:
        """Unload every room without peers at once (tests, shutdown)."""
        for room in list(self.rooms.values()):
            if not room.peers:
                self._cancel_unload(room.name)
                self._start_unload(room)
        await asyncio.gather(*self._closing.values(), return_exceptions=True)

    def close_peers_of(self, subject: str, code: int, reason: str) -> int:
        """Close every connection of ``subject`` on this node (a revoked participant)."""
        closed = 0
        for room in self.rooms.values():
            for peer in list(room.peers):
                if peer.subject == subject:
                    peer.close(code, reason)
                    closed += 1
        return closed

    async def close(self) -> None:
        """Close every peer, flush and unload every room."""
        for room in list(self.rooms.values()):
            room.close_peers()
        for name in list(self._unload_timers):
            self._cancel_unload(name)
        rooms = list(self.rooms.values())
        await asyncio.gather(*(room.close() for room in rooms), return_exceptions=True)
        await asyncio.gather(*self._closing.values(), return_exceptions=True)
        self.rooms.clear()

"""Small stand-ins for asyncio's ``Event`` and ``Queue`` that cost nothing until awaited.

An idle connection keeps its flags and its (empty) inbox for hours. ``asyncio.Event`` allocates
a ``deque`` of waiters when it is made, and ``asyncio.Queue`` three (its items, getters and
putters); each empty deque holds a 64-slot block, about 760 bytes, so the seven of a connection
cost 5 KB while nothing happens (``bench/RESULTS.md`` §14). These allocate their waiters only
when someone waits and drop them once woken.
"""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar

__all__ = ["Flag", "Inbox"]

T = TypeVar("T")


class Flag:
    """``asyncio.Event``'s ``is_set``/``set``/``clear``/``wait``, without a waiter deque until
    someone waits."""

    __slots__ = ("_value", "_waiters")

    def __init__(self) -> None:
        self._value = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def __repr__(self) -> str:
        return f"<Flag {'set' if self._value else 'unset'}>"

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        if self._value:
            return
        self._value = True
        waiters, self._waiters = self._waiters, None
        if waiters:
            for fut in waiters:
                if not fut.done():
                    fut.set_result(None)

    def clear(self) -> None:
        self._value = False

    def future(self) -> asyncio.Future[None]:
        """A future done once the flag is set (at once if it is); :meth:`discard` it when no
        longer wanted."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._value:
            fut.set_result(None)
        else:
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(fut)
        return fut

    def discard(self, fut: asyncio.Future[None]) -> None:
        """Forget a future from :meth:`future` (cancelled if still pending)."""
        if not fut.done():
            fut.cancel()
        if self._waiters is not None and fut in self._waiters:
            self._waiters.remove(fut)
            if not self._waiters:
                self._waiters = None

    async def wait(self) -> bool:
        if self._value:
            return True
        fut = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(fut)
        try:
            await fut
        finally:
            if self._waiters is not None and fut in self._waiters:
                self._waiters.remove(fut)
                if not self._waiters:
                    self._waiters = None
        return True


class Inbox(Generic[T]):
    """An unbounded FIFO with ``put_nowait``, ``get`` and ``empty`` (``asyncio.Queue``'s subset a
    connection's reader uses): no storage while empty, no waiter list while nobody waits."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: list[T] | None = None
        self._waiters: list[asyncio.Future[None]] | None = None

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def put_nowait(self, item: T) -> None:
        if self._items is None:
            self._items = [item]
        else:
            self._items.append(item)
        if self._waiters:
            for fut in self._waiters:
                if not fut.done():
                    fut.set_result(None)
                    break

    def get_nowait(self) -> T:
        items = self._items
        if not items:
            raise asyncio.QueueEmpty
        item = items.pop(0)
        if not items:
            self._items = None
        return item

    async def get(self) -> T:
        while not self._items:
            fut = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(fut)
            try:
                await fut
            except BaseException:
                # Cancelled after being woken: pass the wake-up on, as asyncio.Queue does.
                if fut.done() and not fut.cancelled() and self._items:
                    self._wake_next(fut)
                raise
            finally:
                if self._waiters is not None and fut in self._waiters:
                    self._waiters.remove(fut)
                    if not self._waiters:
                        self._waiters = None
        return self.get_nowait()

    def _wake_next(self, skip: asyncio.Future[None]) -> None:
        for fut in self._waiters or ():
            if fut is not skip and not fut.done():
                fut.set_result(None)
                return

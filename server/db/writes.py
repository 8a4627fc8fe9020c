"""Write transactions, and on SQLite one writer at a time in the order they asked.

SQLite lets one connection write at a time; the others wait in its busy handler, which sleeps
and polls (up to 100 ms between tries) with no queue. Under a burst — 5,000 people joining
within a minute — a waiting writer can lose every race for longer than the busy timeout and
fail with "database is locked" although the database was never stuck. An :class:`asyncio.Lock`
is fair (first come, first served), so every write transaction of this process takes its turn
there first, and SQLite only ever sees one writer from us. PostgreSQL needs no turn: its row
locks already serialise what must be.

A write transaction must not wait, inside its turn, for another write transaction of the same
process: that would wait forever (with SQLite's own lock it would fail after the busy timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

__all__ = ["reading", "transaction", "write_turn"]

_turns: WeakKeyDictionary[Engine, asyncio.Lock] = WeakKeyDictionary()


def write_turn(engine: AsyncEngine) -> AbstractAsyncContextManager[object]:
    """Held around every write transaction on ``engine``: a fair lock on SQLite, nothing else."""
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    turn = _turns.get(engine.sync_engine)
    if turn is None:
        turn = _turns[engine.sync_engine] = asyncio.Lock()
    return turn


@contextlib.asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session in one transaction that may write: committed at the end, rolled back if the
    block raises."""
    async with (
        write_turn(engine),
        AsyncSession(engine, expire_on_commit=False) as session,
        session.begin(),
    ):
        yield session


@contextlib.asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session that only reads: it takes no turn, and on SQLite its transaction is deferred
    (no write lock), so it never waits behind writers."""
    async with AsyncSession(
        engine.execution_options(read_only=True), expire_on_commit=False
    ) as session:
        yield session

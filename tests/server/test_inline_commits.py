"""Document appends committed on the event loop's own thread (SQLite), and what keeps that safe:
nothing counts as written before the WAL sync helper has synced it, a helper that dies is
replaced, a slow disk sends appends back to the writer thread, another write's turn is waited
for there, and the WAL stays short without SQLite's own checkpoints."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import pytest
from pycrdt import Doc, Text
from sqlalchemy.engine import make_url

from collab import GroupCommitStore
from collab.store import LogStats
from server.db import doc_store
from server.db.doc_store import SqlDocumentStore, _InlineWriter, sqlite_pragmas
from server.db.writes import write_turn
from server.state import create_engine
from tests.collab.helpers import text_updates

pytestmark = pytest.mark.anyio

NOW = "2026-11-26 12:00:00.000000"


class Clock:
    """The inline writer's clock; a commit "takes" ``commit_takes`` seconds on it."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.commit_takes = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def timed_commits(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    real = doc_store._sqlite_append

    def timed(conn: Any, items: list[tuple[str, Sequence[bytes]]], now: str) -> Any:
        result = real(conn, items, now)
        clock.t += clock.commit_takes
        return result

    monkeypatch.setattr(doc_store, "_sqlite_append", timed)
    return clock


def text_of(updates: list[bytes]) -> str:
    doc = Doc()
    for u in updates:
        doc.apply_update(u)
    return str(doc.get("t", type=Text))


def edits(n: int) -> list[list[tuple[str, list[bytes]]]]:
    """``n`` single-update appends to document "d", one inserted letter each."""
    updates = text_updates(*[(i, "x") for i in range(n)])
    return [[("d", [u])] for u in updates]


@pytest.fixture
def inline_writer(sqlite_url: str, timed_commits: Clock) -> Iterator[_InlineWriter]:
    """Commits on the calling thread, with a budget of 2 ms and the test's clock."""
    writer = _InlineWriter(
        make_url(sqlite_url).database or "", sqlite_pragmas(), budget=0.002, clock=timed_commits
    )
    yield writer
    writer.close()


def test_a_stalled_commit_sends_the_next_appends_to_the_writer_thread_for_a_while(
    inline_writer: _InlineWriter, timed_commits: Clock
) -> None:
    writer, clock = inline_writer, timed_commits
    batches = iter(edits(10))
    assert writer.append(next(batches), NOW) is not None  # committed here
    clock.commit_takes = 0.2  # the disk stalls once
    assert writer.append(next(batches), NOW) is not None  # durable all the same …
    clock.commit_takes = 0.0
    assert writer.append(next(batches), NOW) is None  # … but the next go to the thread
    clock.t += 0.9
    assert writer.append(next(batches), NOW) is None
    clock.t += 0.2  # a second later, commits are tried here again
    clock.commit_takes = 0.2  # and the disk still stalls: two seconds this time
    assert writer.append(next(batches), NOW) is not None
    clock.commit_takes = 0.0
    clock.t += 1.5
    assert writer.append(next(batches), NOW) is None
    clock.t += 0.6
    assert writer.append(next(batches), NOW) is not None
    assert writer.slow_commits == 2
    assert writer.commits == 4


def test_a_disk_slow_on_every_commit_is_left_to_the_writer_thread(
    inline_writer: _InlineWriter, timed_commits: Clock
) -> None:
    writer, clock = inline_writer, timed_commits
    clock.commit_takes = 0.003  # each commit over the budget, none a stall
    done_here = 0
    for batch in edits(60):
        if writer.append(batch, NOW) is None:
            break
        done_here += 1
    # A single slow commit is no reason to leave (the average moves a twentieth of the
    # way); a run of them is.
    assert 10 < done_here < 60
    assert writer.slow_commits == 1


@pytest.fixture
async def sql_store(sqlite_url: str) -> AsyncIterator[SqlDocumentStore]:
    engine = create_engine(sqlite_url)
    store = SqlDocumentStore(engine)
    try:
        yield store
    finally:
        await store.close()
        await engine.dispose()


async def test_appends_through_the_group_writer_are_committed_on_the_spot(
    sql_store: SqlDocumentStore,
) -> None:
    writer = GroupCommitStore(sql_store)
    updates = text_updates(*[(i, c) for i, c in enumerate("hello")])
    stats: list[LogStats] = []
    for u in updates:
        stats.append(await writer.append("d", [u]))
    assert [s.rows for s in stats] == [1, 2, 3, 4, 5]
    assert writer.immediate_writes == writer.writes == 5
    assert text_of(await sql_store.load("d")) == "hello"


async def test_an_append_while_another_write_holds_the_turn_waits_for_it_in_the_thread(
    sql_store: SqlDocumentStore,
) -> None:
    writer = GroupCommitStore(sql_store)
    first, second = text_updates((0, "a"), (1, "b"))
    await writer.append("d", [first])
    async with write_turn(sql_store.engine):  # another service's transaction, say a ballot
        assert sql_store.append_soon is not None
        assert not sql_store.append_soon({"d": [second]}, print)  # not now: nothing written
        waiting = asyncio.create_task(writer.append("d", [second]))
        await asyncio.sleep(0.05)
        assert not waiting.done()
    stats = await waiting
    assert stats.rows == 2
    assert writer.immediate_writes == 1  # the first; the second went through the thread
    assert text_of(await sql_store.load("d")) == "ab"


async def test_commits_on_the_spot_keep_the_wal_short(
    sql_store: SqlDocumentStore, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wal = (make_url(sqlite_url).database or "") + "-wal"
    # What is measured here is the checkpoints, not the disk: on a loaded machine a commit that
    # took over the budget sent the next appends to the writer thread, where no checkpoint of
    # this kind runs, and the WAL grew. With a clock that stands still every commit is fast.
    assert sql_store._inline is not None
    monkeypatch.setattr(sql_store._inline, "_clock", lambda: 0.0)
    writer = GroupCommitStore(sql_store)
    updates = text_updates(*[(i, "x") for i in range(1200)])

    async def write(batch: list[bytes]) -> int:
        for u in batch:
            await writer.append("d", [u])
        await sql_store.checkpointed()  # a checkpoint under way ends first
        return await asyncio.to_thread(os.path.getsize, wal)

    every = doc_store._CHECKPOINT_EVERY
    monkeypatch.setattr(doc_store, "_CHECKPOINT_EVERY", 10**9)  # nothing checkpoints …
    unchecked = await write(updates[:300])
    monkeypatch.setattr(doc_store, "_CHECKPOINT_EVERY", every)  # … then as in service
    after = await write(updates[300:])
    # Three times as many commits again, and the WAL is written from its start once more
    # instead of growing fourfold.
    assert after < 2 * unchecked
    assert writer.immediate_writes > 1100  # the rest waited for a checkpoint, in the thread
    assert text_of(await sql_store.load("d")) == "x" * 1200


async def test_an_append_is_not_written_before_the_helper_has_synced_the_wal(
    sql_store: SqlDocumentStore,
) -> None:
    writer = GroupCommitStore(sql_store)
    first, second = text_updates((0, "a"), (1, "b"))
    await writer.append("d", [first])  # starts the helper
    syncer = sql_store._syncer
    assert syncer is not None
    assert syncer.alive
    os.kill(syncer._proc.pid, signal.SIGSTOP)  # a disk that does not answer
    try:
        waiting = asyncio.create_task(writer.append("d", [second]))
        await asyncio.sleep(0.1)
        assert not waiting.done()  # committed, not synced: nobody is told it is written
    finally:
        os.kill(syncer._proc.pid, signal.SIGCONT)
    assert (await waiting).rows == 2
    assert syncer.asked == 2
    assert text_of(await sql_store.load("d")) == "ab"


async def test_a_helper_that_dies_fails_what_it_held_and_the_retry_lands(
    sql_store: SqlDocumentStore,
) -> None:
    writer = GroupCommitStore(sql_store)
    first, second, third = text_updates((0, "a"), (1, "b"), (2, "c"))
    await writer.append("d", [first])
    syncer = sql_store._syncer
    assert syncer is not None
    os.kill(syncer._proc.pid, signal.SIGSTOP)
    held = asyncio.create_task(writer.append("d", [second]))
    await asyncio.sleep(0.05)
    syncer.kill()  # the OOM killer, say
    with pytest.raises(OSError, match="helper is gone"):
        await held  # told, not left hanging: a room would append it again
    assert not syncer.alive
    await writer.append("d", [second])  # the room's retry …
    await writer.append("d", [third])
    replaced = sql_store._syncer
    assert replaced is not None
    assert replaced is not syncer  # … through a new helper
    assert replaced.alive
    assert text_of(await sql_store.load("d")) == "abc"


async def test_with_synchronous_normal_appends_are_committed_on_the_spot_without_a_helper(
    sqlite_url: str,
) -> None:
    engine = create_engine(sqlite_url)
    store = SqlDocumentStore(engine, synchronous="normal")
    try:
        assert store.append_soon is None  # nothing to wait for: NORMAL syncs at checkpoints
        writer = GroupCommitStore(store)
        for u in text_updates((0, "a"), (1, "b")):
            await writer.append("d", [u])
        assert writer.immediate_writes == 2
        assert store._syncer is None
        assert text_of(await store.load("d")) == "ab"
    finally:
        await store.close()
        await engine.dispose()

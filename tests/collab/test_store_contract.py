"""One contract, every DocumentStore: in memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from pycrdt import Doc, Text

from collab import DocumentStore, GroupCommitStore, LogStats, MemoryDocumentStore
from collab.offload import SquashWorker
from tests.collab.helpers import text_updates
from tests.conftest import DATABASES, migrated_database

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", *DATABASES])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """None for the in-memory store, else a migrated database URL."""
    if request.param == "memory":
        yield None
        return
    with migrated_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def squash_worker() -> Iterator[SquashWorker]:
    """The SQL stores squash in a worker process, as the server's do."""
    worker = SquashWorker()
    yield worker
    asyncio.run(worker.close())


@pytest.fixture
async def store(store_url: str | None, squash_worker: SquashWorker) -> AsyncIterator[DocumentStore]:
    if store_url is None:
        yield MemoryDocumentStore()
        return
    from server.db.doc_store import SqlDocumentStore
    from server.state import create_engine

    engine = create_engine(store_url)
    sql_store = SqlDocumentStore(engine, squasher=squash_worker.squash)
    try:
        yield sql_store
    finally:
        await sql_store.close()
        await engine.dispose()


def text_of(updates: list[bytes]) -> str:
    doc = Doc()
    for u in updates:
        doc.apply_update(u)
    return str(doc.get("t", type=Text))


async def test_an_unknown_document_loads_empty(store: DocumentStore) -> None:
    assert await store.load("never-written") == []


async def test_appended_updates_load_back_in_order(store: DocumentStore) -> None:
    updates = text_updates((0, "a"), (1, "b"), (2, "c"))
    for u in updates:
        await store.append("d", [u])
    assert await store.load("d") == updates
    assert await store.load("other") == []


async def test_append_reports_the_log_size_since_the_last_compaction(store: DocumentStore) -> None:
    updates = text_updates((0, "a"), (1, "b"))
    first = await store.append("d", [updates[0]])
    second = await store.append("d", [updates[1]])
    assert (first.rows, second.rows) == (1, 2)
    assert second.bytes == len(updates[0]) + len(updates[1])
    await store.compact("d")
    after = await store.append("d", text_updates((0, "z"), client_id=9))
    assert after.rows == 1


async def test_compaction_keeps_the_content_in_one_row(store: DocumentStore) -> None:
    for u in text_updates(*[(i, str(i % 10)) for i in range(30)]):
        await store.append("d", [u])
    size = await store.compact("d")
    loaded = await store.load("d")
    assert len(loaded) == 1
    assert size == len(loaded[0])  # the room weighs its next compaction against it
    assert text_of(loaded) == "".join(str(i % 10) for i in range(30))
    assert await store.compact("d") is None  # nothing left to compact
    assert await store.compact("never-written") is None


async def test_compaction_keeps_pending_updates(store: DocumentStore) -> None:
    u1, u2 = text_updates((0, "hello"), (5, " world"))
    await store.append("d", [u2])
    await store.compact("d")
    await store.append("d", [u1])
    await store.compact("d")
    assert text_of(await store.load("d")) == "hello world"


async def test_compaction_keeps_a_deletion_that_arrived_before_its_insertion(
    store: DocumentStore,
) -> None:
    doc = Doc(client_id=5)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    text = doc.get("t", type=Text)
    text.insert(0, "hello")
    del text[1:4]
    insert, deletion = updates
    await store.append("d", [deletion])
    await store.compact("d")
    await store.append("d", [insert])
    await store.compact("d")
    assert text_of(await store.load("d")) == "ho"


async def test_compaction_stores_the_document_not_the_history(store: DocumentStore) -> None:
    # Typing then deleting a paragraph: the snapshot holds what is left, not every keystroke.
    edits = [(i, "x") for i in range(200)]
    for u in text_updates(*edits):
        await store.append("d", [u])
    doc = Doc(client_id=7)
    for u in await store.load("d"):
        doc.apply_update(u)
    text = doc.get("t", type=Text)
    deletions: list[bytes] = []
    doc.observe(lambda event: deletions.append(event.update))
    del text[0:190]
    await store.append("d", deletions)
    await store.compact("d")
    (snapshot,) = await store.load("d")
    assert text_of([snapshot]) == "x" * 10
    assert len(snapshot) < sum(len(u) for u in text_updates(*edits)) / 4


async def test_appends_during_compaction_are_never_lost(store: DocumentStore) -> None:
    updates = text_updates(*[(i, "x") for i in range(60)])
    for u in updates[:30]:
        await store.append("d", [u])

    async def writer() -> None:
        for u in updates[30:]:
            await store.append("d", [u])

    await asyncio.gather(writer(), store.compact("d"), store.compact("d"))
    await store.compact("d")
    assert text_of(await store.load("d")) == "x" * 60


async def test_a_batch_is_one_append(store: DocumentStore) -> None:
    updates = text_updates((0, "a"), (1, "b"))
    stats = await store.append("d", updates)
    assert stats.rows == 2
    assert text_of(await store.load("d")) == "ab"


# --- several documents in one write -------------------------------------------------------


async def test_a_batch_of_several_documents_loads_back_per_document(store: DocumentStore) -> None:
    a = text_updates((0, "a"), (1, "b"))
    b = text_updates((0, "z"), client_id=9)
    await store.append("a", a[:1])
    stats = await store.append_many({"a": a[1:], "b": b})
    assert (stats["a"].rows, stats["b"].rows) == (2, 1)
    assert stats["b"].bytes == len(b[0])
    assert text_of(await store.load("a")) == "ab"
    assert text_of(await store.load("b")) == "z"


async def test_a_batch_that_cannot_be_written_writes_nothing(store: DocumentStore) -> None:
    good = text_updates((0, "kept"))
    await store.append("a", good)
    bad: list[bytes] = [None]  # type: ignore[list-item]  # no store can write this
    with pytest.raises(Exception):  # noqa: B017, PT011  # each backend raises its own error
        await store.append_many({"a": text_updates((4, "!"), client_id=8), "b": bad})
    assert await store.load("a") == good
    assert await store.load("b") == []
    after = await store.append("a", text_updates((0, "+"), client_id=9))
    assert after.rows == 2  # the failed batch left the counters alone


# --- an append on the spot (collab.store.ImmediateAppend) ----------------------------------


async def test_an_append_on_the_spot_is_an_append_many_durable_before_it_returns(
    store: DocumentStore, store_url: str | None
) -> None:
    now = getattr(store, "append_now", None)
    soon = getattr(store, "append_soon", None)
    if store_url is not None and store_url.startswith("postgresql"):
        # Every PostgreSQL commit is a round trip: doing one on the spot would stop the loop.
        assert now is None
        assert soon is None
        return
    assert callable(now) != callable(soon)  # one or the other, never both
    results: list[object] = []

    async def append(batch: dict[str, list[bytes]]) -> dict[str, LogStats]:
        if now is not None:
            stats = now(batch)
            assert stats is not None
            return stats  # type: ignore[no-any-return]
        durable = asyncio.get_running_loop().create_future()
        assert soon(batch, durable.set_result)
        result = await durable
        results.append(result)
        assert not isinstance(result, Exception)
        return result  # type: ignore[no-any-return]

    a = text_updates((0, "a"), (1, "b"))
    b = text_updates((0, "z"), client_id=9)
    await store.append("a", a[:1])
    stats = await append({"a": a[1:], "b": b})
    assert (stats["a"].rows, stats["b"].rows) == (2, 1)
    assert stats["b"].bytes == len(b[0])
    assert text_of(await store.load("a")) == "ab"
    assert text_of(await store.load("b")) == "z"
    bad: list[bytes] = [None]  # type: ignore[list-item]
    with pytest.raises(Exception):  # noqa: B017, PT011  # each backend raises its own error
        await append({"a": text_updates((4, "!"), client_id=8), "c": bad})
    assert text_of(await store.load("a")) == "ab"
    assert await store.load("c") == []
    after = await store.append("a", text_updates((0, "+"), client_id=10))
    assert after.rows == 3  # the failed batch left the counters alone


# --- group commit: one writer for every document --------------------------------------------


class _GatedAppends:
    """Holds the inner store's ``append_many`` until released, and records its batches."""

    def __init__(self, store: DocumentStore) -> None:
        self.gate = asyncio.Event()
        self.batches: list[dict[str, int]] = []
        self.started = asyncio.Event()
        inner = store.append_many

        async def gated(batch: Mapping[str, Sequence[bytes]]) -> dict[str, LogStats]:
            self.batches.append({doc: len(updates) for doc, updates in batch.items()})
            self.started.set()
            await self.gate.wait()
            return await inner(batch)

        store.append_many = gated  # type: ignore[method-assign]
        store.append_now = None  # type: ignore[attr-defined]  # every write through the gate
        store.append_soon = None  # type: ignore[attr-defined]


async def test_group_commit_writes_the_appends_of_one_turn_in_one_batch(
    store: DocumentStore,
) -> None:
    gated = _GatedAppends(store)
    writer = GroupCommitStore(store)
    docs = [f"room-{i}" for i in range(5)]
    appends = [
        asyncio.create_task(writer.append(doc, text_updates((0, doc), client_id=i + 1)))
        for i, doc in enumerate(docs)
    ]
    await gated.started.wait()
    assert gated.batches == [dict.fromkeys(docs, 1)]
    assert not any(a.done() for a in appends)  # nobody is released before the commit
    gated.gate.set()
    stats = await asyncio.gather(*appends)
    assert [s.rows for s in stats] == [1] * 5
    assert writer.writes == 1
    for doc in docs:
        assert text_of(await store.load(doc)) == doc


async def test_group_commit_gathers_what_arrives_during_a_write_into_the_next_one(
    store: DocumentStore,
) -> None:
    gated = _GatedAppends(store)
    writer = GroupCommitStore(store)
    first = asyncio.create_task(writer.append("a", text_updates((0, "1"))))
    await gated.started.wait()
    later = [
        asyncio.create_task(writer.append(doc, text_updates((0, doc), client_id=3)))
        for doc in ("a", "b", "c")
    ]
    await asyncio.sleep(0.01)  # the first write is still held: the others must wait for it
    assert len(gated.batches) == 1
    assert not first.done()
    assert not any(t.done() for t in later)
    gated.gate.set()
    await asyncio.gather(first, *later)
    assert gated.batches == [{"a": 1}, {"a": 1, "b": 1, "c": 1}]
    assert text_of(await store.load("b")) == "b"
    assert len(await store.load("a")) == 2


async def test_group_commit_fails_every_waiter_of_a_failed_write_and_writes_none(
    store: DocumentStore,
) -> None:
    writer = GroupCommitStore(store)
    bad: list[bytes] = [None]  # type: ignore[list-item]
    good = asyncio.create_task(writer.append("a", text_updates((0, "a"))))
    broken = asyncio.create_task(writer.append("b", bad))
    results = await asyncio.gather(good, broken, return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results)
    assert await store.load("a") == []
    # The writer carries on: a retry lands.
    stats = await writer.append("a", text_updates((0, "a")))
    assert stats.rows == 1
    assert text_of(await store.load("a")) == "a"


async def test_two_instances_appending_to_the_same_documents_lose_nothing(
    store: DocumentStore,
) -> None:
    # Two group-commit writers over one database, as two instances behind the relay: their
    # batches touch the same documents in the same moment and must neither lose nor block.
    first, second = GroupCommitStore(store), GroupCommitStore(store)
    docs = ["a", "b", "c", "d"]
    edits = {doc: text_updates(*[(i, doc) for i in range(10)]) for doc in docs}

    async def instance(writer: GroupCommitStore, order: list[str], half: int) -> None:
        for i in range(half * 5, half * 5 + 5):
            await asyncio.gather(*(writer.append(doc, [edits[doc][i]]) for doc in order))

    await asyncio.gather(instance(first, docs, 0), instance(second, docs[::-1], 1))
    for doc in docs:
        assert text_of(await store.load(doc)) == doc * 10


# --- history (issue 20, #5): what compaction folds away is kept ----------------------------


async def test_an_unknown_document_has_no_history(store: DocumentStore) -> None:
    assert await store.history("never-written") == []


async def test_history_survives_compaction_in_order_with_times(store: DocumentStore) -> None:
    updates = text_updates(*[(i, "abcdefghij"[i]) for i in range(10)])
    for u in updates[:6]:
        await store.append("d", [u])
    await store.compact("d")
    for u in updates[6:8]:
        await store.append("d", [u])
    await store.compact("d")
    for u in updates[8:]:
        await store.append("d", [u])
    history = await store.history("d")
    # Every row ever appended, in order, after two compactions and with the live log last.
    assert [entry.data for entry in history] == updates
    times = [entry.at for entry in history]
    assert times == sorted(times)
    assert all(t.tzinfo is not None for t in times)
    # Each prefix replays to an earlier state of the document: the slider's states.
    assert text_of([e.data for e in history[:3]]) == "abc"
    assert text_of([e.data for e in history]) == text_of(await store.load("d")) == "abcdefghij"
    # The other document's history is its own.
    assert await store.history("other") == []


async def test_compaction_with_concurrent_appends_keeps_every_row_in_the_history(
    store: DocumentStore,
) -> None:
    updates = text_updates(*[(i, "x") for i in range(40)])
    for u in updates[:20]:
        await store.append("d", [u])

    async def writer() -> None:
        for u in updates[20:]:
            await store.append("d", [u])

    await asyncio.gather(writer(), store.compact("d"), store.compact("d"))
    await store.compact("d")
    assert sorted(e.data for e in await store.history("d")) == sorted(updates)
    assert text_of([e.data for e in await store.history("d")]) == "x" * 40


async def test_a_snapshot_from_before_the_history_was_kept_starts_it(
    store: DocumentStore, store_url: str | None
) -> None:
    if store_url is None:
        pytest.skip("the memory store never had a snapshot without its history")
    from sqlalchemy import text

    updates = text_updates(*[(i, "abcdef"[i]) for i in range(6)])
    for u in updates[:3]:
        await store.append("d", [u])
    await store.compact("d")
    # As a database compacted before migration 0015: a snapshot, no history rows.
    async with store.engine.begin() as conn:  # type: ignore[attr-defined]
        await conn.execute(text("DELETE FROM document_history WHERE document_id = 'd'"))
    (snapshot,) = await store.load("d")
    await store.append("d", [updates[3]])
    history = await store.history("d")
    assert [e.data for e in history] == [snapshot, updates[3]]
    await store.append("d", updates[4:])
    await store.compact("d")
    history = await store.history("d")
    assert [e.data for e in history] == [snapshot, *updates[3:]]
    assert text_of([e.data for e in history]) == "abcdef"

"""One contract, every DocumentStore: in memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pycrdt import Doc, Text

from collab import DocumentStore, MemoryDocumentStore
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


@pytest.fixture
async def store(store_url: str | None) -> AsyncIterator[DocumentStore]:
    if store_url is None:
        yield MemoryDocumentStore()
        return
    from server.db.doc_store import SqlDocumentStore
    from server.state import create_engine

    engine = create_engine(store_url)
    try:
        yield SqlDocumentStore(engine)
    finally:
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
    await store.compact("d")
    loaded = await store.load("d")
    assert len(loaded) == 1
    assert text_of(loaded) == "".join(str(i % 10) for i in range(30))


async def test_compaction_keeps_pending_updates(store: DocumentStore) -> None:
    u1, u2 = text_updates((0, "hello"), (5, " world"))
    await store.append("d", [u2])
    await store.compact("d")
    await store.append("d", [u1])
    await store.compact("d")
    assert text_of(await store.load("d")) == "hello world"


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

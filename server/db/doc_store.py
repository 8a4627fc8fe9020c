"""``collab.store.DocumentStore`` on SQLAlchemy: SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from collab.store import LogStats, merge
from server.db.models import Document, DocumentUpdate

__all__ = ["SqlDocumentStore"]

#: How many times compaction re-reads a log that another compaction changed under it.
_COMPACT_ATTEMPTS = 3


class SqlDocumentStore:
    """Each write is one transaction; see :class:`collab.store.DocumentStore` for the contract.

    SQLite has one write lock per database: this store's writes take turns on an asyncio lock
    instead of meeting in SQLite's busy handler (which sleeps up to 100 ms per retry), and the
    CPU-heavy part of compaction (the merge) runs outside that lock. Wrap it in
    :class:`collab.group_commit.GroupCommitStore` so that the appends of all rooms share
    transactions. On PostgreSQL writes run concurrently, ordered by document id so that two
    batches never wait on each other's rows in a cycle.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._insert = pg_insert if self._postgres else sqlite_insert
        self._write_lock: asyncio.Lock | None = None if self._postgres else asyncio.Lock()

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction; on SQLite, one at a time."""
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.begin() as conn:
            yield conn

    async def load(self, doc_id: str) -> list[bytes]:
        async with self.engine.connect() as conn:
            snapshot = await conn.scalar(select(Document.snapshot).where(Document.id == doc_id))
            rows = await conn.scalars(
                select(DocumentUpdate.data)
                .where(DocumentUpdate.document_id == doc_id)
                .order_by(DocumentUpdate.id)
            )
            log = list(rows)
        return ([snapshot] if snapshot is not None else []) + log

    async def append(self, doc_id: str, updates: Sequence[bytes]) -> LogStats:
        return (await self.append_many({doc_id: updates}))[doc_id]

    async def append_many(self, batch: Mapping[str, Sequence[bytes]]) -> dict[str, LogStats]:
        if not batch:
            return {}
        now = datetime.now(UTC)
        doc_ids = sorted(batch)  # one lock order for every transaction (PostgreSQL)
        rows = [
            {"document_id": doc_id, "data": u, "created_at": now}
            for doc_id in doc_ids
            for u in batch[doc_id]
        ]
        stats: dict[str, LogStats] = {}
        async with self._write() as conn:
            await conn.execute(
                self._insert(Document)
                .values(
                    [
                        {
                            "id": doc_id,
                            "log_rows": 0,
                            "log_bytes": 0,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for doc_id in doc_ids
                    ]
                )
                .on_conflict_do_nothing(index_elements=[Document.id])
            )
            if rows:
                await conn.execute(DocumentUpdate.__table__.insert(), rows)
            for doc_id in doc_ids:
                updates = batch[doc_id]
                row = (
                    await conn.execute(
                        update(Document)
                        .where(Document.id == doc_id)
                        .values(
                            log_rows=Document.log_rows + len(updates),
                            log_bytes=Document.log_bytes + sum(map(len, updates)),
                            updated_at=now,
                        )
                        .returning(Document.log_rows, Document.log_bytes)
                    )
                ).one()
                stats[doc_id] = LogStats(rows=row.log_rows, bytes=row.log_bytes)
        return stats

    async def compact(self, doc_id: str) -> None:
        """Merge the snapshot and the log read at the start; replace exactly those.

        The merge (the costly part) runs outside any transaction. The write then checks, with
        the document's row locked, that the snapshot and the rows it merged are still there as
        read — a concurrent compaction (another instance) makes it start over — and deletes
        only rows it merged: a row appended meanwhile is kept.
        """
        for _ in range(_COMPACT_ATTEMPTS):
            async with self.engine.connect() as conn:
                found = (
                    await conn.execute(select(Document.snapshot).where(Document.id == doc_id))
                ).first()
                if found is None:
                    return
                rows = (
                    await conn.execute(
                        select(DocumentUpdate.id, DocumentUpdate.data)
                        .where(DocumentUpdate.document_id == doc_id)
                        .order_by(DocumentUpdate.id)
                    )
                ).all()
            if not rows:
                return
            parts = ([found.snapshot] if found.snapshot is not None else []) + [
                r.data for r in rows
            ]
            merged = merge(parts)
            if await self._replace(doc_id, found.snapshot, rows, merged):
                return

    async def _replace(
        self,
        doc_id: str,
        snapshot: bytes | None,
        rows: Sequence[Row[tuple[int, bytes]]],
        merged: bytes,
    ) -> bool:
        last_id = rows[-1].id
        taken_bytes = sum(len(r.data) for r in rows)
        async with self._write() as conn:
            # An UPDATE first: it takes the row lock (PostgreSQL) or the write lock (SQLite,
            # whose driver begins the transaction only at the first write) before the checks.
            await conn.execute(
                update(Document).where(Document.id == doc_id).values(log_rows=Document.log_rows)
            )
            current = await conn.scalar(select(Document.snapshot).where(Document.id == doc_id))
            still_there = await conn.scalar(
                select(func.count()).where(
                    DocumentUpdate.document_id == doc_id, DocumentUpdate.id <= last_id
                )
            )
            if current != snapshot or still_there != len(rows):
                return False
            await conn.execute(
                update(Document)
                .where(Document.id == doc_id)
                .values(
                    snapshot=merged,
                    log_rows=Document.log_rows - len(rows),
                    log_bytes=Document.log_bytes - taken_bytes,
                )
            )
            await conn.execute(
                delete(DocumentUpdate).where(
                    DocumentUpdate.document_id == doc_id, DocumentUpdate.id <= last_id
                )
            )
        return True

    async def stats(self, doc_id: str) -> LogStats:
        """The log's size, counted from the rows (for tests: must match the counters)."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        func.count(), func.coalesce(func.sum(func.length(DocumentUpdate.data)), 0)
                    ).where(DocumentUpdate.document_id == doc_id)
                )
            ).one()
        return LogStats(rows=int(row[0]), bytes=int(row[1]))

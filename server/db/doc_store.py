"""``collab.store.DocumentStore`` on SQLAlchemy: SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from collab.store import LogStats, merge
from server.db.models import Document, DocumentUpdate

__all__ = ["SqlDocumentStore"]


class SqlDocumentStore:
    """Each method is one transaction; see :class:`collab.store.DocumentStore` for the contract."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert

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
        now = datetime.now(UTC)
        size = sum(map(len, updates))
        async with self.engine.begin() as conn:
            await conn.execute(
                self._insert(Document)
                .values(id=doc_id, log_rows=0, log_bytes=0, created_at=now, updated_at=now)
                .on_conflict_do_nothing(index_elements=[Document.id])
            )
            await conn.execute(
                DocumentUpdate.__table__.insert(),
                [{"document_id": doc_id, "data": u, "created_at": now} for u in updates],
            )
            row = (
                await conn.execute(
                    update(Document)
                    .where(Document.id == doc_id)
                    .values(
                        log_rows=Document.log_rows + len(updates),
                        log_bytes=Document.log_bytes + size,
                        updated_at=now,
                    )
                    .returning(Document.log_rows, Document.log_bytes)
                )
            ).one()
        return LogStats(rows=row.log_rows, bytes=row.log_bytes)

    async def compact(self, doc_id: str) -> None:
        async with self.engine.begin() as conn:
            # Lock the document row (PostgreSQL): two compactions of one document run one after
            # the other, each merging only rows it read and deleting only those.
            lock = select(Document.snapshot).where(Document.id == doc_id)
            if self.engine.dialect.name == "postgresql":
                lock = lock.with_for_update()
            found = (await conn.execute(lock)).first()
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
            last_id = rows[-1].id
            taken_bytes = sum(len(r.data) for r in rows)
            await conn.execute(
                update(Document)
                .where(Document.id == doc_id)
                .values(
                    snapshot=merge(parts),
                    log_rows=Document.log_rows - len(rows),
                    log_bytes=Document.log_bytes - taken_bytes,
                )
            )
            await conn.execute(
                delete(DocumentUpdate).where(
                    DocumentUpdate.document_id == doc_id, DocumentUpdate.id <= last_id
                )
            )

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

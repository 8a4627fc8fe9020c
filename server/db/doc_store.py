"""``collab.store.DocumentStore`` on SQLAlchemy: SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from collab.store import DeferredAppend, HistoryEntry, ImmediateAppend, LogStats, squash
from server.db.models import Document, DocumentHistoryRow, DocumentUpdate
from server.db.wal_sync import WalSyncer
from server.db.writes import write_turn

__all__ = ["SQLITE_PRAGMAS", "SqlDocumentStore", "sqlite_pragmas"]

log = logging.getLogger("atelier.store")

#: Every SQLite connection of the application. WAL: readers do not block the writer.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)


def sqlite_pragmas(synchronous: str = "full") -> tuple[str, ...]:
    """:data:`SQLITE_PRAGMAS` and the durability of a commit: ``full`` (the default) survives a
    power loss; ``normal`` survives a crash of the process but may lose the last commits on a
    power loss or an OS crash (``ATELIER_SQLITE_SYNCHRONOUS``)."""
    if synchronous not in ("full", "normal"):
        raise ValueError(f"synchronous must be full or normal, got {synchronous!r}")
    return (*SQLITE_PRAGMAS, f"PRAGMA synchronous={synchronous.upper()}")


#: Appends committed on the loop's thread between two WAL checkpoints: each writes a few pages,
#: and SQLite's own checkpoint comes every 1,000 pages.
_CHECKPOINT_EVERY = 256

#: Starts of the WAL sync helper before the writer thread syncs for good.
_SYNCER_STARTS = 3

#: How many times compaction re-reads a log that another compaction changed under it.
_COMPACT_ATTEMPTS = 3

_T = TypeVar("_T")

_DOCS = Document.__tablename__
_UPDATES = DocumentUpdate.__tablename__
_HISTORY = DocumentHistoryRow.__tablename__
# The batch's sizes as bound arrays: one statement text whatever the batch, so it is compiled
# once (a VALUES list of literals was compiled again on every append: a quarter of a busy
# instance's CPU on PostgreSQL, by py-spy).
_PG_COUNT_APPENDS = text(
    f"UPDATE {_DOCS} AS d SET log_rows = d.log_rows + b.n, log_bytes = d.log_bytes + b.size, "
    "updated_at = :now "
    "FROM unnest(CAST(:ids AS varchar[]), CAST(:rows AS bigint[]), CAST(:sizes AS bigint[])) "
    "AS b(id, n, size) WHERE d.id = b.id RETURNING d.id, d.log_rows, d.log_bytes"
)


def _open(path: str, pragmas: tuple[str, ...], *, timeout: float) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are begun explicitly), ``pragmas`` run."""
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    for pragma in pragmas:
        conn.execute(pragma)
    return conn


class _SqliteThread:
    """One connection to a SQLite file, used in a thread of its own.

    A whole transaction runs in that thread as one call, so the event loop pays one hop per
    transaction. Through aiosqlite every statement is a hop, and each hop waits for a turn of a
    busy loop: a dozen of them per commit made a commit cost tens of milliseconds under load.
    The writer's one thread also means one writer: transactions never wait on each other inside
    SQLite. A reader (``begin="BEGIN"``, deferred) reads one state of the file while the writer
    goes on (WAL).
    """

    def __init__(self, path: str, pragmas: tuple[str, ...], begin: str = "BEGIN IMMEDIATE") -> None:
        self._path = path
        self._pragmas = pragmas
        self._begin = begin
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._conn: sqlite3.Connection | None = None

    async def run(self, work: Callable[..., _T], *args: Any) -> _T:
        """``work(connection, *args)`` inside ``BEGIN`` … ``COMMIT``; rolled back if it
        raises."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._transaction, work, args)

    async def call(self, work: Callable[..., _T], *args: Any) -> _T:
        """``work(connection, *args)`` outside any transaction (a checkpoint)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._outside, work, args)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = _open(self._path, self._pragmas, timeout=30)
        return self._conn

    def _outside(self, work: Callable[..., _T], args: tuple[Any, ...]) -> _T:
        return work(self._connection(), *args)

    def _transaction(self, work: Callable[..., _T], args: tuple[Any, ...]) -> _T:
        conn = self._connection()
        try:
            conn.execute(self._begin)
            result = work(conn, *args)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    async def close(self) -> None:
        def close() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        await asyncio.get_running_loop().run_in_executor(self._executor, close)
        self._executor.shutdown(wait=False)


class _InlineWriter:
    """SQLite appends committed on the event loop's own thread, while that is cheap.

    Its connection commits with ``synchronous=NORMAL``: the commit writes the WAL's frames to the
    page cache and returns (tens of microseconds); the sync that makes them durable is done by
    the WAL sync helper (:mod:`server.db.wal_sync`), or, with ``ATELIER_SQLITE_SYNCHRONOUS=normal``,
    at SQLite's checkpoints only. Handed to the writer thread instead, an append cost several
    loop turns under load (``bench/RESULTS.md`` §11). But a commit here that blocked would stop
    every room and every request, so:

    * when its commits take more than ``budget`` seconds on average (a moving average over the
      last twenty or so: a single slow one is often only a wait for the interpreter's lock),
      or one takes more than :attr:`STALL` seconds, the appends of the next ``cooldown``
      seconds go to the writer thread (one second, doubling while commits stay slow, up to a
      minute); then commits are tried here again;
    * its connection never waits for SQLite's write lock (busy timeout 0): a lock held by
      another process sends the append to the writer thread, which may wait;
    * it never checkpoints the WAL itself (a checkpoint copies pages and syncs the database
      file: milliseconds); :class:`SqlDocumentStore` has the writer thread do it.
    """

    COOLDOWN_MAX = 60.0
    STALL = 0.05
    #: Weight of the latest commit in the moving average.
    ALPHA = 0.05

    def __init__(
        self,
        path: str,
        pragmas: tuple[str, ...],
        budget: float,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._path = path
        self.wal_path = path + "-wal"
        self._pragmas = (
            *pragmas,
            "PRAGMA busy_timeout=0",
            "PRAGMA wal_autocheckpoint=0",
        )
        self.budget = budget
        self._clock = clock
        self._conn: sqlite3.Connection | None = None
        self._cooldown = 1.0
        self._resume_at = 0.0
        self._average = 0.0
        self.commits = 0
        #: Times a slow commit sent the appends to the writer thread (tests, metrics).
        self.slow_commits = 0

    def append(
        self, items: list[tuple[str, Sequence[bytes]]], now: str
    ) -> dict[str, LogStats] | None:
        """The append's transaction, here and now; ``None`` if it is not for here now."""
        start = self._clock()
        if start < self._resume_at:
            return None
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # locked by another process: the thread waits for it
            return None
        try:
            stats = _sqlite_append(conn, items, now)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self.commits += 1
        took = self._clock() - start
        self._average += self.ALPHA * (took - self._average)
        if self._average > self.budget or took > self.STALL:
            self.slow_commits += 1
            self._resume_at = self._clock() + self._cooldown
            log.warning(
                "store: commits take %.1f ms (%.1f ms on average); appends go through the "
                "writer thread for %.0f s",
                took * 1000,
                self._average * 1000,
                self._cooldown,
            )
            self._cooldown = min(self._cooldown * 2, self.COOLDOWN_MAX)
            self._average = 0.0  # measured afresh when commits come back here
        elif self._average < self.budget / 2:
            self._cooldown = 1.0
        return stats

    def connect(self) -> sqlite3.Connection:
        """The connection, opened if need be; once it is, the WAL file exists."""
        if self._conn is None:
            conn = _open(self._path, self._pragmas, timeout=5)  # busy_timeout=0 overrides it
            conn.execute(f"SELECT count(*) FROM {_DOCS} WHERE 0").fetchall()  # opens the WAL
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _checkpoint(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


async def _squash_inline(parts: Sequence[bytes]) -> bytes:
    return squash(parts)


def _sqlite_time(now: datetime) -> str:
    # As SQLAlchemy stores a DateTime in SQLite (UTC, no offset), so the ORM reads it back.
    return now.strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _sqlite_append(
    conn: sqlite3.Connection, items: list[tuple[str, Sequence[bytes]]], now: str
) -> dict[str, LogStats]:
    conn.executemany(
        f"INSERT INTO {_DOCS} (id, snapshot, log_rows, log_bytes, created_at, updated_at) "
        "VALUES (?, NULL, 0, 0, ?, ?) ON CONFLICT (id) DO NOTHING",
        [(doc_id, now, now) for doc_id, _ in items],
    )
    conn.executemany(
        f"INSERT INTO {_UPDATES} (document_id, data, created_at) VALUES (?, ?, ?)",
        [(doc_id, u, now) for doc_id, updates in items for u in updates],
    )
    stats: dict[str, LogStats] = {}
    for doc_id, updates in items:
        ((rows, size),) = conn.execute(
            f"UPDATE {_DOCS} SET log_rows = log_rows + ?, log_bytes = log_bytes + ?, "
            "updated_at = ? WHERE id = ? RETURNING log_rows, log_bytes",
            (len(updates), sum(map(len, updates)), now, doc_id),
        ).fetchall()  # to the end: a statement left open would keep a read of the WAL open
        stats[doc_id] = LogStats(rows=rows, bytes=size)
    return stats


def _sqlite_read_log(
    conn: sqlite3.Connection, doc_id: str
) -> tuple[bytes | None, list[tuple[int, bytes]]]:
    """The document's snapshot and its rows (id, data), in one read."""
    found = conn.execute(f"SELECT snapshot FROM {_DOCS} WHERE id = ?", (doc_id,)).fetchone()
    if found is None:
        return None, []
    rows = conn.execute(
        f"SELECT id, data FROM {_UPDATES} WHERE document_id = ? ORDER BY id", (doc_id,)
    ).fetchall()
    return found[0], rows


def _sqlite_replace(
    conn: sqlite3.Connection,
    doc_id: str,
    snapshot: bytes | None,
    rows: int,
    last_id: int,
    taken_bytes: int,
    merged: bytes,
) -> bool:
    current = conn.execute(f"SELECT snapshot FROM {_DOCS} WHERE id = ?", (doc_id,)).fetchone()
    (still_there,) = conn.execute(
        f"SELECT count(*) FROM {_UPDATES} WHERE document_id = ? AND id <= ?", (doc_id, last_id)
    ).fetchone()
    if current is None or current[0] != snapshot or still_there != rows:
        return False
    if snapshot is not None:
        # A snapshot from before the history was kept: the history starts with it.
        conn.execute(
            f"INSERT INTO {_HISTORY} (document_id, data, created_at) "
            f"SELECT id, snapshot, created_at FROM {_DOCS} WHERE id = ? "
            f"AND NOT EXISTS (SELECT 1 FROM {_HISTORY} WHERE document_id = ?)",
            (doc_id, doc_id),
        )
    conn.execute(
        f"INSERT INTO {_HISTORY} (document_id, data, created_at) "
        f"SELECT document_id, data, created_at FROM {_UPDATES} "
        "WHERE document_id = ? AND id <= ? ORDER BY id",
        (doc_id, last_id),
    )
    conn.execute(
        f"UPDATE {_DOCS} SET snapshot = ?, log_rows = log_rows - ?, log_bytes = log_bytes - ? "
        "WHERE id = ?",
        (merged, rows, taken_bytes, doc_id),
    )
    conn.execute(f"DELETE FROM {_UPDATES} WHERE document_id = ? AND id <= ?", (doc_id, last_id))
    return True


def _sqlite_history(conn: sqlite3.Connection, doc_id: str) -> list[tuple[bytes, str]]:
    """The history's rows, then the log's (data, time as stored), in one read."""
    rows = conn.execute(
        f"SELECT data, created_at FROM {_HISTORY} WHERE document_id = ? ORDER BY id", (doc_id,)
    ).fetchall()
    if not rows:
        rows = conn.execute(
            f"SELECT snapshot, created_at FROM {_DOCS} WHERE id = ? AND snapshot IS NOT NULL",
            (doc_id,),
        ).fetchall()
    rows += conn.execute(
        f"SELECT data, created_at FROM {_UPDATES} WHERE document_id = ? ORDER BY id", (doc_id,)
    ).fetchall()
    return rows


class SqlDocumentStore:
    """Each write is one transaction; see :class:`collab.store.DocumentStore` for the contract.

    SQLite has one write lock per database: this store writes through one connection of its
    own, in one thread (:class:`_SqliteThread`), so its transactions take turns instead of
    meeting in SQLite's busy handler (which sleeps up to 100 ms per retry). Reads go through the
    engine (WAL: they never wait for the writer), but for compaction's, which has a thread and
    connection of its own. The CPU-heavy part of compaction, the squash, runs outside any
    transaction, in ``squasher`` if given (a :class:`collab.offload.SquashWorker`'s, so that it
    does not hold the event loop), else inline. Wrap the store in
    :class:`collab.group_commit.GroupCommitStore` so that the appends of all rooms share
    transactions. On PostgreSQL writes run concurrently, ordered by document id so that two
    batches never wait on each other's rows in a cycle.
    Call :meth:`close` before disposing of the engine.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        synchronous: str = "full",
        squasher: Callable[[Sequence[bytes]], Awaitable[bytes]] | None = None,
        inline_commit_budget: float = 0.002,
    ) -> None:
        self.engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._insert = pg_insert if self._postgres else sqlite_insert
        path = engine.url.database
        self._stored: set[str] = set()  # documents whose row this store saw committed
        self._squash = squasher or _squash_inline
        on_file = not self._postgres and path and path != ":memory:"
        self._writer = _SqliteThread(path, sqlite_pragmas(synchronous)) if on_file else None
        self._reader = _SqliteThread(path, SQLITE_PRAGMAS, begin="BEGIN") if on_file else None
        # On the loop's thread, commits never sync: with ``full``, the WAL sync helper does
        # (server.db.wal_sync), and a commit counts as done once it has answered.
        self._inline = (
            _InlineWriter(path, sqlite_pragmas("normal"), inline_commit_budget)
            if on_file and inline_commit_budget > 0
            else None
        )
        self._syncer: WalSyncer | None = None
        self._syncer_starts = 0
        self._since_checkpoint = 0
        self._checkpointing: asyncio.Task[None] | None = None
        # On a SQLite file only (a store that cannot commit without a round trip, PostgreSQL,
        # has neither, so its writes are awaited and overlapped): ``collab.store.DeferredAppend``
        # when every commit must be synced, ``collab.store.ImmediateAppend`` when the last
        # commits may be lost in a power loss anyway (``synchronous="normal"``).
        full = synchronous == "full"
        self.append_soon: DeferredAppend | None = (
            self._append_soon if self._inline is not None and full else None
        )
        self.append_now: ImmediateAppend | None = (
            self._append_now if self._inline is not None and not full else None
        )

    async def close(self) -> None:
        """Release the SQLite threads and connections (nothing to do on PostgreSQL)."""
        await self.checkpointed()
        if self._syncer is not None:
            self._syncer.close()
        if self._inline is not None:
            self._inline.close()
        for thread in (self._writer, self._reader):
            if thread is not None:
                await thread.close()

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, in its turn (:func:`server.db.writes.write_turn`)."""
        async with write_turn(self.engine), self.engine.begin() as conn:
            yield conn

    async def load(self, doc_id: str) -> list[bytes]:
        async with self.engine.connect() as connection:
            # One read transaction (deferred on SQLite: it takes no write lock), so the snapshot
            # and the rows are read from one state even if a compaction commits meanwhile.
            conn = await connection.execution_options(read_only=True)
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

    def _append_soon(
        self,
        batch: Mapping[str, Sequence[bytes]],
        done: Callable[[dict[str, LogStats] | Exception], None],
    ) -> bool:
        """The append committed here and now, and ``done`` called once the WAL sync helper has
        synced it (:mod:`server.db.wal_sync`); ``False`` if it cannot be done so now (another
        write holds the turn, the disk has been slow, the helper cannot run): then nothing was
        written, and the caller awaits :meth:`append_many`."""
        syncer = self._wal_syncer()
        if syncer is None:
            return False
        stats = self._append_now(batch)
        if stats is None:
            return False

        def synced(error: OSError | None) -> None:
            done(error if error is not None else stats)

        syncer.sync(synced)
        return True

    def _wal_syncer(self) -> WalSyncer | None:
        syncer = self._syncer
        if syncer is not None and syncer.alive:
            return syncer
        if self._syncer_starts >= _SYNCER_STARTS:
            return None  # it keeps dying, or cannot start: the writer thread syncs instead
        self._syncer_starts += 1
        assert self._inline is not None
        try:
            self._inline.connect()  # the WAL exists from here on
            self._syncer = WalSyncer(self._inline.wal_path)
        except Exception:
            log.warning("store: the WAL sync helper cannot start", exc_info=True)
            return None
        return self._syncer

    def _append_now(self, batch: Mapping[str, Sequence[bytes]]) -> dict[str, LogStats] | None:
        """The append committed here and now (:class:`_InlineWriter`), unless another write
        holds the turn or the disk has been slow: then ``None``, and the caller awaits
        :meth:`append_many`. Every so many commits, a checkpoint on the writer thread keeps the
        WAL short, as SQLite's own would have."""
        assert self._inline is not None
        if write_turn(self.engine).locked():
            return None
        stats = self._inline.append(sorted(batch.items()), _sqlite_time(datetime.now(UTC)))
        if stats is not None:
            self._since_checkpoint += 1
            if self._since_checkpoint >= _CHECKPOINT_EVERY and self._checkpointing is None:
                self._since_checkpoint = 0
                self._checkpointing = asyncio.get_running_loop().create_task(
                    self._checkpoint(), name="sqlite-checkpoint"
                )
        return stats

    async def checkpointed(self) -> None:
        """Return once no checkpoint is under way."""
        if self._checkpointing is not None:
            await asyncio.shield(self._checkpointing)

    async def _checkpoint(self) -> None:
        assert self._writer is not None
        try:
            # In its turn, so that no append lands meanwhile: a checkpoint that has copied every
            # frame lets the next commit write the WAL from its start again; one that appends
            # outran would leave it growing.
            async with write_turn(self.engine):
                await self._writer.call(_checkpoint)
        except Exception:
            log.warning("store: WAL checkpoint failed; the next one retries", exc_info=True)
        finally:
            self._checkpointing = None

    async def append_many(self, batch: Mapping[str, Sequence[bytes]]) -> dict[str, LogStats]:
        if not batch:
            return {}
        now = datetime.now(UTC)
        if self._writer is not None:
            async with write_turn(self.engine):
                return await self._writer.run(
                    _sqlite_append, sorted(batch.items()), _sqlite_time(now)
                )
        doc_ids = sorted(batch)  # one lock order for every transaction (PostgreSQL)
        rows = [
            {"document_id": doc_id, "data": u, "created_at": now}
            for doc_id in doc_ids
            for u in batch[doc_id]
        ]
        stats: dict[str, LogStats] = {}
        async with self._write() as conn:
            # Documents are never deleted: one this store saw stored needs no new row.
            if new_ids := [d for d in doc_ids if d not in self._stored]:
                # Parameters apart from the statement (executemany): compiled once, not per batch.
                await conn.execute(
                    self._insert(Document).on_conflict_do_nothing(index_elements=[Document.id]),
                    [
                        {
                            "id": doc_id,
                            "log_rows": 0,
                            "log_bytes": 0,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for doc_id in new_ids
                    ],
                )
            if rows:
                await conn.execute(DocumentUpdate.__table__.insert(), rows)
            if self._postgres:
                stats = await self._count_appends(conn, batch, doc_ids, now)
            for doc_id in doc_ids if not self._postgres else ():
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
        self._stored.update(doc_ids)  # committed
        return stats

    @staticmethod
    async def _count_appends(
        conn: AsyncConnection,
        batch: Mapping[str, Sequence[bytes]],
        doc_ids: list[str],
        now: datetime,
    ) -> dict[str, LogStats]:
        """PostgreSQL: the counters of every document of the batch in two round trips, not one
        per document (a batch carries every busy room of the instance)."""
        # Row locks in document order first: two instances' batches never wait in a cycle
        # (a batch of one document waits for one lock while holding none: no cycle either).
        if len(doc_ids) > 1:
            await conn.execute(
                select(Document.id)
                .where(Document.id.in_(doc_ids))
                .order_by(Document.id)
                .with_for_update(key_share=True)
            )
        result = await conn.execute(
            _PG_COUNT_APPENDS,
            {
                "ids": doc_ids,
                "rows": [len(batch[d]) for d in doc_ids],
                "sizes": [sum(map(len, batch[d])) for d in doc_ids],
                "now": now,
            },
        )
        return {r.id: LogStats(rows=r.log_rows, bytes=r.log_bytes) for r in result}

    async def compact(self, doc_id: str) -> int | None:
        """Merge the snapshot and the log read at the start; replace exactly those.

        The merge (the costly part) runs outside any transaction. The write then checks, with
        the document's row locked, that the snapshot and the rows it merged are still there as
        read — a concurrent compaction (another instance) makes it start over — and deletes
        only rows it merged: a row appended meanwhile is kept.
        """
        for _ in range(_COMPACT_ATTEMPTS):
            snapshot, rows = await self._read_log(doc_id)
            if not rows:
                return None
            parts = ([snapshot] if snapshot is not None else []) + [data for _, data in rows]
            log.debug("compact %s: merging %d rows", doc_id, len(rows))
            merged = await self._squash(parts)
            if await self._replace(doc_id, snapshot, rows, merged):
                log.debug("compact %s: done, snapshot of %d bytes", doc_id, len(merged))
                return len(merged)
            log.debug("compact %s: changed meanwhile, reading again", doc_id)
        return None  # changed under it every time: the next compaction tries again

    async def _read_log(self, doc_id: str) -> tuple[bytes | None, list[tuple[int, bytes]]]:
        """The document's snapshot and its rows (id, data), read at once (nothing for a document
        never written)."""
        if self._reader is not None:
            return await self._reader.run(_sqlite_read_log, doc_id)
        async with self.engine.connect() as connection:
            conn = await connection.execution_options(read_only=True)
            found = (
                await conn.execute(select(Document.snapshot).where(Document.id == doc_id))
            ).first()
            if found is None:
                return None, []
            rows = (
                await conn.execute(
                    select(DocumentUpdate.id, DocumentUpdate.data)
                    .where(DocumentUpdate.document_id == doc_id)
                    .order_by(DocumentUpdate.id)
                )
            ).all()
        return found.snapshot, [(r.id, r.data) for r in rows]

    async def _replace(
        self,
        doc_id: str,
        snapshot: bytes | None,
        rows: Sequence[tuple[int, bytes]],
        merged: bytes,
    ) -> bool:
        last_id = rows[-1][0]
        taken_bytes = sum(len(data) for _, data in rows)
        if self._writer is not None:
            async with write_turn(self.engine):
                return await self._writer.run(
                    _sqlite_replace, doc_id, snapshot, len(rows), last_id, taken_bytes, merged
                )
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
            if snapshot is not None:
                # A snapshot from before the history was kept: the history starts with it.
                kept = await conn.scalar(
                    select(func.count()).where(DocumentHistoryRow.document_id == doc_id)
                )
                if not kept:
                    await conn.execute(
                        insert(DocumentHistoryRow).from_select(
                            ["document_id", "data", "created_at"],
                            select(Document.id, Document.snapshot, Document.created_at).where(
                                Document.id == doc_id
                            ),
                        )
                    )
            await conn.execute(
                insert(DocumentHistoryRow).from_select(
                    ["document_id", "data", "created_at"],
                    select(
                        DocumentUpdate.document_id, DocumentUpdate.data, DocumentUpdate.created_at
                    )
                    .where(DocumentUpdate.document_id == doc_id, DocumentUpdate.id <= last_id)
                    .order_by(DocumentUpdate.id),
                )
            )
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

    async def history(self, doc_id: str) -> list[HistoryEntry]:
        """Every row the document stored, in order, with its time: the history's (or, before
        any compaction kept one, the snapshot, as of the document's creation), then the log's.
        Read in one transaction, so a compaction committing meanwhile is seen whole or not."""
        if self._reader is not None:
            rows = await self._reader.run(_sqlite_history, doc_id)
            return [HistoryEntry(_sqlite_parse_time(at), data) for data, at in rows]
        async with self.engine.connect() as connection:
            conn = await connection.execution_options(read_only=True)
            if self._postgres:
                await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            kept = (
                await conn.execute(
                    select(DocumentHistoryRow.data, DocumentHistoryRow.created_at)
                    .where(DocumentHistoryRow.document_id == doc_id)
                    .order_by(DocumentHistoryRow.id)
                )
            ).all()
            if not kept:
                kept = (
                    await conn.execute(
                        select(Document.snapshot, Document.created_at).where(
                            Document.id == doc_id, Document.snapshot.is_not(None)
                        )
                    )
                ).all()
            live = (
                await conn.execute(
                    select(DocumentUpdate.data, DocumentUpdate.created_at)
                    .where(DocumentUpdate.document_id == doc_id)
                    .order_by(DocumentUpdate.id)
                )
            ).all()
        return [HistoryEntry(_aware(at), data) for data, at in [*kept, *live]]

    async def stats(self, doc_id: str) -> LogStats:
        """The log's size, counted from the rows (for tests: must match the counters)."""
        async with self.engine.connect() as connection:
            conn = await connection.execution_options(read_only=True)
            row = (
                await conn.execute(
                    select(
                        func.count(), func.coalesce(func.sum(func.length(DocumentUpdate.data)), 0)
                    ).where(DocumentUpdate.document_id == doc_id)
                )
            ).one()
        return LogStats(rows=int(row[0]), bytes=int(row[1]))

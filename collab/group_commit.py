"""One writer for the document store: the appends of every room that arrive together are written
in one transaction (group commit), and each room hears of its own at once.

Each room appends its batch and waits for it to be durable before broadcasting it. With one
transaction per room, ten busy rooms on SQLite queue for its single write lock (one fsync each,
and the losers sleep in SQLite's busy handler: seconds of p99 at 10 rooms × 20 clients). Here
every append goes to one writer::

    a room applies an update → request(room)           (at most one request of a room waits)
    the next loop turn → every requesting room's batch (take_rows) → one write
                       → each room's result (written / failed), in that same turn: it
                         broadcasts at once

The write is done on the spot when the store can: durable at once
(:class:`collab.store.ImmediateAppend`), or durable once the store calls back
(:class:`collab.store.DeferredAppend`: SQLite, whose WAL a helper process syncs) — no task, no
thread, no future between an update's arrival and its broadcast. Otherwise it is awaited in a
task. Either way, what is requested meanwhile forms the next write; awaited writes hand the next
one to the store *before* their rooms broadcast, so that a commit and a broadcast overlap.
Updates of one document keep their order: a room's next batch is only taken by a later write.

``append`` and ``append_many`` go through the same writer, for callers other than rooms.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Protocol

from collab.store import (
    DeferredAppend,
    DocumentStore,
    HistoryEntry,
    ImmediateAppend,
    LogStats,
    StoreError,
)

__all__ = ["Flushable", "GroupCommitStore"]

log = logging.getLogger("atelier.collab")


class Flushable(Protocol):
    """A source of appends, as :class:`collab.room.Room` is one."""

    @property
    def name(self) -> str: ...

    def take_rows(self) -> Sequence[bytes]:
        """The rows to write now (none: nothing to write, or not now). Called once per
        request."""
        ...

    def written(self, stats: LogStats) -> None:
        """The rows last taken are durable; ``stats`` is the document's log size."""
        ...

    def failed(self, exc: Exception) -> None:
        """The rows last taken were not written (nothing of their write was)."""
        ...


class _Once:
    """A caller of :meth:`GroupCommitStore.append`: its rows, once, and its future."""

    __slots__ = ("future", "name", "rows")

    def __init__(self, name: str, rows: Sequence[bytes], future: asyncio.Future[LogStats]) -> None:
        self.name = name
        self.rows = rows
        self.future = future

    def take_rows(self) -> Sequence[bytes]:
        rows, self.rows = self.rows, ()
        return rows

    def written(self, stats: LogStats) -> None:
        if not self.future.done():  # its caller may have been cancelled meanwhile
            self.future.set_result(stats)

    def failed(self, exc: Exception) -> None:
        if not self.future.done():
            self.future.set_exception(exc)


class GroupCommitStore:
    """A :class:`~collab.store.DocumentStore` that funnels every append through one writer.

    * A write carries every batch requested before it began; it is one ``append_many`` (or
      ``append_now``) of the real store, all or nothing: if it raises, every source in it is
      told so and nothing of it was written, so a source may simply try again, as rooms do.
    * At most one write is in flight; an ``append_many`` call is never split across writes.
    * ``load`` goes straight to the inner store; ``compact`` too, but one at a time: rooms fed
      at the same pace reach their log limit together, and ten compactions at once (each a
      merge holding the interpreter, then a write) held every room's appends for tens of
      milliseconds (``bench/RESULTS.md`` §9).

    Nothing runs while nothing is requested, so there is nothing to close.
    """

    def __init__(self, store: DocumentStore) -> None:
        self.inner = store
        now: ImmediateAppend | None = getattr(store, "append_now", None)
        self._now = now if callable(now) else None
        soon: DeferredAppend | None = getattr(store, "append_soon", None)
        self._soon = soon if callable(soon) else None
        self._syncing = False  # a write done by append_soon is not yet durable
        self._requests: list[Flushable] = []
        self._scheduled = False
        self._writing: asyncio.Task[None] | None = None
        self._compacting = asyncio.Lock()
        #: Writes (transactions) made so far, those of them made on the spot, and the batches
        #: they carried: for tests and metrics.
        self.writes = 0
        self.immediate_writes = 0
        self.appends = 0

    async def load(self, doc_id: str) -> list[bytes]:
        return await self.inner.load(doc_id)

    async def compact(self, doc_id: str) -> int | None:
        async with self._compacting:
            return await self.inner.compact(doc_id)

    async def history(self, doc_id: str) -> list[HistoryEntry]:
        return await self.inner.history(doc_id)

    async def append(self, doc_id: str, updates: Sequence[bytes]) -> LogStats:
        future: asyncio.Future[LogStats] = asyncio.get_running_loop().create_future()
        self.request(_Once(doc_id, updates, future))
        return await future

    async def append_many(self, batch: Mapping[str, Sequence[bytes]]) -> dict[str, LogStats]:
        # Requested without a pause in between, so the whole batch lands in one write.
        loop = asyncio.get_running_loop()
        futures: dict[str, asyncio.Future[LogStats]] = {}
        for doc_id, updates in batch.items():
            futures[doc_id] = loop.create_future()
            self.request(_Once(doc_id, updates, futures[doc_id]))
        stats = await asyncio.gather(*futures.values())
        return dict(zip(futures, stats, strict=True))

    def request(self, source: Flushable) -> None:
        """Have ``source``'s rows taken by the next write (once per call)."""
        self._requests.append(source)
        if not self._scheduled and self._writing is None and not self._syncing:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        # A turn after the first request: the rooms woken by the same frames have all asked.
        self._scheduled = False
        if self._writing is not None or self._syncing or not self._requests:
            return
        sources, self._requests = self._requests, []
        batch: dict[str, list[bytes]] = {}
        taken: list[Flushable] = []
        for source in sources:
            rows = source.take_rows()
            if rows:
                batch.setdefault(source.name, []).extend(rows)
                taken.append(source)
        if not taken:
            return
        if self._soon is not None:
            try:
                deferred = self._soon(batch, lambda result: self._synced(taken, result))
            except Exception as exc:
                _tell_failed(taken, exc)
                return
            if deferred:
                self._syncing = True
                return
        if self._now is not None:
            try:
                stats = self._now(batch)
            except Exception as exc:
                _tell_failed(taken, exc)
                return
            if stats is not None:
                self.immediate_writes += 1
                self._tell_written(taken, stats)
                return
        self._writing = asyncio.get_running_loop().create_task(
            self._write(batch, taken), name="document-store-writer"
        )

    def _synced(self, taken: list[Flushable], result: Mapping[str, LogStats] | Exception) -> None:
        self._syncing = False
        if isinstance(result, Exception):
            _tell_failed(taken, result)
            self._flush()
            return
        self.immediate_writes += 1
        # What was asked for meanwhile is committed and handed to the store's sync first, so
        # that the sync runs while this write's rooms broadcast.
        self._flush()
        self._tell_written(taken, result)

    async def _write(self, batch: dict[str, list[bytes]], taken: list[Flushable]) -> None:
        try:
            stats = await self.inner.append_many(batch)
        except Exception as exc:
            self._writing = None
            _tell_failed(taken, exc)
            self._flush()
            return
        except BaseException:  # cancelled (the loop is closing): nothing more will be written
            self._writing = None
            _tell_failed(taken, StoreError("the document writer was stopped"))
            raise
        self._writing = None
        if self._now is None and self._soon is None:
            # The next write is handed to the store before this one's rooms broadcast, so that
            # the commit and the sends overlap: its task needs a turn to start and one to pass
            # its statement to the driver.
            self._flush()
            if self._writing is not None:
                for _ in range(_HANDOFF_TURNS):
                    await asyncio.sleep(0)
            self._tell_written(taken, stats)
        else:  # the next may be written on the spot: this one's rooms hear of theirs first
            self._tell_written(taken, stats)
            self._flush()

    def _tell_written(self, taken: list[Flushable], stats: Mapping[str, LogStats]) -> None:
        self.writes += 1
        self.appends += len(taken)
        for source in taken:
            found = stats.get(source.name)
            try:
                if found is None:  # a store that breaks its contract must not hang its callers
                    source.failed(StoreError(f"no log size for {source.name!r}"))
                else:
                    source.written(found)
            except Exception:  # one source's fault is not the others'
                log.exception("document writer: %s failed to take its result", source.name)


#: Loop turns a write's end waits, once it has handed the next write over, before it tells its
#: sources: see :meth:`GroupCommitStore._write`. A store that needs more turns still works,
#: with less overlap.
_HANDOFF_TURNS = 2


def _tell_failed(taken: list[Flushable], exc: Exception) -> None:
    for source in taken:
        try:
            source.failed(exc)
        except Exception:
            log.exception("document writer: %s failed to take its failure", source.name)

"""One writer for the document store: the appends of every room that arrive together are written
in one transaction (group commit).

Each room's flusher appends its batch and waits for it to be durable before broadcasting it. With
one transaction per room, ten busy rooms on SQLite queue for its single write lock (one fsync
each, and the losers sleep in SQLite's busy handler: seconds of p99 at 10 rooms × 20 clients).
Here every append goes to one writer: whatever arrives within one loop turn, or while the
previous write is in flight, is written by a single ``append_many`` of the real store — one
transaction, one commit — and only then is each waiting room released.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from collab.store import DocumentStore, LogStats, StoreError

__all__ = ["GroupCommitStore"]


class GroupCommitStore:
    """A :class:`~collab.store.DocumentStore` that funnels every append through one writer.

    * ``append`` (and ``append_many``) return only once the write that carried their updates has
      committed, with their document's log size; if that write raised, every caller in it gets
      the exception and nothing of it was written (``append_many`` of the inner store is all or
      nothing), so a caller may simply retry, as rooms do.
    * At most one write is in flight; appends that arrive meanwhile form the next one. Updates of
      one document keep their order; an ``append_many`` call is never split across writes.
    * ``load`` goes straight to the inner store; ``compact`` too, but one at a time: rooms fed
      at the same pace reach their log limit together, and ten compactions at once (each a
      merge holding the interpreter, then a write) held every room's appends for tens of
      milliseconds (``bench/RESULTS.md`` §9).

    The writer is a task that starts with the first append and ends when nothing is pending, so
    there is nothing to close.
    """

    def __init__(self, store: DocumentStore) -> None:
        self.inner = store
        self._pending: dict[str, list[bytes]] = {}
        self._waiters: list[tuple[str, asyncio.Future[LogStats]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._compacting = asyncio.Lock()
        #: Writes (transactions) made so far, and appends they carried: for tests and metrics.
        self.writes = 0
        self.appends = 0

    async def load(self, doc_id: str) -> list[bytes]:
        return await self.inner.load(doc_id)

    async def compact(self, doc_id: str) -> None:
        async with self._compacting:
            await self.inner.compact(doc_id)

    async def append(self, doc_id: str, updates: Sequence[bytes]) -> LogStats:
        return await self._enqueue(doc_id, updates)

    async def append_many(self, batch: Mapping[str, Sequence[bytes]]) -> dict[str, LogStats]:
        # Enqueued without a pause in between, so the whole batch lands in one write.
        futures = {doc_id: self._enqueue(doc_id, updates) for doc_id, updates in batch.items()}
        stats = await asyncio.gather(*futures.values())
        return dict(zip(futures, stats, strict=True))

    def _enqueue(self, doc_id: str, updates: Sequence[bytes]) -> asyncio.Future[LogStats]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[LogStats] = loop.create_future()
        self._pending.setdefault(doc_id, []).extend(updates)
        self._waiters.append((doc_id, future))
        if self._writer is None:
            self._writer = loop.create_task(self._write_loop(), name="document-store-writer")
        return future

    async def _write_loop(self) -> None:
        # No pause needed before the first write: this task's first step runs after every
        # callback already due in this loop turn (the other rooms' flushers woken by the same
        # frames), so their appends are pending by then.
        try:
            while self._pending:
                batch, self._pending = self._pending, {}
                waiters, self._waiters = self._waiters, []
                try:
                    stats = await self.inner.append_many(batch)
                except Exception as exc:
                    for _, future in waiters:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                except BaseException:
                    for _, future in waiters:
                        future.cancel()
                    raise
                self.writes += 1
                self.appends += len(waiters)
                for doc_id, future in waiters:
                    if future.done():  # its caller was cancelled meanwhile
                        continue
                    if doc_id in stats:
                        future.set_result(stats[doc_id])
                    else:  # a store that breaks its contract must not hang its callers
                        future.set_exception(StoreError(f"no log size for {doc_id!r}"))
        finally:
            self._writer = None
            # Only when the writer itself was cancelled (loop shutdown) can appends remain.
            for _, future in self._waiters:
                future.cancel()
            self._waiters.clear()
            self._pending.clear()

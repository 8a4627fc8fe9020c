"""Where a room's updates go: an append-only log plus a compacted snapshot, behind one interface.

The log keeps the *raw* updates clients sent, never a re-encoding of the live document:
``pycrdt.Doc.get_update()`` leaves out pending updates (those whose predecessors have not arrived),
so a store that snapshots the document would lose them. Compaction stores :func:`squash`: the
document's encoding *plus* whatever of the log is still pending, taken with
``pycrdt.get_update`` (a diff against the document's state vector), which keeps pending data.

Yrs reads some malformed updates it then cannot write back: it applies them, but their merge
(or diff) with anything is bytes it refuses to read (found by fuzzing;
``tests/collab/test_protocol_fuzz.py``). Merged with honest edits in one row, such an update
would make the row, and so the document, unloadable. So nothing merged is stored unless it reads
back (:func:`readable`): a batch that does not is stored update by update, a load that meets an
unreadable merge applies its updates one by one, and a compaction that would store one is
refused (the log is kept).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pycrdt import Doc, get_state, get_update, merge_updates

__all__ = [
    "DeferredAppend",
    "DocumentStore",
    "HistoryEntry",
    "ImmediateAppend",
    "LogStats",
    "MemoryDocumentStore",
    "StoreError",
    "apply_all",
    "merge",
    "merge_readable",
    "readable",
    "rewrites_readably",
    "squash",
]


class StoreError(RuntimeError):
    """The store could not do what was asked; nothing was half-written."""


@dataclass(frozen=True, slots=True)
class LogStats:
    """The log of one document since its last compaction."""

    rows: int
    bytes: int


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One stored row of a document's history: its updates (as stored, possibly several
    clients' merged) and when it was stored."""

    at: datetime
    data: bytes


#: Updates merged per ``merge_updates`` call. Yrs' merge grows quadratically with the number of
#: inputs (16,000 trace edits in one call: 1.46 s; in a tree of 32-way merges: 0.02 s).
MERGE_FAN_IN = 32


def _is_panic(exc: BaseException) -> bool:
    # pyo3 raises PanicException (a BaseException) when Yrs panics on bytes it cannot handle.
    return type(exc).__name__ == "PanicException"


def readable(update: bytes) -> bool:
    """Whether Yrs reads ``update`` back (decoding it, as every load will)."""
    try:
        get_state(update)
    except BaseException as exc:
        if isinstance(exc, ValueError) or _is_panic(exc):
            return False
        raise
    return True


def rewrites_readably(update: bytes) -> bool:
    """Whether Yrs's own re-encoding of ``update`` (what any merge of it writes) reads back.
    Rooms refuse a client's update that does not, before applying it."""
    try:
        rewritten = merge_updates(update)
    except BaseException as exc:
        if isinstance(exc, ValueError) or _is_panic(exc):
            return False
        raise
    return readable(rewritten)


def merge_readable(updates: Sequence[bytes]) -> list[bytes]:
    """``[merge(updates)]`` if that merge reads back, else the updates themselves: as many
    rows or messages, each readable if the updates are.

    One update is its own merge: it is returned without being decoded again (a room's batch is
    usually one edit, and is taken through here twice: stored, then sent)."""
    if len(updates) == 1:
        return list(updates)
    try:
        merged = merge(updates)
    except BaseException as exc:
        if not (isinstance(exc, ValueError) or _is_panic(exc)):
            raise
    else:
        if readable(merged):
            return [merged]
    return list(updates)


def merge(updates: Sequence[bytes]) -> bytes:
    """One update equivalent to all of ``updates`` (pending structs included).

    Merges as a tree of small merges, which keeps the cost linear in the number of updates.
    """
    level = list(updates)
    if not level:
        raise ValueError("nothing to merge")
    while len(level) > 1:
        level = [
            merge_updates(*level[i : i + MERGE_FAN_IN]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), MERGE_FAN_IN)
        ]
    return level[0]


#: Updates merged together before being applied to a document. Applying 100 merges of 1,000
#: trace edits one after the other takes 0.12 s; one merge of all 100,000 takes 0.16 s to make
#: and 0.53 s to apply (Yrs integrates its unsquashed structs one by one).
APPLY_CHUNK = 1000


def _chunks(updates: Sequence[bytes]) -> list[bytes]:
    """``updates`` merged in chunks, in order; a chunk whose merge does not read back stays
    as its updates."""
    chunks: list[bytes] = []
    for i in range(0, len(updates), APPLY_CHUNK):
        chunks += merge_readable(updates[i : i + APPLY_CHUNK])
    return chunks


def apply_all(doc: Doc[Any], updates: Sequence[bytes]) -> None:
    """Apply ``updates`` to ``doc`` in order, in merged chunks (the fast way for a long log)."""
    for chunk in _chunks(updates):
        doc.apply_update(chunk)


def squash(updates: Sequence[bytes]) -> bytes:
    """One update equivalent to all of ``updates``, as small as the document they make: what
    compaction stores. Raises :class:`StoreError` rather than return one that does not read
    back (see the module docstring).

    A merge keeps every struct as it came (100,000 trace edits: 1.1 MB, 0.5 s to apply); the
    encoding of the document they build squashes adjacent items and drops deleted content
    (124 KB, 4 ms to apply) but leaves out what is pending — structs whose predecessors have not
    arrived, deletions of items not seen yet. Those are added back: each chunk's difference to
    the document's state vector is exactly its pending structs, plus its delete set.
    """
    if not updates:
        raise ValueError("nothing to squash")
    chunks = _chunks(updates)
    doc: Doc[Any] = Doc()
    for chunk in chunks:
        doc.apply_update(chunk)
    state = doc.get_state()
    try:
        squashed = merge([doc.get_update(), *(get_update(chunk, state) for chunk in chunks)])
    except ValueError as exc:
        raise StoreError(f"this log cannot be squashed ({exc}); it is kept as it is") from exc
    if not readable(squashed):
        raise StoreError("the squash of this log does not read back; the log is kept as it is")
    return squashed


class DocumentStore(Protocol):
    """Durable storage of documents as an update log.

    Contract (the same tests run over every implementation):

    * ``load`` returns every update stored for the document — the snapshot, if any, first —
      or an empty list for a document never written.
    * ``append`` returns only once the updates are durable, and returns the log's size since the
      last compaction.
    * ``append_many`` appends to several documents at once, all or nothing: it returns only once
      every update of the batch is durable (one transaction), with each document's log size;
      if it raises, none of them was written.
    * ``compact`` replaces the snapshot and the rows present when it started by their
      :func:`squash`, in one transaction: a row appended concurrently is kept, never lost. It
      returns the new snapshot's size in bytes, or ``None`` if there was nothing to compact.
      The rows it folds are not lost: the same transaction moves them to the document's
      history, with their times (and the snapshot they replace, the first time, when it
      predates the history: a document compacted before history was kept starts there).
    * ``history`` returns every row the document ever stored, in order, with its time: the
      history's rows, then the live log's. Applied in order they make the document ``load``
      makes. Appends write nothing more for it (the hot path is unchanged).
    """

    async def load(self, doc_id: str) -> list[bytes]: ...

    async def append(self, doc_id: str, updates: Sequence[bytes]) -> LogStats: ...

    async def append_many(self, batch: Mapping[str, Sequence[bytes]]) -> dict[str, LogStats]: ...

    async def compact(self, doc_id: str) -> int | None: ...

    async def history(self, doc_id: str) -> list[HistoryEntry]: ...


class ImmediateAppend(Protocol):
    """What a store may offer besides :class:`DocumentStore`, as its ``append_now`` method: an
    append that is durable before the call returns, without leaving the event loop.

    ``append_now(batch)`` is ``append_many`` done on the spot — all or nothing, durable, the
    same log sizes — when the store can do it now at a small, bounded cost; otherwise it does
    nothing and returns ``None``, and the caller awaits ``append_many``. The memory store
    offers it, and SQLite when its commits need no sync (``synchronous=normal``); a store whose
    write takes a round trip (PostgreSQL) does not.
    """

    def __call__(self, batch: Mapping[str, Sequence[bytes]]) -> dict[str, LogStats] | None: ...


class DeferredAppend(Protocol):
    """Another capability a store may offer, as its ``append_soon`` method: the append done
    on the spot but durable a little later, without the caller awaiting anything.

    ``append_soon(batch, done)`` writes the batch now and returns ``True``; ``done`` is called
    later, on the event loop, with the same log sizes as ``append_many`` once the batch is
    durable, or with the exception that kept it from being so (then it must be appended again:
    it may be stored twice, which a CRDT's log absorbs). The calls of ``done`` come in the order
    of the calls. ``False``: nothing was written; the caller awaits ``append_many``. SQLite
    does this, syncing its WAL in a helper process (``server.db.wal_sync``).
    """

    def __call__(
        self,
        batch: Mapping[str, Sequence[bytes]],
        done: Callable[[dict[str, LogStats] | Exception], None],
    ) -> bool: ...


@dataclass(slots=True)
class _MemoryDocument:
    snapshot: bytes | None = None
    log: list[bytes] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    archive: list[HistoryEntry] = field(default_factory=list)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class MemoryDocumentStore:
    """In-process implementation, for the embedded default's tests and for fast unit tests."""

    def __init__(self) -> None:
        self._docs: dict[str, _MemoryDocument] = {}
        self._lock = asyncio.Lock()

    async def load(self, doc_id: str) -> list[bytes]:
        doc = self._docs.get(doc_id)
        if doc is None:
            return []
        return ([doc.snapshot] if doc.snapshot is not None else []) + list(doc.log)

    async def append(self, doc_id: str, updates: Sequence[bytes]) -> LogStats:
        return (await self.append_many({doc_id: updates}))[doc_id]

    async def append_many(self, batch: Mapping[str, Sequence[bytes]]) -> dict[str, LogStats]:
        return self._append(batch)

    def append_now(self, batch: Mapping[str, Sequence[bytes]]) -> dict[str, LogStats]:
        return self._append(batch)

    def _append(self, batch: Mapping[str, Sequence[bytes]]) -> dict[str, LogStats]:
        # Check everything before touching anything: all or nothing, as a transaction would.
        for doc_id, updates in batch.items():
            if not all(isinstance(u, bytes) for u in updates):
                raise StoreError(f"document {doc_id!r}: an update is not bytes")
        stats: dict[str, LogStats] = {}
        for doc_id, updates in batch.items():
            doc = self._docs.setdefault(doc_id, _MemoryDocument())
            doc.log.extend(updates)
            doc.times.extend([datetime.now(UTC)] * len(updates))
            stats[doc_id] = LogStats(rows=len(doc.log), bytes=sum(map(len, doc.log)))
        return stats

    async def compact(self, doc_id: str) -> int | None:
        async with self._lock:
            doc = self._docs.get(doc_id)
            if doc is None or not doc.log:
                return None
            taken = len(doc.log)
            parts = ([doc.snapshot] if doc.snapshot is not None else []) + doc.log[:taken]
            squashed = squash(parts)
            if not doc.archive and doc.snapshot is not None:
                doc.archive.append(HistoryEntry(doc.created_at, doc.snapshot))
            doc.archive.extend(map(HistoryEntry, doc.times[:taken], doc.log[:taken]))
            doc.snapshot = squashed
            del doc.log[:taken]
            del doc.times[:taken]
            return len(doc.snapshot)

    async def history(self, doc_id: str) -> list[HistoryEntry]:
        doc = self._docs.get(doc_id)
        if doc is None:
            return []
        before = (
            [HistoryEntry(doc.created_at, doc.snapshot)]
            if not doc.archive and doc.snapshot is not None
            else list(doc.archive)
        )
        return before + list(map(HistoryEntry, doc.times, doc.log))

"""A room: one live document, its awareness and its connections.

The edit path, top to bottom::

    peer frame → decode → apply to the Doc (origin: a peer) → raw update queued for the log
             → the room asks the store's writer for a write (collab.group_commit)
    next loop turn: the writer takes the queued raw updates of every room that asked, merged
             into one row per room, and writes them in one durable transaction
             → each room, told its rows are durable: merge the document updates of the batch
             into one → encode once → send to every peer (the sender included)
             (a merge that would not read back is stored and sent update by update instead:
             collab.store explains why)
             → publish to the relay; past the log's limits, compact in the background
    unload: wait until everything is durable, then compact what is left, so that the next load
             reads one snapshot

Everything that arrives within one loop turn is written in one append and sent as one merged
update, so the cost per frame is paid once per batch, not once per edit. A room has one batch
being written at a time (what arrives meanwhile is the next batch), so its log keeps the order
of receipt. A failed write puts its batch back in front of the queue and is retried after a
pause that doubles. A SyncStep2 is computed only once every update received before it is
durable, so a client never holds content the server could lose.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pycrdt import Doc, Subscription, get_update

from collab.awareness import RoomAwareness
from collab.group_commit import GroupCommitStore
from collab.peer import CloseCode, Peer
from collab.protocol import (
    EMPTY_UPDATE,
    Auth,
    AwarenessMessage,
    LimitExceeded,
    ProtocolError,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    awareness_message,
    decode_message,
    decode_state_vector,
    sync_step1_message,
    sync_step2_message,
    update_message,
)
from collab.relay import Relay, RelayKind, RelayMessage
from collab.relay import Subscription as RelaySubscription
from collab.store import DocumentStore, LogStats, apply_all, merge_readable, rewrites_readably

_T = TypeVar("_T")

__all__ = ["Room", "RoomPolicy", "RoomState"]

log = logging.getLogger("atelier.collab")


@dataclass(frozen=True, slots=True)
class RoomPolicy:
    """Tunables of a room; the server fills them from its settings."""

    #: A log is compacted once it holds ``compact_after_rows`` rows *and* at least
    #: ``compact_growth`` times its last snapshot's size in bytes (Redis's rule for rewriting
    #: its append-only file): a large document is rewritten only once edits of half its size
    #: (by default) have piled up, so each byte is rewritten a bounded number of times. Past
    #: ``compact_max_rows`` rows or ``compact_after_bytes`` bytes it is compacted whatever its
    #: snapshot's size, so that a load never reads and applies a long log.
    compact_after_rows: int = 500
    compact_growth: float = 0.5
    compact_max_rows: int = 4000
    compact_after_bytes: int = 4 * 1024 * 1024
    awareness_timeout: float = 30.0
    max_awareness_state_bytes: int = 64 * 1024
    #: Presence states a room holds (past it, new client ids are not shown) …
    max_awareness_states: int = 1000
    #: … and client ids one connection may publish (a y-websocket connection has one).
    max_awareness_ids_per_peer: int = 1
    #: Largest document, in bytes as the store keeps it (0: no limit); see ``Room.measure``.
    max_document_bytes: int = 0
    store_retry_initial: float = 0.05
    store_retry_max: float = 2.0
    #: Seconds between loading a log of several rows and compacting it: the joiners that caused
    #: the load are synced first (a squash holds the interpreter while it runs).
    compact_after_load_delay: float = 1.0
    #: Seconds between announcements of the room's state vector to the other nodes (0: never).
    #: A node that sees another holding edits it lacks, and still lacks them ``catch_up_grace``
    #: seconds later (they were not merely in flight), reloads them from the store.
    anti_entropy_interval: float = 10.0
    catch_up_grace: float = 1.0


class RoomState:
    LOADING = "loading"
    READY = "ready"
    CLOSING = "closing"
    CLOSED = "closed"
    FAILED = "failed"


def _is_panic(exc: BaseException) -> bool:
    # pyo3 raises PanicException (a BaseException) when Yrs panics on an inapplicable update.
    return type(exc).__name__ == "PanicException"


class Room:
    """One document being edited. Create with :meth:`open`; see the module docstring."""

    def __init__(
        self,
        name: str,
        store: DocumentStore,
        relay: Relay,
        policy: RoomPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.policy = policy or RoomPolicy()
        self._store = store
        # A room given a plain store (tests, tools) gets a writer of its own.
        self._writer = store if isinstance(store, GroupCommitStore) else GroupCommitStore(store)
        self._relay = relay
        self._clock = clock
        self.state = RoomState.LOADING
        self.doc: Doc[Any] = Doc()
        self.awareness = RoomAwareness(
            self.policy.max_awareness_state_bytes,
            max_states=self.policy.max_awareness_states,
            max_ids_per_owner=self.policy.max_awareness_ids_per_peer,
        )
        self.peers: set[Peer] = set()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Updates waiting for the writer: raw (for the log) and as the doc saw them (to send).
        self._raw: list[bytes] = []
        self._outgoing: list[bytes] = []
        self._received = 0  # raw updates accepted so far
        self._stored = 0  # of which durable
        self._durable_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._write_requested = False
        self._writing: deque[_Batch] = deque()  # taken by the writer, not yet sent
        self._retry: asyncio.TimerHandle | None = None
        self._retry_delay = self.policy.store_retry_initial
        self._sweeper: asyncio.Task[None] | None = None
        self._compactor: asyncio.Task[None] | None = None
        self._appended_since_compaction = False
        #: The size of the document's snapshot as last compacted (bytes): at load, what was
        #: loaded — an upper bound of it.
        self._snapshot_bytes = 0
        self._compact_timer: asyncio.TimerHandle | None = None
        self._doc_sub: Subscription | None = None
        self._relay_sub: RelaySubscription | None = None
        self._applying_remote = False
        self.store_failures = 0
        #: The last append failed and none has landed since: edits are held in memory only.
        self.store_failing = False
        self._announcer: asyncio.Task[None] | None = None
        self._catching_up: asyncio.Task[None] | None = None
        self.catch_ups = 0  # reloads from the store after a missed relay message (tests, metrics)
        #: An upper bound of the document's stored size; see "size" below.
        self.size_bound = 0
        self._pending_parts: list[bytes] = []

    # --- lifecycle ------------------------------------------------------------------------

    async def load(self) -> None:
        """Load the stored state; only after this may any peer be synced. Raises on failure."""
        try:
            # Subscribe before loading so nothing published meanwhile is missed; a message that
            # is also in the store applies twice, which a CRDT ignores.
            self._relay_sub = await self._relay.subscribe(self.name, self._on_relay)
            updates = await self._store.load(self.name)
            # More than one row (a log left by a crash, or written while no room was loaded) is
            # compacted once the room is open, so that the next load reads one snapshot: a log
            # of raw updates costs far more to load than their squash (collab.store.squash).
            long_log = len(updates) > 1
            self.size_bound = self._snapshot_bytes = sum(map(len, updates))
            if updates:
                self._applying_remote = True
                try:
                    apply_all(self.doc, updates)
                finally:
                    self._applying_remote = False
        except BaseException as exc:
            self.state = RoomState.FAILED
            if self._relay_sub is not None:
                with contextlib.suppress(Exception):
                    await self._relay_sub.close()
            if not self.ready.done():
                self.ready.set_exception(exc)
                self.ready.exception()  # mark retrieved: joiners re-raise it themselves
            raise
        self._doc_sub = self.doc.observe(self._on_doc_update)
        self._sweeper = asyncio.create_task(self._sweep_loop(), name=f"sweep:{self.name}")
        if self.policy.anti_entropy_interval > 0:
            self._announcer = asyncio.create_task(
                self._announce_loop(), name=f"announce:{self.name}"
            )
        self.state = RoomState.READY
        self.ready.set_result(None)
        if long_log:
            self._appended_since_compaction = True  # compacted on close, if not before
            self._compact_timer = asyncio.get_running_loop().call_later(
                self.policy.compact_after_load_delay, self._start_compaction
            )

    async def close(self) -> None:
        """Flush what is pending, then release everything. Idempotent."""
        if self.state in (RoomState.CLOSED, RoomState.FAILED):
            return
        self.state = RoomState.CLOSING
        if self._compact_timer is not None:
            self._compact_timer.cancel()
        await self.wait_durable()
        if self._retry is not None:
            self._retry.cancel()
        if self._compactor is not None:
            await self._compactor  # never raises: it logs its own failure
        if self._appended_since_compaction:
            await self._compact()  # leave one snapshot behind: the next load is fast
        for task in (self._sweeper, self._announcer, self._catching_up):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._doc_sub is not None:
            self.doc.unobserve(self._doc_sub)
        if self._relay_sub is not None:
            with contextlib.suppress(Exception):
                await self._relay_sub.close()
        self.state = RoomState.CLOSED

    @property
    def dirty(self) -> bool:
        return self._stored < self._received

    async def wait_durable(self) -> None:
        """Return once every update accepted so far is in the store."""
        target = self._received
        if self._stored >= target:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._durable_waiters.append((target, future))
        await future

    # --- peers ----------------------------------------------------------------------------

    def add_peer(self, peer: Peer) -> None:
        """Greet a peer: our SyncStep1, then every known awareness state."""
        assert self.state == RoomState.READY, "peers join a ready room only"
        self.peers.add(peer)
        peer.send(sync_step1_message(self.doc.get_state()))
        everyone = self.awareness.encode_all()
        if everyone is not None:
            peer.send(awareness_message(everyone))

    def remove_peer(self, peer: Peer) -> None:
        """Forget a peer and tell the others that its awareness states are gone."""
        self.peers.discard(peer)
        change = self.awareness.remove_owned_by(peer)
        if change.update is not None:
            self._broadcast_awareness(change.update, publish=True)

    async def receive(self, peer: Peer, frame: bytes) -> None:
        """Handle one frame from ``peer``. Raises :class:`ProtocolError` for a bad frame, its
        subclass :class:`LimitExceeded` for one past a size limit: the caller closes that
        connection, and the room lives on untouched."""
        message = decode_message(frame)
        if isinstance(message, SyncUpdate | SyncStep2):
            if not peer.read_only:
                self._apply_from_peer(message.update)
        elif isinstance(message, AwarenessMessage):
            change = self.awareness.apply(message.update, peer, self._clock(), peer.presence)
            if change.update is not None:
                self._broadcast_awareness(change.update, publish=True)
            if change.refused:
                log.warning(
                    "room %s: presence full (%d states); a connection's state is not shown",
                    self.name,
                    self.policy.max_awareness_states,
                )
        elif isinstance(message, SyncStep1):
            await self._answer_sync_step1(peer, message.state_vector)
        elif isinstance(message, QueryAwareness):
            everyone = self.awareness.encode_all()
            if everyone is not None:
                peer.send(awareness_message(everyone))
        elif isinstance(message, Auth):
            pass  # servers send auth messages; a client's is meaningless and harmless

    async def _answer_sync_step1(self, peer: Peer, state_vector: bytes) -> None:
        # Answer with durable content only: wait for the writer, and if edits kept arriving
        # meanwhile, wait again (a few times at most, so a busy room cannot starve a joiner;
        # what such a joiner might then hold is also in the sender's own document).
        for _ in range(3):
            await self.wait_durable()
            try:
                diff = self.doc.get_update(state_vector)
            except ValueError as exc:
                raise ProtocolError(f"bad state vector: {exc}") from exc
            if not self.dirty:
                break
        peer.send(sync_step2_message(diff))

    def _apply_from_peer(self, update: bytes) -> None:
        if update == EMPTY_UPDATE:
            return
        limit = self.policy.max_document_bytes
        if limit:
            self._admit(len(update), limit)
        if not rewrites_readably(update):
            # Yrs would apply it, then write it (merged with others' edits) as unreadable bytes.
            raise ProtocolError("update that cannot be stored readably")
        try:
            self.doc.apply_update(update)
        except ValueError as exc:
            raise ProtocolError(f"undecodable update: {exc}") from exc
        except BaseException as exc:
            if _is_panic(exc):
                raise ProtocolError(f"inapplicable update: {exc}") from exc
            raise
        self._raw.append(update)
        self._received += 1
        self.size_bound += len(update)
        if not self._write_requested:
            self._write_requested = True
            self._writer.request(self)

    async def edit(self, change: Callable[[Doc[Any]], _T]) -> _T:
        """Make an edit on the server's side (an amendment applied, a section restored): run
        ``change`` on the document in one transaction, then return its result once the edit is
        durable, exactly as a peer's update would be — logged first, then sent to every peer
        and relayed to the other nodes. An edit that changes nothing writes nothing."""
        if self.state != RoomState.READY:
            raise RuntimeError(f"room {self.name!r} is not open")
        before = self.doc.get_state()
        with self.doc.transaction(origin="server"):
            result = change(self.doc)
        if self.doc.get_state() != before:
            update = self.doc.get_update(before)
            self._raw.append(update)
            self._received += 1
            self.size_bound += len(update)
            if not self._write_requested:
                self._write_requested = True
                self._writer.request(self)
        await self.wait_durable()
        return result

    # --- size -----------------------------------------------------------------------------
    # A document's size is what the store keeps of it: its encoding plus its pending structs
    # (collab.store.squash). Measuring encodes the whole document, so the room keeps an upper
    # bound instead — the bytes it loaded plus every update applied since — and measures only
    # when an update would take that bound past the limit. An update is taken to grow the
    # document by at most its own length.

    def _admit(self, length: int, limit: int) -> None:
        """Raise :class:`LimitExceeded` if an update of ``length`` bytes would take the
        document past ``limit``; nothing is applied then."""
        if self.size_bound + length <= limit:
            return
        self.size_bound = self.measure()
        if self.size_bound + length > limit:
            raise LimitExceeded(
                f"document too large: {self.size_bound} + {length} bytes would exceed {limit}"
            )

    def measure(self) -> int:
        """The document's stored size now (bytes): its encoding, plus the parts of clients'
        updates still pending — which its encoding leaves out, and which a client could
        otherwise pile up unseen."""
        state = self.doc.get_state()
        self._pending_parts = _still_pending(self._pending_parts, state)
        unflushed = _still_pending(self._raw, state)
        return len(self.doc.get_update()) + sum(map(len, [*self._pending_parts, *unflushed]))

    def _note_pending(self, rows: list[bytes]) -> None:
        # Once per flushed batch, not per update: what of it the document holds as pending.
        try:
            self._pending_parts += _still_pending(rows, self.doc.get_state())
        except BaseException as exc:  # never the writer's fault: the bound still counts it
            if not (isinstance(exc, ValueError) or _is_panic(exc)):
                raise
            log.warning("room %s: could not read a batch's pending part", self.name)

    # --- document and relay events --------------------------------------------------------

    def _on_doc_update(self, event: object) -> None:
        update: bytes = event.update  # type: ignore[attr-defined]
        if self._applying_remote:
            # Came from another node, already durable there: send to our peers only.
            message = update_message(update)
            for peer in self.peers:
                peer.send(message)
        else:
            self._outgoing.append(update)

    def _on_relay(self, message: RelayMessage) -> None:
        if self.state != RoomState.READY:
            return
        if message.kind == RelayKind.UPDATE:
            self._applying_remote = True
            try:
                self.doc.apply_update(message.payload)
                self.size_bound += len(message.payload)
            except Exception:
                log.exception("room %s: dropping an unreadable relay update", self.name)
            finally:
                self._applying_remote = False
        elif message.kind == RelayKind.STATE:
            try:
                remote = decode_state_vector(message.payload)
            except ProtocolError:
                log.warning("room %s: dropping an unreadable state vector", self.name)
                return
            if self._lacks(remote) and self._catching_up is None:
                self._catching_up = asyncio.create_task(self._catch_up(remote))
        elif message.kind == RelayKind.AWARENESS:
            try:
                change = self.awareness.apply(message.payload, None, self._clock())
            except ProtocolError:
                log.exception("room %s: dropping an unreadable relay awareness", self.name)
                return
            if change.update is not None:
                self._broadcast_awareness(change.update, publish=False)

    def _broadcast_awareness(self, update: bytes, *, publish: bool) -> None:
        message = awareness_message(update)
        for peer in self.peers:
            peer.send(message)
        if publish:
            self._spawn_publish(RelayKind.AWARENESS, update)

    def _spawn_publish(self, kind: RelayKind, payload: bytes) -> None:
        if not self._relay.heard(self.name):
            return  # no other node: no task per broadcast (the embedded server)
        task = asyncio.create_task(self._publish(kind, payload))
        _background.add(task)
        task.add_done_callback(_background.discard)

    async def _publish(self, kind: RelayKind, payload: bytes) -> None:
        try:
            await self._relay.publish(self.name, kind, payload)
        except Exception:
            # Best effort: peers on other nodes catch up from the store and their own sync.
            log.warning("room %s: relay publish failed", self.name, exc_info=True)

    # --- anti-entropy -------------------------------------------------------------------
    # Pub/sub loses what is published while a node is cut off (a Redis pause, a reconnect).
    # Every node announces its state vector now and then; a node that sees edits it lacks
    # reloads the store, which holds every edit any node acknowledged.

    def _lacks(self, remote: dict[int, int]) -> bool:
        mine = decode_state_vector(self.doc.get_state())
        return any(clock > mine.get(client, 0) for client, clock in remote.items())

    async def _announce_loop(self) -> None:
        while True:
            await asyncio.sleep(self.policy.anti_entropy_interval)
            await self._publish(RelayKind.STATE, self.doc.get_state())

    async def _catch_up(self, remote: dict[int, int]) -> None:
        try:
            # Edits still on their way (applied there, not yet relayed) arrive meanwhile.
            await asyncio.sleep(self.policy.catch_up_grace)
            if self.state != RoomState.READY or not self._lacks(remote):
                return
            updates = await self._store.load(self.name)
            self.catch_ups += 1
            log.info("room %s: catching up from the store after a missed relay message", self.name)
            self._applying_remote = True
            try:
                apply_all(self.doc, updates)  # what is new goes to this node's peers
            finally:
                self._applying_remote = False
            self.size_bound += sum(map(len, updates))
        except Exception:
            log.warning("room %s: catch-up failed; the next announcement retries", self.name)
        finally:
            self._catching_up = None

    # --- writing and sending (called by the writer: collab.group_commit) ------------------

    def take_rows(self) -> Sequence[bytes]:
        """The queued updates as the rows of one batch; none while a retry is pending."""
        self._write_requested = False
        if not self._raw or self._retry is not None:
            return ()
        batch = self._take_batch()
        self._writing.append(batch)
        return batch.rows

    def written(self, stats: LogStats) -> None:
        """The oldest batch being written is durable: send it."""
        batch = self._writing.popleft()
        batch.stats = stats
        self.store_failing = False
        self._retry_delay = self.policy.store_retry_initial
        self._appended_since_compaction = True
        self._send(batch)

    def failed(self, exc: Exception) -> None:
        """The batch being written was not: it goes back in front of the queue, to be taken
        again after a pause. The updates stay in memory meanwhile."""
        batch = self._writing.popleft()
        self.store_failures += 1
        self.store_failing = True
        self._raw[:0] = batch.rows
        self._outgoing[:0] = batch.outgoing
        delay = self._retry_delay
        self._retry_delay = min(delay * 2, self.policy.store_retry_max)
        log.warning(
            "room %s: store append failed, retrying in %.2fs",
            self.name,
            delay,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        self._retry = asyncio.get_running_loop().call_later(delay, self._retry_write)

    def _retry_write(self) -> None:
        self._retry = None
        if self._raw and not self._write_requested:
            self._write_requested = True
            self._writer.request(self)

    def _take_batch(self) -> _Batch:
        raw, self._raw = self._raw, []
        outgoing, self._outgoing = self._outgoing, []
        rows = merge_readable(raw)  # one row, unless the merge would not read back
        if self.policy.max_document_bytes:
            self._note_pending(rows)
        return _Batch(rows, outgoing, self._received)

    def _send(self, batch: _Batch) -> None:
        """Send a durable batch to every peer and to the relay; then it counts as stored."""
        for update in merge_readable(batch.outgoing) if batch.outgoing else []:
            message = update_message(update)
            for peer in self.peers:
                peer.send(message)
            self._spawn_publish(RelayKind.UPDATE, update)
        self._stored = batch.received
        if self._durable_waiters:
            waiting = []
            for target, future in self._durable_waiters:
                if target <= self._stored:
                    if not future.done():
                        future.set_result(None)
                elif not future.done():
                    waiting.append((target, future))
            self._durable_waiters = waiting
        if batch.stats is not None and self._log_is_long(batch.stats):
            self._start_compaction()

    def _log_is_long(self, stats: LogStats) -> bool:
        """Whether a log of this size is to be compacted now (see :class:`RoomPolicy`)."""
        policy = self.policy
        if stats.rows >= policy.compact_max_rows or stats.bytes >= policy.compact_after_bytes:
            return True
        return (
            stats.rows >= policy.compact_after_rows
            and stats.bytes >= policy.compact_growth * self._snapshot_bytes
        )

    def _start_compaction(self) -> None:
        """Compact in the background: the next batch need not wait for the merge."""
        if self.state != RoomState.READY:
            return  # closing: close() compacts what is left itself
        if self._compactor is None or self._compactor.done():
            self._compactor = asyncio.create_task(self._compact(), name=f"compact:{self.name}")

    async def _compact(self) -> None:
        self._appended_since_compaction = False
        try:
            size = await self._store.compact(self.name)
        except Exception:
            log.warning("room %s: compaction failed; the log is intact", self.name, exc_info=True)
            return
        if size is not None:
            self._snapshot_bytes = size

    async def _sweep_loop(self) -> None:
        """Remove awareness states that were not renewed (their client vanished silently)."""
        timeout = self.policy.awareness_timeout
        while True:
            await asyncio.sleep(timeout / 10)
            stale = self.awareness.outdated(self._clock(), timeout)
            if stale:
                change = self.awareness.remove(stale)
                if change.update is not None:
                    self._broadcast_awareness(change.update, publish=True)

    def close_peers(
        self, code: int = CloseCode.GOING_AWAY, reason: str = "server shutting down"
    ) -> None:
        for peer in list(self.peers):
            peer.close(code, reason)


def _still_pending(updates: list[bytes], state: bytes) -> list[bytes]:
    """The parts of ``updates`` a document at ``state`` has not integrated (pending structs);
    an update Yrs cannot diff counts whole.

    The first varint of an update counts the clients with structs: 0 means it has none left.
    """
    parts: list[bytes] = []
    for update in updates:
        try:
            rest = get_update(update, state)
        except ValueError:
            rest = update
        if rest[0] != 0:
            parts.append(rest)
    return parts


_background: set[asyncio.Task[None]] = set()


@dataclass(slots=True)
class _Batch:
    """Edits taken from the room together: stored as ``rows``, sent as ``outgoing``."""

    rows: list[bytes]
    outgoing: list[bytes]
    received: int  # the room's count of received updates when it was taken
    stats: LogStats | None = None

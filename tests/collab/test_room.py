"""Rooms and the registry: the failure modes other collaboration servers suffered
(research/yjs_anchors.md §c), one behaviour per test, on the in-memory store."""

from __future__ import annotations

import asyncio
import errno
from typing import Any

import pytest
from pycrdt import Doc, Text

from collab import (
    CloseCode,
    GroupCommitStore,
    MemoryBroker,
    MemoryDocumentStore,
    MemoryRelay,
    Peer,
    ProtocolError,
    Room,
    RoomRegistry,
)
from collab.protocol import (
    AwarenessMessage,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    awareness_message,
    decode_message,
    sync_step1_message,
    update_message,
)
from collab.room import RoomPolicy
from collab.store import StoreError, merge, readable, squash
from tests.collab.helpers import SlowStore, make_peer, text_updates

pytestmark = pytest.mark.anyio


def registry(store: MemoryDocumentStore | None = None, **kw: object) -> RoomRegistry:
    return RoomRegistry(store or MemoryDocumentStore(), MemoryRelay(), idle_seconds=0, **kw)  # type: ignore[arg-type]


#: Retries of a failing store a few milliseconds apart, not seconds.
FAST_RETRY = RoomPolicy(store_retry_initial=0.001, store_retry_max=0.01)


async def seeded(store: MemoryDocumentStore, doc: str, text: str) -> None:
    await store.append(doc, text_updates((0, text)))


async def test_no_sync_before_the_stored_state_is_loaded() -> None:
    store = SlowStore()
    await seeded(store, "d", "persisted")
    store.load_gate.clear()
    reg = registry(store)
    peer, transport = make_peer()
    joining = asyncio.create_task(reg.get("d"))
    await store.load_started.wait()
    assert store.load_calls == 1
    assert transport.frames == []
    store.load_gate.set()
    room = await joining
    room.add_peer(peer)
    await room.receive(peer, sync_step1_message(Doc().get_state()))
    await transport.wait_for(lambda: any(isinstance(m, SyncStep2) for m in transport.messages()))
    assert transport.text() == "persisted"


async def test_twenty_simultaneous_joins_load_once() -> None:
    store = SlowStore()
    await seeded(store, "d", "x")
    store.load_gate.clear()
    reg = registry(store)
    joins = [asyncio.create_task(reg.get("d")) for _ in range(20)]
    await store.load_started.wait()
    store.load_gate.set()
    rooms = await asyncio.gather(*joins)
    assert store.load_calls == 1
    assert reg.loads == 1
    assert len({id(r) for r in rooms}) == 1


async def test_a_failed_load_writes_nothing_and_the_next_join_loads_the_real_content() -> None:
    store = SlowStore()
    await seeded(store, "d", "precious")
    before = await store.load("d")
    store.load_calls = store.append_calls = 0
    store.fail_loads = 1
    reg = registry(store)
    from collab import RoomLoadError

    with pytest.raises(RoomLoadError):
        await reg.get("d")
    assert reg.rooms == {}
    assert store.append_calls == 0
    assert await store.load("d") == before
    room = await reg.get("d")
    assert str(room.doc.get("t", type=Text)) == "precious"


async def test_an_update_is_stored_before_it_is_broadcast_and_reaches_the_sender_too() -> None:
    store = SlowStore()
    reg = registry(store)
    room = await reg.get("d")
    alice, alice_t = make_peer()
    bob, bob_t = make_peer()
    room.add_peer(alice)
    room.add_peer(bob)
    store.append_gate.clear()
    await room.receive(alice, update_message(text_updates((0, "hi"))[0]))
    await asyncio.sleep(0.05)  # give a wrong implementation the chance to broadcast early
    assert not any(isinstance(m, SyncUpdate) for m in bob_t.messages())
    store.append_gate.set()
    await bob_t.wait_for(lambda: bob_t.text() == "hi")
    await alice_t.wait_for(lambda: any(isinstance(m, SyncUpdate) for m in alice_t.messages()))
    assert await store.load("d")


async def test_updates_arriving_together_are_sent_as_one_merged_update() -> None:
    store = SlowStore()
    reg = registry(store)
    room = await reg.get("d")
    writer, _ = make_peer()
    reader, reader_t = make_peer()
    room.add_peer(writer)
    room.add_peer(reader)
    store.append_gate.clear()
    updates = text_updates(*[(i, "x") for i in range(50)])
    await room.receive(writer, update_message(updates[0]))
    await asyncio.sleep(0)  # the first batch is now in flight, held by the store
    for u in updates[1:]:
        await room.receive(writer, update_message(u))
    store.append_gate.set()
    await reader_t.wait_for(lambda: reader_t.text() == "x" * 50)
    sent = [m for m in reader_t.messages() if isinstance(m, SyncUpdate)]
    assert len(sent) == 2  # the batch in flight, then everything that queued behind it
    assert store.max_in_flight_appends == 1


async def test_unload_while_a_save_is_pending_loses_nothing_and_never_doubles_the_room() -> None:
    store = SlowStore()
    reg = registry(store)
    peer, _ = make_peer()
    async with reg.join("d", peer) as room:
        store.append_gate.clear()
        for u in text_updates((0, "a"), (1, "b")):
            await room.receive(peer, update_message(u))
    # The peer left; the unload waits for the held save. A reconnecting client must not get a
    # second, stale room.
    await asyncio.sleep(0)
    rejoin = asyncio.create_task(reg.get("d"))
    await asyncio.sleep(0.05)
    assert not rejoin.done()
    store.append_gate.set()
    again = await rejoin
    assert again is not room
    assert str(again.doc.get("t", type=Text)) == "ab"


async def test_a_failing_store_is_retried_and_the_room_keeps_its_edits() -> None:
    store = SlowStore()
    store.fail_appends = 3
    reg = registry(store, policy=FAST_RETRY)
    room = await reg.get("d")
    peer, transport = make_peer()
    room.add_peer(peer)
    await room.receive(peer, update_message(text_updates((0, "kept"))[0]))
    await transport.wait_for(lambda: transport.text() == "kept")
    assert room.store_failures == 3
    assert not room.dirty


class FullDisk(MemoryDocumentStore):
    """Reads work, writes fail (a full disk) until ``full`` is cleared; ``failed`` is set once
    three appends have failed."""

    def __init__(self) -> None:
        super().__init__()
        self.full = True
        self.failures = 0
        self.failed = asyncio.Event()

    def _check(self) -> None:
        if self.full:
            self.failures += 1
            if self.failures >= 3:
                self.failed.set()
            raise OSError(errno.ENOSPC, "No space left on device")

    def append_now(self, batch: Any) -> Any:
        self._check()
        return super().append_now(batch)

    async def append_many(self, batch: Any) -> Any:
        self._check()
        return await super().append_many(batch)


async def test_a_room_whose_store_fails_says_so_until_an_append_lands() -> None:
    store = FullDisk()
    reg = registry(store, policy=FAST_RETRY)
    room = await reg.get("d")
    peer, transport = make_peer()
    room.add_peer(peer)
    await room.receive(peer, update_message(text_updates((0, "kept"))[0]))
    await asyncio.wait_for(store.failed.wait(), 5)  # retried, and retried again
    assert reg.unsaved() == ["d"]
    assert room.dirty
    assert transport.text() == ""  # not sent on before it is durable
    store.full = False  # space again
    await transport.wait_for(lambda: transport.text() == "kept")
    assert reg.unsaved() == []
    assert not room.dirty


async def test_a_pending_update_survives_persist_reload_and_compaction() -> None:
    u1, u2 = text_updates((0, "hello"), (5, " world"))
    store = MemoryDocumentStore()
    reg = registry(store)
    peer, _ = make_peer()
    async with reg.join("d", peer) as room:
        await room.receive(peer, update_message(u2))  # its predecessor has not arrived
        assert str(room.doc.get("t", type=Text)) == ""
        await room.wait_durable()
    await reg.unload_idle_now()
    await store.compact("d")
    async with reg.join("d", peer) as room:
        await room.receive(peer, update_message(u1))
        assert str(room.doc.get("t", type=Text)) == "hello world"
        await room.wait_durable()
    await reg.unload_idle_now()
    await store.compact("d")
    doc = Doc()
    for update in await store.load("d"):
        doc.apply_update(update)
    assert str(doc.get("t", type=Text)) == "hello world"


async def test_compaction_runs_once_the_log_is_long_enough() -> None:
    store = MemoryDocumentStore()
    reg = RoomRegistry(
        store, MemoryRelay(), idle_seconds=0, policy=RoomPolicy(compact_after_rows=5)
    )
    room = await reg.get("d")
    peer, _ = make_peer()
    room.add_peer(peer)
    for u in text_updates(*[(i, "y") for i in range(12)]):
        await room.receive(peer, update_message(u))
        await room.wait_durable()
    assert str(room.doc.get("t", type=Text)) == "y" * 12
    room.remove_peer(peer)
    await reg.unload_idle_now()  # closing waits for a compaction under way
    loaded = await store.load("d")
    assert len(loaded) < 6
    doc = Doc()
    doc.apply_update(merge(loaded))
    assert str(doc.get("t", type=Text)) == "y" * 12


async def test_a_large_document_is_rewritten_only_once_its_edits_weigh_half_as_much() -> None:
    class NotingCompactions(MemoryDocumentStore):
        def __init__(self) -> None:
            super().__init__()
            self.started = 0
            self.done = asyncio.Event()

        async def compact(self, doc_id: str) -> int | None:
            self.started += 1
            size = await super().compact(doc_id)
            self.done.set()
            return size

    store = NotingCompactions()
    big, *small, bigger = text_updates(
        (0, "x" * 4000), *[(4000 + i, "y") for i in range(12)], (4012, "z" * 3000)
    )
    policy = RoomPolicy(compact_after_rows=3, compact_growth=0.5, compact_max_rows=8)
    reg = registry(store, policy=policy)
    room = await reg.get("d")
    peer, _ = make_peer()
    room.add_peer(peer)

    async def edit(update: bytes) -> None:
        await room.receive(peer, update_message(update))
        await room.wait_durable()
        await asyncio.sleep(0)  # a compaction it started has begun

    async def compacted(times: int) -> None:
        await asyncio.wait_for(store.done.wait(), 5)
        store.done.clear()
        assert store.started == times
        assert len(await store.load("d")) == 1

    for update in [big, *small[:2]]:  # 3 rows, no snapshot yet: compacted
        await edit(update)
    await compacted(1)
    for update in small[2:9]:  # 7 rows of a few bytes: far from half of the 4 KB snapshot
        await edit(update)
    assert store.started == 1
    assert len(await store.load("d")) == 8
    await edit(small[9])  # the 8th row: past compact_max_rows, whatever the snapshot
    await compacted(2)
    for update in small[10:]:
        await edit(update)
    assert store.started == 2
    await edit(bigger)  # 3 rows, one of 3 KB: more than half the snapshot
    await compacted(3)
    doc = Doc()
    doc.apply_update(merge(await store.load("d")))
    assert str(doc.get("t", type=Text)) == "x" * 4000 + "y" * 12 + "z" * 3000
    room.remove_peer(peer)
    await reg.unload_idle_now()


async def test_a_room_loaded_with_a_long_log_compacts_it_for_the_next_load() -> None:
    store = MemoryDocumentStore()
    for u in text_updates(*[(i, "z") for i in range(20)]):
        await store.append("d", [u])
    reg = RoomRegistry(
        store, MemoryRelay(), idle_seconds=0, policy=RoomPolicy(compact_after_rows=5)
    )
    room = await reg.get("d")
    assert str(room.doc.get("t", type=Text)) == "z" * 20
    await reg.unload_idle_now()
    assert len(await store.load("d")) == 1
    again = await reg.get("d")
    assert str(again.doc.get("t", type=Text)) == "z" * 20


async def test_an_unloading_room_leaves_one_snapshot_behind() -> None:
    store = MemoryDocumentStore()
    reg = registry(store)
    peer, _ = make_peer()
    async with reg.join("d", peer) as room:
        for u in text_updates((0, "a"), (1, "b"), (2, "c")):
            await room.receive(peer, update_message(u))
            await room.wait_durable()
    await reg.unload_idle_now()
    loaded = await store.load("d")
    assert len(loaded) == 1
    doc = Doc()
    doc.apply_update(loaded[0])
    assert str(doc.get("t", type=Text)) == "abc"


async def test_rooms_flushing_together_share_one_write_and_wait_for_its_commit() -> None:
    store = SlowStore()
    reg = registry(GroupCommitStore(store))  # type: ignore[arg-type]
    rooms = [await reg.get(name) for name in ("a", "b", "c")]
    writers, readers = [], []
    for room in rooms:
        writer, _ = make_peer()
        reader, reader_t = make_peer()
        room.add_peer(writer)
        room.add_peer(reader)
        writers.append(writer)
        readers.append(reader_t)
    await asyncio.gather(*(room.wait_durable() for room in rooms))
    store.append_calls = 0
    store.append_gate.clear()
    for room, writer, text in zip(rooms, writers, ("x", "y", "z"), strict=True):
        await room.receive(writer, update_message(text_updates((0, text))[0]))
    await asyncio.sleep(0.05)  # give a wrong implementation the chance to broadcast early
    assert store.append_calls == 1  # three rooms, one write
    assert not any(isinstance(m, SyncUpdate) for reader_t in readers for m in reader_t.messages())
    store.append_gate.set()
    for reader_t, text in zip(readers, ("x", "y", "z"), strict=True):
        await reader_t.wait_for(lambda t=reader_t, x=text: t.text() == x)  # type: ignore[misc]
    assert store.append_calls == 1


async def test_rooms_reaching_their_log_limit_together_compact_one_at_a_time() -> None:
    class CountingStore(MemoryDocumentStore):
        running = 0
        most = 0

        async def compact(self, doc_id: str) -> int | None:
            CountingStore.running += 1
            CountingStore.most = max(CountingStore.most, CountingStore.running)
            await asyncio.sleep(0.01)  # a merge and a write take time
            size = await super().compact(doc_id)
            CountingStore.running -= 1
            return size

    store = CountingStore()
    reg = registry(GroupCommitStore(store), policy=RoomPolicy(compact_after_rows=3))  # type: ignore[arg-type]
    names = [f"room-{n}" for n in range(6)]
    rooms = [await reg.get(name) for name in names]
    peers = [make_peer()[0] for _ in rooms]
    for room, peer in zip(rooms, peers, strict=True):
        room.add_peer(peer)
    for update in text_updates((0, "a"), (1, "b"), (2, "c")):  # the same pace in every room
        for room, peer in zip(rooms, peers, strict=True):
            await room.receive(peer, update_message(update))
        await asyncio.gather(*(room.wait_durable() for room in rooms))
    for room, peer in zip(rooms, peers, strict=True):
        room.remove_peer(peer)
    await reg.unload_idle_now()  # each waits for its compaction under way
    assert CountingStore.most == 1
    for name in names:
        assert len(await store.load(name)) == 1  # every one of them was compacted


class Noting:
    """A reader's transport that calls ``note()`` as each update reaches it."""

    def __init__(self, note: Any) -> None:
        self.note = note

    async def send(self, frame: bytes) -> None:
        self.send_now(frame)

    def send_now(self, frame: bytes) -> bool:
        if isinstance(decode_message(frame), SyncUpdate):
            self.note()
        return True

    async def close(self, code: int, reason: str) -> None:
        pass


async def writer_and_reader(store: MemoryDocumentStore, note: Any) -> tuple[Room, Peer]:
    """A room on ``store`` behind a group-commit writer, with a writing peer (returned) and a
    reader whose transport calls ``note()`` as each update reaches it."""
    room = await registry(GroupCommitStore(store)).get("d")  # type: ignore[arg-type]
    writer, _ = make_peer()
    room.add_peer(writer)
    room.add_peer(Peer(Noting(note)))
    return room, writer


class RoundTripStore(SlowStore):
    """A store whose every write is awaited (no ``append_now``), as PostgreSQL's are."""

    append_now = None  # type: ignore[assignment]


async def test_the_next_batch_is_being_written_while_the_last_one_is_sent() -> None:
    store = RoundTripStore()
    writes_seen: list[int] = []  # writes begun when each update reached the reader
    room, writer = await writer_and_reader(store, lambda: writes_seen.append(store.append_calls))
    store.append_calls = 0
    store.append_gate.clear()
    first, second = text_updates((0, "a"), (1, "b"))
    await room.receive(writer, update_message(first))
    await asyncio.sleep(0.01)  # the first write is under way, held
    await room.receive(writer, update_message(second))  # arrives meanwhile
    store.append_gate.set()  # the first write lands …
    await asyncio.sleep(0)
    store.append_gate.clear()  # … the second will be held
    await asyncio.sleep(0.05)
    assert writes_seen == [2]  # "a" went out with the write of "b" already begun
    store.append_gate.set()
    await room.wait_durable()
    assert writes_seen == [2, 2]
    assert str(room.doc.get("t", type=Text)) == "ab"


async def test_a_malformed_frame_raises_and_the_room_lives_on() -> None:
    reg = registry()
    room = await reg.get("d")
    bad, _ = make_peer()
    good, good_t = make_peer()
    room.add_peer(bad)
    room.add_peer(good)
    for frame in (
        b"\x00\x02\x05\x01\x02\x03\x04\x05",
        b"\x00\x02\xff",
        b"\x07",
        b"\x00\x00\x02\xff\xff",
    ):
        with pytest.raises(ProtocolError):
            await room.receive(bad, frame)
    await room.receive(good, update_message(text_updates((0, "ok"))[0]))
    await good_t.wait_for(lambda: good_t.text() == "ok")


# Updates Yrs applies but writes back, when merged, as bytes it cannot read (found by fuzzing):
# this one even alone; this other one only merged with another update.
UNWRITABLE = bytes.fromhex("01010003c2ab200001010003c2ab2000")
POISONS_MERGES = bytes.fromhex(
    "0101ffffffff0f031244ffffffff0f030003c2ab2001030004010174074372c3a965722000"
)


async def test_an_update_yrs_could_not_write_back_is_refused_before_it_is_applied() -> None:
    store = MemoryDocumentStore()
    reg = registry(store)
    fuzzer, _ = make_peer()
    async with reg.join("d", fuzzer) as room:
        with pytest.raises(ProtocolError, match="cannot be stored readably"):
            await room.receive(fuzzer, update_message(UNWRITABLE))
        await room.wait_durable()
    assert await store.load("d") == []


async def test_an_update_that_poisons_merges_is_stored_apart_and_the_document_still_loads() -> None:
    store = MemoryDocumentStore()
    reg = registry(store)
    fuzzer, _ = make_peer()
    honest, _ = make_peer()
    async with reg.join("d", fuzzer) as room, reg.join("d", honest):
        # Both in one flush: merged into one row, they would be unreadable, and so the document.
        await room.receive(fuzzer, update_message(POISONS_MERGES))
        await room.receive(honest, update_message(text_updates((0, "toujours là"))[0]))
        await room.wait_durable()
        rows = await store.load("d")
        assert len(rows) == 2
        assert all(readable(row) for row in rows)
    await reg.unload_idle_now()  # its compaction is refused: the squash would not read back
    async with reg.join("d", honest) as room:
        assert str(room.doc.get("t", type=Text)) == "toujours là"
    with pytest.raises(StoreError):
        squash(await store.load("d"))


async def test_a_read_only_peer_cannot_change_the_document_but_still_syncs() -> None:
    store = MemoryDocumentStore()
    await seeded(store, "d", "frozen")
    reg = registry(store)
    room = await reg.get("d")
    reader, reader_t = make_peer(read_only=True)
    room.add_peer(reader)
    await room.receive(reader, update_message(text_updates((0, "vandal"), client_id=99)[0]))
    await room.receive(reader, sync_step1_message(Doc().get_state()))
    await reader_t.wait_for(lambda: any(isinstance(m, SyncStep2) for m in reader_t.messages()))
    assert reader_t.text() == "frozen"
    assert str(room.doc.get("t", type=Text)) == "frozen"
    assert len(await store.load("d")) == 1


async def test_a_newcomer_gets_sync_step1_then_every_awareness_state() -> None:
    reg = registry()
    room = await reg.get("d")
    ann, _ = make_peer()
    room.add_peer(ann)
    state = b'{"user":{"name":"Ann"}}'
    await room.receive(ann, awareness_message(b"\x01\x01\x01" + bytes([len(state)]) + state))
    bob, bob_t = make_peer()
    room.add_peer(bob)
    await bob_t.wait_for(lambda: len(bob_t.frames) >= 2)
    first, second = bob_t.messages()[:2]
    assert isinstance(first, SyncStep1)
    assert isinstance(second, AwarenessMessage)
    assert state in second.update


async def test_a_leaving_peer_s_awareness_is_removed_for_everyone() -> None:
    reg = registry()
    ann, ann_t = make_peer()
    bob, _ = make_peer()
    async with reg.join("d", ann) as room:
        async with reg.join("d", bob):
            state = b'{"user":{"name":"Bob"}}'
            await room.receive(
                bob, awareness_message(b"\x01\x02\x01" + bytes([len(state)]) + state)
            )
        await ann_t.wait_for(
            lambda: (
                bool(ann_t.frames)
                and ann_t.frames[-1] == bytes.fromhex("01 08 01 02 01 04 6e 75 6c 6c")
            )
        )
        assert room.awareness.client_ids == []


async def test_a_slow_client_is_closed_rather_than_fed_forever() -> None:
    reg = registry()
    room = await reg.get("d")
    from collab import Peer
    from tests.collab.helpers import RecordingTransport

    transport = RecordingTransport()
    slow = Peer(transport, max_queued_frames=3)
    room.add_peer(slow)
    for _ in range(6):  # its writer never runs meanwhile: nothing drains
        slow.send(b"\x03")
    assert slow.is_closing
    await slow.closed.wait()
    assert transport.closed == (CloseCode.TRY_AGAIN_LATER, "client too slow, reconnect")


async def test_two_nodes_on_one_broker_share_edits_and_presence() -> None:
    broker = MemoryBroker()
    store = MemoryDocumentStore()
    one = RoomRegistry(store, broker.node("one"), idle_seconds=0)
    two = RoomRegistry(store, broker.node("two"), idle_seconds=0)
    a, _ = make_peer()
    b, b_t = make_peer()
    async with one.join("d", a) as room_a, two.join("d", b):
        await room_a.receive(a, update_message(text_updates((0, "across"))[0]))
        await b_t.wait_for(lambda: b_t.text() == "across")
        state = b'{"n":1}'
        await room_a.receive(a, awareness_message(b"\x01\x05\x01" + bytes([len(state)]) + state))
        await b_t.wait_for(lambda: any(isinstance(m, AwarenessMessage) for m in b_t.messages()))


async def test_a_presence_that_is_never_renewed_expires_for_everyone() -> None:
    now = [0.0]
    reg = RoomRegistry(
        MemoryDocumentStore(),
        MemoryRelay(),
        idle_seconds=0,
        policy=RoomPolicy(awareness_timeout=0.05),
        room_factory=lambda *args: Room(*args, clock=lambda: now[0]),
    )
    room = await reg.get("d")
    ghost, _ = make_peer()
    watcher, watcher_t = make_peer()
    room.add_peer(ghost)
    room.add_peer(watcher)
    state = b'{"n":"ghost"}'
    await room.receive(ghost, awareness_message(b"\x01\x09\x01" + bytes([len(state)]) + state))
    now[0] = 1.0  # the ghost's 15 s renewals never come; its socket is still "open"
    await watcher_t.wait_for(
        lambda: (
            bool(watcher_t.frames)
            and watcher_t.frames[-1] == bytes.fromhex("01 08 01 09 01 04 6e 75 6c 6c")
        )
    )
    assert room.awareness.client_ids == []


async def test_a_node_that_missed_a_relayed_update_catches_up_from_the_store() -> None:
    broker = MemoryBroker()
    store = MemoryDocumentStore()
    policy = RoomPolicy(anti_entropy_interval=0.05, catch_up_grace=0.05)
    one = RoomRegistry(store, broker.node("one"), idle_seconds=0, policy=policy)
    two = RoomRegistry(store, broker.node("two"), idle_seconds=0, policy=policy)
    a, _ = make_peer()
    b, b_t = make_peer()
    async with one.join("d", a) as room_a, two.join("d", b) as room_b:
        # The relay drops node two's subscription for a while: a Redis pause, say.
        handlers = broker.channels["d"]
        cut = [entry for entry in handlers if entry[0] == "two"]
        for entry in cut:
            handlers.remove(entry)
        await room_a.receive(a, update_message(text_updates((0, "pendant la coupure"))[0]))
        await room_a.wait_durable()
        handlers.extend(cut)  # back; the update itself is gone for good from the relay
        await b_t.wait_for(lambda: b_t.text() == "pendant la coupure")
        assert room_b.catch_ups == 1


class DeferredStore(MemoryDocumentStore):
    """Writes at once, durable when the test says so (``sync``), as SQLite with its WAL sync
    helper is (collab.store.DeferredAppend)."""

    append_now = None  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.committed = 0
        self.unsynced: list[Any] = []

    def append_soon(self, batch: Any, done: Any) -> bool:
        stats = self._append(batch)
        self.committed += 1
        self.unsynced.append(lambda: done(stats))
        return True

    def sync(self) -> None:
        waiting, self.unsynced = self.unsynced, []
        for done in waiting:
            done()


async def test_a_batch_is_sent_once_synced_and_the_next_is_committed_before_it_is_sent() -> None:
    store = DeferredStore()
    committed_when_sent: list[int] = []
    room, writer = await writer_and_reader(
        store, lambda: committed_when_sent.append(store.committed)
    )
    first, second = text_updates((0, "a"), (1, "b"))
    await room.receive(writer, update_message(first))
    await asyncio.sleep(0.01)
    assert store.committed == 1
    assert committed_when_sent == []  # written, not yet durable: nobody hears of it
    await room.receive(writer, update_message(second))  # arrives while "a" syncs
    await asyncio.sleep(0.01)
    assert store.committed == 1  # one write at a time
    store.sync()
    assert committed_when_sent == [2]  # "b" was committed before "a" went out
    store.sync()
    assert committed_when_sent == [2, 2]
    assert not room.dirty


async def test_a_server_edit_is_stored_before_peers_see_it_and_reaches_other_nodes() -> None:
    # An amendment applied or a section restored by the server is an edit like a peer's:
    # durable first, then sent to the room's peers and relayed to the other nodes.
    broker = MemoryBroker()
    store = SlowStore()
    await seeded(store, "d", "Une rue.")
    one = RoomRegistry(store, broker.node("one"), idle_seconds=0)
    two = RoomRegistry(store, broker.node("two"), idle_seconds=0)
    here, here_t = make_peer()
    there, there_t = make_peer()
    async with one.join("d", here) as room, two.join("d", there):
        store.append_gate.clear()

        def amend(doc: Doc[Any]) -> int:
            text = doc.get("t", type=Text)
            text.insert(len("Une rue"), " piétonne")
            return len(str(text))

        edit = asyncio.create_task(room.edit(amend))
        await asyncio.sleep(0.05)  # a wrong implementation would send it before it is stored
        assert not edit.done()
        assert not any(isinstance(m, SyncUpdate) for m in here_t.messages())
        store.append_gate.set()
        assert await edit == len("Une rue piétonne.")
        await here_t.wait_for(lambda: any(isinstance(m, SyncUpdate) for m in here_t.messages()))
        await there_t.wait_for(lambda: any(isinstance(m, SyncUpdate) for m in there_t.messages()))
    reloaded = Doc()
    for update in await store.load("d"):
        reloaded.apply_update(update)
    assert str(reloaded.get("t", type=Text)) == "Une rue piétonne."


async def test_a_server_edit_on_a_document_nobody_has_open_loads_it_and_writes_it() -> None:
    store = MemoryDocumentStore()
    await seeded(store, "d", "abc")
    reg = registry(store)
    await reg.edit("d", lambda doc: doc.get("t", type=Text).insert(3, "d"))
    await reg.edit("d", lambda doc: None)  # nothing changed: nothing written
    reloaded = Doc()
    for update in await store.load("d"):
        reloaded.apply_update(update)
    assert str(reloaded.get("t", type=Text)) == "abcd"

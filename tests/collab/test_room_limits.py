"""Size limits of a room: a document and an awareness state past their limit are refused whole —
not applied, not stored, not sent to anyone — and the room lives on for everyone else."""

from __future__ import annotations

import pytest
from pycrdt import Doc, Text, write_var_uint

from collab import LimitExceeded, MemoryDocumentStore, MemoryRelay, RoomRegistry
from collab.protocol import (
    AwarenessMessage,
    SyncStep2,
    SyncUpdate,
    awareness_message,
    sync_step1_message,
    update_message,
    var_string,
)
from collab.room import RoomPolicy
from tests.collab.helpers import make_peer, text_updates

pytestmark = pytest.mark.anyio

LIMIT = 2000


def registry(store: MemoryDocumentStore, **policy: int) -> RoomRegistry:
    return RoomRegistry(
        store, MemoryRelay(), policy=RoomPolicy(max_document_bytes=LIMIT, **policy), idle_seconds=0
    )


def stored_text(updates: list[bytes]) -> str:
    doc = Doc()
    for update in updates:
        doc.apply_update(update)
    return str(doc.get("t", type=Text))


def one_insert(text: str, client_id: int) -> bytes:
    return text_updates((0, text), client_id=client_id)[0]


async def test_an_update_past_the_document_limit_is_refused_unapplied_unstored_unsent() -> None:
    store = MemoryDocumentStore()
    reg = registry(store)
    ann, ann_t = make_peer()
    eve, _ = make_peer()
    first, second = text_updates((0, "a" * 500), (500, "b"), client_id=1)
    async with reg.join("d", ann) as room, reg.join("d", eve):
        await room.receive(ann, update_message(first))
        await room.wait_durable()
        before = await store.load("d")
        with pytest.raises(LimitExceeded, match=f"document too large: .* exceed {LIMIT}"):
            await room.receive(eve, update_message(one_insert("e" * 3000, client_id=2)))
        assert str(room.doc.get("t", type=Text)) == "a" * 500
        await room.wait_durable()
        assert await store.load("d") == before
        # The room goes on: Ann's next edit is applied, stored and sent; Eve's never was.
        await room.receive(ann, update_message(second))
        await ann_t.wait_for(lambda: ann_t.text() == "a" * 500 + "b")
        sent = [m.update for m in ann_t.messages() if isinstance(m, SyncUpdate | SyncStep2)]
        assert not any(b"eeee" in update for update in sent)
    await reg.unload_idle_now()
    assert stored_text(await store.load("d")) == "a" * 500 + "b"


async def test_small_updates_are_admitted_until_the_next_would_pass_the_limit() -> None:
    reg = registry(MemoryDocumentStore())
    typist, _ = make_peer()
    updates = text_updates(*((i, "x") for i in range(LIMIT)), client_id=5)
    async with reg.join("d", typist) as room:
        for accepted, update in enumerate(updates):  # noqa: B007 — read after the loop
            try:
                await room.receive(typist, update_message(update))
            except LimitExceeded:
                break
        else:
            pytest.fail("no update was refused")
        # Refused only when the document, measured, had no room left for it.
        size = room.measure()
        assert size <= LIMIT < size + len(updates[accepted])
        assert str(room.doc.get("t", type=Text)) == "x" * accepted


async def test_pending_updates_count_toward_the_limit_though_the_encoding_omits_them() -> None:
    # Updates whose first predecessor never comes stay pending: held in memory and stored,
    # yet absent from the document's own encoding. They must not pile up past the limit.
    reg = registry(MemoryDocumentStore())
    eve, _ = make_peer()
    orphans = text_updates(*((i, "p" * 10) for i in range(0, 5000, 10)), client_id=9)[1:]
    async with reg.join("d", eve) as room:
        refused = False
        for n, update in enumerate(orphans):
            try:
                await room.receive(eve, update_message(update))
            except LimitExceeded:
                refused = True
                break
            if n % 7 == 0:
                await room.wait_durable()  # pending parts found per batch, and unflushed
        assert refused
        assert len(room.doc.get_update()) < 10  # the encoding holds none of it
        assert LIMIT - len(orphans[0]) * 2 < room.measure() <= LIMIT


async def test_a_document_already_past_the_limit_still_syncs_but_takes_no_writes() -> None:
    store = MemoryDocumentStore()
    await store.append("d", [one_insert("old" * 1000, client_id=1)])
    reg = registry(store)
    reader, reader_t = make_peer()
    async with reg.join("d", reader) as room:
        with pytest.raises(LimitExceeded):
            await room.receive(reader, update_message(one_insert("new", client_id=2)))
        await room.receive(reader, sync_step1_message(Doc().get_state()))
        await reader_t.wait_for(lambda: reader_t.text() == "old" * 1000)


async def test_an_awareness_state_past_its_limit_is_refused_and_kept_from_everyone() -> None:
    reg = registry(MemoryDocumentStore(), max_awareness_state_bytes=100)
    ann, ann_t = make_peer()
    eve, _ = make_peer()

    def presence(client_id: int, state: str) -> bytes:
        entry = write_var_uint(client_id) + write_var_uint(1) + var_string(state)
        return awareness_message(write_var_uint(1) + entry)

    async with reg.join("d", ann) as room, reg.join("d", eve):
        with pytest.raises(LimitExceeded, match="awareness state of 111 bytes exceeds 100"):
            await room.receive(eve, presence(66, '{"name":"' + "e" * 100 + '"}'))
        assert room.awareness.client_ids == []
        await room.receive(ann, presence(11, '{"name":"Ann"}'))
        await ann_t.wait_for(lambda: any(isinstance(m, AwarenessMessage) for m in ann_t.messages()))
        assert room.awareness.client_ids == [11]


def presence_of(*states: tuple[int, int, str]) -> bytes:
    """An awareness message with ``(client id, clock, JSON state)`` entries."""
    entries = b"".join(
        write_var_uint(cid) + write_var_uint(clock) + var_string(state)
        for cid, clock, state in states
    )
    return awareness_message(write_var_uint(len(states)) + entries)


async def test_an_awareness_update_with_too_many_states_is_refused_before_they_are_read() -> None:
    # Room of 5 states: an update may hold twice that and its sender's own id (11), not more.
    reg = registry(MemoryDocumentStore(), max_awareness_states=5)
    eve, _ = make_peer()
    async with reg.join("d", eve) as room:
        many = presence_of(*((cid, 1, "{}") for cid in range(1, 13)))
        with pytest.raises(LimitExceeded, match="awareness update of 12 states exceeds 11"):
            await room.receive(eve, many)
        assert room.awareness.client_ids == []


async def test_a_room_s_presence_is_bounded_and_a_newcomer_echoing_it_is_never_refused() -> None:
    """The lockout of issue 23 (finding 2): sockets that each publish presence filled a room
    past what one update may carry, and every real client that echoed the room's states back
    was closed for good. Now the room holds at most ``max_awareness_states``: past it a new
    client's state is not taken (it edits as usual), and an echo of the full room is taken."""
    reg = registry(MemoryDocumentStore(), max_awareness_states=5)
    crowd = [make_peer() for _ in range(8)]
    zoe, zoe_t = make_peer()
    async with reg.join("d", zoe) as room:
        for number, (peer, _) in enumerate(crowd, start=100):
            room.add_peer(peer)
            await room.receive(peer, presence_of((number, 1, '{"n":"?"}')))
        assert sorted(room.awareness.client_ids) == [100, 101, 102, 103, 104]
        # Zoe (a y-websocket newcomer) sends back everything she was shown, with her own
        # state: nothing is refused, she stays connected and can write.
        echo = presence_of(*((cid, 1, '{"n":"?"}') for cid in range(100, 105)), (7, 1, "{}"))
        await room.receive(zoe, echo)
        await room.receive(zoe, update_message(one_insert("Bonjour", client_id=7)))
        assert str(room.doc.get("t", type=Text)) == "Bonjour"
        assert 7 not in room.awareness.client_ids  # not shown while the room is full …
        room.remove_peer(crowd[0][0])  # … until someone leaves
        await room.receive(zoe, presence_of((7, 2, '{"n":"Zoé"}')))
        assert 7 in room.awareness.client_ids
        assert zoe_t.closed is None
        for peer, _ in crowd[1:]:
            room.remove_peer(peer)


async def test_a_connection_publishes_few_client_ids_though_it_may_echo_everyone_s() -> None:
    reg = registry(MemoryDocumentStore())  # the default: one client id per connection
    ann, _ = make_peer()
    bob, _ = make_peer()
    async with reg.join("d", ann) as room, reg.join("d", bob):
        await room.receive(ann, presence_of((11, 1, '{"n":"Ann"}')))
        with pytest.raises(LimitExceeded, match="2 client ids from one connection exceed 1"):
            await room.receive(ann, presence_of((12, 1, '{"n":"Ann, second id"}')))
        assert sorted(room.awareness.client_ids) == [11]
        # A y-websocket newcomer sends back every state it learnt, with its own: not its ids.
        await room.receive(bob, presence_of((21, 1, '{"n":"Bob"}'), (11, 1, '{"n":"Ann"}')))
        assert sorted(room.awareness.client_ids) == [11, 21]

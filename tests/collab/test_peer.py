"""A peer's two ways out — the direct write and the queue drained by its writer — keep order,
and an idle peer holds no task."""

from __future__ import annotations

import asyncio

import pytest

from collab import CloseCode, MemoryDocumentStore, MemoryRelay, Peer, RoomRegistry
from collab.protocol import update_message
from tests.collab.helpers import make_peer, text_updates

pytestmark = pytest.mark.anyio


class Gate:
    """A transport whose socket can be 'full': direct writes are refused and ``send`` waits."""

    def __init__(self) -> None:
        self.wire: list[bytes] = []
        self.open = asyncio.Event()
        self.open.set()
        self.closed: tuple[int, str] | None = None

    def send_now(self, frame: bytes) -> bool:
        if not self.open.is_set():
            return False
        self.wire.append(frame)
        return True

    async def send(self, frame: bytes) -> None:
        await self.open.wait()
        self.wire.append(frame)

    async def close(self, code: int, reason: str) -> None:
        await self.open.wait()
        self.closed = (code, reason)


async def test_frames_keep_their_order_across_a_full_socket() -> None:
    gate = Gate()
    peer = Peer(gate)
    peer.send(b"1")
    gate.open.clear()  # the client's buffer fills up
    peer.send(b"2")
    peer.send(b"3")
    gate.open.set()  # it drains; a frame sent now must still wait behind 2 and 3
    peer.send(b"4")
    await asyncio.sleep(0)  # one turn: the writer sends what was queued
    peer.send(b"5")
    peer.close(CloseCode.NORMAL, "")
    await peer.wait_closed(5)
    assert gate.wire == [b"1", b"2", b"3", b"4", b"5"]
    assert gate.closed == (CloseCode.NORMAL, "")


async def test_a_peer_whose_frames_go_straight_out_runs_no_writer_task() -> None:
    gate = Gate()
    peer = Peer(gate)
    before = len(asyncio.all_tasks())
    for n in range(100):
        peer.send(bytes([n]))
    assert len(asyncio.all_tasks()) == before
    assert len(gate.wire) == 100


async def test_a_stuck_socket_is_given_up_after_the_grace() -> None:
    gate = Gate()
    gate.open.clear()
    peer = Peer(gate)
    peer.send(b"never")
    peer.close(CloseCode.NORMAL, "")
    await peer.wait_closed(0.05)  # returns: the writer is cancelled, not left hanging
    assert peer.closed.is_set()
    peer.send(b"after")  # ignored, no new writer
    assert gate.wire == []


async def test_a_client_that_stops_reading_holds_at_most_its_byte_bound_then_is_closed() -> None:
    """A writer pastes 100 KB twenty times; one client's socket is full. What waits for it never
    passes its byte bound: past it, that client is closed to resync (1013) and its frames are
    dropped, while a client that reads gets every edit and the room goes on."""
    bound = 300_000
    reg = RoomRegistry(MemoryDocumentStore(), MemoryRelay(), idle_seconds=0)
    room = await reg.get("d")
    writer, _ = make_peer()
    reader, reader_t = make_peer()
    gate = Gate()
    stalled = Peer(gate, max_queued_bytes=bound)
    for peer in (writer, reader, stalled):
        room.add_peer(peer)
    gate.open.clear()  # the phone froze after the greeting
    chunk = 100_000
    updates = text_updates(*[(i * chunk, chr(ord("a") + i) * chunk) for i in range(20)])
    held = []
    for update in updates:
        await room.receive(writer, update_message(update))
        await room.wait_durable()
        held.append(stalled.queued_bytes)
    assert max(held) <= bound
    assert stalled.is_closing
    # Once closed, nothing more is kept for it: at most the frame its writer is sending.
    assert held[-1] <= len(update_message(updates[0])) + 16
    expected = "".join(chr(ord("a") + i) * chunk for i in range(20))
    await reader_t.wait_for(lambda: reader_t.text() == expected)
    gate.open.set()  # it reads again: the frame it was being sent, then the close
    await stalled.closed.wait()
    assert gate.closed == (CloseCode.TRY_AGAIN_LATER, "client too slow, reconnect")
    assert len(gate.wire) < 1 + len(updates)  # it resyncs on reconnect: nothing is lost

"""Test doubles for the collab layer: a transport that records frames, stores that misbehave."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence

from pycrdt import Doc, Text

from collab import MemoryDocumentStore, Peer
from collab.protocol import Message, SyncStep2, SyncUpdate, decode_message
from collab.store import LogStats


class RecordingTransport:
    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.closed: tuple[int, str] | None = None
        self.changed = asyncio.Event()
        self._direct = False

    async def send(self, frame: bytes) -> None:
        self.frames.append(frame)
        self.changed.set()

    def send_now(self, frame: bytes) -> bool:
        # Every other call writes at once: both of a peer's paths, interleaved, must keep order.
        self._direct = not self._direct
        if self._direct:
            self.frames.append(frame)
            self.changed.set()
        return self._direct

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)
        self.changed.set()

    def messages(self) -> list[Message]:
        return [decode_message(f) for f in self.frames]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

    def doc(self) -> Doc:
        """The document as this client would have it after applying what it received."""
        doc = Doc()
        for message in self.messages():
            if isinstance(message, SyncStep2 | SyncUpdate):
                doc.apply_update(message.update)
        return doc

    def text(self, name: str = "t") -> str:
        return str(self.doc().get(name, type=Text))


def make_peer(read_only: bool = False) -> tuple[Peer, RecordingTransport]:
    transport = RecordingTransport()
    peer = Peer(transport, read_only=read_only)
    return peer, transport


def text_updates(*edits: tuple[int, str], client_id: int = 7) -> list[bytes]:
    """Updates of successive inserts ``(index, text)`` by one client."""
    doc = Doc(client_id=client_id)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    text = doc.get("t", type=Text)
    for index, chunk in edits:
        text.insert(index, chunk)
    return updates


class SlowStore(MemoryDocumentStore):
    """A memory store whose calls can be held open and can fail on demand."""

    def __init__(self) -> None:
        super().__init__()
        self.load_gate = asyncio.Event()
        self.load_gate.set()
        self.append_gate = asyncio.Event()
        self.append_gate.set()
        self.load_calls = 0
        self.load_started = asyncio.Event()
        self.append_calls = 0
        self.fail_loads = 0
        self.fail_appends = 0
        self.in_flight_appends = 0
        self.max_in_flight_appends = 0

    async def load(self, doc_id: str) -> list[bytes]:
        self.load_calls += 1
        self.load_started.set()
        await self.load_gate.wait()
        if self.fail_loads:
            self.fail_loads -= 1
            raise ConnectionError("database unavailable")
        return await super().load(doc_id)

    def append_now(self, batch: Mapping[str, Sequence[bytes]]) -> dict[str, LogStats] | None:
        # On the spot only when nothing would hold or fail it: else through append_many.
        if not self.append_gate.is_set() or self.fail_appends:
            return None
        self.append_calls += 1
        return super().append_now(batch)

    async def append_many(self, batch: Mapping[str, Sequence[bytes]]) -> dict[str, LogStats]:
        # ``append`` comes here too: one call, one write.
        self.append_calls += 1
        self.in_flight_appends += 1
        self.max_in_flight_appends = max(self.max_in_flight_appends, self.in_flight_appends)
        try:
            await self.append_gate.wait()
            if self.fail_appends:
                self.fail_appends -= 1
                raise ConnectionError("database unavailable")
            return await super().append_many(batch)
        finally:
            self.in_flight_appends -= 1

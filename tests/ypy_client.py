"""A minimal y-websocket client in Python (pycrdt + websockets), for tests and benchmarks.

It speaks the protocol like the JS provider does: SyncStep1 on open, answers the server's
SyncStep1 with a SyncStep2, applies SyncStep2 and Update messages, records awareness and every
frame. It is *not* the interop check — that is the real Node client in ``tests/interop`` — but it
lets a test script exact frames and look at what the server sends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import websockets
from pycrdt import Doc, Text

from collab.awareness import decode_awareness_update
from collab.protocol import (
    AwarenessMessage,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode_message,
    sync_step1_message,
    sync_step2_message,
    update_message,
)

__all__ = ["YClient", "connect"]


@dataclass
class YClient:
    ws: websockets.ClientConnection
    doc: Doc
    text_name: str = "t"
    received: list[bytes] = field(default_factory=list)
    synced: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    awareness: dict[int, bytes] = field(default_factory=dict)
    sync_step2_count: int = 0
    close_code: int | None = None
    close_reason: str = ""
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    _sending_local: bool = False
    _pending: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def text(self) -> Text:
        return self.doc.get(self.text_name, type=Text)

    def __str__(self) -> str:
        return str(self.text)

    async def send(self, frame: bytes) -> None:
        await self.ws.send(frame)

    def _on_local_update(self, event: object) -> None:
        if self._sending_local:
            update: bytes = event.update  # type: ignore[attr-defined]
            frame = update_message(update)
            task = asyncio.get_running_loop().create_task(self._send_quietly(frame))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _send_quietly(self, frame: bytes) -> None:
        # A local edit made just before the socket closes is the test's to check, not a crash.
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.ws.send(frame)

    async def round_trip(self, timeout: float = 10.0) -> None:
        """Send a SyncStep1 and wait for its answer: every frame sent before it was handled."""
        if self._pending:  # local edits still on their way out go first
            await asyncio.gather(*list(self._pending))
        expected = self.sync_step2_count + 1
        await self.ws.send(sync_step1_message(self.doc.get_state()))
        await self.wait_for(lambda: self.sync_step2_count >= expected, timeout)

    def edit(self, fn: Callable[[Text], None]) -> None:
        """Change the text locally; the update goes to the server like the JS provider does."""
        self._sending_local = True
        try:
            fn(self.text)
        finally:
            self._sending_local = False

    def edit_doc(self, fn: Callable[[Doc], None]) -> None:
        """Change any shared type of the document (a proposal's sections), sent likewise."""
        self._sending_local = True
        try:
            with self.doc.transaction():
                fn(self.doc)
        finally:
            self._sending_local = False

    async def run(self) -> None:
        try:
            async for frame in self.ws:
                if isinstance(frame, str):
                    continue
                self.received.append(frame)
                message = decode_message(frame)
                if isinstance(message, SyncStep1):
                    await self.ws.send(
                        sync_step2_message(self.doc.get_update(message.state_vector))
                    )
                elif isinstance(message, SyncStep2 | SyncUpdate):
                    self.doc.apply_update(message.update)
                    if isinstance(message, SyncStep2):
                        self.sync_step2_count += 1
                        self.synced.set()
                    self.changed.set()
                elif isinstance(message, AwarenessMessage):
                    for entry in decode_awareness_update(message.update):
                        if entry.state == b"null":
                            self.awareness.pop(entry.client_id, None)
                        else:
                            self.awareness[entry.client_id] = entry.state
                    self.changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            if self.ws.close_code is not None:
                self.close_code = self.ws.close_code
                self.close_reason = self.ws.close_reason or ""
            self.closed.set()
            self.changed.set()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                if predicate():
                    return
                await self.changed.wait()


@contextlib.asynccontextmanager
async def connect(
    url: str, *, doc: Doc | None = None, sync: bool = True, text_name: str = "t", **kwargs: object
) -> AsyncIterator[YClient]:
    """Open a client; with ``sync`` it sends SyncStep1 and waits for the server's SyncStep2."""
    ws = await websockets.connect(url, max_size=None, **kwargs)  # type: ignore[arg-type]
    ydoc = doc or Doc()
    client = YClient(ws, ydoc, text_name)
    ydoc.get(text_name, type=Text)
    subscription = ydoc.observe(client._on_local_update)
    task = asyncio.create_task(client.run())
    try:
        if sync:
            await ws.send(sync_step1_message(ydoc.get_state()))
            async with asyncio.timeout(10):
                await client.synced.wait()
        yield client
    finally:
        ydoc.unobserve(subscription)
        if client._pending:
            await asyncio.gather(*client._pending, return_exceptions=True)
        await ws.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)

"""What an idle connection keeps (issue #24): the trims of ``server/ws_protocol.py`` and
``collab/lean.py`` must not cost a guarantee. A connection that never sent a frame is still
pinged, and dropped once it stops answering; one that answers stays; a close asked for by the
server still reaches a connection whose reader is waiting; limits still apply to each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from collab.protocol import sync_step1_message
from tests.conftest import ServerProcess

_WAIT = 120  # seconds: generous bounds on events, for a loaded 2-core machine


class RawClient(asyncio.Protocol):
    """A WebSocket client that sends no frame of its own; it answers pings only if told to."""

    def __init__(self, url: str, *, answer_pings: bool) -> None:
        self.ws = ClientProtocol(parse_uri(url))
        self.answer_pings = answer_pings
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pings = 0
        self.ping_seen = asyncio.Event()
        self.frames: list[Frame] = []
        self.frame_seen = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.ws.send_request(self.ws.connect())
        self._flush(always=True)

    def _flush(self, *, always: bool = False) -> None:
        out = self.ws.data_to_send()
        if (always or self.answer_pings) and self.transport is not None:
            for chunk in out:
                if chunk:
                    self.transport.write(chunk)

    def data_received(self, data: bytes) -> None:
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response) and not self.opened.done():
                self.opened.set_result(event.status_code)
            elif isinstance(event, Frame):
                self.frames.append(event)
                self.frame_seen.set()
                if event.opcode is Opcode.PING:
                    self.pings += 1
                    self.ping_seen.set()
        self._flush()  # the pongs websockets wrote for us, if we answer

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed before the handshake"))
        if not self.ended.done():
            self.ended.set_result(None)

    @property
    def close_code(self) -> int | None:
        rcvd = self.ws.close_rcvd
        return rcvd.code if rcvd is not None else None

    async def frame_where(self, test: Callable[[Frame], bool]) -> Frame:
        while True:
            for frame in self.frames:
                if test(frame):
                    return frame
            self.frame_seen.clear()
            await asyncio.wait_for(self.frame_seen.wait(), _WAIT)

    async def next_ping(self) -> None:
        self.ping_seen.clear()
        await asyncio.wait_for(self.ping_seen.wait(), _WAIT)


async def _open(port: int, url: str, *, answer_pings: bool) -> RawClient:
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(
        lambda: RawClient(url, answer_pings=answer_pings), "127.0.0.1", port
    )
    assert await asyncio.wait_for(client.opened, _WAIT) == 101
    return client


@pytest.mark.anyio
async def test_a_silent_connection_is_pinged_and_dropped_when_it_stops_answering(
    server_factory: type[ServerProcess], sqlite_url: str, doc: str
) -> None:
    srv = server_factory(sqlite_url, env_overrides={"ATELIER_WS_PING_INTERVAL": "2"})
    srv.start()
    # Neither client ever sends a data frame: no SyncStep1, nothing to wake a reader.
    dead = await _open(srv.port, srv.doc_url(doc), answer_pings=False)
    alive = await _open(srv.port, srv.doc_url(doc), answer_pings=True)
    try:
        await dead.next_ping()  # pinged, though it never sent a frame
        await asyncio.wait_for(dead.ended, _WAIT)  # … and dropped for not answering
        assert dead.close_code == 1011, dead.frames[-1:]
        assert dead.pings >= 1

        # The one that answers was pinged on each turn and is still there, pinged again.
        before = alive.pings
        await alive.next_ping()
        assert alive.pings > before >= 1
        assert not alive.ended.done()
        assert alive.close_code is None
        # It gets the room's greeting like anyone (SyncStep1 first): the socket is in the room.
        assert any(
            f.opcode is Opcode.BINARY and bytes(f.data).startswith(b"\x00\x00")
            for f in alive.frames
        )
    finally:
        for client in (dead, alive):
            if client.transport is not None:
                client.transport.abort()


@pytest.mark.anyio
async def test_limits_still_close_an_idle_reader(
    server_factory: type[ServerProcess], sqlite_url: str, doc: str
) -> None:
    """The server's own close (here: the token's end) reaches a connection that never sends a
    frame, through the waiting reader; the per-address limit still refuses the one too many."""
    srv = server_factory(
        sqlite_url,
        env_overrides={
            "ATELIER_WS_PING_INTERVAL": "3600",
            "ATELIER_WS_CONNECTIONS_PER_ADDRESS": "2",
        },
    )
    srv.start()
    expiring = await _open(
        srv.port, srv.doc_url(doc, token=srv.grant(doc, ttl=8)), answer_pings=True
    )
    staying = await _open(srv.port, srv.doc_url(doc), answer_pings=True)
    third: RawClient | None = None
    try:
        # Two idle sockets from this address: the third is refused with 1008.
        third = await _open(srv.port, srv.doc_url(doc), answer_pings=True)
        await asyncio.wait_for(third.ended, _WAIT)
        assert third.close_code == 1008, (third.ws.close_rcvd, third.frames[-2:])

        # The token's end closes the idle one, whose reader was waiting for a frame.
        await asyncio.wait_for(expiring.ended, _WAIT)
        assert expiring.close_code == 4401, expiring.ws.close_rcvd
        assert expiring.ws.close_rcvd is not None
        assert expiring.ws.close_rcvd.reason == "token expired"
        assert not staying.ended.done()

        # And the ones still there still sync: SyncStep1 in, SyncStep2 back.
        staying.ws.send_binary(sync_step1_message(b"\x00"))
        staying._flush(always=True)
        await staying.frame_where(
            lambda f: f.opcode is Opcode.BINARY and bytes(f.data).startswith(b"\x00\x01")
        )
    finally:
        for client in (expiring, staying, third):
            if client is not None and client.transport is not None:
                client.transport.abort()

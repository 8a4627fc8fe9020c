"""A client that stops reading costs the server a bounded number of bytes, whatever the size of
the edits (``ATELIER_MAX_QUEUED_BYTES``): past it, it is closed with 1013 to reconnect and resync,
while the clients that read get every edit."""

from __future__ import annotations

import asyncio
import struct

import pytest

from collab.protocol import update_message
from tests.collab.helpers import text_updates
from tests.conftest import ServerProcess
from tests.server.test_direct_write import _stalled_client
from tests.ypy_client import connect

pytestmark = pytest.mark.anyio

_EDITS, _CHUNK = 30, 200_000  # 6 MB: past a loopback socket's buffers, and the bound


def _close_frame(wire: bytes) -> tuple[int, str] | None:
    """The code and reason of the close frame among the server's frames, if it got out whole."""
    at = 0
    while at + 2 <= len(wire):
        opcode, length = wire[at] & 0x0F, wire[at + 1] & 0x7F
        at += 2
        if length == 126:
            (length,) = struct.unpack_from("!H", wire, at)
            at += 2
        elif length == 127:
            (length,) = struct.unpack_from("!Q", wire, at)
            at += 8
        payload = wire[at : at + length]
        at += length
        if opcode == 0x8 and len(payload) == length:
            return struct.unpack_from("!H", payload)[0], payload[2:].decode()
    return None


async def test_a_client_that_never_reads_is_closed_past_its_byte_bound(
    server_factory: type[ServerProcess], sqlite_url: str, doc: str
) -> None:
    srv = server_factory(
        sqlite_url,
        env_overrides={
            "ATELIER_MAX_QUEUED_BYTES": str(1024 * 1024),
            "ATELIER_WS_PING_INTERVAL": "120",  # no keepalive timeout within this test
            "ATELIER_MAX_DOCUMENT_BYTES": "0",
            "ATELIER_WS_MESSAGES_PER_SECOND": "0",
        },
    )
    srv.start()
    stalled = await _stalled_client(srv.port, f"/ws/docs/{doc}?token={srv.grant(doc)}")
    updates = text_updates(*[(i * _CHUNK, chr(97 + i % 26) * _CHUNK) for i in range(_EDITS)])
    expected = "".join(chr(97 + i % 26) * _CHUNK for i in range(_EDITS))
    sent = sum(len(update_message(u)) for u in updates)
    async with connect(srv.doc_url(doc)) as writer, connect(srv.doc_url(doc)) as watcher:
        for update in updates:
            await writer.ws.send(update_message(update))
        await writer.round_trip(timeout=30)
        await watcher.wait_for(lambda: str(watcher) == expected, timeout=30)
        assert not watcher.closed.is_set()
        assert not writer.closed.is_set()

    # The stalled client reads again: what the server kept for it, then the end of the
    # connection — its close (1013), or, once the close could not be sent for a few seconds,
    # the connection cut. Before the byte bound, nothing ended it: this read never finished.
    loop = asyncio.get_running_loop()
    wire = bytearray()
    async with asyncio.timeout(30):
        while chunk := await loop.sock_recv(stalled, 1 << 20):
            wire += chunk
    stalled.close()
    assert len(wire) < sent  # frames were dropped: it resyncs when it reconnects
    close = _close_frame(bytes(wire))
    assert close in (None, (1013, "client too slow, reconnect"))
    async with connect(srv.doc_url(doc)) as again:  # and it would find everything there
        assert str(again) == expected

"""The direct write of broadcast frames (``server/ws_protocol.py``): the bytes it puts on the
wire are the frames websockets itself would send, and a client that stops reading holds up
neither the room nor the server, and is dropped."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket

import pytest
from websockets.frames import Frame, Opcode

from collab.protocol import update_message
from server.ws_protocol import binary_frame
from tests.collab.helpers import text_updates
from tests.conftest import ServerProcess
from tests.ypy_client import connect

_EDITS, _CHUNK = 240, 25_000


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65_535, 65_536, 200_000])
def test_a_frame_is_what_websockets_would_send(length: int) -> None:
    payload = os.urandom(length)
    assert binary_frame(payload) == Frame(Opcode.BINARY, payload).serialize(
        mask=False, extensions=[]
    )


async def _stalled_client(port: int, path: str) -> socket.socket:
    """A client that completes the handshake, then never reads: a phone that froze."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: small window
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += await loop.sock_recv(sock, 1)  # one byte at a time: leave frames unread
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


@pytest.mark.anyio
async def test_a_client_that_stops_reading_is_dropped_and_the_room_goes_on(
    server_factory: type[ServerProcess], sqlite_url: str, doc: str
) -> None:
    """Every step waits for an event, never for time: on a loaded machine it takes longer and
    passes all the same (it used to rely on 1 s pings, which the writer and the watcher, busy
    applying 6 MB, could miss as well as the stalled client)."""
    srv = server_factory(
        sqlite_url,
        env_overrides={
            "ATELIER_MAX_QUEUED_FRAMES": "20",
            # The queue's bound drops the stalled client; pings play no part, so that a busy
            # test process cannot be dropped for answering them late.
            "ATELIER_WS_PING_INTERVAL": "3600",
            "ATELIER_MAX_DOCUMENT_BYTES": "0",
            "ATELIER_WS_MESSAGES_PER_SECOND": "0",
        },
    )
    srv.start()
    token = srv.grant(doc)
    stalled = await _stalled_client(srv.port, f"/ws/docs/{doc}?token={token}")
    updates = text_updates(*[(i * _CHUNK, "x" * _CHUNK) for i in range(_EDITS)])
    async with connect(srv.doc_url(doc)) as writer, connect(srv.doc_url(doc)) as watcher:
        for update in updates:  # 6 MB: more than the kernel buffers of a loopback socket
            await writer.ws.send(update_message(update))
            # Answered once the update is stored and broadcast: one frame each for the stalled
            # client (edits sent at once could be merged into fewer frames than its bound).
            await writer.round_trip(timeout=120)
        await watcher.wait_for(lambda: len(watcher.text) == _EDITS * _CHUNK, timeout=120)
        assert writer.close_code is None
        assert watcher.close_code is None

    # The server gave up on the stalled client (more than ATELIER_MAX_QUEUED_FRAMES frames
    # waited for it): what it was sent ends in EOF, or a reset if it was aborted.
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(120):
        with contextlib.suppress(ConnectionResetError):
            while await loop.sock_recv(stalled, 65536):
                pass
    stalled.close()

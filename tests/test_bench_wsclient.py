"""The load generator's WebSocket client reads every frame a server may send, whichever parser
reads it: its own fast path (whole binary frames) or ``websockets`` (everything else)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.frames import Frame, Opcode

from bench import wsclient

pytestmark = pytest.mark.anyio

#: Payload sizes across the three length encodings (7 bits, 16 bits, 64 bits), and empty.
SIZES = [0, 1, 125, 126, 127, 65535, 65536, 200_000]


def payload(i: int, size: int) -> bytes:
    return bytes((i + k) % 251 for k in range(size))


async def mixed_stream(conn: ServerConnection) -> None:
    """Binary frames of every size, with what the fast path must hand over in between: pings,
    a text frame, a fragmented binary message; then the expected total, then a close."""
    sent = 0
    for i, size in enumerate(SIZES):
        await conn.send(payload(i, size))
        sent += 1
        if i == 2:
            await conn.ping(b"are you there")
        if i == 4:
            await conn.send("a text frame, ignored")
        if i == 5:
            await conn.send([b"frag", b"mented", b" message"])  # one message, three frames
            sent += 1
    # Many small frames at once: several in one read, some split across reads.
    burst = [payload(i, 40 + i % 90) for i in range(300)]
    for frame in burst:
        await conn.send(frame)
    sent += len(burst)
    await conn.send(str(sent))
    await conn.wait_closed()


@pytest.fixture
async def server_url() -> AsyncIterator[str]:
    async with serve(mixed_stream, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/"


async def test_every_binary_message_arrives_whole_and_in_order(server_url: str) -> None:
    expected = [payload(i, size) for i, size in enumerate(SIZES)]
    expected.insert(6, b"fragmented message")
    expected += [payload(i, 40 + i % 90) for i in range(300)]
    received: list[bytes] = []
    all_there = asyncio.Event()

    def on_message(message: bytes) -> None:
        received.append(message)
        if len(received) == len(expected):
            all_there.set()

    sock = await wsclient.connect(server_url, on_message, deflate=False)
    parsed_by_websockets = 0
    receive_data = sock.ws.receive_data

    def counting(data: bytes) -> None:
        nonlocal parsed_by_websockets
        parsed_by_websockets += len(data)
        receive_data(data)

    sock.ws.receive_data = counting  # type: ignore[method-assign]
    await asyncio.wait_for(all_there.wait(), 10)
    await sock.close()
    assert [len(m) for m in received] == [len(m) for m in expected]
    assert received == expected
    assert sock.close_code == 1000
    assert sock.handler_errors == 0
    # The fast path read the binary frames; websockets, what it handed over around the others.
    assert parsed_by_websockets < sum(map(len, expected)) / 4


async def test_a_frame_split_anywhere_is_reassembled() -> None:
    """Feeding a stream byte by byte (the worst split) delivers the same messages."""
    received: list[bytes] = []
    sock = wsclient.LeanSocket("ws://127.0.0.1:9/", False, received.append)
    sock._fast = True  # as after a handshake without extensions
    frames = [payload(i, size) for i, size in enumerate(SIZES[:6])]
    stream = b"".join(Frame(Opcode.BINARY, f).serialize(mask=False, extensions=[]) for f in frames)
    for k in range(len(stream)):
        sock.data_received(stream[k : k + 1])
    assert received == frames

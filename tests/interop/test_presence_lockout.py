"""No one can lock a document's real clients out by filling its presence (issue 23, finding 2).

An observer with the join code alone opened 130 sockets on a document, each announcing 8
presence ids: the room held 1,040 states, and every real y-websocket client that opened the
document echoed them back and was closed for good (4413). Now a connection publishes one id,
and a room holds at most ``ATELIER_MAX_AWARENESS_STATES`` states, whoever sends them: a real
client that echoes a full room is never refused.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
import websockets
from pycrdt import write_var_uint

from collab.protocol import awareness_message, sync_step1_message, var_string
from tests.conftest import ServerProcess
from tests.interop.test_yjs_clients import clients, insert_and_wait_echo
from tests.interop.yclient import NODE_MODULES_READY

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.interop,
    pytest.mark.skipif(not NODE_MODULES_READY, reason="npm ci --prefix tests/interop"),
]

ROOM_STATES = 20


def presence(*client_ids: int) -> bytes:
    entries = b"".join(
        write_var_uint(cid) + write_var_uint(1) + var_string('{"user":{"name":"Maire"}}')
        for cid in client_ids
    )
    return awareness_message(write_var_uint(len(client_ids)) + entries)


async def announce(url: str, client_ids: list[int]) -> tuple[websockets.ClientConnection, str]:
    """Open a read-only socket and publish ``client_ids``; once the server has handled it (its
    answer to a SyncStep1 sent afterwards, or its close), say which: ``kept`` or the close."""
    # max_queue=None: a socket that reads nothing more must still take its close handshake.
    socket = await websockets.connect(url, max_size=None, max_queue=None)
    await socket.send(presence(*client_ids))
    await socket.send(sync_step1_message(b"\x00"))
    try:
        while True:
            frame = await asyncio.wait_for(socket.recv(), 10)
            if isinstance(frame, bytes) and frame[:2] == b"\x00\x01":  # SyncStep2
                return socket, "kept"
    except websockets.ConnectionClosed as closed:
        return socket, f"{closed.rcvd.code} {closed.rcvd.reason}" if closed.rcvd else "closed"


async def test_sockets_that_fill_a_document_s_presence_lock_no_real_client_out(
    server_factory: type[ServerProcess], sqlite_url: str, doc: str
) -> None:
    server = server_factory(
        sqlite_url, env_overrides={"ATELIER_MAX_AWARENESS_STATES": str(ROOM_STATES)}
    )
    server.start()
    observer = server.doc_url(doc, "r")
    async with contextlib.AsyncExitStack() as stack:

        async def attack(ids: list[list[int]]) -> set[str]:
            opened = await asyncio.gather(*(announce(observer, each) for each in ids))
            for socket, _ in opened:
                stack.push_async_callback(socket.close)
            return {outcome for _, outcome in opened}

        # The finding's attack: 130 sockets of 8 ids each …
        eight = [list(range(10_000 + 8 * n, 10_008 + 8 * n)) for n in range(130)]
        assert await attack(eight) == {"4413 awareness: 8 client ids from one connection exceed 1"}
        # … and its next try: one id a socket, more sockets than the room holds.
        assert await attack([[50_000 + n] for n in range(ROOM_STATES + 10)]) == {"kept"}
        # Real y-websocket clients open the document, see at most a full room, write, and see
        # each other's writing; neither is ever closed.
        async with clients(server, doc, 2, log_frames=True) as (ann, bob):
            await ann.set_awareness({"user": {"name": "Ann"}})
            await insert_and_wait_echo(ann, 0, "Bonjour")
            await bob.wait_text("Bonjour")
            await insert_and_wait_echo(bob, 7, " à toutes et à tous")
            await ann.wait_text("Bonjour à toutes et à tous")
            assert len(await bob.awareness()) <= ROOM_STATES + 1  # the room's, and its own
            for client in (ann, bob):
                assert client.events_named("connection-close") == [], client.describe()

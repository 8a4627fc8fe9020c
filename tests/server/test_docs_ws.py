"""The /ws/docs endpoint of a real server process (uvicorn), driven by a Python client."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

import pytest
import websockets
from pycrdt import Doc

from collab.protocol import SyncStep1, SyncStep2, decode_message, sync_step1_message, update_message
from server.auth import COOKIE_NAME
from tests.collab.helpers import text_updates
from tests.conftest import ServerProcess
from tests.ypy_client import connect

pytestmark = pytest.mark.anyio


async def closed_with(
    url: str, *, frames: list[bytes | str] = (), **kw: object
) -> tuple[int, str, list[bytes]]:
    """Connect, send ``frames``, and return the close code, reason and frames received."""
    received: list[bytes] = []
    async with websockets.connect(url, max_size=None, **kw) as ws:  # type: ignore[arg-type]
        for frame in frames:
            await ws.send(frame)
        try:
            async with asyncio.timeout(10):
                async for message in ws:
                    received.append(message)  # type: ignore[arg-type]
        except websockets.ConnectionClosed:
            pass
        return ws.close_code or 0, ws.close_reason or "", received


class TestAccess:
    async def test_no_token_closes_with_4401_after_a_permission_denied_message(
        self, shared_server: ServerProcess, doc: str
    ) -> None:
        code, reason, received = await closed_with(f"{shared_server.ws_base}/{doc}")
        assert (code, reason) == (4401, "no token")
        assert received == [b"\x02\x00\x08no token"]

    async def test_a_forged_token_closes_with_4401(
        self, shared_server: ServerProcess, doc: str
    ) -> None:
        from server.auth import mint_grant

        forged = mint_grant("another-key-of-sufficient-length-000000", doc, "rw", "eve", 60)
        code, reason, _ = await closed_with(shared_server.doc_url(doc, token=forged))
        assert (code, reason) == (4401, "invalid token")

    async def test_an_expired_token_closes_with_4401(
        self, shared_server: ServerProcess, doc: str
    ) -> None:
        code, reason, _ = await closed_with(
            shared_server.doc_url(doc, token=shared_server.grant(doc, ttl=-5))
        )
        assert (code, reason) == (4401, "token expired")

    async def test_a_connection_ends_with_4401_when_its_token_expires(
        self, shared_server: ServerProcess, doc: str
    ) -> None:
        # Checked once at the door, a token would otherwise keep its write access for as long
        # as the socket lives; it lives no longer than the token, which the client must renew.
        short = shared_server.grant(doc, ttl=2)
        async with connect(shared_server.doc_url(doc, token=short)) as ana:
            ana.edit(lambda text: text.insert(0, "avant"))
            await ana.round_trip()
            await asyncio.wait_for(ana.closed.wait(), 10)
            assert ana.close_code == 4401
        async with connect(shared_server.doc_url(doc)) as bruno:  # what was written stays
            assert str(bruno) == "avant"

    async def test_a_grant_for_another_document_closes_with_4403(
        self, shared_server: ServerProcess, doc: str
    ) -> None:
        code, _, _ = await closed_with(
            shared_server.doc_url(doc, token=shared_server.grant(doc + "-other"))
        )
        assert code == 4403

    async def test_an_invalid_document_id_is_refused(
        self, shared_server: ServerProcess, doc: str
    ) -> None:
        for bad in ("-leading-dash", "x" * 201, "semi;colon"):
            code, reason, _ = await closed_with(
                f"{shared_server.ws_base}/{bad}?token={shared_server.grant(bad)}"
            )
            assert (code, reason) == (4400, "invalid document id")

    async def test_the_token_may_come_as_a_cookie_or_a_bearer_header(
        self, shared_server: ServerProcess, doc: str
    ) -> None:
        token = shared_server.grant(doc)
        cookie = {"Cookie": f"{COOKIE_NAME}={token}"}
        async with connect(f"{shared_server.ws_base}/{doc}", additional_headers=cookie) as c:
            assert c.synced.is_set()
        bearer = {"Authorization": f"Bearer {token}"}
        async with connect(f"{shared_server.ws_base}/{doc}", additional_headers=bearer) as c:
            assert c.synced.is_set()

    async def test_a_read_only_client_syncs_but_cannot_write(
        self, shared_server: ServerProcess, doc: str
    ) -> None:
        async with connect(shared_server.doc_url(doc)) as writer:
            writer.edit(lambda t: t.insert(0, "official"))
            await writer.wait_for(
                lambda: len([f for f in writer.received if f[:2] == b"\x00\x02"]) >= 1
            )
            async with connect(shared_server.doc_url(doc, "r")) as reader:
                assert str(reader) == "official"
                reader.edit(lambda t: t.insert(0, "graffiti "))
                await reader.send(update_message(text_updates((0, "more"), client_id=5)[0]))
                # A later sync round trip proves the server processed the frames above.
                await reader.send(sync_step1_message(Doc().get_state()))
                await reader.wait_for(
                    lambda: sum(f[:2] == b"\x00\x01" for f in reader.received) >= 2
                )
        async with connect(shared_server.doc_url(doc)) as fresh:
            assert str(fresh) == "official"


class TestProtocol:
    async def test_the_server_speaks_first_with_sync_step1_and_answers_with_sync_step2(
        self, shared_server: ServerProcess, doc: str
    ) -> None:
        async with connect(shared_server.doc_url(doc)) as c:
            first, second = c.received[:2]
            assert first == bytes.fromhex("00 00 01 00")
            assert second == bytes.fromhex("00 01 02 00 00")

    async def test_concurrent_edits_converge(self, shared_server: ServerProcess, doc: str) -> None:
        async with (
            connect(shared_server.doc_url(doc)) as a,
            connect(shared_server.doc_url(doc)) as b,
        ):
            a.edit(lambda t: t.insert(0, "AAA"))
            b.edit(lambda t: t.insert(0, "BBB"))
            await a.wait_for(lambda: len(str(a)) == 6)
            await b.wait_for(lambda: len(str(b)) == 6)
            assert str(a) == str(b)
            assert sorted(str(a)) == sorted("AAABBB")


class TestBadInput:
    async def test_a_text_frame_closes_with_1003(
        self, shared_server: ServerProcess, doc: str
    ) -> None:
        code, _, _ = await closed_with(shared_server.doc_url(doc), frames=["hello"])
        assert code == 1003

    async def test_an_undecodable_frame_closes_only_that_connection(
        self, shared_server: ServerProcess, doc: str
    ) -> None:
        async with (
            connect(shared_server.doc_url(doc)) as good,
            connect(shared_server.doc_url(doc + "-other")) as elsewhere,
        ):
            for bad in (
                b"\x00\x02\x05\x01\x02\x03\x04\x05",
                b"\x09",
                b"",
                b"\x00\x02\xff\xff\xff\xff\x0f",
            ):
                code, _, _ = await closed_with(shared_server.doc_url(doc), frames=[bad])
                assert code == 1007, bad
            good.edit(lambda t: t.insert(0, "still alive"))
            await good.wait_for(lambda: any(f[:2] == b"\x00\x02" for f in good.received))
            elsewhere.edit(lambda t: t.insert(0, "me too"))
            await elsewhere.wait_for(lambda: any(f[:2] == b"\x00\x02" for f in elsewhere.received))
        async with connect(shared_server.doc_url(doc)) as again:
            assert str(again) == "still alive"

    async def test_an_oversized_frame_closes_with_1009(
        self, server_factory: type[ServerProcess], sqlite_url: str, doc: str
    ) -> None:
        srv = server_factory(sqlite_url, env_overrides={"ATELIER_MAX_FRAME_BYTES": "1024"})
        srv.start()
        code, _, _ = await closed_with(
            srv.doc_url(doc), frames=[b"\x00\x02" + b"\x80\x10" + b"x" * 2048]
        )
        assert code == 1009
        async with connect(srv.doc_url(doc)) as c:
            assert c.synced.is_set()


async def test_a_document_that_cannot_be_loaded_closes_with_a_retryable_code(
    server_factory: type[ServerProcess], sqlite_url: str, doc: str
) -> None:
    # A database at the head of its migrations that lost its documents' tables (a restore gone
    # wrong): the server starts (it sees nothing to migrate) and loading any document fails.
    path = sqlite_url.split("///", 1)[1]
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executescript("DROP TABLE document_updates; DROP TABLE documents;")
    srv = server_factory(sqlite_url)
    srv.start()
    code, reason, received = await closed_with(srv.doc_url(doc))
    assert (code, reason) == (1013, "document unavailable, retry")
    assert not any(frame[:1] == b"\x00" for frame in received)  # no sync before a load


async def test_the_server_answers_each_sync_step1_even_when_nothing_is_missing(
    shared_server: ServerProcess, doc: str
) -> None:
    async with websockets.connect(shared_server.doc_url(doc)) as ws:
        first = decode_message(await ws.recv())  # type: ignore[arg-type]
        assert isinstance(first, SyncStep1)
        for _ in range(3):
            await ws.send(sync_step1_message(Doc().get_state()))
            reply = decode_message(await ws.recv())  # type: ignore[arg-type]
            assert isinstance(reply, SyncStep2)
            assert reply.update == b"\x00\x00"


async def test_grants_never_reach_the_server_log(shared_server: ServerProcess, doc: str) -> None:
    token = shared_server.grant(doc)
    async with connect(shared_server.doc_url(doc, token=token)) as client:
        await client.round_trip()
    assert shared_server.log_path is not None
    log = shared_server.log_path.read_text()
    assert token not in log
    # At the default level, opening a socket writes no line at all: two per participant
    # joining cost the server a fifth of a connection (bench/RESULTS.md §15). At DEBUG the
    # line is written, its URL redacted (test_security.py).
    assert f"/ws/docs/{doc}" not in log

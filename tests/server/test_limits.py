"""Every limit of a real server process, each refusal with its code and reason: connections per
address, frames per second, document size, awareness state size, request bodies. Whoever stays
within the limits keeps working, and loses nothing.

The server trusts ``X-Forwarded-For`` from loopback (the default ``ATELIER_FORWARDED_ALLOW_IPS``),
so each test speaks from an address of its own, and counts from no one else's.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import os
from collections.abc import Iterator, Sequence

import httpx
import pytest
import websockets
from PIL import Image
from pycrdt import Doc, Text, write_var_uint

from collab.protocol import awareness_message, update_message, var_string
from server.guards import TOO_MANY_CONNECTIONS, TOO_MANY_MESSAGES
from tests.conftest import ServerProcess, migrated_database
from tests.server.test_ateliers_api import ATELIER, Room
from tests.server.test_live_channel import follow_url
from tests.ypy_client import YClient, connect

pytestmark = pytest.mark.anyio

LIMITS = {
    "ATELIER_WS_CONNECTIONS_PER_ADDRESS": "4",
    "ATELIER_WS_MESSAGES_PER_SECOND": "20",
    "ATELIER_WS_MESSAGE_BURST": "40",
    "ATELIER_WS_FLOOD_SECONDS": "2",  # held back that long: a flood, closed
    "ATELIER_MAX_DOCUMENT_BYTES": "20000",
    "ATELIER_MAX_AWARENESS_STATE_BYTES": "1024",
    "ATELIER_MAX_REQUEST_BODY_BYTES": "4096",
}
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("limited")
    with (
        migrated_database("sqlite", folder) as url,
        ServerProcess(url, env_overrides=LIMITS, log_path=folder / "server.log").running() as srv,
    ):
        yield srv


@pytest.fixture
def address() -> dict[str, dict[str, str]]:
    """Connection options that make the client speak from an address no other test uses."""
    return {"additional_headers": {"X-Forwarded-For": next(_addresses)}}


async def closed(url: str, frames: Sequence[bytes | str] = (), **kw: object) -> tuple[int, str]:
    """Connect, send ``frames``, read until the server closes; its code and reason."""
    async with websockets.connect(url, max_size=None, **kw) as ws:  # type: ignore[arg-type]
        with contextlib.suppress(websockets.ConnectionClosed):
            for frame in frames:
                await ws.send(frame)
        with contextlib.suppress(websockets.ConnectionClosed):
            async with asyncio.timeout(10):
                async for _ in ws:
                    pass
        return ws.close_code or 0, ws.close_reason or ""


async def admitted_again(url: str, **kw: object) -> None:
    """Wait until the server has released the connections just closed: it does so once their
    handlers end, a moment after the closing handshake, and nothing outside shows that moment."""
    async with asyncio.timeout(10):
        while True:
            async with websockets.connect(url, **kw) as ws:  # type: ignore[arg-type]
                try:
                    await ws.recv()  # the greeting (SyncStep1): admitted
                    return
                except websockets.ConnectionClosed:
                    assert (ws.close_code, ws.close_reason) == (1008, TOO_MANY_CONNECTIONS)
            await asyncio.sleep(0.02)


def typed(client: YClient, text: str) -> None:
    client.edit(lambda t: t.insert(len(t), text))


def wrong_code(http: httpx.Client, forwarded_for: str) -> int:
    """The status of a lookup of an unknown join code, sent as if forwarded for an address."""
    return http.get("/api/join/ZZZZZZZZ", headers={"X-Forwarded-For": forwarded_for}).status_code


class TestClientAddress:
    def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_join_guard(
        self, limited: ServerProcess
    ) -> None:
        first, second = next(_addresses), next(_addresses)
        with httpx.Client(base_url=limited.http, timeout=10) as http:
            # ATELIER_JOIN_FAILURES_PER_MINUTE is 20
            assert [wrong_code(http, first) for _ in range(21)] == [404] * 20 + [429]
            assert wrong_code(http, second) == 404

    async def test_a_forwarded_address_from_an_untrusted_peer_is_ignored_by_every_limit(
        self, server_factory: type[ServerProcess], sqlite_url: str, doc: str
    ) -> None:
        srv = server_factory(
            sqlite_url,
            env_overrides={
                "ATELIER_FORWARDED_ALLOW_IPS": "",
                "ATELIER_JOIN_FAILURES_PER_MINUTE": "2",
                "ATELIER_WS_CONNECTIONS_PER_ADDRESS": "2",
            },
        )
        srv.start()
        with httpx.Client(base_url=srv.http, timeout=10) as http:
            assert [wrong_code(http, f"192.0.2.{n}") for n in range(3)] == [404, 404, 429]
        spoofed = [{"additional_headers": {"X-Forwarded-For": f"192.0.2.{n}"}} for n in range(3)]
        async with connect(srv.doc_url(doc), **spoofed[0]), connect(srv.doc_url(doc), **spoofed[1]):
            assert await closed(srv.doc_url(doc), **spoofed[2]) == (1008, TOO_MANY_CONNECTIONS)


class TestConnectionsPerAddress:
    async def test_one_more_than_the_limit_is_closed_with_1008_other_addresses_are_not(
        self, limited: ServerProcess, doc: str, address: dict[str, dict[str, str]]
    ) -> None:
        url = limited.doc_url(doc)
        with httpx.Client(base_url=limited.http, timeout=10) as http:
            room = Room(http)
        session_url = follow_url(limited, room.session["id"], room.facilitator)
        async with contextlib.AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(connect(url, **address)) for _ in range(3)]
            # The séance channel counts too: the fourth connection of this address.
            follower = await stack.enter_async_context(websockets.connect(session_url, **address))
            assert '"snapshot"' in await follower.recv()
            assert await closed(url, **address) == (1008, TOO_MANY_CONNECTIONS)
            assert await closed(session_url, **address) == (1008, TOO_MANY_CONNECTIONS)
            async with connect(url, additional_headers={"X-Forwarded-For": "203.0.113.5"}) as c:
                assert c.synced.is_set()
            typed(clients[0], "still here")  # the admitted ones are served as before
            await clients[2].wait_for(lambda: str(clients[2]) == "still here")
        await admitted_again(url, **address)  # closing frees the address's places


class TestFramesPerSecond:
    async def test_a_burst_within_the_allowance_is_served(
        self, limited: ServerProcess, doc: str, address: dict[str, dict[str, str]]
    ) -> None:
        async with connect(limited.doc_url(doc), **address) as quick:
            for n in range(30):  # plus the handshake's two frames and a round trip: 33 <= 40
                typed(quick, str(n % 10))
            await quick.round_trip()
            assert not quick.closed.is_set()

    async def test_a_flooding_client_is_closed_with_1008_and_the_others_lose_nothing(
        self, limited: ServerProcess, doc: str, address: dict[str, dict[str, str]]
    ) -> None:
        url = limited.doc_url(doc)
        flood_doc = Doc(client_id=666)
        flood_updates: list[bytes] = []
        flood_doc.observe(lambda event: flood_updates.append(event.update))
        flood_text = flood_doc.get("t", type=Text)
        for _ in range(300):
            flood_text.insert(0, "!")
        async with connect(url, **address) as ana, connect(url, **address) as bruno:
            typed(ana, "Ana ")
            flooding = asyncio.create_task(
                closed(url, [update_message(u) for u in flood_updates], **address)
            )
            for word in ("écrit ", "pendant ", "le ", "flot "):
                typed(bruno, word)
                await asyncio.sleep(0)  # interleaved with the flood
            assert await flooding == (1008, TOO_MANY_MESSAGES)
            typed(ana, "et après.")
            expected = ("Ana ", "écrit pendant le flot ", "et après.")
            for client in (ana, bruno):
                await client.wait_for(
                    lambda c=client: all(part in str(c).replace("!", "") for part in expected)
                )
            assert str(ana) == str(bruno)
            assert str(ana).count("!") < 300  # the flood was cut short
        async with connect(url) as fresh:
            assert str(fresh) == str(ana)

    async def test_the_seance_channel_closes_a_flooding_follower_with_1008(
        self, limited: ServerProcess, address: dict[str, dict[str, str]]
    ) -> None:
        with httpx.Client(base_url=limited.http, timeout=10) as http:
            room = Room(http)
        url = follow_url(limited, room.session["id"], room.facilitator)
        assert await closed(url, ["{}"] * 100, **address) == (1008, TOO_MANY_MESSAGES)


class TestSizes:
    async def test_an_update_that_would_pass_the_document_limit_closes_its_sender_with_4413(
        self, limited: ServerProcess, doc: str, address: dict[str, dict[str, str]]
    ) -> None:
        url = limited.doc_url(doc)
        async with connect(url, **address) as ana, connect(url, **address) as bruno:
            typed(ana, "a" * 5000)
            await bruno.wait_for(lambda: len(str(bruno)) == 5000)
            async with connect(url, **address) as eve:
                typed(eve, "e" * 30000)
                await eve.closed.wait()
            assert eve.close_code == 4413
            assert eve.close_reason.startswith("document too large")
            assert eve.close_reason.endswith("would exceed 20000")
            typed(bruno, "b" * 100)
            await ana.wait_for(lambda: str(ana).endswith("b" * 100))
            assert "e" not in str(ana) + str(bruno)
        async with connect(url) as fresh:
            assert str(fresh) == "a" * 5000 + "b" * 100

    async def test_an_awareness_state_past_its_limit_closes_its_sender_with_4413(
        self, limited: ServerProcess, doc: str, address: dict[str, dict[str, str]]
    ) -> None:
        def presence(client_id: int, state: str) -> bytes:
            entry = write_var_uint(client_id) + write_var_uint(1) + var_string(state)
            return awareness_message(write_var_uint(1) + entry)

        url = limited.doc_url(doc)
        async with connect(url, **address) as ana:
            big = presence(66, '{"user":"' + "e" * 2000 + '"}')
            code, reason = await closed(url, [big], **address)
            assert (code, reason) == (4413, "awareness state of 2011 bytes exceeds 1024")
            await ana.send(presence(11, '{"user":"Ana"}'))
            await ana.wait_for(lambda: 11 in ana.awareness)
            assert 66 not in ana.awareness

    async def test_an_awareness_update_of_too_many_states_closes_its_sender_with_4413(
        self, limited: ServerProcess, doc: str, address: dict[str, dict[str, str]]
    ) -> None:
        # Tiny states past what a room of 1000 could echo (twice it, and the sender's own): one
        # frame like this, 16 MB long, used to hold the server a minute.
        entries = b"".join(write_var_uint(cid) + b"\x01\x02{}" for cid in range(1, 2003))
        many = awareness_message(write_var_uint(2002) + entries)
        code, reason = await closed(limited.doc_url(doc), [many], **address)
        assert (code, reason) == (4413, "awareness update of 2002 states exceeds 2001")

    def test_a_request_body_past_the_limit_gets_413_problem_details(
        self, limited: ServerProcess
    ) -> None:
        with httpx.Client(base_url=limited.http, timeout=10) as http:
            big = {**ATELIER, "charter_text": "x" * 5000}
            refused = http.post("/api/ateliers", json=big, headers={"accept-language": "en"})
            assert refused.status_code == 413
            assert refused.headers["content-type"].startswith("application/problem+json")
            problem = refused.json()
            assert (problem["code"], problem["max_bytes"]) == ("request_too_large", 4096)
            assert problem["detail"] == "Request body too large (4096 bytes at most)."
            assert problem["detail_fr"] == "Requête trop volumineuse (4096 octets au plus)."
            # Without a Content-Length (chunked), the bytes read are counted as they come.
            streamed = http.post(
                "/api/ateliers",
                content=iter([b'{"title": "', b"x" * 5000, b'"}']),
                headers={"content-type": "application/json"},
            )
            assert streamed.status_code == 413
            staff = {"authorization": f"Bearer {limited.staff_token()}"}
            created = http.post("/api/ateliers", json=ATELIER, headers=staff)
            assert created.status_code == 201, created.text
            # A route with its own limit keeps it: the atelier's image (2 MB).
            image = http.put(
                f"/api/ateliers/{created.json()['atelier']['id']}/image",
                content=noise_png(),
                headers={"authorization": f"Bearer {created.json()['facilitator']['token']}"},
            )
            assert image.status_code == 200, image.text


def noise_png() -> bytes:
    """A real PNG past 4 KB (noise does not compress)."""
    out = io.BytesIO()
    Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3)).save(out, format="PNG")
    assert len(out.getvalue()) > 4096
    return out.getvalue()


async def test_a_connection_is_one_room_by_construction(
    limited: ServerProcess, doc: str, address: dict[str, dict[str, str]]
) -> None:
    # The path names the document and no message names another: there is no second room a
    # connection could join, so "rooms per connection" is 1 without a setting.
    async with (
        connect(limited.doc_url(doc), **address) as here,
        connect(limited.doc_url(doc + "-elsewhere"), **address) as elsewhere,
    ):
        typed(here, "only here")
        await here.wait_for(lambda: str(here) == "only here")
        await elsewhere.round_trip()
        assert str(elsewhere) == ""

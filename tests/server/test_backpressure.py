"""A client sending faster than its allowance of frames is slowed down, not cut off: the server
stops reading its socket until the allowance is back (TCP makes the client wait), so a real
y-websocket client bursting far past the rate keeps its connection and has every update applied.
Only a client held back without a break for ``ATELIER_WS_FLOOD_SECONDS`` is closed (1008), and
even then loses nothing: it reconnects and resyncs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from server.guards import TOO_MANY_MESSAGES
from tests.conftest import ServerProcess, migrated_database
from tests.interop.yclient import NODE_MODULES_READY, NodeClient
from tests.ypy_client import connect

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.interop,
    pytest.mark.skipif(
        not NODE_MODULES_READY, reason="Node packages missing: npm ci --prefix tests/interop"
    ),
]

RATE, BURST, FLOOD_SECONDS = 50, 10, 3
THROTTLED = {
    "ATELIER_WS_MESSAGES_PER_SECOND": str(RATE),
    "ATELIER_WS_MESSAGE_BURST": str(BURST),
    "ATELIER_WS_FLOOD_SECONDS": str(FLOOD_SECONDS),
}


@pytest.fixture(scope="module")
def throttled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("throttled")
    with (
        migrated_database("sqlite", folder) as url,
        ServerProcess(
            url, env_overrides=THROTTLED, log_path=folder / "server.log"
        ).running() as srv,
    ):
        yield srv


def letters(count: int) -> str:
    return "".join(chr(ord("a") + n % 26) for n in range(count))


async def type_fast(client: NodeClient, text: str) -> None:
    """One insert (one update frame) per character, all sent without waiting on the server."""
    await asyncio.gather(*(client.insert(n, char) for n, char in enumerate(text)))


async def test_a_burst_far_past_the_rate_is_slowed_down_and_fully_applied(
    throttled: ServerProcess, doc: str
) -> None:
    # 100 frames at once: ten times the burst, twice the rate per second; held back for
    # (100 - 10) / 50 = 1.8 s, less than the 3 s a flood is allowed.
    text = letters(100)
    async with (
        NodeClient.start(throttled.ws_base, doc, throttled.grant(doc)) as typist,
        connect(throttled.doc_url(doc)) as watcher,
    ):
        await typist.wait_synced()
        await type_fast(typist, text)
        await watcher.wait_for(lambda: str(watcher) == text, timeout=20)
        await typist.wait_text(text)
        state = await typist.state()
        assert state["wsconnected"]
        assert state["attempts"] == 1  # never reconnected: no resync of the whole document
        assert typist.events_named("connection-close") == []
    async with connect(throttled.doc_url(doc)) as fresh:
        assert str(fresh) == text


async def test_a_flood_that_persists_is_closed_with_1008_and_nothing_is_lost(
    throttled: ServerProcess, doc: str
) -> None:
    # 400 frames at once: held back for (400 - 10) / 50 = 7.8 s, past the 3 s allowed.
    text = letters(400)
    async with (
        NodeClient.start(throttled.ws_base, doc, throttled.grant(doc)) as flooder,
        connect(throttled.doc_url(doc)) as other,
    ):
        await flooder.wait_synced()
        await type_fast(flooder, text)
        closed = await flooder.wait_event("connection-close", timeout=20)
        assert (closed["code"], closed["reason"]) == (1008, TOO_MANY_MESSAGES)
        other.edit(lambda t: t.insert(0, "«"))  # the room goes on for the others meanwhile
        # y-websocket reconnects and resyncs: every update reaches the server in the end.
        await other.wait_for(lambda: str(other) == "«" + text, timeout=30)
        await flooder.wait_text("«" + text, timeout=30)

"""Nothing a client has seen is lost: not to SIGKILL, not to restarts, not duplicated either.
Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from pycrdt import Doc

from tests.conftest import ServerProcess
from tests.ypy_client import connect

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def unthrottled(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """A server without the frame-rate limit: 300 edits within milliseconds are no one's typing
    (a real client would be closed with 1008 and resend them on reconnect)."""
    env = {"ATELIER_WS_MESSAGES_PER_SECOND": "0"}
    log = tmp_path / "server.log"
    with ServerProcess(database_url, env_overrides=env, log_path=log).running() as srv:
        yield srv


async def test_sigkill_loses_no_update_any_client_had_received(
    unthrottled: ServerProcess, doc: str
) -> None:
    server_on = unthrottled
    url = server_on.doc_url(doc)
    async with connect(url) as writer, connect(url) as watcher:
        for i in range(300):
            writer.edit(lambda t, i=i: t.insert(len(t), f"{i:03d},"))
            if i % 25 == 0:
                await asyncio.sleep(0)  # let frames flow while typing goes on
        # Kill the server while edits are still in flight, once the watcher holds some of them.
        await watcher.wait_for(lambda: len(str(watcher)) >= 400)
        server_on.kill()
        seen = str(watcher)
        await watcher.closed.wait()
    server_on.start()
    async with connect(url) as fresh:
        assert str(fresh).startswith(seen)
        assert len(str(fresh)) >= len(seen) >= 400


async def test_a_client_that_kept_its_document_reconnects_without_duplicating_it(
    server_on: ServerProcess, doc: str
) -> None:
    url = server_on.doc_url(doc)
    mine = Doc()
    async with connect(url, doc=mine) as client:
        client.edit(lambda t: t.insert(0, "Créer des ateliers de quartier"))
        await client.wait_for(lambda: any(f[:2] == b"\x00\x02" for f in client.received))
    for _ in range(3):
        server_on.restart(kill=True)
        async with connect(url, doc=mine) as client:
            # The client answers the server's SyncStep1 with what it has; the server must merge
            # it into the same history, not a second copy.
            await client.send(bytes.fromhex("00 00 01 00"))
            await client.wait_for(lambda: sum(f[:2] == b"\x00\x01" for f in client.received) >= 2)
            assert str(client) == "Créer des ateliers de quartier"
    async with connect(url) as fresh:
        assert str(fresh) == "Créer des ateliers de quartier"

"""The hand-off of an open document socket from the ASGI app to the server's protocol
(``server/ws_protocol.py``, ``bench/RESULTS.md`` §14.4): once handed off, no coroutine of the app
waits for the socket, so what the app ran after its reading loop runs from the protocol. A
server that stops must still close every open socket (1012: come back) and wait for them before
its rooms are flushed, and what its clients wrote is there when it comes back."""

from __future__ import annotations

import asyncio
import signal

import pytest
import uvicorn

from server.app import create_app
from server.auth import mint_grant
from server.settings import load_settings
from server.ws_protocol import AtelierWebSocketProtocol
from tests.conftest import TEST_SECRET, ServerProcess, free_port
from tests.ypy_client import connect

_WAIT = 120  # seconds: generous bounds on events, for a loaded 2-core machine


@pytest.mark.anyio
async def test_a_stopping_server_closes_handed_off_sockets_and_keeps_their_edits(
    server: ServerProcess, doc: str
) -> None:
    async with connect(server.doc_url(doc)) as writer, connect(server.doc_url(doc)) as reader:
        writer.edit(lambda text: text.insert(0, "Square Jean-Moulin"))
        # Broadcast only once durable: the reader seeing it means the server has it.
        await reader.wait_for(lambda: str(reader) == "Square Jean-Moulin", _WAIT)
        process = server.process
        assert process is not None
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(_WAIT):
            await writer.closed.wait()
            await reader.closed.wait()
        assert (writer.close_code, reader.close_code) == (1012, 1012)  # retry: it restarts
        code = await asyncio.to_thread(process.wait, _WAIT)
        assert code == -signal.SIGTERM  # uvicorn re-raises it once its shutdown is done
    server.start()
    async with connect(server.doc_url(doc)) as again:
        assert str(again) == "Square Jean-Moulin"


@pytest.mark.anyio
async def test_an_open_socket_keeps_no_app_coroutine_and_still_works(
    sqlite_url: str, doc: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In this process, under uvicorn with Atelier's protocol: once the sockets are open and in
    their room, no ASGI task of uvicorn (``run_asgi``) is left for them, and they still edit
    together, and leave."""
    monkeypatch.setenv("ATELIER_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ATELIER_SECRET_KEY", TEST_SECRET)
    port = free_port()
    settings = load_settings(host="127.0.0.1", port=port)
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        ws=AtelierWebSocketProtocol,
        lifespan="on",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(_WAIT):
            while not server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.05)  # uvicorn gives a flag, no event to wait on

        def app_tasks() -> list[asyncio.Task[object]]:
            return [
                t for t in asyncio.all_tasks() if t.get_coro().__qualname__.endswith(".run_asgi")
            ]

        token = mint_grant(TEST_SECRET, doc, "rw", "t", 3600)
        url = f"ws://127.0.0.1:{port}/ws/docs/{doc}?token={token}"
        async with connect(url) as writer, connect(url) as reader:
            # Each app returns right after the hand-off, its socket still open.
            if pending := app_tasks():
                _, pending = await asyncio.wait(pending, timeout=_WAIT)
            assert not pending
            writer.edit(lambda text: text.insert(0, "Place du marché"))
            await reader.wait_for(lambda: str(reader) == "Place du marché", _WAIT)
            reader.edit(lambda text: text.insert(len(text), ", côté nord"))
            await writer.wait_for(lambda: str(writer) == "Place du marché, côté nord", _WAIT)
            assert not app_tasks()
            assert len(server.server_state.connections) >= 2
    finally:
        server.should_exit = True
        async with asyncio.timeout(_WAIT):
            await serving

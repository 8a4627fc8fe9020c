"""The real editing trace (Kleppmann et al., via Gentle's editing-traces, CC BY 4.0) replayed
through the server, compacting as it goes: every observer ends with the exact final text, and so
does a client that joins after a restart."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
from pathlib import Path

import pytest
from pycrdt import Doc, Text

from collab.protocol import sync_step1_message, update_message
from tests.conftest import ROOT, ServerProcess, _unavailable
from tests.ypy_client import connect

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

#: The trace is not in the repository: it is in the shared data beside the clone
#: (``../shared/data``), or wherever ``ATELIER_TEST_TRACE`` says.
TRACE = Path(
    os.environ.get("ATELIER_TEST_TRACE")
    or ROOT.parent / "shared" / "data" / "traces" / "automerge-paper.json.gz"
)


def trace_updates() -> tuple[list[bytes], str]:
    data = json.loads(gzip.decompress(TRACE.read_bytes()))
    doc = Doc(client_id=42)
    text = doc.get("t", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for txn in data["txns"]:
        for pos, delete, insert in txn["patches"]:
            with doc.transaction():
                if delete:
                    del text[pos : pos + delete]
                if insert:
                    text.insert(pos, insert)
    assert str(text) == data["endContent"]
    return updates, data["endContent"]


@pytest.fixture(scope="module")
def trace() -> tuple[list[bytes], str]:
    if not TRACE.is_file():
        # A clone without the shared data skips, saying why; CI (ATELIER_REQUIRE_SERVICES=1)
        # fails instead, so that the replay is never skipped there unnoticed.
        _unavailable(
            "editing trace",
            f"{TRACE} is missing: the shared data beside the clone, or ATELIER_TEST_TRACE",
        )
    return trace_updates()


async def test_the_editing_trace_replays_exactly_with_compactions(
    server_factory: type[ServerProcess], sqlite_url: str, doc: str, trace: tuple[list[bytes], str]
) -> None:
    updates, final = trace
    # The writer replays the trace as fast as the server takes it: no frame-rate limit.
    env = {"ATELIER_COMPACT_AFTER_ROWS": "50", "ATELIER_WS_MESSAGES_PER_SECOND": "0"}
    srv = server_factory(sqlite_url, env_overrides=env)
    srv.start()
    url = srv.doc_url(doc)
    async with connect(url) as first, connect(url) as second, connect(url) as third:
        async with connect(url) as writer:
            ws = writer.ws
            for i in range(0, len(updates), 500):
                for u in updates[i : i + 500]:
                    await ws.send(update_message(u))
                await asyncio.sleep(0)
            # The server answers this SyncStep1 once everything before it is durable.
            await ws.send(sync_step1_message(Doc().get_state()))
            await writer.wait_for(lambda: writer.sync_step2_count >= 2, timeout=240)
        for observer in (first, second, third):
            await observer.wait_for(lambda o=observer: str(o) == final, timeout=120)
    srv.restart(kill=True)
    async with connect(url) as late:
        assert str(late) == final

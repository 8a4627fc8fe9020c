"""The bounded fuzz pass of CI: a real server process takes a few hundred random and mutated
frames over several connections — seeded, so every run sends the same bytes — and afterwards
it still answers /health, the clients of another room (and the honest client of the fuzzed
room) still sync and edit without having lost a keystroke, every connection it closed got a
code and a reason, its log holds no unexpected error, and its memory grew by less than a stated
bound. The séance channel gets malformed JSON, unknown event types and binary frames.

Bounded: about 10 s, 600 frames. The decoders themselves are fuzzed far more widely, in-process, by
``tests/collab/test_protocol_fuzz.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from pycrdt import Doc, Text, write_var_uint

from collab.protocol import (
    awareness_message,
    permission_denied_message,
    query_awareness_message,
    sync_step1_message,
    sync_step2_message,
    update_message,
    var_string,
)
from tests.conftest import ServerProcess, migrated_database
from tests.server.test_ateliers_api import Room
from tests.server.test_live_channel import Follower, follow_url
from tests.ypy_client import YClient, connect

pytestmark = pytest.mark.anyio

SEED = 20_240_915
MAX_FRAME = 256 * 1024
WORKERS = 8
FRAMES_PER_WORKER = 75
#: How much the server's resident memory may grow over the pass (about 1 MiB when measured).
#: The fuzzers send a few megabytes in all, over some 600 connections; a leak of what each
#: connection holds (a peer, its tasks and queues: tens of kB) would pass this bound.
RSS_GROWTH_BOUND = 16 * 1024 * 1024

#: The close codes a fuzzed connection may get, each a deliberate refusal with a reason.
REFUSALS = {
    1003: "binary frames only",
    1007: None,  # undecodable or inapplicable: the reason says what
    1008: "too many messages per second",
    1009: None,  # over ATELIER_MAX_FRAME_BYTES (uvicorn's reason)
    4401: None,  # no, bad or expired token
    4403: "this grant is for another document",
    4413: None,  # past a size limit: the reason gives the sizes
}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("fuzzed")
    env = {"ATELIER_MAX_FRAME_BYTES": str(MAX_FRAME), "ATELIER_MAX_DOCUMENT_BYTES": "1048576"}
    with (
        migrated_database("sqlite", folder) as url,
        ServerProcess(url, env_overrides=env, log_path=folder / "server.log").running() as srv,
    ):
        yield srv


def rss(server: ServerProcess) -> int:
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert match, status
    return int(match.group(1)) * 1024


def unexpected_log_lines(server: ServerProcess) -> list[str]:
    """Lines of the server log that say something went wrong inside, not at a client."""
    assert server.log_path is not None
    return [
        line
        for line in server.log_path.read_text(errors="replace").splitlines()
        if "Traceback" in line or " ERROR " in line or line.startswith("ERROR")
    ]


# --- frames ----------------------------------------------------------------------------------


def corpus() -> list[bytes]:
    """Valid frames of every message type, with real document updates."""
    doc = Doc(client_id=7)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    text = doc.get("t", type=Text)
    for word in ("Créer ", "des ", "ateliers ", "de ", "quartier"):
        text.insert(len(text), word)
    del text[0:2]
    state = b'{"user":{"name":"Fuzz","color":"#c00"}}'
    presence = (
        write_var_uint(1) + write_var_uint(77) + write_var_uint(3) + var_string(state.decode())
    )
    return [
        *(update_message(u) for u in updates),
        sync_step1_message(doc.get_state()),
        sync_step1_message(Doc().get_state()),
        sync_step2_message(doc.get_update()),
        awareness_message(presence),
        permission_denied_message("fuzz"),
        query_awareness_message(),
    ]


class FrameMaker:
    """Seeded frames: valid ones, mutated ones, random bytes and a few pathological shapes."""

    #: Kinds of frames (each a method below), and how often each comes.
    KINDS = {
        "valid": 10,
        "mutated": 55,
        "random": 15,
        "text": 5,
        "empty": 3,
        "huge_length": 10,
        "oversized": 2,
    }

    def __init__(self, rng: random.Random, corpus: list[bytes]) -> None:
        self.rng = rng
        self.corpus = corpus

    def next(self) -> bytes | str:
        kind = self.rng.choices(list(self.KINDS), weights=list(self.KINDS.values()))[0]
        frame: bytes | str = getattr(self, kind)()
        return frame

    def valid(self) -> bytes:
        return self.rng.choice(self.corpus)

    def mutated(self) -> bytes:
        """Bit flips, truncation, duplication, splicing, huge varints inserted, deletions."""
        rng, data = self.rng, bytearray(self.valid())
        for _ in range(rng.randint(1, 4)):
            at = rng.randint(0, len(data))
            op = rng.randrange(6)
            if op == 0 and data:
                data[min(at, len(data) - 1)] ^= 1 << rng.randrange(8)
            elif op == 1:
                del data[at:]
            elif op == 2:
                data = data + data
            elif op == 3:
                other = self.valid()
                data = data[:at] + other[rng.randint(0, len(other)) :]
            elif op == 4:
                data[at:at] = rng.choice([b"\xff\xff\xff\xff\x0f", b"\x80" * 9, b"\x00", b"\x7f"])
            elif data:
                del data[at : at + rng.randint(1, 4)]
        return bytes(data)

    def random(self) -> bytes:
        return self.rng.randbytes(self.rng.randint(1, 64))

    def text(self) -> str:
        return self.rng.choice(["hello", '{"type":"sync"}', "\x00\x02"])

    def empty(self) -> bytes:
        return b""

    def huge_length(self) -> bytes:
        """A length prefix far past the frame (and past memory)."""
        header = self.rng.choice([b"\x00\x00", b"\x00\x01", b"\x00\x02", b"\x01", b"\x02\x00"])
        length = self.rng.choice([1 << 31, (1 << 53) - 1, MAX_FRAME * 4])
        return header + write_var_uint(length) + self.rng.randbytes(16)

    def oversized(self) -> bytes:
        return b"\x00\x02" + write_var_uint(MAX_FRAME + 4096) + bytes(MAX_FRAME + 4096)


# --- the fuzzers -----------------------------------------------------------------------------


async def fuzz_worker(
    server: ServerProcess, doc: str, index: int, closes: Counter[tuple[int, str]]
) -> int:
    """Send FRAMES_PER_WORKER frames, reconnecting whenever the server closes; return how
    many were sent. Workers differ in their credentials, as attackers would."""
    rng = random.Random(SEED + index)
    maker = FrameMaker(rng, corpus())
    url = {
        0: server.doc_url(doc),
        1: server.doc_url(doc),
        2: server.doc_url(doc),
        3: server.doc_url(doc, "r"),  # read-only
        4: f"{server.ws_base}/{doc}",  # no token: everything it sends is before any auth
        5: server.doc_url(doc, token=server.grant(doc + "-other")),  # someone else's grant
    }[index % 6]
    sent = 0
    while sent < FRAMES_PER_WORKER:
        async with websockets.connect(url, max_size=None) as ws:
            with contextlib.suppress(websockets.ConnectionClosed):
                while sent < FRAMES_PER_WORKER:
                    await ws.send(maker.next())
                    sent += 1
                    await asyncio.sleep(rng.uniform(0, 0.06))  # a pace within the frame rate
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.close()
            if ws.close_code not in (None, 1000):
                closes[(ws.close_code, ws.close_reason or "")] += 1
    return sent


async def typist(client: YClient, marks: list[str], stop: asyncio.Event) -> None:
    """Type marks at a human pace until the fuzz is over."""
    n = 0
    while not stop.is_set():
        mark = f"[{client.doc.client_id}:{n}]"
        client.edit(lambda t, m=mark: t.insert(len(t), m))
        marks.append(mark)
        n += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)


async def test_a_fuzzed_room_leaves_the_server_and_every_other_client_whole(
    fuzzed: ServerProcess,
) -> None:
    victim, bystanders = "fuzzed-room", "bystander-room"
    with httpx.Client(base_url=fuzzed.http, timeout=10) as http:
        assert http.get("/health").status_code == 200
    # Warm up (first room load, imports, caches) before the memory baseline.
    async with connect(fuzzed.doc_url("warm-up")) as warm:
        warm.edit(lambda t: t.insert(0, "warm"))
        await warm.round_trip()
    baseline = rss(fuzzed)
    closes: Counter[tuple[int, str]] = Counter()
    marks: dict[str, list[str]] = {"victim": [], "bystanders": []}
    stop = asyncio.Event()
    started = time.monotonic()
    async with (
        connect(fuzzed.doc_url(victim), doc=Doc(client_id=910_001)) as honest,
        connect(fuzzed.doc_url(bystanders), doc=Doc(client_id=910_002)) as ana,
        connect(fuzzed.doc_url(bystanders), doc=Doc(client_id=910_003)) as bruno,
    ):
        typing = [
            asyncio.create_task(typist(honest, marks["victim"], stop)),
            asyncio.create_task(typist(ana, marks["bystanders"], stop)),
            asyncio.create_task(typist(bruno, marks["bystanders"], stop)),
        ]
        async with asyncio.timeout(60):
            sent = await asyncio.gather(
                *(fuzz_worker(fuzzed, victim, i, closes) for i in range(WORKERS))
            )
        stop.set()
        await asyncio.gather(*typing)
        assert sum(sent) == WORKERS * FRAMES_PER_WORKER
        # The honest clients were never closed, and have everything their room wrote.
        for client, room in ((honest, "victim"), (ana, "bystanders"), (bruno, "bystanders")):
            assert not client.closed.is_set(), (client.close_code, client.close_reason)
            await client.wait_for(lambda c=client, r=room: all(m in str(c) for m in marks[r]))
        assert str(ana) == str(bruno)
    elapsed = time.monotonic() - started

    # Every refusal had a code from the list, with a reason.
    assert closes, "the fuzz closed no connection: it fuzzed nothing"
    for (code, reason), _ in closes.items():
        assert code in REFUSALS, (code, reason, closes)
        assert reason, (code, closes)
        if REFUSALS[code] is not None:
            assert reason == REFUSALS[code], (code, reason)
    assert {1003, 1007, 1009, 4401, 4403} <= {code for code, _ in closes}, closes

    # The server is whole: healthy, both rooms load and edit, nothing lost, no error inside.
    with httpx.Client(base_url=fuzzed.http, timeout=10) as http:
        assert http.get("/health").status_code == 200
    for room, written in ((victim, marks["victim"]), (bystanders, marks["bystanders"])):
        async with connect(fuzzed.doc_url(room)) as one, connect(fuzzed.doc_url(room)) as two:
            assert all(m in str(one) for m in written)
            one.edit(lambda t: t.insert(0, "après "))
            await two.wait_for(lambda t=two: str(t).startswith("après "))
    assert unexpected_log_lines(fuzzed) == []
    growth = rss(fuzzed) - baseline
    assert growth < RSS_GROWTH_BOUND, f"RSS grew by {growth >> 20} MiB"
    assert elapsed < 45, f"the fuzz pass took {elapsed:.0f} s"


async def test_the_seance_channel_ignores_what_followers_send_and_goes_on(
    fuzzed: ServerProcess,
) -> None:
    with httpx.Client(base_url=fuzzed.http, timeout=10) as http:
        room = Room(http)
        resident = room.token_of("Ana")
    rng = random.Random(SEED)
    junk: list[str | bytes] = [
        "",
        "{",
        "null",
        "[1,2,3]",
        '{"type":"snapshot","session_id":"x"}',
        '{"type":"presence_of_node","node_id":"evil","present_by_role":{"elu":999}}',
        '{"type":"ballot_counted","poll_id":"p","seq":1}',
        '{"type":' + '"x"' * 1000 + "}",
        "\x00\ufffd" * 100,
        b"\x00\x02\x05hello",
        rng.randbytes(2000),
        json.dumps(
            {"type": "step_changed", "session_id": room.session["id"], "title": "x" * 10000}
        ),
    ]
    url = follow_url(fuzzed, room.session["id"], room.facilitator)
    async with websockets.connect(url) as ws:
        facilitator = Follower(ws)
        await facilitator.next("snapshot")
        for frame in junk * 3:
            await ws.send(frame)
            await asyncio.sleep(0.02)  # within the frame rate: this is about content
        # Still following: a newcomer's presence reaches it, and nothing it sent was relayed.
        async with websockets.connect(follow_url(fuzzed, room.session["id"], resident)) as ws2:
            await facilitator.next(
                "presence_changed", present_by_role={"animateur": 1, "habitant": 1}
            )
            await Follower(ws2).next("snapshot")
    assert unexpected_log_lines(fuzzed) == []

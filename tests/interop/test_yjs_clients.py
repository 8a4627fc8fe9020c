"""Real browsers' code against our server: `yjs` 13 + `y-websocket` 3.1 providers, one per Node
process (``disableBc``, so every byte goes through the server), driven by ``yclient.NodeClient``.

Every wait is on an event with a timeout. Where a test needs edits that no client could have seen
before making its own, it freezes the server (SIGSTOP): the frames queue in the sockets, and every
client edits on the document as it last saw it; SIGCONT then delivers them all at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import anyio
import pytest

from tests.conftest import ServerProcess
from tests.interop.yclient import NODE_MODULES_READY, Event, NodeClient

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.interop,
    pytest.mark.skipif(
        not NODE_MODULES_READY, reason="Node packages missing: npm ci --prefix tests/interop"
    ),
]

TIMEOUT = 10.0
SYNC_STEP1_EMPTY = bytes.fromhex("00 00 01 00")
SYNC_STEP2_EMPTY = bytes.fromhex("00 01 02 00 00")


# --------------------------------------------------------------------------------- helpers


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


async def wait_text_where(
    client: NodeClient, predicate: Callable[[str], bool], what: str, timeout: float = TIMEOUT
) -> str:
    """Re-read the text on every ``text-changed`` event (needs ``watch_text=True``) until
    ``predicate`` holds; return that text."""
    deadline = _loop_time() + timeout
    while True:
        text = await client.text()
        if predicate(text):
            return text
        remaining = deadline - _loop_time()
        try:
            if remaining <= 0:
                raise TimeoutError
            # A change noted before the read only costs one more turn: the event is consumed.
            await client.wait_event("text-changed", timeout=remaining)
        except TimeoutError:
            raise TimeoutError(
                f"text never {what} within {timeout}s; last {text!r}; {client.describe()}"
            ) from None


async def wait_presence(
    client: NodeClient, client_id: int, expected: Any, timeout: float = TIMEOUT
) -> None:
    """Wait until ``client`` holds ``expected`` as ``client_id``'s awareness state (None: none)."""
    deadline = _loop_time() + timeout
    while True:
        states = await client.awareness()
        if states.get(client_id) == expected:
            return
        remaining = deadline - _loop_time()
        try:
            if remaining <= 0:
                raise TimeoutError
            await client.wait_event("awareness-change", timeout=remaining)
        except TimeoutError:
            raise TimeoutError(
                f"client {client.client_id} never saw {client_id}'s presence as {expected!r} "
                f"within {timeout}s (states {states!r}); {client.describe()}"
            ) from None


def _is_frame(direction: str, prefix: str) -> Callable[[Event], bool]:
    def match(event: Event) -> bool:
        return (
            event.get("event") == "frame"
            and event.get("dir") == direction
            and not event.get("dropped")
            and str(event.get("hex", "")).startswith(prefix)
        )

    match.__name__ = f"{direction} frame {prefix}…"
    return match


async def insert_and_wait_echo(client: NodeClient, index: int, text: str) -> tuple[bytes, bytes]:
    """Insert, then wait for the server to send an update back (needs ``log_frames=True``).

    The server echoes an update only once it is durable, so after this the edit is stored.
    Returns (update frame sent, first update frame received after it).
    """
    client.checkpoint()
    await client.insert(index, text)
    sent = await client.wait_for(_is_frame("out", "00 02"))
    echo = await client.wait_for(_is_frame("in", "00 02"))
    return bytes.fromhex(sent["hex"]), bytes.fromhex(echo["hex"])


def remove_each_once(text: str, inserted: Sequence[str]) -> str:
    """Check that every inserted string occurs exactly once, whole; return the text without them."""
    for piece in inserted:
        assert text.count(piece) == 1, f"{piece!r} occurs {text.count(piece)} times in {text!r}"
        text = text.replace(piece, "")
    return text


async def wait_converged(
    clients: Sequence[NodeClient], inserted: Sequence[str], remainder: str
) -> str:
    """Wait until the first client holds every insert and exactly ``remainder`` of the rest, then
    until every other client holds the very same text. Returns that text."""
    size = len(remainder) + sum(map(len, inserted))
    text = await wait_text_where(
        clients[0],
        lambda t: len(t) == size and all(piece in t for piece in inserted),
        f"held all {len(inserted)} inserts in {size} characters",
    )
    assert remove_each_once(text, inserted) == remainder
    for other in clients[1:]:
        await other.wait_text(text)
    return text


@contextlib.contextmanager
def server_frozen(server: ServerProcess) -> Iterator[None]:
    """SIGSTOP the server meanwhile: whatever the clients do is concurrent with the others."""
    assert server.process is not None
    server.process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        server.process.send_signal(signal.SIGCONT)


async def index_after(client: NodeClient, anchor: str) -> int:
    return (await client.text()).index(anchor) + len(anchor)


async def index_of(client: NodeClient, needle: str) -> int:
    return (await client.text()).index(needle)


def read_var_uint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def state_vector_of_sync_step1(frame: bytes) -> dict[int, int]:
    assert frame[:2] == b"\x00\x00", f"not a SyncStep1: {frame.hex(' ')}"
    length, pos = read_var_uint(frame, 2)
    assert pos + length == len(frame)
    count, pos = read_var_uint(frame, pos)
    clocks = {}
    for _ in range(count):
        client, pos = read_var_uint(frame, pos)
        clocks[client], pos = read_var_uint(frame, pos)
    return clocks


@contextlib.asynccontextmanager
async def clients(
    server: ServerProcess, doc: str, count: int, **options: Any
) -> AsyncIterator[list[NodeClient]]:
    """``count`` read-write clients on ``doc``, all synced."""
    async with contextlib.AsyncExitStack() as stack:
        started = [
            await stack.enter_async_context(
                NodeClient.start(server.ws_base, doc, server.grant(doc), **options)
            )
            for _ in range(count)
        ]
        for client in started:
            await client.wait_synced()
        yield started


# ---------------------------------------------------------------------- 1. convergence


async def test_two_people_typing_at_the_same_spot_at_once_keep_every_keystroke_in_order(
    shared_server: ServerProcess, doc: str
) -> None:
    # Live typing, no freeze: both type at the very start, keystroke after keystroke, at the same
    # time. Each one's keystrokes must all arrive, in the order they were typed.
    words_a, words_b = "the quick brown fox", "0123456789012345678"
    async with clients(shared_server, doc, 2, watch_text=True) as (a, b):

        async def type_at_start(client: NodeClient, words: str) -> None:
            for char in reversed(words):  # typing at index 0: last character first
                await client.insert(0, char)

        await asyncio.gather(type_at_start(a, words_a), type_at_start(b, words_b))
        size = len(words_a) + len(words_b)
        text = await wait_text_where(a, lambda t: len(t) == size, f"reached {size} characters")
        await b.wait_text(text)
    assert "".join(c for c in text if not c.isdigit()) == words_a
    assert "".join(c for c in text if c.isdigit()) == words_b


async def test_edits_made_at_the_same_and_at_different_places_before_either_saw_the_other_converge(
    shared_server: ServerProcess, doc: str
) -> None:
    async with clients(shared_server, doc, 2, watch_text=True) as (a, b):
        await a.insert(0, "alpha|omega")
        await b.wait_text("alpha|omega")

        with server_frozen(shared_server):
            await a.insert(0, "<a1>")  # same place as <b1>
            await b.insert(0, "<b1>")
            await a.insert(await index_after(a, "|"), "<a2>")  # same place as <b2>
            await b.insert(await index_after(b, "|"), "<b2>")
            await a.insert(len(await a.text()), "<a3>")  # different places
            await b.insert(await index_of(b, "|"), "<b3>")
            await b.insert(await index_after(b, "alp"), "<b4>")
        round1 = ["<a1>", "<b1>", "<a2>", "<b2>", "<a3>", "<b3>", "<b4>"]
        await wait_converged([a, b], round1, "alpha|omega")

        # Then both type a word, key by key, at one same place: the words must not interleave.
        with server_frozen(shared_server):
            for word, client in (("xyz", a), ("789", b)):
                start = await index_after(client, "omega")
                for offset, char in enumerate(word):
                    await client.insert(start + offset, char)
        await wait_converged([a, b], [*round1, "xyz", "789"], "alpha|omega")


async def test_three_people_inserting_and_deleting_over_each_other_converge(
    shared_server: ServerProcess, doc: str
) -> None:
    seed = "abcdefghij|klmnopqrst"
    async with clients(shared_server, doc, 3, watch_text=True) as (a, b, c):
        await a.insert(0, seed)
        await b.wait_text(seed)
        await c.wait_text(seed)

        with server_frozen(shared_server):
            await a.delete(await index_of(a, "cdefg"), 5)  # overlaps b's deletion
            await b.delete(await index_of(b, "efghi"), 5)
            await c.insert(await index_of(c, "g"), "<C2>")  # inside what a and b delete
            await c.delete(await index_of(c, "mnop"), 4)
            await a.insert(0, "<A>")
            await b.insert(len(await b.text()), "<B>")
            await a.insert(await index_after(a, "|"), "<A2>")  # same place as <C>
            await c.insert(await index_after(c, "|"), "<C>")
            await b.delete(await index_of(b, "s"), 1)  # deleted twice, at once
            await c.delete(await index_of(c, "s"), 1)

        await wait_converged([a, b, c], ["<A>", "<A2>", "<B>", "<C>", "<C2>"], "abj|klqrt")


# ------------------------------------------------------------------------- 2. awareness


async def test_a_collaborators_presence_appears_with_its_content_and_follows_its_changes(
    shared_server: ServerProcess, doc: str
) -> None:
    async with clients(shared_server, doc, 2) as (a, b):
        assert a.client_id is not None
        await a.set_awareness({"user": {"name": "Alice", "color": "#e63946"}})
        await a.set_awareness_field("cursor", {"index": 0})  # the clock is now past 0
        await wait_presence(
            b, a.client_id, {"user": {"name": "Alice", "color": "#e63946"}, "cursor": {"index": 0}}
        )

        await a.set_awareness_field("cursor", {"index": 7})
        await wait_presence(
            b, a.client_id, {"user": {"name": "Alice", "color": "#e63946"}, "cursor": {"index": 7}}
        )


async def test_a_collaborators_presence_disappears_when_they_close_the_document(
    shared_server: ServerProcess, doc: str
) -> None:
    async with clients(shared_server, doc, 1) as (b,):
        async with NodeClient.start(
            shared_server.ws_base, doc, shared_server.grant(doc), user={"name": "Alice"}
        ) as a:
            assert a.client_id is not None
            await wait_presence(b, a.client_id, {"name": "Alice"})
        # y-websocket's destroy() sends no null state: the server must tell b.
        await wait_presence(b, a.client_id, None)
        removed = [e for e in b.events_named("awareness-change") if a.client_id in e["removed"]]
        assert removed, b.describe()


async def test_a_collaborators_presence_disappears_when_their_process_is_killed(
    shared_server: ServerProcess, doc: str
) -> None:
    async with (
        clients(shared_server, doc, 1) as (a,),
        NodeClient.start(
            shared_server.ws_base, doc, shared_server.grant(doc), user={"name": "Bob"}
        ) as b,
    ):
        assert b.client_id is not None
        await wait_presence(a, b.client_id, {"name": "Bob"})
        await b.kill()  # SIGKILL: no close frame, no null state from b
        assert b.returncode == -signal.SIGKILL
        # Well before y-protocols' own 30 s timeout would drop it at a.
        await wait_presence(a, b.client_id, None, timeout=5)


async def test_a_newcomer_sees_everyones_presence_at_once(
    shared_server: ServerProcess, doc: str
) -> None:
    async with clients(shared_server, doc, 1, log_frames=True) as (a,):
        assert a.client_id is not None
        a.checkpoint()
        await a.set_awareness({"name": "Alice"})
        await a.set_awareness_field("cursor", 3)
        # The server broadcasts to everyone, a included: once a has its own state back (clock 2),
        # the server knows it.
        await a.wait_for(_is_frame("in", "01"))
        await a.wait_for(_is_frame("in", "01"))
        quiet_from = len(a.events)

        async with NodeClient.start(
            shared_server.ws_base, doc, shared_server.grant(doc), log_frames=True
        ) as c:
            await wait_presence(c, a.client_id, {"name": "Alice", "cursor": 3})
            first, second = c.frames("in")[:2]
            assert first[:2] == b"\x00\x00"  # SyncStep1, then every known state
            assert second[0] == 1, second.hex(" ")
        resent = [e for e in a.events[quiet_from:] if _is_frame("out", "01")(e)]
        assert resent == [], "a re-sent its presence; the newcomer must not need that"


# ------------------------------------------------------------------- 3. offline editing


async def test_edits_made_offline_merge_with_the_edits_made_meanwhile(
    shared_server: ServerProcess, doc: str
) -> None:
    async with clients(shared_server, doc, 2, watch_text=True, log_frames=True) as (a, b):
        await insert_and_wait_echo(a, 0, "shared notes")
        await b.wait_text("shared notes")

        await a.disconnect()
        assert (await a.state())["wsconnected"] is False
        await a.insert(0, "offline: ")
        await a.insert(len("offline: shared"), " (draft)")
        await insert_and_wait_echo(b, len("shared notes"), " + online remark")
        # b's edit is durable and sent to every connection: a, offline, has none of it.
        assert await a.text() == "offline: shared (draft) notes"

        await a.connect()
        expected = "offline: shared (draft) notes + online remark"
        await a.wait_text(expected)
        await b.wait_text(expected)
    async with clients(shared_server, doc, 1) as (fresh,):
        assert await fresh.text() == expected


# ------------------------------------------------------------------ 4. refused clients


@pytest.mark.parametrize(
    ("case", "code", "reason"),
    [
        ("no token", 4401, "no token"),
        ("bad token", 4401, "invalid token"),
        ("expired token", 4401, "token expired"),
        ("grant for another document", 4403, "this grant is for another document"),
    ],
)
async def test_a_refused_client_is_told_why_and_stops_retrying(
    shared_server: ServerProcess, doc: str, case: str, code: int, reason: str
) -> None:
    token = {
        "no token": None,
        "bad token": shared_server.grant(doc)[:-4] + "AAAA",
        "expired token": shared_server.grant(doc, ttl=-60),
        "grant for another document": shared_server.grant(doc + "-other"),
    }[case]
    # With a 100 ms backoff cap, a retry would come 100 ms after the close.
    async with NodeClient.start(
        shared_server.ws_base, doc, token, log_frames=True, max_backoff_ms=100
    ) as refused:
        close = await refused.wait_event("connection-close", code=code)
        closed = await refused.wait_event("closed", code=code)
        assert close["reason"] == reason
        assert closed["reason"] == reason
        assert refused.events.index(close) < refused.events.index(closed)
        closed_at = _loop_time()
        assert refused.frames("in") == [
            b"\x02\x00" + bytes([len(reason)]) + reason.encode()
        ]  # permission denied
        await refused.wait_for(
            lambda e: e.get("event") == "stderr" and e.get("line") == reason,
            what="y-websocket's permission-denied warning",
        )

        # Confirmation that time passed: full round trips with another client, for well over
        # the backoff.
        async with clients(shared_server, doc + "-witness", 1, log_frames=True) as (witness,):
            rounds = 0
            while rounds < 2 or _loop_time() - closed_at < 0.6:
                await insert_and_wait_echo(witness, 0, "x")
                rounds += 1

        state = await refused.state()
        assert state["attempts"] == 1, refused.describe()
        assert state["shouldConnect"] is False
        assert state["wsconnecting"] is False
        assert state["wsconnected"] is False
        assert state["synced"] is False
        assert len(refused.events_named("connection-close")) == 1


# ------------------------------------------------------------------------ 5. read-only


async def test_a_read_only_clients_edits_reach_neither_the_others_nor_the_document(
    shared_server: ServerProcess, doc: str
) -> None:
    original = "Ordre du jour"
    async with clients(shared_server, doc, 1, log_frames=True) as (writer,):
        assert writer.client_id is not None
        await insert_and_wait_echo(writer, 0, original)
        async with NodeClient.start(
            shared_server.ws_base,
            doc,
            shared_server.grant(doc, access="r"),
            user={"name": "Reader"},
            watch_text=True,
        ) as reader:
            assert reader.client_id is not None
            await reader.wait_synced()
            assert await reader.text() == original

            await reader.insert(0, "HACKED ")
            # Sent after the update on the same socket: once the writer sees it, the server has
            # handled the update.
            await reader.set_awareness_field("typing", True)
            await wait_presence(writer, reader.client_id, {"name": "Reader", "typing": True})
            # The writer's next echo is sent after any broadcast of the reader's update.
            await insert_and_wait_echo(writer, len(original), "!")
            assert await writer.text() == original + "!"
            # The reader keeps receiving the others' edits.
            await reader.wait_text("HACKED " + original + "!")

    async with clients(shared_server, doc, 1) as (fresh,):
        assert await fresh.text() == original + "!"


async def test_a_read_only_clients_presence_is_seen_by_others(
    shared_server: ServerProcess, doc: str
) -> None:
    async with (
        clients(shared_server, doc, 1) as (writer,),
        NodeClient.start(
            shared_server.ws_base, doc, shared_server.grant(doc, access="r"), user={"name": "R"}
        ) as reader,
    ):
        assert reader.client_id is not None
        await reader.wait_synced()
        await wait_presence(writer, reader.client_id, {"name": "R"})
        await reader.set_awareness_field("cursor", 4)
        await wait_presence(writer, reader.client_id, {"name": "R", "cursor": 4})


# -------------------------------------------------------------------------- 6. bytes


async def test_the_bytes_of_a_first_sync_and_an_edit_are_the_reference_ones(
    shared_server: ServerProcess, doc: str
) -> None:
    async with NodeClient.start(
        shared_server.ws_base, doc, shared_server.grant(doc), client_id=1, log_frames=True
    ) as client:
        await client.wait_synced()
        assert client.frames("out")[0] == SYNC_STEP1_EMPTY
        # Synced means the server's SyncStep2 came, after its own SyncStep1 (of an empty doc).
        assert client.frames("in")[:2] == [SYNC_STEP1_EMPTY, SYNC_STEP2_EMPTY]

        sent, echo = await insert_and_wait_echo(client, 0, "hi")
        assert sent == bytes.fromhex("00 02 0c 01 01 01 00 04 01 01 74 02 68 69 00")
        assert echo == sent


# -------------------------------------------------------------------- 7. persistence


async def test_text_survives_a_server_kill_and_the_same_editor_carries_on(
    server_factory: type[ServerProcess], sqlite_url: str, doc: str
) -> None:
    server = server_factory(sqlite_url)
    await anyio.to_thread.run_sync(server.start)
    first = "Budget participatif 2025"
    async with NodeClient.start(
        server.ws_base,
        doc,
        server.grant(doc),
        log_frames=True,
        watch_text=True,
        max_backoff_ms=200,
    ) as client:
        assert client.client_id is not None
        await client.wait_synced()
        await insert_and_wait_echo(client, 0, first)

        client.checkpoint()
        mark = len(client.events)
        await anyio.to_thread.run_sync(server.kill)
        await client.wait_event("connection-close", local=False)
        await anyio.to_thread.run_sync(server.start)
        await client.wait_event("status", status="connected", timeout=15)
        await client.wait_synced()

        # Before the client re-sent anything, the restarted server already had its edit.
        greeting = next(
            bytes.fromhex(e["hex"]) for e in client.events[mark:] if _is_frame("in", "")(e)
        )
        assert state_vector_of_sync_step1(greeting) == {client.client_id: len(first)}
        assert await client.text() == first

        await insert_and_wait_echo(client, len(first), " : vote le 12 mai")
        assert await client.text() == first + " : vote le 12 mai"

    async with NodeClient.start(server.ws_base, doc, server.grant(doc)) as fresh:
        await fresh.wait_synced()
        assert await fresh.text() == first + " : vote le 12 mai"


# -------------------------------------------------------------- 8. a malformed frame


async def test_a_malformed_frame_disconnects_only_its_sender(
    shared_server: ServerProcess, doc: str
) -> None:
    async with clients(shared_server, doc, 3, watch_text=True) as (bad, b, c):
        await b.insert(0, "before")
        await c.wait_text("before")

        assert await bad.raw(bytes.fromhex("00 02 05 01 02"))  # update longer than the frame
        await bad.wait_event("connection-close", code=1007)

        await b.insert(len("before"), " after")
        await c.wait_text("before after")
        await c.insert(0, "still ")
        await b.wait_text("still before after")
        for good in (b, c):
            assert good.events_named("connection-close") == [], good.describe()
            assert (await good.state())["attempts"] == 1

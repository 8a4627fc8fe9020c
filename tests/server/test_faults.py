"""Faults under a live server process, each ending with every edit present: the database
unreachable for a few seconds, Redis restarted, the server killed during a compaction, and a
SQLite file that cannot grow (a full disk).

The room's contract under a failing store (``collab/room.py``): updates are applied and kept in
memory, the append is retried with backoff, and an update is sent to the other clients only
once it is durable — so that a freeze, which reads the store, holds everything anyone saw. While
the store is down, people go on typing and see their own text; they see each other's once it
is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import resource
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from collab.protocol import sync_step1_message
from server.db.doc_store import SqlDocumentStore
from server.redis_relay import deployment_namespace
from server.state import create_engine
from tests.conftest import TEST_SECRET, ServerProcess, free_port, migrated_database
from tests.server.test_live_channel import postgres_url  # noqa: F401
from tests.server.test_redis_pause import PrivateRedis, private_redis  # noqa: F401
from tests.ypy_client import YClient, connect

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


# --- helpers ------------------------------------------------------------------------------------


class TcpProxy:
    """A TCP forwarder on loopback, run in a thread of its own (the test's loop may block on a
    server's start), that a test can cut — every open connection reset, new ones refused, as
    when a database restarts — and restore on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        self.restore()
        return self

    def __exit__(self, *_: object) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    def restore(self) -> None:
        self._call(self._listen())

    def cut(self) -> None:
        self._call(self._cut())

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._handle, "127.0.0.1", self.port, reuse_address=True
            )

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()  # RST: the client's next read or write fails at once
        self._open.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._open -= {writer, up_writer}


def health(server: ServerProcess) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(server.http + "/health", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def until_health(server: ServerProcess, check: Any, timeout: float) -> dict[str, Any]:
    """Ask /health until ``check(status, body)`` holds (polling an HTTP endpoint: there is no
    event to wait on from outside the process)."""
    async with asyncio.timeout(timeout):
        while True:
            status, body = await asyncio.to_thread(health, server)
            if check(status, body):
                return body
            await asyncio.sleep(0.1)


def _tail(path: Path, after: int) -> bytes:
    with path.open("rb") as log:
        log.seek(after)
        return log.read()


async def until_log(
    path: Path, needle: str, timeout: float, *, after: int = 0, every: float = 0.01
) -> None:
    """Wait until the server's log holds ``needle`` past byte ``after`` (reading the file every
    ``every`` seconds: the server is another process)."""
    async with asyncio.timeout(timeout):
        while True:
            if needle.encode() in await asyncio.to_thread(_tail, path, after):
                return
            await asyncio.sleep(every)


def holds_all(clients: list[YClient], marks: list[str]) -> bool:
    return all(all(m in str(c) for m in marks) for c in clients)


async def until_all_hold(clients: list[YClient], marks: list[str], timeout: float) -> None:
    for client in clients:
        await client.wait_for(lambda c=client: holds_all([c], marks), timeout=timeout)


async def stored_text(database_url: str, doc: str) -> str:
    """What the store holds for ``doc``, read straight from the database."""
    from pycrdt import Doc, Text

    from collab.store import apply_all

    engine = create_engine(database_url)
    store = SqlDocumentStore(engine)
    try:
        ydoc: Doc[Any] = Doc()
        apply_all(ydoc, await store.load(doc))
        return str(ydoc.get("t", type=Text))
    finally:
        await store.close()
        await engine.dispose()


# --- 1. the database unreachable ------------------------------------------------------------


@pytest.fixture
def proxied_postgres(tmp_path: Path) -> Iterator[tuple[str, str, TcpProxy]]:
    """A migrated PostgreSQL database, its direct URL, and a URL through a proxy that cuts."""
    with migrated_database("postgresql", tmp_path) as direct:
        url = make_url(direct)
        with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
            through = url.set(port=proxy.port).render_as_string(hide_password=False)
            yield direct, through, proxy


@pytest.mark.postgres
async def test_the_database_unreachable_for_seconds_loses_no_edit(
    proxied_postgres: tuple[str, str, TcpProxy], tmp_path: Path, doc: str
) -> None:
    direct, through, proxy = proxied_postgres
    log = tmp_path / "server.log"
    server = ServerProcess(through, log_path=log)
    await asyncio.to_thread(server.start)
    try:
        async with connect(server.doc_url(doc)) as ana, connect(server.doc_url(doc)) as bruno:
            clients = [ana, bruno]
            ana.edit(lambda t: t.insert(len(t), "[avant-a]"))
            bruno.edit(lambda t: t.insert(len(t), "[avant-b]"))
            marks = ["[avant-a]", "[avant-b]"]
            await until_all_hold(clients, marks, timeout=10)

            proxy.cut()  # the database goes away: connections reset, new ones refused
            for i in range(5):
                ana.edit(lambda t, i=i: t.insert(len(t), f"[panne-a{i}]"))
                bruno.edit(lambda t, i=i: t.insert(0, f"[panne-b{i}]"))
                await asyncio.sleep(0)
            marks += [f"[panne-a{i}]" for i in range(5)] + [f"[panne-b{i}]" for i in range(5)]
            # The room tried, failed, and keeps the edits; the instance says it is degraded.
            await until_log(log, "store append failed, retrying", timeout=10)
            body = await until_health(server, lambda s, b: s == 503, timeout=10)
            assert body["database"] == "unavailable"
            # Nothing reaches another client before it is durable (see the module docstring).
            assert "[panne-a0]" not in str(bruno)
            assert "[panne-b0]" not in str(ana)
            # The fault itself: the database stays away a few seconds, people keep typing.
            for i in range(3):
                await asyncio.sleep(1)
                ana.edit(lambda t, i=i: t.insert(len(t), f"[tard-a{i}]"))
                marks.append(f"[tard-a{i}]")
            assert not ana.closed.is_set()
            assert not bruno.closed.is_set()
            proxy.restore()

            await until_all_hold(clients, marks, timeout=15)
            assert str(ana) == str(bruno)
            await until_health(server, lambda s, b: s == 200, timeout=10)
        stored = await stored_text(direct, doc)
        assert all(m in stored for m in marks)
        await asyncio.to_thread(server.restart)  # SIGKILL: the store alone has them now
        async with connect(server.doc_url(doc)) as fresh:
            assert holds_all([fresh], marks)
    finally:
        server.stop()


# --- 2. Redis restarted ---------------------------------------------------------------------


_NAMESPACE = deployment_namespace(TEST_SECRET)  # the test servers' channels (one secret)


async def until_subscribed(
    redis_server: PrivateRedis, doc: str, instances: int, timeout: float
) -> None:
    import redis.asyncio as redis

    client = redis.Redis(port=redis_server.port)
    try:
        async with asyncio.timeout(timeout):
            while True:
                [(_, count)] = await client.pubsub_numsub(f"atelier:{_NAMESPACE}:room:{doc}")
                if count == instances:
                    return
                await asyncio.sleep(0.05)
    finally:
        await client.aclose()


@pytest.mark.postgres
@pytest.mark.redis
async def test_a_redis_restart_during_edits_on_two_instances_loses_no_edit(
    server_factory: type[ServerProcess],
    postgres_url: str,  # noqa: F811
    private_redis: PrivateRedis,  # noqa: F811
    doc: str,
) -> None:
    env = {"ATELIER_REDIS_URL": private_redis.url, "ATELIER_ANTI_ENTROPY_SECONDS": "0.5"}
    one, two = (server_factory(postgres_url, env_overrides=env) for _ in range(2))
    await asyncio.gather(asyncio.to_thread(one.start), asyncio.to_thread(two.start))
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(connect((one, two)[k % 2].doc_url(doc)))
            for k in range(4)
        ]
        for k, client in enumerate(clients):
            client.edit(lambda t, k=k: t.insert(len(t), f"[a{k}]"))
        marks = [f"[a{k}]" for k in range(4)]
        await until_all_hold(clients, marks, timeout=20)

        private_redis.stop()  # connections closed; publishes and the subscription fail
        for server in (one, two):
            body = await until_health(server, lambda s, b: s == 503, timeout=20)
            assert body["broker"] == "unavailable"
        for k, client in enumerate(clients):
            for i in range(3):
                client.edit(lambda t, k=k, i=i: t.insert(len(t), f"[b{k}-{i}]"))
            await client.round_trip()  # stored by its own instance, Redis or not
        marks += [f"[b{k}-{i}]" for k in range(4) for i in range(3)]
        private_redis.start()  # the same port, empty: no subscription survives in Redis
        for server in (one, two):
            await until_health(server, lambda s, b: s == 200, timeout=20)
        await until_all_hold(clients, marks, timeout=30)

        # Both instances subscribed again to the fresh Redis (live relaying, not only the
        # store's catch-up), and a new edit crosses over.
        await until_subscribed(private_redis, doc, instances=2, timeout=10)
        clients[0].edit(lambda t: t.insert(len(t), "[c]"))
        marks.append("[c]")
        await until_all_hold(clients, marks, timeout=10)
        assert len({str(c) for c in clients}) == 1
    stored = await stored_text(postgres_url, doc)
    assert all(m in stored for m in marks)


# --- 3. killed during a compaction ----------------------------------------------------------

#: Seconds between seeing a compaction start in the log and the SIGKILL: one kill per offset.
KILL_OFFSETS = (0.0, 0.002, 0.004, 0.008, 0.015)
_MARK = re.compile(r"\[(\d+)\]")


async def log_counters(database_url: str, doc: str) -> tuple[int, int, int, int]:
    """The document's log counters and what its rows add up to, read in one statement."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT d.log_rows, d.log_bytes, "
                        "(SELECT count(*) FROM document_updates u WHERE u.document_id = d.id), "
                        "(SELECT coalesce(sum(length(u.data)), 0) FROM document_updates u "
                        " WHERE u.document_id = d.id) FROM documents d WHERE d.id = :doc"
                    ),
                    {"doc": doc},
                )
            ).one()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])
    finally:
        await engine.dispose()


async def test_a_server_killed_during_compactions_keeps_every_acknowledged_edit(
    database_url: str, tmp_path: Path, doc: str
) -> None:
    log = tmp_path / "server.log"
    # Compact every 4 rows whatever the snapshot's size (growth 0): by default a 300 KB document
    # waits for 150 KB of edits, about 1,150 of the small ones typed below, some 20 s on
    # PostgreSQL, which is the wait for a compaction's start.
    env = {
        "ATELIER_COMPACT_AFTER_ROWS": "4",
        "ATELIER_COMPACT_GROWTH": "0",
        "ATELIER_LOG_LEVEL": "DEBUG",
    }
    server = ServerProcess(database_url, env_overrides=env, log_path=log)
    await asyncio.to_thread(server.start)
    typed = itertools.count()
    acked: list[int] = []
    landed_inside = 0
    try:
        # A document big enough for a compaction to take a moment: 300 KB in its snapshot.
        async with connect(server.doc_url(doc)) as writer:
            for i in range(30):
                writer.edit(lambda t, i=i: t.insert(len(t), f"<{i:02d}>" + "~" * 10_000))
                await writer.round_trip()

        for offset in KILL_OFFSETS:
            start = log.stat().st_size
            async with connect(server.doc_url(doc)) as writer:

                async def type_on(writer: YClient = writer) -> None:
                    while True:  # one edit at a time, each acknowledged (durable) before the next
                        n = next(typed)
                        writer.edit(lambda t, n=n: t.insert(len(t), f"[{n}]"))
                        await writer.round_trip()
                        acked.append(n)

                typing = asyncio.create_task(type_on())
                await until_log(log, f"compact {doc}: merging", 20, after=start, every=0.001)
                await asyncio.sleep(offset)
                server.kill()
                typing.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await typing
            events = re.findall(rf"compact {doc}: (merging|done)", _tail(log, start).decode())
            landed_inside += events[-1] == "merging"

            await asyncio.to_thread(server.start)
            async with connect(server.doc_url(doc)) as reader:
                marks = [int(m) for m in _MARK.findall(str(reader))]
                big = re.findall(r"<(\d\d)>", str(reader))
            # Every acknowledged edit, in order, once; of the others (in flight when killed),
            # some may be there too.
            assert marks == sorted(set(marks))
            assert set(acked) <= set(marks)
            assert big == [f"{i:02d}" for i in range(30)]
            rows, size, counted_rows, counted_size = await log_counters(database_url, doc)
            assert (rows, size) == (counted_rows, counted_size)
        # The kills are timed by the log: at least one must have cut a compaction short (it
        # logged its start, not its end).
        assert landed_inside >= 1, "no kill landed inside a compaction"
    finally:
        server.stop()


# --- 4. a full disk under SQLite ----------------------------------------------------------


def disk_full(server: ServerProcess, full: bool) -> None:
    """No file of the server process may grow (RLIMIT_FSIZE 0: every write fails with EFBIG,
    which SQLite reports as an I/O error; a real full disk gives SQLITE_FULL, handled alike),
    or, ``full=False``, space again. CPython ignores SIGXFSZ, so the process stays up."""
    assert server.process is not None
    limit = 0 if full else resource.RLIM_INFINITY
    resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))


async def test_a_full_disk_under_sqlite_keeps_the_edits_in_memory_until_space_returns(
    sqlite_url: str, tmp_path: Path, doc: str
) -> None:
    server = ServerProcess(sqlite_url, log_path=tmp_path / "server.log")
    await asyncio.to_thread(server.start)
    try:
        async with contextlib.AsyncExitStack() as stack:
            ana = await stack.enter_async_context(connect(server.doc_url(doc)))
            bruno = await stack.enter_async_context(connect(server.doc_url(doc)))
            ana.edit(lambda t: t.insert(len(t), "[avant-a]"))
            bruno.edit(lambda t: t.insert(len(t), "[avant-b]"))
            marks = ["[avant-a]", "[avant-b]"]
            await until_all_hold([ana, bruno], marks, timeout=10)

            disk_full(server, True)
            for i in range(5):
                ana.edit(lambda t, i=i: t.insert(len(t), f"[plein-a{i}]"))
                bruno.edit(lambda t, i=i: t.insert(0, f"[plein-b{i}]"))
                await asyncio.sleep(0)
            marks += [f"[plein-a{i}]" for i in range(5)] + [f"[plein-b{i}]" for i in range(5)]
            body = await until_health(server, lambda s, b: s == 503, timeout=10)
            assert (body["database"], body["store"]) == ("ok", "failing")  # reads, cannot write
            # Someone joining now is answered once what the room holds is durable, not before.
            late = await stack.enter_async_context(connect(server.doc_url(doc, "r"), sync=False))
            await late.send(sync_step1_message(late.doc.get_state()))
            for i in range(3):  # the fault itself: the disk stays full a few seconds
                await asyncio.sleep(1)
                ana.edit(lambda t, i=i: t.insert(len(t), f"[tard-a{i}]"))
                marks.append(f"[tard-a{i}]")
            assert server.process is not None
            assert server.process.poll() is None
            assert not any(c.closed.is_set() for c in (ana, bruno, late))
            assert not late.synced.is_set()
            disk_full(server, False)

            await until_all_hold([ana, bruno, late], marks, timeout=15)
            assert str(ana) == str(bruno) == str(late)
            await until_health(server, lambda s, b: s == 200, timeout=10)
        stored = await stored_text(sqlite_url, doc)
        assert all(m in stored for m in marks)
        await asyncio.to_thread(server.restart)
        async with connect(server.doc_url(doc)) as fresh:
            assert holds_all([fresh], marks)
    finally:
        server.stop()

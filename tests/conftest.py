"""Shared fixtures: databases (SQLite always; PostgreSQL when reachable, mandatory in CI) and a
real server process (uvicorn, as `atelier serve` runs it).

Set ``ATELIER_REQUIRE_SERVICES=1`` (``.ci/run`` does) to turn a missing PostgreSQL or Redis from
a skip into a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from server.auth import mint_grant
from server.settings import DEV_SECRET_KEY

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("ATELIER_REQUIRE_SERVICES") == "1"
POSTGRES_ADMIN_URL = os.environ.get(
    "ATELIER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def _unavailable(what: str, why: str) -> None:
    message = f"{what} unavailable ({why})"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and ATELIER_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


# --- databases ------------------------------------------------------------------------------


async def _pg_admin(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    name = f"atelier_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        _unavailable("PostgreSQL", f"{POSTGRES_ADMIN_URL}: {exc}")
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        with contextlib.suppress(Exception):
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def migrated_database(kind: str, folder: Path) -> Iterator[str]:
    """A migrated, empty database of ``kind`` (``sqlite`` in ``folder``, or ``postgresql``)."""
    from server.db.migrate import upgrade

    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'atelier.db'}"
        upgrade(url)
        yield url
    else:
        with postgres_database() as url:
            upgrade(url)
            yield url


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: once on SQLite, once on PostgreSQL."""
    with migrated_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    with migrated_database("sqlite", tmp_path) as url:
        yield url


# --- a real server process --------------------------------------------------------------------


def free_port() -> int:
    """A port free now. Only for what cannot take a bound socket: a server started by
    :class:`ServerProcess` gets its socket bound before it starts (:func:`listening_socket`),
    so no other process can take its port in between."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening_socket(port: int = 0) -> socket.socket:
    """A TCP socket bound on loopback (``port``, or one the kernel picks) and listening, for a
    server process to inherit (``atelier serve --fd``)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def issue_credential(database_url: str, kind: str, name: str) -> str:
    """Issue a credential straight into a database (from any thread, event loop or not)."""
    from server.services import credentials
    from server.state import create_engine

    async def issue() -> str:
        engine = create_engine(database_url)
        try:
            return await credentials.issue(engine, TEST_SECRET, kind, name, 3600)  # type: ignore[arg-type]
        finally:
            await engine.dispose()

    issued: list[str] = []
    worker = threading.Thread(target=lambda: issued.append(asyncio.run(issue())))
    worker.start()
    worker.join()
    return issued[0]


#: Servers started by this test session, by base URL: helpers that hold only an HTTP client
#: (``tests.server.test_ateliers_api.Room``) find their server's staff credential here.
RUNNING: dict[str, ServerProcess] = {}


@dataclass
class ServerProcess:
    """`atelier serve` in a subprocess, on a free port, with its own database."""

    database_url: str
    env_overrides: dict[str, str] = field(default_factory=dict)
    port: int = 0  # picked by the kernel at the first start, then kept across restarts
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    staff: str | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/docs"

    def doc_url(self, doc: str, access: str = "rw", *, token: str | None = None) -> str:
        return f"{self.ws_base}/{doc}?token={token or self.grant(doc, access)}"

    def grant(self, doc: str, access: str = "rw", ttl: int = 3600, subject: str = "test") -> str:
        return mint_grant(TEST_SECRET, doc, access, subject, ttl)  # type: ignore[arg-type]

    def credential(self, kind: str = "staff", name: str = "Démocratie locale") -> str:
        """A token of an operator-issued credential on this server's database, as
        ``atelier facilitator-invite`` or ``atelier council-token`` would print."""
        return issue_credential(self.database_url, kind, name)

    def staff_token(self) -> str:
        """One staff credential for this server, issued on first use."""
        if self.staff is None:
            self.staff = self.credential("staff")
        return self.staff

    def __post_init__(self) -> None:
        # The port is known before the first start (URLs are built from it), and its socket
        # is held from now until the server inherits it: nothing else can take it.
        self._socket: socket.socket | None = listening_socket(self.port)
        self.port = int(self._socket.getsockname()[1])

    def start(self) -> None:
        RUNNING[self.http] = self
        if self._socket is None:  # a restart: the last server had the only copy
            self._socket = listening_socket(self.port)
        sock, self._socket = self._socket, None
        env = {
            **os.environ,
            "ATELIER_DATABASE_URL": self.database_url,
            "ATELIER_SECRET_KEY": TEST_SECRET,
            "ATELIER_ROOM_IDLE_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
            **self.env_overrides,
        }
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        fd = sock.fileno()
        with sock:  # the child has its own copy once started; ours is closed
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "server.cli", "serve"),
                    *("--port", str(self.port), "--fd", str(fd)),
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
                pass_fds=(fd,),
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.process.returncode}; see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(self.http + "/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)  # polling a port that is not open yet: nothing to wait on
        self.kill()  # no test will stop it: left running, it would load every test after it
        raise RuntimeError("server did not become healthy within 20 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self, *, kill: bool = True) -> None:
        self.kill() if kill else self.stop()
        self.start()

    @contextlib.contextmanager
    def running(self) -> Iterator[ServerProcess]:
        self.start()
        try:
            yield self
        finally:
            self.stop()


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(sqlite_url, log_path=tmp_path / "server.log").running() as srv:
        yield srv


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for a whole module; its tests use their own document ids (see ``doc``)."""
    folder = tmp_path_factory.mktemp("shared")
    with (
        migrated_database("sqlite", folder) as url,
        ServerProcess(url, log_path=folder / "server.log").running() as srv,
    ):
        yield srv


@pytest.fixture
def doc(request: pytest.FixtureRequest) -> str:
    """A document id no other test uses."""
    return f"doc-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def server_on(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """A server on SQLite, then on PostgreSQL."""
    with ServerProcess(database_url, log_path=tmp_path / "server.log").running() as srv:
        yield srv


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[type[ServerProcess]]:
    started: list[ServerProcess] = []

    class Factory(ServerProcess):
        def start(self) -> None:
            if self.log_path is None:
                self.log_path = tmp_path / f"server-{self.port}.log"
            started.append(self)
            super().start()

    yield Factory
    for srv in started:
        srv.stop()


__all__ = [
    "DEV_SECRET_KEY",
    "TEST_SECRET",
    "AsyncIterator",
    "ServerProcess",
    "postgres_database",
]


REDIS_URL = os.environ.get("ATELIER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis (mandatory in CI); tests use their own channel and key names."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        _unavailable("Redis", f"{REDIS_URL}: {exc}")
    return REDIS_URL

"""How to start, address and stop each server under test.

Each server gets a fresh working directory per scenario (its database or store lives there), a
free loopback port, and a log file; ``persistent=True`` turns on the anchors' optional
persistence (needed only by the join scenario, which restarts the server).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.install import NODE_DIR, PYWS_DIR
from bench.procs import Proc, free_port, wait_port

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
LAUNCHERS = Path(__file__).resolve().parent / "launchers"


@dataclass
class Running:
    spec: ServerSpec
    proc: Proc
    port: int
    workdir: Path
    persistent: bool
    starts: int = 1
    #: Further instances of the same server (a cluster), after ``proc``, and their ports.
    others: list[Proc] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    @property
    def all_ports(self) -> list[int]:
        return [self.port, *self.ports]

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def pids(self) -> list[int]:
        return [self.proc.pid, *(p.pid for p in self.others)]

    @property
    def procs(self) -> list[Proc]:
        return [self.proc, *self.others]


@dataclass
class ServerSpec:
    key: str
    label: str
    framing: str = "y"  # or "hocuspocus"
    stop_signal: int = signal.SIGTERM
    secret: str = field(default_factory=lambda: secrets.token_hex(24))

    # --- overridden per server ---------------------------------------------------------------

    def argv_env(
        self, port: int, workdir: Path, persistent: bool
    ) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def prepare(self, workdir: Path) -> None:
        """Once per fresh working directory (Atelier: migrate the database)."""

    def url(self, port: int, room: str) -> str:
        return f"ws://127.0.0.1:{port}/{room}"

    def tokens(self, rooms: list[str]) -> dict[str, str]:
        return {}

    def cleanup(self, running: Running) -> None:
        """After the last process stopped (a cluster drops its database)."""

    # --- common -------------------------------------------------------------------------------

    def start(
        self,
        workdir: Path,
        *,
        persistent: bool = False,
        fresh: bool = True,
        logs: Path,
        port: int | None = None,
    ) -> Running:
        workdir.mkdir(parents=True, exist_ok=True)
        if fresh:
            self.prepare(workdir)
        port = port or free_port()
        proc = self.launch(self.key, port, workdir, persistent, logs)
        return Running(self, proc, port, workdir, persistent)

    def launch(self, name: str, port: int, workdir: Path, persistent: bool, logs: Path) -> Proc:
        """One process of this server on ``port``, once the port accepts connections."""
        argv, env = self.argv_env(port, workdir, persistent)
        proc = Proc(
            name,
            argv,
            env={**os.environ, **env},
            cwd=workdir,
            log_path=logs / f"{workdir.name}.{name}.log",
        )
        wait_port(port, proc)
        return proc

    def restart(self, running: Running, logs: Path) -> Running:
        stop(running)
        again = self.start(
            running.workdir,
            persistent=running.persistent,
            fresh=False,
            logs=logs,
            port=running.port,
        )
        again.starts = running.starts + 1
        return again

    def urls(self, running: Running, rooms: list[str]) -> dict[str, str]:
        tokens = self.tokens(rooms)
        out = {}
        for room in rooms:
            url = self.url(running.port, room)
            if room in tokens:
                url += f"?token={tokens[room]}"
            out[room] = url
        return out


def stop(running: Running, grace: float = 30.0) -> int | None:
    for other in running.others:
        other.stop(running.spec.stop_signal, grace)
    code = running.proc.stop(running.spec.stop_signal, grace)
    running.spec.cleanup(running)
    return code


class Atelier(ServerSpec):
    def __init__(self) -> None:
        super().__init__("atelier", "Atelier", stop_signal=signal.SIGINT)

    def _env(self, workdir: Path) -> dict[str, str]:
        # ATELIER_COMPACT_AFTER_ROWS and every other setting: defaults, except the per-client
        # WebSocket limits, which a load generator is made to exceed: every client comes from
        # one address (10,000 idle connections), and the trace writer sends as fast as it can.
        # The anchors have no such limits either.
        return {
            "ATELIER_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'atelier.db'}",
            "ATELIER_SECRET_KEY": self.secret,
            "ATELIER_WS_CONNECTIONS_PER_ADDRESS": "0",
            "ATELIER_WS_MESSAGES_PER_SECOND": "0",
        }

    def prepare(self, workdir: Path) -> None:
        """A freshly migrated database: ``atelier db upgrade`` once per run, then copies."""
        template = workdir.parent / "atelier-migrated.db"
        if not template.exists():
            scratch = workdir.parent / "atelier-migrate"
            scratch.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [str(VENV_BIN / "atelier"), "db", "upgrade"],
                cwd=scratch,
                check=True,
                env={**os.environ, **self._env(scratch)},
                capture_output=True,
            )
            shutil.copyfile(scratch / "atelier.db", template)
        shutil.copyfile(template, workdir / "atelier.db")

    def argv_env(
        self, port: int, workdir: Path, persistent: bool
    ) -> tuple[list[str], dict[str, str]]:
        return [str(VENV_BIN / "atelier"), "serve", "--port", str(port)], self._env(workdir)

    def url(self, port: int, room: str) -> str:
        return f"ws://127.0.0.1:{port}/ws/docs/{room}"

    def tokens(self, rooms: list[str]) -> dict[str, str]:
        from server.auth import mint_grant

        return {room: mint_grant(self.secret, room, "rw", "bench", 6 * 3600) for room in rooms}


class AtelierNoSync(Atelier):
    """Atelier with its commits not synced to disk (``ATELIER_SQLITE_SYNCHRONOUS=normal``), as
    the anchors keep nothing on disk before they broadcast: what the live path costs apart from
    the wait for the disk. Never a setting for production — a power cut loses the last edits."""

    def __init__(self) -> None:
        super().__init__()
        self.key = "atelier-nosync"
        self.label = "Atelier without fsync"

    def _env(self, workdir: Path) -> dict[str, str]:
        return {**super()._env(workdir), "ATELIER_SQLITE_SYNCHRONOUS": "normal"}


class AtelierCluster(Atelier):
    """Atelier in production shape: ``instances`` processes on PostgreSQL and Redis (the
    machine's, on loopback), each room's clients spread over them in turn — no stickiness.

    With one instance it measures what PostgreSQL and the Redis relay cost against the embedded
    default; with two, what a second instance adds (issue #6). Each start gets a new database.
    """

    def __init__(self, instances: int) -> None:
        super().__init__()
        self.instances = instances
        self.key = f"atelier-pg{instances}"
        self.label = f"Atelier ×{instances} (PostgreSQL + Redis)"
        self.pg = os.environ.get("BENCH_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
        self.redis = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
        self._databases: dict[Path, str] = {}

    def _env(self, workdir: Path) -> dict[str, str]:
        name = self._databases.setdefault(workdir, f"bench_{secrets.token_hex(6)}")
        return {
            "ATELIER_DATABASE_URL": f"{self.pg}/{name}",
            "ATELIER_REDIS_URL": self.redis,
            "ATELIER_SECRET_KEY": self.secret,
        }

    def _psql(self, sql: str) -> None:
        dsn = self.pg.replace("postgresql+asyncpg", "postgresql") + "/postgres"
        subprocess.run(["psql", dsn, "-qc", sql], check=True, capture_output=True)

    def prepare(self, workdir: Path) -> None:
        self._databases.pop(workdir, None)
        name = self._env(workdir)["ATELIER_DATABASE_URL"].rsplit("/", 1)[1]
        self._psql(f"CREATE DATABASE {name}")
        subprocess.run(
            [str(VENV_BIN / "atelier"), "db", "upgrade"],
            cwd=workdir,
            check=True,
            env={**os.environ, **self._env(workdir)},
            capture_output=True,
        )

    def start(
        self,
        workdir: Path,
        *,
        persistent: bool = False,
        fresh: bool = True,
        logs: Path,
        port: int | None = None,
    ) -> Running:
        first = super().start(workdir, persistent=persistent, fresh=fresh, logs=logs, port=port)
        try:
            for i in range(1, self.instances):
                other = free_port()
                first.others.append(
                    self.launch(f"{self.key}-{i}", other, workdir, persistent, logs)
                )
                first.ports.append(other)
        except BaseException:
            stop(first)
            raise
        return first

    def urls(self, running: Running, rooms: list[str]) -> dict[str, Any]:
        tokens = self.tokens(rooms)
        return {
            room: [f"{self.url(port, room)}?token={tokens[room]}" for port in running.all_ports]
            for room in rooms
        }

    def cleanup(self, running: Running) -> None:
        name = self._databases.pop(running.workdir, None)
        if name:
            self._psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class NodeReference(ServerSpec):
    def __init__(self) -> None:
        super().__init__("yws", "y-websocket-server (Node)")

    def argv_env(
        self, port: int, workdir: Path, persistent: bool
    ) -> tuple[list[str], dict[str, str]]:
        env = {"HOST": "127.0.0.1", "PORT": str(port)}
        if persistent:
            env["YPERSISTENCE"] = str(workdir / "leveldb")
        server = NODE_DIR / "node_modules/@y/websocket-server/src/server.js"
        return ["node", str(server)], env


class Hocuspocus(ServerSpec):
    def __init__(self) -> None:
        super().__init__("hocuspocus", "Hocuspocus 4", framing="hocuspocus")

    def argv_env(
        self, port: int, workdir: Path, persistent: bool
    ) -> tuple[list[str], dict[str, str]]:
        env = {"PORT": str(port)}
        if persistent:
            store = workdir / "hocuspocus-store"
            store.mkdir(exist_ok=True)
            env["HOCUSPOCUS_STORE_DIR"] = str(store)
        return ["node", str(NODE_DIR / "hocuspocus_server.mjs")], env

    def tokens(self, rooms: list[str]) -> dict[str, str]:
        return {}


class PycrdtWebsocket(ServerSpec):
    def __init__(self) -> None:
        super().__init__("pyws", "pycrdt-websocket", stop_signal=signal.SIGINT)

    def argv_env(
        self, port: int, workdir: Path, persistent: bool
    ) -> tuple[list[str], dict[str, str]]:
        argv = [str(PYWS_DIR / "bin/python"), str(LAUNCHERS / "pyws_app.py"), "--port", str(port)]
        if persistent:
            store = workdir / "pyws-store"
            store.mkdir(exist_ok=True)
            argv += ["--store", str(store)]
        return argv, {}


ALL = {
    s.key: s
    for s in (
        Atelier(),
        NodeReference(),
        Hocuspocus(),
        PycrdtWebsocket(),
        AtelierNoSync(),
        AtelierCluster(1),
        AtelierCluster(2),
    )
}
ALIASES = {
    "atelier": "atelier",
    "yws": "yws",
    "node": "yws",
    "y-websocket-server": "yws",
    "reference": "yws",
    "hocuspocus": "hocuspocus",
    "hocus": "hocuspocus",
    "pyws": "pyws",
    "pycrdt-websocket": "pyws",
    "pycrdt": "pyws",
    "atelier-nosync": "atelier-nosync",
    "atelier-pg1": "atelier-pg1",
    "atelier-pg2": "atelier-pg2",
}

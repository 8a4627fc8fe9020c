"""Scale-out faults: Redis paused (SIGSTOP) while people type on two instances, then an
instance killed; in the end every client and the store hold every edit."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import redis

from tests.conftest import ServerProcess, _unavailable, free_port
from tests.server.test_live_channel import postgres_url  # noqa: F401
from tests.ypy_client import YClient, connect

pytestmark = [pytest.mark.anyio, pytest.mark.postgres, pytest.mark.redis]


@dataclass
class PrivateRedis:
    """A redis-server of the test's own, on a port of its own, so that pausing, stopping or
    restarting it disturbs nothing else."""

    binary: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    return
            if self.process.poll() is not None:
                pytest.fail("redis-server exited at start")
            time.sleep(0.05)  # the port is not open yet: nothing to wait on
        pytest.fail("redis-server did not answer within 5 s")

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """A clean shutdown: its clients' connections close."""
        if self.process is not None and self.process.poll() is None:
            self.resume()
            self.process.terminate()
            self.process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        _unavailable("redis-server", "not on PATH")
    server = PrivateRedis(binary)
    server.start()
    yield server
    server.stop()


def everyone_has(clients: list[YClient], marks: set[str]) -> bool:
    return all(all(mark in str(c) for mark in marks) for c in clients)


async def until_everyone_has(clients: list[YClient], marks: set[str], timeout: float) -> None:
    """Each client in turn, woken by its own changes."""
    for client in clients:
        await client.wait_for(lambda c=client: everyone_has([c], marks), timeout=timeout)


async def test_a_redis_pause_and_a_killed_instance_lose_no_edit(
    server_factory: type[ServerProcess],
    postgres_url: str,  # noqa: F811
    private_redis: PrivateRedis,
) -> None:
    env = {"ATELIER_REDIS_URL": private_redis.url, "ATELIER_ANTI_ENTROPY_SECONDS": "0.5"}
    one, two = (server_factory(postgres_url, env_overrides=env) for _ in range(2))
    one.start()
    two.start()
    doc = "plan-velo"
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(connect((one, two)[k % 2].doc_url(doc)))
            for k in range(6)
        ]
        for k, client in enumerate(clients):
            client.edit(lambda t, k=k: t.insert(len(t), f"[a{k}]"))
        marks = {f"[a{k}]" for k in range(6)}
        await until_everyone_has(clients, marks, timeout=20)

        private_redis.pause()
        for k, client in enumerate(clients):
            for i in range(3):
                client.edit(lambda t, k=k, i=i: t.insert(len(t), f"[b{k}-{i}]"))
            await client.round_trip()  # stored by its own instance
        marks |= {f"[b{k}-{i}]" for k in range(6) for i in range(3)}
        await asyncio.sleep(3)  # the fault itself: Redis stays paused a few seconds
        private_redis.resume()
        await until_everyone_has(clients, marks, timeout=40)
        texts = {str(c) for c in clients}
        assert len(texts) == 1  # converged, not only complete

    two.kill()  # SIGKILL: it loses nothing any client saw
    two.start()
    async with connect(two.doc_url(doc)) as late, connect(one.doc_url(doc)) as other:
        assert everyone_has([late, other], marks)
        assert str(late) == str(other) == texts.pop()

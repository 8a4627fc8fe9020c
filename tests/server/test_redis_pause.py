"""Scale-out faults: Redis paused (SIGSTOP) while people type on two instances, then an
instance killed; in the end every client and the store hold every edit."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import subprocess
from collections.abc import Iterator

import pytest
import redis

from tests.conftest import ServerProcess, _unavailable, free_port
from tests.server.test_live_channel import postgres_url  # noqa: F401
from tests.ypy_client import YClient, connect

pytestmark = [pytest.mark.anyio, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def private_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis of this test's own, so pausing it disturbs nothing else."""
    binary = shutil.which("redis-server")
    if binary is None:
        _unavailable("redis-server", "not on PATH")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=1)
    for _ in range(100):
        with contextlib.suppress(redis.ConnectionError):
            if client.ping():
                break
        if process.poll() is not None:
            pytest.fail("redis-server exited at start")
        subprocess.run(["sleep", "0.05"], check=True)  # the port is not open yet
    yield f"redis://127.0.0.1:{port}/0", process
    process.send_signal(signal.SIGCONT)
    process.terminate()
    process.wait(10)


def everyone_has(clients: list[YClient], marks: set[str]) -> bool:
    return all(all(mark in str(c) for mark in marks) for c in clients)


async def until_everyone_has(clients: list[YClient], marks: set[str], timeout: float) -> None:
    """Each client in turn, woken by its own changes."""
    for client in clients:
        await client.wait_for(lambda c=client: everyone_has([c], marks), timeout=timeout)


async def test_a_redis_pause_and_a_killed_instance_lose_no_edit(
    server_factory: type[ServerProcess],
    postgres_url: str,  # noqa: F811
    private_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    redis_url, redis_process = private_redis
    env = {"ATELIER_REDIS_URL": redis_url, "ATELIER_ANTI_ENTROPY_SECONDS": "0.5"}
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

        redis_process.send_signal(signal.SIGSTOP)
        for k, client in enumerate(clients):
            for i in range(3):
                client.edit(lambda t, k=k, i=i: t.insert(len(t), f"[b{k}-{i}]"))
            await client.round_trip()  # stored by its own instance
        marks |= {f"[b{k}-{i}]" for k in range(6) for i in range(3)}
        await asyncio.sleep(3)  # the fault itself: Redis stays paused a few seconds
        redis_process.send_signal(signal.SIGCONT)
        await until_everyone_has(clients, marks, timeout=40)
        texts = {str(c) for c in clients}
        assert len(texts) == 1  # converged, not only complete

    two.kill()  # SIGKILL: it loses nothing any client saw
    two.start()
    async with connect(two.doc_url(doc)) as late, connect(one.doc_url(doc)) as other:
        assert everyone_has([late, other], marks)
        assert str(late) == str(other) == texts.pop()

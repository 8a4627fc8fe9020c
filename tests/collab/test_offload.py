"""Compaction's squash in a worker process: the same bytes as inline, failures as StoreError."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from collab.offload import SquashWorker
from collab.store import StoreError, squash
from tests.collab.helpers import text_updates
from tests.collab.test_room import POISONS_MERGES
from tests.conftest import ROOT

pytestmark = pytest.mark.anyio


@pytest.fixture
async def worker() -> AsyncIterator[SquashWorker]:
    worker = SquashWorker()
    yield worker
    await worker.close()


async def test_the_worker_squashes_a_log_to_the_same_bytes_as_inline(worker: SquashWorker) -> None:
    log = text_updates(*[(i, "abcdefghij"[i % 10]) for i in range(300)])
    snapshot = squash(log[:200])
    assert await worker.squash([snapshot, *log[200:]]) == squash([snapshot, *log[200:]])
    assert worker.squashes == 1


async def test_a_log_that_cannot_be_squashed_raises_store_error_and_the_worker_goes_on(
    worker: SquashWorker,
) -> None:
    honest = text_updates((0, "toujours là"))
    with pytest.raises(StoreError):
        await worker.squash([POISONS_MERGES, *honest])
    assert await worker.squash(honest) == squash(honest)


async def test_a_worker_that_dies_fails_its_squash_and_the_next_one_starts_a_new_worker(
    worker: SquashWorker,
) -> None:
    log = text_updates((0, "a"), (1, "b"))
    await worker.squash(log)  # started
    pool = worker._pool
    assert pool is not None
    for pid in list(pool._processes):  # the worker is killed (OOM killer, operator)
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(StoreError, match="died"):
        await worker.squash(log)
    assert await worker.squash(log) == squash(log)


async def test_nothing_to_squash_is_a_store_error_not_a_crash(worker: SquashWorker) -> None:
    with pytest.raises(StoreError, match="nothing to squash"):
        await worker.squash([])


def test_a_killed_server_leaves_no_worker_behind(tmp_path: Path) -> None:
    # A process that starts a worker, reports its pid, and is then killed with SIGKILL.
    script = tmp_path / "server.py"
    script.write_text(
        textwrap.dedent(
            """
            import asyncio, sys, time
            from collab.offload import SquashWorker
            from tests.collab.helpers import text_updates

            async def main():
                worker = SquashWorker()
                await worker.squash(text_updates((0, "a")))
                print(*worker._pool._processes, flush=True)
                time.sleep(60)

            if __name__ == "__main__":  # spawn imports this file again in the worker
                asyncio.run(main())
            """
        )
    )
    server = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert server.stdout is not None
        (worker_pid,) = map(int, server.stdout.readline().split())
        assert _alive(worker_pid)
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 10
    while _alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker_pid), "the squash worker outlived its killed server"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
async def test_the_signal_that_stops_the_server_leaves_the_worker_for_its_last_compactions(
    worker: SquashWorker, stop: signal.Signals
) -> None:
    # Ctrl-C reaches the whole process group; systemd signals every process of the unit. The
    # server then closes its rooms, compacting each: the worker must still be there.
    log = text_updates((0, "a"), (1, "b"))
    await worker.squash(log)
    assert worker._pool is not None
    (pid,) = worker._pool._processes
    os.kill(pid, stop)
    assert await worker.squash(log) == squash(log)
    assert worker._pool is not None
    assert list(worker._pool._processes) == [pid]  # the same worker


async def test_the_worker_yields_the_processor_to_the_server(worker: SquashWorker) -> None:
    # On a server of two cores a squash must not take a core from the rooms' sends.
    await worker.squash(text_updates((0, "a")))
    assert worker._pool is not None
    (pid,) = worker._pool._processes
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, pid) >= min(ours + 10, 19)


class _NoStartWorker(SquashWorker):
    """A worker process that cannot start here (its initializer fails, as the import of an
    unimportable main module would)."""

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_fail
        )


def _fail() -> None:
    raise RuntimeError("this worker cannot start")


async def test_a_worker_that_cannot_start_is_given_up_and_logs_are_still_compacted() -> None:
    worker = _NoStartWorker()
    log = text_updates((0, "a"), (1, "b"))
    try:
        for _ in range(SquashWorker.GIVE_UP_AFTER):
            with pytest.raises(StoreError, match="died"):
                await worker.squash(log)
        assert await worker.squash(log) == squash(log)  # inline now
        assert worker.inline_squashes == 1
    finally:
        await worker.close()

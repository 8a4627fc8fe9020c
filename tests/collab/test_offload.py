"""Compaction's squash in a worker process: the same bytes as inline, failures as StoreError."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator

import pytest

from collab.offload import SquashWorker
from collab.store import StoreError, squash
from tests.collab.helpers import text_updates
from tests.collab.test_room import POISONS_MERGES

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

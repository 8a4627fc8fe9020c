"""Bounded worker processes for the work that must never hold the event loop.

A PDF of a long proposal takes seconds of pure Python (fpdf2), and decoding an image takes as
much memory as its pixels: on the loop, one such request stalled every room and every request of
the instance for seconds (issue 23, finding 1). Here each job runs in a worker process, with

* a bounded number of workers (``workers``), each running one job at a time;
* a bounded number of jobs waiting for one (``max_waiting``): past it, :class:`RenderBusy` at
  once (the route answers 503 with ``Retry-After``) instead of a queue that grows with the
  attack;
* a time limit per job (``timeout``): the worker that passes it is killed and replaced, and the
  job raises :class:`RenderTimeout`;
* a memory limit per worker (``memory_bytes``, ``RLIMIT_AS``): a job that needs more fails with
  :class:`RenderFailed` in its worker, never in the server;
* a new worker after ``jobs_per_worker`` jobs, so the memory a large render took is given back.

Workers start on first use (``spawn``: a fresh interpreter, never a fork of a threaded
process), run at a lower priority than the server and die with it (``PR_SET_PDEATHSIG``).
A job is a module-level function and its arguments, both picklable; what it raises comes back
here: :class:`~server.documents.images.ImageRejected` as itself, anything else as
:class:`RenderFailed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import os
import resource
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

from collab.offload import die_with

__all__ = ["RenderBusy", "RenderError", "RenderFailed", "RenderPool", "RenderTimeout"]

log = logging.getLogger("atelier.render")

P = ParamSpec("P")
T = TypeVar("T")


class RenderError(Exception):
    """A job could not be done; the subclasses say why."""


class RenderBusy(RenderError):
    """Every worker is busy and ``max_waiting`` jobs already wait: try again shortly."""


class RenderTimeout(RenderError):
    """The job took longer than the time limit; its worker was killed."""


class RenderFailed(RenderError):
    """The job raised, ran out of memory, or its worker died."""


def _start_worker(parent: int, memory_bytes: int) -> None:
    """First thing in a worker: as a squash worker starts (``collab.offload.die_with``), and
    never more than ``memory_bytes`` of address space."""
    die_with(parent)
    if memory_bytes > 0:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _warm_up() -> None:
    """The first task of a worker: import what the jobs use (the server itself does not)."""
    from server.documents.jobs import warm_up

    warm_up()


class _Worker:
    """One worker process (a one-process pool), replaced when it dies or is killed."""

    def __init__(self, memory_bytes: int, jobs_per_worker: int) -> None:
        self._memory_bytes = memory_bytes
        self._jobs_per_worker = jobs_per_worker
        self._pool: ProcessPoolExecutor | None = None

    async def pool(self) -> ProcessPoolExecutor:
        """The worker's pool, its process started and its imports made: a job's time limit
        counts the job, not the start of a Python interpreter (a second or more on a loaded
        machine)."""
        if self._pool is None:
            pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(), self._memory_bytes),
                # The warm-up below is a task too: count it, so each worker still does
                # ``jobs_per_worker`` jobs before it is replaced.
                max_tasks_per_child=self._jobs_per_worker + 1,
            )
            try:
                await asyncio.get_running_loop().run_in_executor(pool, _warm_up)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            self._pool = pool
        return self._pool

    def kill(self) -> None:
        """Kill the process now (a job that overran); the next job starts a new one."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # ProcessPoolExecutor has no public way to stop a running job before Python 3.14.
        processes = list(getattr(pool, "_processes", {}).values())
        for process in processes:
            with contextlib.suppress(Exception):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class RenderPool:
    """``await pool.run(job, *args)``: ``job(*args)`` in a worker process, bounded as the module
    docstring says. Safe to use from one event loop; :meth:`close` stops the workers."""

    def __init__(
        self,
        workers: int = 2,
        *,
        max_waiting: int = 32,
        timeout: float = 30.0,
        memory_bytes: int = 1024 * 1024 * 1024,
        jobs_per_worker: int = 200,
    ) -> None:
        if workers < 1:
            raise ValueError("a render pool needs at least one worker")
        self.timeout = timeout
        self.max_waiting = max_waiting
        self._idle: asyncio.Queue[_Worker] | None = None
        self._workers = [_Worker(memory_bytes, jobs_per_worker) for _ in range(workers)]
        self._waiting = 0
        #: Jobs finished, failed and killed (tests, metrics).
        self.done = 0
        self.failed = 0
        self.killed = 0

    def _queue(self) -> asyncio.Queue[_Worker]:
        if self._idle is None:  # made on the loop that runs the jobs
            self._idle = asyncio.Queue()
            for worker in self._workers:
                self._idle.put_nowait(worker)
        return self._idle

    async def run(self, job: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        idle = self._queue()
        if idle.empty() and self._waiting >= self.max_waiting:
            raise RenderBusy(f"{self._waiting} jobs already wait for a worker")
        self._waiting += 1
        try:
            worker = await idle.get()
        finally:
            self._waiting -= 1
        try:
            return await self._run_on(worker, functools.partial(job, *args, **kwargs))
        finally:
            idle.put_nowait(worker)

    async def _run_on(self, worker: _Worker, call: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            pool = await worker.pool()
        except BrokenProcessPool as exc:  # it could not even start
            worker.kill()
            self.failed += 1
            raise RenderFailed("the worker could not start") from exc
        future = loop.run_in_executor(pool, call)
        try:
            result = await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            worker.kill()
            self.killed += 1
            log.warning("render: a job passed %.0f s; its worker was killed", self.timeout)
            raise RenderTimeout(f"the job took more than {self.timeout:.0f} s") from None
        except BrokenProcessPool as exc:
            worker.kill()
            self.failed += 1
            log.error("render: a worker died during a job (memory limit, or killed)")
            raise RenderFailed("the worker died during the job") from exc
        except RenderError:
            raise
        except Exception as exc:
            if _passes_through(exc):
                raise
            self.failed += 1
            log.warning("render: a job failed: %s: %s", type(exc).__name__, exc)
            raise RenderFailed(f"{type(exc).__name__}: {exc}") from exc
        self.done += 1
        return result

    async def close(self) -> None:
        """Stop every worker; a job in flight is abandoned."""
        loop = asyncio.get_running_loop()
        for worker in self._workers:
            await loop.run_in_executor(None, worker.close)


def _passes_through(exc: BaseException) -> bool:
    # Errors a job raises on purpose, for the caller to turn into a clear answer.
    return bool(getattr(exc, "passes_through_render_pool", False))

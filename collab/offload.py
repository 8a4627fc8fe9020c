"""Compaction's squash, run in a worker process so that it never holds the event loop.

A squash rebuilds the whole document (:func:`collab.store.squash`), and pycrdt keeps the GIL
while Yrs works: in a thread it would stall the loop just the same. At 1 room × 200 clients a
room reaches its log limit every second or so, and each squash of its growing document (4 to
12 ms, growing with the document) delayed every edit that arrived meanwhile: a tenth of the
p99 (``bench/RESULTS.md`` §10). In another process it costs the loop one pickle of the parts.

The worker is started on first use (``spawn``: a fresh interpreter, never a fork of a process
that runs threads), dies with the server (``PR_SET_PDEATHSIG`` on Linux: a killed server must
not leave it behind) and is restarted if it dies; a squash it could not make raises
:class:`~collab.store.StoreError` here, as :func:`~collab.store.squash` would inline, and the
log is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import functools
import logging
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from collab.store import StoreError, _is_panic, squash

__all__ = ["SquashWorker", "die_with"]

log = logging.getLogger("atelier.collab")

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with(parent: int) -> None:
    """In a worker process, first: ask Linux to kill it when its parent dies, so a server that
    is killed (SIGKILL, the OOM killer) leaves no worker behind; ignore the signals that ask the
    server to stop; and run at a lower priority than the server. The server's render workers
    (``server.documents.workers``) start the same way."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request was made
        os._exit(1)
    # Ctrl-C reaches the whole process group, and systemd's stop every process of the unit:
    # the worker must outlive them long enough to make the compactions of the server's
    # shutdown. It ends when the server shuts the pool down, or dies with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # A squash is background work: on a server of two cores, at the same priority, it took
    # a core from the rooms' sends and the fsync helper for the milliseconds it lasts.
    with contextlib.suppress(OSError):
        os.nice(10)


def _squash_here(parts: list[bytes]) -> tuple[bool, bytes | str]:
    # Runs in the worker. Any failure comes back as text: a pyo3 PanicException would not even
    # unpickle in the parent.
    try:
        return True, squash(parts)
    except Exception as exc:
        return False, str(exc)
    except BaseException as exc:  # a Yrs panic
        if not _is_panic(exc):
            raise
        return False, f"Yrs panicked: {exc}"


class SquashWorker:
    """``await worker.squash(parts)``: :func:`collab.store.squash` in a worker process.

    A worker that dies fails its squash (the log is kept; the next squash starts a new one). A
    worker that keeps dying before it squashes anything (it cannot start here: the server was
    started from a main module that cannot be imported again, say) is given up after
    :attr:`GIVE_UP_AFTER` deaths in a row: squashes run inline from then on, holding the loop
    as they did before the worker existed, rather than leaving every log to grow.
    """

    GIVE_UP_AFTER = 3

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._deaths = 0  # in a row, without a squash in between
        #: Squashes made by the worker, and inline once it was given up (tests, metrics).
        self.squashes = 0
        self.inline_squashes = 0

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=die_with,
            initargs=(os.getpid(),),
        )

    async def squash(self, parts: Sequence[bytes]) -> bytes:
        if self._deaths >= self.GIVE_UP_AFTER:
            self.inline_squashes += 1
            return squash(parts)
        if self._pool is None:
            self._pool = self._new_pool()
        pool = self._pool
        try:
            ok, result = await asyncio.get_running_loop().run_in_executor(
                pool, _squash_here, list(parts)
            )
        except BrokenProcessPool as exc:
            if self._pool is pool:
                self._pool = None  # the next squash starts a new worker
            pool.shutdown(wait=False)
            self._deaths += 1
            if self._deaths == self.GIVE_UP_AFTER:
                log.error(
                    "the squash worker died %d times in a row; squashing inline from now on",
                    self._deaths,
                )
            raise StoreError("the squash worker died; the log is kept as it is") from exc
        self._deaths = 0
        if not ok:
            raise StoreError(str(result))
        assert isinstance(result, bytes)
        self.squashes += 1
        return result

    async def close(self) -> None:
        """Stop the worker (a squash in flight is abandoned: its log is kept)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            stop = functools.partial(pool.shutdown, wait=True, cancel_futures=True)
            await asyncio.get_running_loop().run_in_executor(None, stop)

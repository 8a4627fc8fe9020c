"""The fsync of SQLite's WAL in a helper process, answered on the event loop.

Appends are committed on the event loop's thread with ``synchronous=NORMAL``: the commit writes
its frames to the WAL (the page cache) in tens of microseconds, and is durable once the WAL file
is synced — which is what ``FULL`` does inside every commit. Synced on the loop, that fsync held
every room for 0.3–0.7 ms per commit under load (a quarter of the loop's time at 1 × 200); in a
thread, its answer waited for the interpreter's lock and several loop turns. Here a process of
its own syncs: the loop writes one byte to its pipe and goes on; the helper syncs the WAL file
and answers one byte per request it covered (``+``, or ``-`` if the sync failed); the answer is
read by a reader callback of the loop, which releases the commits in order. Nothing is
acknowledged to a client before its commit's answer, so ``FULL``'s promise holds: an edit a
client received survives a power loss.

The helper knows nothing but its pipe and the WAL's path; it ignores the terminal's signals (it
is in a session of its own) and exits when its pipe closes, as it does when the server dies.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import subprocess
import sys
from collections import deque
from collections.abc import Callable

__all__ = ["WalSyncer"]

log = logging.getLogger("atelier.store")

_HELPER = r"""
import os, sys
path = sys.argv[1]
fd = os.open(path, os.O_RDWR)
while True:
    asked = os.read(0, 65536)
    if not asked:
        break
    try:
        if os.stat(path).st_ino != os.fstat(fd).st_ino:  # the WAL was made anew
            os.close(fd)
            fd = os.open(path, os.O_RDWR)
        os.fdatasync(fd)
        answer = b"+"
    except OSError:
        answer = b"-"
    os.write(1, answer * len(asked))
"""


class WalSyncer:
    """Syncs one WAL file in a helper process; see the module docstring."""

    def __init__(self, wal_path: str) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _HELPER, wal_path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._ask = self._proc.stdin.fileno()
        self._answers = self._proc.stdout.fileno()
        self._waiting: deque[Callable[[OSError | None], None]] = deque()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._answers, self._on_answers)
        #: False once the helper is gone: its callers then sync some other way.
        self.alive = True
        #: Syncs asked for so far (tests, metrics).
        self.asked = 0

    def sync(self, done: Callable[[OSError | None], None]) -> None:
        """Sync everything written to the WAL so far; then ``done(None)``, or ``done(error)``.
        Callbacks are called in the order of the calls."""
        if not self.alive:
            done(OSError(errno.EPIPE, "the WAL sync helper is gone"))
            return
        self._waiting.append(done)
        self.asked += 1
        try:
            os.write(self._ask, b".")
        except OSError:
            self._gone()

    def _on_answers(self) -> None:
        try:
            answers = os.read(self._answers, 65536)
        except OSError:
            answers = b""
        if not answers:
            self._gone()
            return
        for answer in answers:
            done = self._waiting.popleft()
            if answer == ord("+"):
                done(None)
            else:
                log.error("store: the WAL could not be synced; the commit is retried")
                done(OSError(errno.EIO, "fdatasync of the WAL failed"))

    def _gone(self) -> None:
        if not self.alive:
            return
        self.alive = False
        log.warning("store: the WAL sync helper is gone; commits go through the writer thread")
        self._loop.remove_reader(self._answers)
        while self._waiting:
            self._waiting.popleft()(OSError(errno.EPIPE, "the WAL sync helper is gone"))

    def close(self) -> None:
        """Stop the helper (what it was asked is answered first, or failed)."""
        if self.alive:
            self._loop.remove_reader(self._answers)
        self.alive = False
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._proc.stdin.close()  # the helper's read returns empty: it exits
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc.stdout.close()
        while self._waiting:
            self._waiting.popleft()(OSError(errno.EPIPE, "the WAL sync helper was stopped"))

    def kill(self) -> None:
        """Kill the helper (tests: what its death does to the commits waiting for it)."""
        self._proc.kill()
        self._proc.wait()

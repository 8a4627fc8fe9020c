"""Child processes the bench starts (servers and load-generator workers), and /proc sampling.

Every child runs in its own session (so a Ctrl-C in the terminal reaches only the bench, which
then stops its children in order) and with ``PR_SET_PDEATHSIG = SIGKILL`` (so it dies with the
bench even if the bench is killed outright). :func:`stop_all` is registered with ``atexit`` and
stops every child still running, by its own process-group id — never by name.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_live: list[Proc] = []


try:
    _LIBC: Any = ctypes.CDLL("libc.so.6", use_errno=True)  # loaded before any fork
except OSError:
    _LIBC = None


def _die_with_parent() -> None:
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the bench


class Proc:
    """A child process in its own process group, its output in a log file (or piped)."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
        log_path: Path | None = None,
        pipe: bool = False,
    ) -> None:
        self.name = name
        self.log_path = log_path
        self._log: IO[bytes] | None = open(log_path, "ab") if log_path else None  # noqa: SIM115
        self.popen = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.PIPE if pipe else subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipe else (self._log or subprocess.DEVNULL),
            stderr=self._log or subprocess.DEVNULL,
            start_new_session=True,
            # PR_SET_PDEATHSIG can only be set in the child; the bench spawns from its main thread.
            preexec_fn=_die_with_parent,  # noqa: PLW1509
        )
        self.pid = self.popen.pid
        self._buf = b""
        _live.append(self)

    # --- line protocol with load-generator workers -------------------------------------------

    def send(self, obj: dict[str, Any]) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write((json.dumps(obj) + "\n").encode())
        self.popen.stdin.flush()

    def read(self, timeout: float) -> dict[str, Any]:
        """The next JSON line from the worker's stdout; raises TimeoutError / RuntimeError."""
        assert self.popen.stdout is not None
        fd = self.popen.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: no answer within {timeout:.0f}s")
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    tail = self.log_tail()
                    raise RuntimeError(f"{self.name} exited ({self.popen.poll()}): {tail}")
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def log_tail(self, n: int = 800) -> str:
        if self.log_path and self.log_path.exists():
            return self.log_path.read_bytes()[-n:].decode(errors="replace")
        return ""

    # --- lifecycle ---------------------------------------------------------------------------

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, grace: float = 10.0) -> int | None:
        """Signal the process group, wait up to ``grace`` seconds, then SIGKILL it."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, sig)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait(5)
        # The group may hold stragglers even when the leader is gone.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        for stream in (self.popen.stdin, self.popen.stdout):
            with contextlib.suppress(Exception):
                if stream:
                    stream.close()
        if self._log:
            self._log.close()
            self._log = None
        if self in _live:
            _live.remove(self)
        return self.popen.returncode


def stop_all() -> None:
    for proc in list(reversed(_live)):
        with contextlib.suppress(Exception):
            proc.stop(signal.SIGTERM, grace=3)


atexit.register(stop_all)


# --- ports --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: Proc, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited ({proc.popen.returncode}): {proc.log_tail()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{proc.name} did not listen on {port} within {timeout:.0f}s")


# --- /proc --------------------------------------------------------------------------------


def cpu_times(pid: int) -> tuple[float, float]:
    """CPU time of ``pid`` and of its children it has waited for, in seconds: all of it (utime
    + stime + cutime + cstime), and the part spent in the kernel (stime + cstime: system calls
    such as socket writes, fsync, pipes, rather than the server's own code); zeros if it is
    gone. One read of ``/proc/<pid>/stat`` for both."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return 0.0, 0.0
    user, system, children_user, children_system = map(
        int, stat[stat.rindex(b")") + 2 :].split()[11:15]
    )
    total = user + system + children_user + children_system
    return total / _CLK_TCK, (system + children_system) / _CLK_TCK


def cpu_seconds(pid: int) -> float:
    """The whole of :func:`cpu_times`."""
    return cpu_times(pid)[0]


def with_descendants(pids: list[int]) -> set[int]:
    """``pids`` and every process they started that is still running (a server's worker
    processes count as the server: its squash worker, say)."""
    found: set[int] = set()
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        found.add(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{tid}/children") as fh:
                todo.extend(int(child) for child in fh.read().split())
    return found


def peak_memory_kb(pids: list[int]) -> int:
    """The peak resident memory (VmHWM) of ``pids`` and of the processes they started, added up."""
    return sum(status_kb(pid, "VmHWM") for pid in with_descendants(pids))


def status_kb(pid: int, key: str) -> int:
    """A ``kB`` field of /proc/<pid>/status (VmRSS, VmHWM); 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler(threading.Thread):
    """Samples CPU seconds and RSS of some pids every ``period`` seconds, with timestamps."""

    def __init__(self, groups: dict[str, list[int]], period: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.groups = groups
        self.period = period
        self.samples: list[tuple[float, dict[str, tuple[float, int, float]]]] = []
        self._halt = threading.Event()

    def snapshot(self) -> tuple[float, dict[str, tuple[float, int, float]]]:
        now = time.monotonic()
        data = {}
        for name, pids in self.groups.items():
            tree = with_descendants(pids)
            times = [cpu_times(p) for p in tree]
            data[name] = (
                sum(total for total, _ in times),
                sum(status_kb(p, "VmRSS") for p in tree),
                sum(system for _, system in times),
            )
        return now, data

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append(self.snapshot())
            self._halt.wait(self.period)

    def stop(self) -> None:
        self._halt.set()
        self.join(2)
        self.samples.append(self.snapshot())

    def cpu_percent(
        self, name: str, start: float, end: float, *, kernel: bool = False
    ) -> float | None:
        """CPU used by group ``name`` between two instants, as % of one core (``kernel``: only
        its time in the kernel)."""
        field = 2 if kernel else 0
        inside = [(t, d[name][field]) for t, d in self.samples if d.get(name)]
        if len(inside) < 2 or end <= start:
            return None

        def at(t: float) -> float:
            best = min(inside, key=lambda s: abs(s[0] - t))
            return best[1]

        t0 = min(inside, key=lambda s: abs(s[0] - start))[0]
        t1 = min(inside, key=lambda s: abs(s[0] - end))[0]
        if t1 <= t0:
            return None
        return 100.0 * (at(end) - at(start)) / (t1 - t0)

    def peak_rss_kb(self, name: str) -> int:
        return max((d[name][1] for _, d in self.samples if name in d), default=0)


def cpu_model() -> str:
    models = []
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                models.append(line.split(":", 1)[1].strip())
    if not models:
        return "unknown CPU"
    return f"{models[0]} × {len(models)} logical CPUs"


def raise_nofile() -> tuple[int, int]:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def start_atelier(workdir: Path, settings: dict[str, str]) -> tuple[Proc, int]:
    """One ``atelier serve`` on a free port, its database migrated first (a SQLite file in
    ``workdir`` unless ``settings`` name another); ``settings`` are ``ATELIER_*`` variables.
    Returns the process, once its port accepts connections, and the port."""

    env = {
        **os.environ,
        "ATELIER_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'atelier.db'}",
        "ATELIER_LOG_LEVEL": "WARNING",
        **settings,
    }
    atelier = str(Path(sys.executable).parent / "atelier")
    subprocess.run([atelier, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    server = Proc(
        "atelier", [atelier, "serve", "--port", str(port)], env=env, log_path=workdir / "server.log"
    )
    wait_port(port, server)
    return server, port

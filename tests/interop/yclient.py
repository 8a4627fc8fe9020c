"""Asyncio driver for ``client.mjs``: one real yjs + y-websocket client per Node process.

Usage::

    async with NodeClient.start("ws://127.0.0.1:8000/ws/docs", "doc-1", token) as a:
        await a.wait_synced()
        await a.insert(0, "hello")
        await a.wait_text("hello")

Every line the Node process prints is a JSON event, kept in ``NodeClient.events`` in arrival
order. Commands are answered by an ``ack`` carrying the command's id (see ``call``).
``wait_for`` scans the events from the last ``checkpoint()`` on, so an event that arrived before
the wait began is still found; each event it returns is consumed, i.e. not returned again by a
later ``wait_for``. Nothing here sleeps to synchronise: every wait is on events, with a timeout.

Pure asyncio + stdlib. Nothing is installed at import time: ``ensure_node_modules()`` only checks
that ``npm ci --prefix tests/interop`` (run by ``make test``) has been done.
"""

# The waits take a ``timeout`` argument on purpose (it is the harness's API), hence:

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "CLIENT_SCRIPT",
    "INTEROP_DIR",
    "NODE_MODULES_READY",
    "ClientExitedError",
    "CommandFailedError",
    "Event",
    "NodeClient",
    "NodeModulesMissingError",
    "ensure_node_modules",
    "node_modules_ready",
]

INTEROP_DIR = Path(__file__).resolve().parent
CLIENT_SCRIPT = INTEROP_DIR / "client.mjs"
NODE_MODULES = INTEROP_DIR / "node_modules"
REQUIRED_PACKAGES = ("yjs", "y-websocket", "y-protocols", "lib0", "ws")

DEFAULT_TIMEOUT = 10.0
# A frame is logged as hex (3 characters a byte) on one line: allow big documents.
_LINE_LIMIT = 256 * 1024 * 1024
_TEXT_POLL_INTERVAL = 0.05
_DESCRIBE_EVENTS = 20
_DESCRIBE_EVENT_CHARS = 400
_QUERY_COMMANDS = frozenset({"text", "state", "awareness"})

Event = dict[str, Any]
Predicate = Callable[[Event], bool]


class NodeModulesMissingError(RuntimeError):
    """``tests/interop/node_modules`` is missing or incomplete, or ``node`` is not on PATH."""


class ClientExitedError(RuntimeError):
    """The Node process ended while a command or a wait was pending."""


class CommandFailedError(RuntimeError):
    """The Node client answered a command with an error."""


def node_modules_ready() -> bool:
    """Whether every package client.mjs imports is installed in tests/interop/node_modules."""
    return all((NODE_MODULES / name / "package.json").is_file() for name in REQUIRED_PACKAGES)


# Computed once at import, for ``pytest.mark.skipif``; ``ensure_node_modules`` re-checks.
NODE_MODULES_READY: bool = node_modules_ready()


def ensure_node_modules(node: str = "node") -> None:
    """Raise a clear error unless ``node`` and the pinned Node packages are available."""
    if shutil.which(node) is None:
        raise NodeModulesMissingError(
            f"{node!r} is not on PATH: the interop tests need Node.js (>= 20)."
        )
    missing = [n for n in REQUIRED_PACKAGES if not (NODE_MODULES / n / "package.json").is_file()]
    if missing:
        raise NodeModulesMissingError(
            f"Node packages missing from {NODE_MODULES} ({', '.join(missing)}). "
            "Run `make test`, or install them with `npm ci --prefix tests/interop`."
        )


def _short(value: object, limit: int = _DESCRIBE_EVENT_CHARS) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


class NodeClient:
    """One running ``node client.mjs`` process. Create it with ``start`` (or ``launch``)."""

    def __init__(
        self,
        proc: asyncio.subprocess.Process,
        config: Mapping[str, Any],
        *,
        command_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.config: dict[str, Any] = dict(config)
        self.command_timeout = command_timeout
        self.client_id: int | None = None
        #: Every event received so far, in arrival order (acks and stderr lines included).
        self.events: list[Event] = []
        self.stderr_lines: deque[str] = deque(maxlen=200)
        self._proc = proc
        self._cursor = 0
        self._consumed: set[int] = set()
        self._waker = asyncio.Event()
        self._pending: dict[int, asyncio.Future[Event]] = {}
        self._next_id = 0
        self._eof = False
        self._closed = False
        self._stdout_task = asyncio.create_task(self._read_stdout())
        self._stderr_task = asyncio.create_task(self._read_stderr())
        self._exit_task = asyncio.create_task(self._watch_exit())

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    async def launch(
        cls,
        url: str,
        doc: str,
        token: str | None,
        *,
        client_id: int | None = None,
        user: Mapping[str, Any] | None = None,
        log_frames: bool = False,
        connect: bool = True,
        text_name: str = "t",
        watch_text: bool = False,
        max_backoff_ms: int | None = None,
        resync_interval_ms: int | None = None,
        ready_timeout: float = DEFAULT_TIMEOUT,
        command_timeout: float = DEFAULT_TIMEOUT,
        node: str = "node",
    ) -> NodeClient:
        """Spawn a client and wait for its ``ready`` event. The caller must ``close()`` it."""
        ensure_node_modules(node)
        config: dict[str, Any] = {
            "url": url,
            "doc": doc,
            "token": token,
            "textName": text_name,
            "logFrames": log_frames,
            "connect": connect,
            "watchText": watch_text,
        }
        if client_id is not None:
            config["clientId"] = client_id
        if user is not None:
            config["user"] = dict(user)
        if max_backoff_ms is not None:
            config["maxBackoffTime"] = max_backoff_ms
        if resync_interval_ms is not None:
            config["resyncInterval"] = resync_interval_ms
        proc = await asyncio.create_subprocess_exec(
            node,
            str(CLIENT_SCRIPT),
            json.dumps(config),
            cwd=INTEROP_DIR,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=_LINE_LIMIT,
        )
        client = cls(proc, config, command_timeout=command_timeout)
        try:
            ready = await client.wait_for(_is("ready"), timeout=ready_timeout)
        except BaseException:
            await client.kill()
            await client.close()
            raise
        client.client_id = int(ready["clientId"])
        return client

    @classmethod
    @contextlib.asynccontextmanager
    async def start(
        cls,
        url: str,
        doc: str,
        token: str | None,
        *,
        client_id: int | None = None,
        user: Mapping[str, Any] | None = None,
        log_frames: bool = False,
        connect: bool = True,
        text_name: str = "t",
        watch_text: bool = False,
        max_backoff_ms: int | None = None,
        resync_interval_ms: int | None = None,
        ready_timeout: float = DEFAULT_TIMEOUT,
        command_timeout: float = DEFAULT_TIMEOUT,
        node: str = "node",
    ) -> AsyncIterator[NodeClient]:
        """``async with NodeClient.start(...) as c``: launch, then ``close()`` on the way out."""
        client = await cls.launch(
            url,
            doc,
            token,
            client_id=client_id,
            user=user,
            log_frames=log_frames,
            connect=connect,
            text_name=text_name,
            watch_text=watch_text,
            max_backoff_ms=max_backoff_ms,
            resync_interval_ms=resync_interval_ms,
            ready_timeout=ready_timeout,
            command_timeout=command_timeout,
            node=node,
        )
        try:
            yield client
        finally:
            await client.close()

    async def close(self, timeout: float = 5.0) -> None:
        """Send ``exit`` (provider.destroy(), clean close) and wait; SIGKILL after ``timeout``."""
        if self._closed:
            return
        self._closed = True
        if not self._eof and self._proc.returncode is None:
            with contextlib.suppress(ClientExitedError, CommandFailedError, TimeoutError):
                await self.call("exit", timeout=timeout)
        try:
            await asyncio.wait_for(asyncio.shield(self._exit_task), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
            await self._exit_task
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        await asyncio.gather(self._stdout_task, self._stderr_task, return_exceptions=True)

    async def kill(self) -> None:
        """SIGKILL the Node process: the TCP connection drops with no close frame."""
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
        await asyncio.shield(self._exit_task)

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        """The process's exit status once it ended (-9 after ``kill()``), else None."""
        return self._proc.returncode

    @property
    def alive(self) -> bool:
        return self._proc.returncode is None and not self._eof

    # ------------------------------------------------------------------ reading

    def _push(self, event: Event) -> None:
        self.events.append(event)
        self._wake()

    def _wake(self) -> None:
        # Pulse: wake everyone waiting now; later waiters get a fresh, unset Event.
        waker, self._waker = self._waker, asyncio.Event()
        waker.set()

    async def _read_stdout(self) -> None:
        stdout = self._proc.stdout
        assert stdout is not None
        try:
            while True:
                try:
                    raw = await stdout.readline()
                except ValueError as exc:  # a line above _LINE_LIMIT
                    self._push({"event": "harness-error", "message": f"stdout: {exc}"})
                    continue
                if not raw:
                    break
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    event = None
                if not isinstance(event, dict) or "event" not in event:
                    event = {"event": "stdout", "line": line}
                self._push(event)
                if event["event"] == "ack":
                    event_id = event.get("id")
                    future = self._pending.get(event_id) if isinstance(event_id, int) else None
                    if future is not None and not future.done():
                        future.set_result(event)
        finally:
            self._eof = True
            self._fail_pending()
            self._wake()

    async def _read_stderr(self) -> None:
        stderr = self._proc.stderr
        assert stderr is not None
        while True:
            try:
                raw = await stderr.readline()
            except ValueError:
                continue
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.stderr_lines.append(line)
            self._push({"event": "stderr", "line": line})

    async def _watch_exit(self) -> None:
        returncode = await self._proc.wait()
        # Let stdout drain first, so the exit is the last event of the process.
        await asyncio.gather(self._stdout_task, return_exceptions=True)
        self._push({"event": "process-exit", "returncode": returncode})

    def _fail_pending(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(
                    ClientExitedError(f"node client exited before answering; {self.describe()}")
                )

    # ------------------------------------------------------------------ waiting

    def checkpoint(self) -> None:
        """From now on, ``wait_for`` only looks at events that arrive after this call."""
        self._cursor = len(self.events)

    def _find(self, predicate: Predicate, start: int, *, consume: bool) -> tuple[Event | None, int]:
        """The first unconsumed event at index >= start matching; and where the scan ended."""
        end = len(self.events)
        for index in range(start, end):
            if index in self._consumed:
                continue
            event = self.events[index]
            if predicate(event):
                if consume:
                    self._consumed.add(index)
                return event, end
        return None, end

    async def wait_for(
        self,
        predicate: Predicate,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        consume: bool = True,
        what: str | None = None,
    ) -> Event:
        """Return the first event since the last checkpoint that matches ``predicate``.

        Events that arrived before this call count. A returned event is consumed (a later
        ``wait_for`` skips it) unless ``consume=False``. Raises ``TimeoutError`` (with the last
        events) after ``timeout`` seconds, or ``ClientExitedError`` once the process has ended
        with no match.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        start = self._cursor
        while True:
            waker = self._waker
            event, start = self._find(predicate, start, consume=consume)
            if event is not None:
                return event
            label = what or getattr(predicate, "__name__", "event")
            if self._eof and self._exit_task.done():
                raise ClientExitedError(
                    f"node client exited while waiting for {label}; {self.describe()}"
                )
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"no {label} within {timeout}s; {self.describe()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waker.wait(), remaining)

    async def wait_event(
        self, name: str, timeout: float = DEFAULT_TIMEOUT, *, consume: bool = True, **fields: Any
    ) -> Event:
        """``wait_for`` an event called ``name`` whose listed fields have the given values."""

        def match(event: Event) -> bool:
            return event.get("event") == name and all(
                event.get(key) == value for key, value in fields.items()
            )

        label = name + "".join(f" {k}={v!r}" for k, v in fields.items())
        return await self.wait_for(match, timeout, consume=consume, what=label)

    async def _wait_new(self, predicate: Predicate, since: int, timeout: float) -> bool:
        """Wait (without consuming) for a matching event at index >= since; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            waker = self._waker
            if any(predicate(e) for e in self.events[since:]):
                return True
            since = len(self.events)
            remaining = deadline - loop.time()
            if remaining <= 0 or self._eof:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waker.wait(), remaining)

    async def wait_synced(self, timeout: float = DEFAULT_TIMEOUT) -> Event:
        """Wait until the provider reports synced; returns the ``state`` ack."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            state = await self.state()
            if state.get("synced"):
                return state
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"not synced within {timeout}s; {self.describe()}")
            # A stale sync:true left from an earlier connection only costs one more loop turn.
            await self.wait_for(
                lambda e: e.get("event") == "sync" and e.get("synced") is True,
                remaining,
                what="sync synced=True",
            )

    async def wait_text(self, expected: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Wait until the client's text equals ``expected``.

        Re-reads the text (``text`` command) whenever a ``text-changed`` or ``sync`` event
        arrives, and at least every 50 ms otherwise (clients without ``watch_text``).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            seen = len(self.events)
            text = await self.text()
            if text == expected:
                return text
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"text is {_short(text, 200)!r} ({len(text)} chars), expected "
                    f"{_short(expected, 200)!r} ({len(expected)} chars) after {timeout}s; "
                    f"{self.describe()}"
                )
            await self._wait_new(
                lambda e: e.get("event") in ("text-changed", "sync", "process-exit"),
                seen,
                min(_TEXT_POLL_INTERVAL, remaining),
            )

    # ------------------------------------------------------------------ commands

    async def call(self, cmd: str, /, *, timeout: float | None = None, **args: Any) -> Event:
        """Send one command and return its ack (raises on timeout, error or exit)."""
        if self._eof or self._proc.returncode is not None:
            raise ClientExitedError(
                f"cannot send {cmd!r}: node client has exited; {self.describe()}"
            )
        stdin = self._proc.stdin
        assert stdin is not None
        self._next_id += 1
        command_id = self._next_id
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._pending[command_id] = future
        limit = self.command_timeout if timeout is None else timeout
        try:
            stdin.write((json.dumps({**args, "cmd": cmd, "id": command_id}) + "\n").encode())
            try:
                await stdin.drain()
            except (BrokenPipeError, ConnectionResetError) as exc:
                raise ClientExitedError(f"cannot send {cmd!r}: {exc}; {self.describe()}") from exc
            try:
                ack = await asyncio.wait_for(future, limit)
            except TimeoutError:
                raise TimeoutError(
                    f"no ack for {cmd!r} (id {command_id}) within {limit}s; {self.describe()}"
                ) from None
        finally:
            self._pending.pop(command_id, None)
        if "error" in ack:
            raise CommandFailedError(f"{cmd!r} failed in the node client: {ack['error']}")
        return ack

    async def insert(self, index: int, text: str) -> None:
        await self.call("insert", index=index, text=text)

    async def delete(self, index: int, length: int) -> None:
        await self.call("delete", index=index, length=length)

    async def text(self) -> str:
        ack = await self.call("text")
        return str(ack["text"])

    async def state(self) -> Event:
        """text, stateVector (hex), synced, wsconnected, wsconnecting, shouldConnect, clientId,
        attempts (WebSockets the provider has created so far)."""
        return await self.call("state")

    async def awareness(self) -> dict[int, Any]:
        """awareness.getStates() as {clientID: state}, the local client included."""
        ack = await self.call("awareness")
        return {int(k): v for k, v in ack["states"].items()}

    async def set_awareness(self, state: Mapping[str, Any] | None) -> None:
        await self.call("awareness_set", state=None if state is None else dict(state))

    async def set_awareness_field(self, field: str, value: Any) -> None:
        await self.call("awareness_field", field=field, value=value)

    async def disconnect(self) -> None:
        await self.call("disconnect")

    async def connect(self) -> None:
        await self.call("connect")

    async def raw(self, data: bytes) -> bool:
        """Send raw bytes on the provider's current socket; False if it is not open."""
        ack = await self.call("raw", hex=data.hex(" "))
        return bool(ack["sent"])

    # ------------------------------------------------------------------ inspection

    def frames(self, dir: str | None = None) -> list[bytes]:
        """Frames logged so far (``log_frames=True``), oldest first; ``dir`` is "in" or "out".

        Frames ``ws`` dropped because the socket was already closing are left out.
        """
        return [
            bytes.fromhex(e["hex"])
            for e in self.events
            if e.get("event") == "frame"
            and not e.get("dropped")
            and (dir is None or e.get("dir") == dir)
        ]

    def events_named(self, name: str) -> list[Event]:
        return [e for e in self.events if e.get("event") == name]

    def errors(self) -> list[Event]:
        """``error`` events the Node side reported (exceptions, failed commands)."""
        return self.events_named("error")

    def describe(self, count: int = _DESCRIBE_EVENTS) -> str:
        """The last ``count`` events and the process status, for error messages.

        Acks of read-only queries (text, state, awareness) are left out: a polling wait would
        otherwise fill the whole tail with them.
        """
        status = "running" if self._proc.returncode is None else f"exit {self._proc.returncode}"
        shown = [
            e
            for e in self.events
            if not (e.get("event") == "ack" and e.get("cmd") in _QUERY_COMMANDS)
        ][-count:]
        tail = "\n".join(f"  {_short(e)}" for e in shown) or "  (none)"
        return (
            f"node client pid {self._proc.pid} ({status}), doc {self.config.get('doc')!r}, "
            f"last {len(shown)} of {len(self.events)} events (query acks omitted):\n{tail}"
        )

    def __repr__(self) -> str:
        return (
            f"<NodeClient pid={self._proc.pid} clientId={self.client_id} "
            f"doc={self.config.get('doc')!r} events={len(self.events)}>"
        )


def _is(name: str) -> Predicate:
    def match(event: Event) -> bool:
        return event.get("event") == name

    match.__name__ = f"{name!r} event"
    return match

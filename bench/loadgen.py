"""The load generator: one worker process, driven by ``bench.cli`` over stdin/stdout.

Protocol with the parent (one JSON object per line):

* stdin line 1: the configuration (``mode`` and its parameters);
* stdout ``{"event": "ready", ...}`` once every client is connected and synced;
* stdin ``{"go": <CLOCK_MONOTONIC seconds>}``: start (edits are scheduled from that instant);
* stdout ``{"event": "result", ...}``; some modes then wait for ``{"stop": true}``.

Timestamps are ``time.monotonic()`` (CLOCK_MONOTONIC, shared by every process of the machine), so
a send time written into an edit by one process can be compared with an arrival time in another.

Modes: ``fanout`` (clients editing at a fixed rate), ``writer`` / ``observers`` (trace replay;
the writer with ``barrier`` seeds the join scenario), ``joiner`` (time to synced), ``idle``
(idle connections) and ``opener`` (opens each room with one client, one room at a time, before
the others connect: pycrdt-websocket 0.16.5 hangs all but one of the clients that join a room
that does not exist yet at the same moment).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import math
import os
import re
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pycrdt import Doc, Text, merge_updates

from bench import wsclient, yproto
from bench.yproto import AUTH, EMPTY_SV, EMPTY_UPDATE, STEP1, STEP2, SYNC, Framing, framing_for

TEXT_NAME = "t"
MARKER = re.compile(rb"\[(\d{1,5}):(\d{1,7}):(\d{1,12})\]")
MARKER_TEXT = re.compile(r"\[(\d{1,5}):(\d{1,7}):(\d{1,12})\]")
HIST_SCALE = 100  # log-histogram buckets, 1 % wide
MAX_RECONNECTS = 5

monotonic = time.monotonic


def emit(obj: dict[str, Any]) -> None:
    if obj.get("event") == "result":
        ru = resource.getrusage(resource.RUSAGE_SELF)
        obj["rusage"] = {"utime": ru.ru_utime, "stime": ru.ru_stime, "maxrss_kb": ru.ru_maxrss}
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def read_line(reader: asyncio.StreamReader) -> dict[str, Any]:
    line = await reader.readline()
    if not line:
        raise SystemExit("parent went away")
    return json.loads(line)


async def stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def tree_merge(updates: list[bytes]) -> bytes:
    """One update equal to all of ``updates``; 32-way merges keep the cost linear."""
    level = list(updates)
    while len(level) > 1:
        level = [
            merge_updates(*level[i : i + 32]) if i + 1 < len(level) else level[i]
            for i in range(0, len(level), 32)
        ]
    return level[0]


class Errors:
    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()

    def add(self, kind: str) -> None:
        self.kinds[kind] += 1

    def as_dict(self) -> dict[str, Any]:
        return {"count": sum(self.kinds.values()), "kinds": dict(self.kinds)}


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:80]}".rstrip(": ")


_SPREAD = itertools.count()


class Conn:
    """One y-websocket (or Hocuspocus) connection, with a pycrdt document or none.

    ``defer=True`` queues the received updates instead of applying them (see ``FanoutClient``).
    """

    def __init__(
        self, cfg: dict[str, Any], room: str, doc: Doc | None, *, defer: bool = False
    ) -> None:
        self.cfg = cfg
        self.room = room
        url = cfg["urls"][room]
        # A cluster lists one URL per instance: connections take them in turn (no stickiness).
        self.url = url if isinstance(url, str) else url[next(_SPREAD) % len(url)]
        self.framing: Framing = framing_for(cfg["framing"], room)
        self.fixed_offset = len(self.framing.prefix)
        self.doc = doc
        self.text = doc.get(TEXT_NAME, type=Text) if doc is not None else None
        self.defer = defer
        self.pending: list[bytes] = []
        self.sock: wsclient.LeanSocket | None = None
        self.synced = asyncio.Event()
        self.step2_count = 0
        self.frames = 0
        self.stopping = False
        self.denied = False

    async def open(self) -> None:
        self.synced = asyncio.Event()
        sock = wsclient.LeanSocket(self.url, self.cfg.get("deflate", True), self.on_message)
        self.sock = sock  # before connecting: the server's SyncStep1 may come with the handshake
        sock.on_close = self.on_close
        await wsclient.open_socket(sock)
        for frame in self.framing.hello(self.cfg.get("token", "")):
            self.sock.send(frame)
        state = self.doc.get_state() if self.doc is not None else EMPTY_SV
        self.sock.send(self.framing.step1(state))

    def on_message(self, frame: bytes) -> None:
        self.handle(frame)

    def on_close(self, sock: wsclient.LeanSocket) -> None:
        pass

    def handle(self, frame: bytes) -> None:
        """Answer SyncStep1; apply (or queue) SyncStep2 and Update."""
        self.frames += 1
        off = self.fixed_offset or self.framing.body_offset(frame)
        kind, sub, payload = yproto.parse(frame, off)
        if kind == SYNC:
            if sub == STEP1:
                diff = self.doc.get_update(payload) if self.doc is not None else EMPTY_UPDATE
                with contextlib.suppress(ConnectionError):
                    self.sock.send(self.framing.step2(diff))
            else:
                if self.doc is not None and payload != EMPTY_UPDATE:
                    if self.defer:
                        self.pending.append(payload)
                    else:
                        self.doc.apply_update(payload)
                if sub == STEP2:
                    self.step2_count += 1
                    self.synced.set()
        elif kind == AUTH and sub == 1:
            self.denied = True

    def apply_pending(self) -> None:
        if self.pending and self.doc is not None:
            self.doc.apply_update(tree_merge(self.pending))
            self.pending = []

    async def close(self) -> None:
        self.stopping = True
        if self.sock is not None:
            await self.sock.close()


# --- fan-out ----------------------------------------------------------------------------------


class FanoutClient(Conn):
    """Edits at a fixed rate; each edit appends ``[client:seq:send-µs]`` to its own text.

    Arrival is recorded when a frame is read, by finding the markers in the update's bytes (the
    inserted string is stored verbatim in a Yjs update), so merged updates (Atelier, Hocuspocus)
    count every edit they carry. Received updates are applied to the client's document after the
    run, merged, before the exactness check: applying them live would make the clients, not the
    server, the bottleneck, and it changes nothing the server sees.
    """

    def __init__(self, cfg: dict[str, Any], room: str, cid: int, n: int, w: FanoutWorker) -> None:
        super().__init__(cfg, room, Doc(), defer=True)
        self.cid = cid
        self.n = n
        self.w = w
        self.edits = cfg["edits"]
        self.got = bytearray(n * self.edits)
        self.remaining = (n - 1) * self.edits
        self.complete_at: float | None = None
        self.reconnects = 0
        self.sent = 0

    async def start(self) -> None:
        await self.open()
        await asyncio.wait_for(self.synced.wait(), 60)

    def on_message(self, frame: bytes) -> None:
        w = self.w
        now = monotonic()
        now_us = (now - w.t_base) * 1e6
        got = self.got
        edits = self.edits
        for m in MARKER.finditer(frame):
            cid = int(m[1])
            seq = int(m[2])
            if cid == self.cid or cid >= self.n or seq >= edits:
                continue
            i = cid * edits + seq
            if got[i]:
                continue
            got[i] = 1
            lat = now_us - int(m[3])
            w.hist[int(math.log(lat if lat > 1 else 1) * HIST_SCALE)] += 1
            w.deliveries += 1
            w.last_delivery = now
            self.remaining -= 1
            if self.remaining == 0:
                self.complete_at = now
        self.handle(frame)

    def on_close(self, sock: wsclient.LeanSocket) -> None:
        if self.stopping or sock is not self.sock:
            return
        self.w.errors.add(f"closed {sock.close_code} {sock.close_reason[:50]}".strip())
        if self.reconnects < MAX_RECONNECTS:
            self.reconnects += 1
            asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        await asyncio.sleep(0.25 * self.reconnects)
        if self.stopping:
            return
        try:
            await self.open()
        except Exception as exc:
            self.w.errors.add("reconnect: " + describe(exc))

    async def edit_loop(self, t0: float, rate: float) -> None:
        offset = (self.cid / self.n + self.w.room_phase.get(self.room, 0.0)) / rate
        base = self.w.t_base
        text = self.text
        doc = self.doc
        for k in range(self.edits):
            delay = t0 + offset + k / rate - monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            now = monotonic()
            before = doc.get_state()
            text.insert(len(text), f"[{self.cid}:{k}:{int((now - base) * 1e6)}]")
            update = doc.get_update(before)
            if self.w.first_send is None:
                self.w.first_send = now
            with contextlib.suppress(ConnectionError, AttributeError):
                self.sock.send(self.framing.update(update))  # else: the next resync carries it
            self.sent += 1
            self.w.last_send = monotonic()

    def final(self) -> dict[str, Any]:
        self.apply_pending()
        text = str(self.text)
        seen = Counter((int(a), int(b)) for a, b, _ in MARKER_TEXT.findall(text))
        complete = (
            len(seen) == self.n * self.edits
            and all(v == 1 for v in seen.values())
            and all((c, k) in seen for c in range(self.n) for k in range(self.edits))
        )
        return {
            "room": self.room,
            "cid": self.cid,
            "sha": hashlib.sha256(text.encode()).hexdigest()[:16],
            "len": len(text),
            "complete": complete,
            "received_all": self.remaining == 0,
            "reconnects": self.reconnects,
        }


class FanoutWorker:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.t_base = cfg["t_base"]
        self.hist: Counter[int] = Counter()
        self.deliveries = 0
        self.first_send: float | None = None
        self.last_send = 0.0
        self.last_delivery = 0.0
        self.errors = Errors()
        rooms = sorted({room for room, _, _ in cfg["clients"]})
        self.room_phase = {room: i / max(1, len(rooms)) / 7 for i, room in enumerate(rooms)}
        self.clients = [FanoutClient(cfg, room, cid, n, self) for room, cid, n in cfg["clients"]]

    async def run(self, stdin: asyncio.StreamReader) -> None:
        sem = asyncio.Semaphore(50)
        t_connect = monotonic()

        async def start(c: FanoutClient) -> bool:
            async with sem:
                try:
                    await c.start()
                    return True
                except Exception as exc:
                    self.errors.add("connect: " + describe(exc))
                    return False

        ok = await asyncio.gather(*(start(c) for c in self.clients))
        emit(
            {
                "event": "ready",
                "connected": sum(ok),
                "failed": len(ok) - sum(ok),
                "connect_s": monotonic() - t_connect,
            }
        )
        go = (await read_line(stdin))["go"]
        rate = self.cfg["rate"]
        live = [c for c, good in zip(self.clients, ok, strict=True) if good]
        await asyncio.gather(*(c.edit_loop(go, rate) for c in live))
        deadline = self.last_send + self.cfg["drain_timeout"]
        # Polled: "every client has every edit" is a condition over all clients, not an event.
        while monotonic() < deadline and any(c.remaining for c in live):  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        done_at = monotonic()
        for c in self.clients:
            c.stopping = True
        await asyncio.gather(*(c.close() for c in self.clients))
        finals = [c.final() for c in self.clients]
        completes = [c.complete_at for c in live if c.complete_at is not None]
        emit(
            {
                "event": "result",
                "hist": {str(k): v for k, v in self.hist.items()},
                "deliveries": self.deliveries,
                "first_send": self.first_send,
                "last_send": self.last_send,
                "last_delivery": self.last_delivery,
                "all_complete": len(completes) == len(self.clients),
                "complete_at": max(completes) if completes else None,
                "done_at": done_at,
                "sent": sum(c.sent for c in self.clients),
                "errors": self.errors.as_dict(),
                "finals": finals,
            }
        )


# --- trace replay -----------------------------------------------------------------------------


def load_trace_updates(cfg: dict[str, Any]) -> list[bytes]:
    from bench.trace import load

    return load(Path(cfg["cache_dir"]), log=lambda *_: None, limit=cfg["txns"]).updates


def track_close(conn: Conn, errors: Errors, prefix: str = "") -> None:
    def on_close(sock: wsclient.LeanSocket) -> None:
        if not conn.stopping:
            errors.add(f"{prefix}closed {sock.close_code} {sock.close_reason[:50]}".strip())

    conn.on_close = on_close  # type: ignore[method-assign]
    if conn.sock is not None:
        conn.sock.on_close = on_close


async def writer_mode(cfg: dict[str, Any], stdin: asyncio.StreamReader) -> None:
    """Send one update per trace transaction, as fast as the server takes them (TCP back-pressure).

    With ``barrier``, a SyncStep1 follows the last update: its SyncStep2 arrives once the server
    has processed everything before it (every server here handles a connection's frames in order).
    """
    errors = Errors()
    updates = load_trace_updates(cfg)
    room = cfg["room"]
    conn = Conn(cfg, room, None)
    frames = [conn.framing.update(u) for u in updates]
    del updates
    await conn.open()
    track_close(conn, errors, "writer ")
    await asyncio.wait_for(conn.synced.wait(), 60)
    emit({"event": "ready"})
    go = (await read_line(stdin))["go"]
    delay = go - monotonic()
    if delay > 0:
        await asyncio.sleep(delay)
    first = monotonic()
    sock = conn.sock
    batch = cfg.get("batch", 16)
    try:
        for i in range(0, len(frames), batch):
            sock.send_many(frames[i : i + batch])
            if sock.paused:
                await sock.drain()
            else:
                await asyncio.sleep(0)  # let the echoes in
    except ConnectionError as exc:
        errors.add("writer: " + describe(exc))
    last = monotonic()
    barrier_s = None
    if cfg.get("barrier"):
        before = conn.step2_count
        with contextlib.suppress(ConnectionError):
            sock.send(conn.framing.step1(EMPTY_SV))
        limit = monotonic() + cfg.get("barrier_timeout", 600)
        # Polled, with its own bound: three ways to stop waiting, one of them a deadline.
        while conn.step2_count == before and monotonic() < limit and not sock.closed.done():  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        if conn.step2_count > before:
            barrier_s = monotonic() - first
    emit(
        {
            "event": "result",
            "first_send": first,
            "last_send": last,
            "sent": len(frames),
            "barrier_s": barrier_s,
            "echo_frames": conn.frames,
            "errors": errors.as_dict(),
        }
    )
    with contextlib.suppress(SystemExit):
        await read_line(stdin)  # stop
    await conn.close()


async def observers_mode(cfg: dict[str, Any], stdin: asyncio.StreamReader) -> None:
    from bench.trace import text_after

    errors = Errors()
    updates = load_trace_updates(cfg)
    expected, final_sv = text_after(updates)
    del updates
    target_len = len(expected)
    room = cfg["room"]
    obs = [Conn(cfg, room, Doc()) for _ in range(cfg["observers"])]
    complete_at: list[float | None] = [None] * len(obs)

    def checker(i: int, c: Conn):
        doc, text = c.doc, c.text

        def after_batch() -> None:
            if (
                complete_at[i] is None
                and doc.get_state() == final_sv
                and len(text) == target_len
                and str(text) == expected
            ):
                complete_at[i] = monotonic()

        return after_batch

    for i, c in enumerate(obs):  # one at a time: see the module docstring ("opener")
        await c.open()
        track_close(c, errors, f"observer {i} ")
        c.sock.after_batch = checker(i, c)
        await asyncio.wait_for(c.synced.wait(), 60)
    emit({"event": "ready"})
    await read_line(stdin)  # go
    stall = cfg["stall_timeout"]
    deadline = monotonic() + cfg["max_seconds"]
    last_progress, last_total = monotonic(), -1
    while monotonic() < deadline and any(t is None for t in complete_at):
        await asyncio.sleep(0.05)
        total = sum(c.frames for c in obs)
        if total != last_total:
            last_total, last_progress = total, monotonic()
        elif monotonic() - last_progress > stall:
            break
    for c in obs:
        c.stopping = True
    details = []
    for i, c in enumerate(obs):
        text = str(c.text)
        details.append(
            {
                "complete_at": complete_at[i],
                "exact": text == expected,
                "frames": c.frames,
                "len": len(text),
                "expected_len": target_len,
            }
        )
    emit(
        {
            "event": "result",
            "observers": details,
            "errors": errors.as_dict(),
            "stalled": any(t is None for t in complete_at),
        }
    )
    for c in obs:
        await c.close()


# --- join -------------------------------------------------------------------------------------


async def joiner_mode(cfg: dict[str, Any], stdin: asyncio.StreamReader) -> None:
    """Fresh clients, one after the other: connect → first SyncStep2 applied (→ full content).

    The first client stays connected until the last join is measured, so that joins after the
    first find the room live (and no server unloads it in between).
    """
    from bench.trace import text_after

    updates = load_trace_updates(cfg)
    expected, final_sv = text_after(updates)
    del updates
    room = cfg["room"]
    results = []
    errors = Errors()
    kept: list[Conn] = []
    for n in range(cfg["joins"]):
        c = Conn(cfg, room, Doc())
        complete = asyncio.Event()

        def after_batch(c: Conn = c, complete: asyncio.Event = complete) -> None:
            if c.step2_count and c.doc.get_state() == final_sv and str(c.text) == expected:
                complete.set()

        t0 = monotonic()
        opened = synced_at = complete_at = None
        exact_at_sync = False
        try:
            await c.open()
            opened = monotonic()
            track_close(c, errors)
            c.sock.after_batch = after_batch
            await asyncio.wait_for(c.synced.wait(), cfg["timeout"])
            synced_at = monotonic()
            exact_at_sync = str(c.text) == expected
            await asyncio.wait_for(complete.wait(), max(0.1, cfg["timeout"] - (synced_at - t0)))
            complete_at = monotonic()
        except (TimeoutError, ConnectionError, OSError) as exc:
            errors.add("join: " + describe(exc))
        results.append(
            {
                "open_ms": (opened - t0) * 1e3 if opened else None,
                "synced_ms": (synced_at - t0) * 1e3 if synced_at else None,
                "exact_at_sync": exact_at_sync,
                "complete_ms": (complete_at - t0) * 1e3 if complete_at else None,
                "text_len": len(str(c.text)),
            }
        )
        if n == 0 and cfg.get("keep_first", True):
            kept.append(c)  # keeps the room live (and loaded) for the joins after it
        else:
            await c.close()
    emit({"event": "result", "joins": results, "errors": errors.as_dict()})
    for c in kept:
        await c.close()


# --- idle and opener --------------------------------------------------------------------------


async def idle_mode(cfg: dict[str, Any], stdin: asyncio.StreamReader) -> None:
    errors = Errors()
    conns: list[Conn] = []
    sem = asyncio.Semaphore(cfg.get("concurrency", 64))

    async def one(room: str) -> bool:
        async with sem:
            c = Conn(cfg, room, None)
            try:
                await c.open()
                track_close(c, errors)
                await asyncio.wait_for(c.synced.wait(), 60)
                conns.append(c)
                return True
            except Exception as exc:
                errors.add("connect: " + describe(exc))
                if c.sock is not None:
                    c.sock.abort()
                return False

    t0 = monotonic()
    ok = await asyncio.gather(*(one(room) for room in cfg["rooms"]))
    emit(
        {
            "event": "ready",
            "connected": sum(ok),
            "failed": len(ok) - sum(ok),
            "connect_s": monotonic() - t0,
        }
    )
    await read_line(stdin)  # stop
    still = sum(1 for c in conns if c.sock.is_open)
    emit({"event": "result", "connected": sum(ok), "still_open": still, "errors": errors.as_dict()})
    for c in conns:
        c.stopping = True
        c.sock.abort()


async def opener_mode(cfg: dict[str, Any], stdin: asyncio.StreamReader) -> None:
    conns = []
    for room in cfg["rooms"]:
        c = Conn(cfg, room, None)
        await c.open()
        await asyncio.wait_for(c.synced.wait(), 60)
        conns.append(c)
    emit({"event": "ready", "rooms": len(conns)})
    with contextlib.suppress(SystemExit):
        await read_line(stdin)  # stop
    await asyncio.gather(*(c.close() for c in conns))
    emit({"event": "result"})


# --- entry ------------------------------------------------------------------------------------


MODES = {
    "writer": writer_mode,
    "observers": observers_mode,
    "joiner": joiner_mode,
    "idle": idle_mode,
    "opener": opener_mode,
}


async def amain() -> None:
    stdin = await stdin_reader()
    cfg = await read_line(stdin)
    mode = cfg["mode"]
    if mode == "fanout":
        await FanoutWorker(cfg).run(stdin)
    elif mode in MODES:
        await MODES[mode](cfg, stdin)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


def main() -> None:
    try:
        import uvloop
    except ImportError:
        run = asyncio.run
    else:
        run = uvloop.run
    profile = os.environ.get("BENCH_PROFILE_DIR")  # debugging the load generator itself
    if profile:
        import cProfile

        with cProfile.Profile() as prof:
            run(amain())
        prof.dump_stats(os.path.join(profile, f"loadgen-{os.getpid()}.prof"))
    else:
        run(amain())


if __name__ == "__main__":
    main()

"""Soak (issue #9): many clients on loopback for several minutes, dropping and coming back at
random; the server's memory over time, and every edit accounted for at the end.

    .venv/bin/python -m bench.soak                          # 120 clients, 8 rooms, 5 minutes
    .venv/bin/python -m bench.soak --clients 40 --minutes 1 # a quick one

Each client keeps its document across connections, as the browser does with IndexedDB. It types
(a few edits a second, unique ASCII marks inserted between earlier marks), and every few seconds
its connection ends — half of the time abruptly (the TCP connection aborted, as when a phone
loses the network), half with a normal close — it types a little offline, and reconnects. The
server is one ``atelier serve`` on SQLite, sampled every few seconds: resident memory, open
rooms and connections (from ``/health``). At the end every client reconnects and syncs; then a
fresh client per room reads the document from the server, and every mark any client wrote must
be there. Not a test: it reports; ``lost edits`` must be 0 and the memory flat once steady.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pycrdt import Doc, Text

from bench.procs import cpu_model, raise_nofile, start_atelier, status_kb
from server.auth import mint_grant
from tests.ypy_client import YClient, connect

SECRET = "soak-secret-key-soak-secret-key-0123456"


@dataclass
class Client:
    name: str
    room: str
    url: str
    doc: Doc = field(default_factory=Doc)
    written: set[str] = field(default_factory=set)
    sessions: int = 0
    aborted: int = 0
    counter: int = 0
    errors: list[str] = field(default_factory=list)

    def write(self, rng: random.Random, live: YClient | None) -> None:
        """A mark between two earlier marks (pycrdt positions count UTF-8 bytes: ASCII only)."""
        self.counter += 1
        mark = f"[{self.name}.{self.counter}]"
        text = self.doc.get("t", type=Text)
        current = str(text)
        position = rng.choice([0] + [i + 1 for i, ch in enumerate(current) if ch == "]"])
        if live is not None:
            live.edit(lambda t: t.insert(position, mark))
        else:
            text.insert(position, mark)
        self.written.add(mark)

    async def run(self, rng: random.Random, until: float, rate: float) -> None:
        while time.monotonic() < until:
            try:
                async with connect(self.url, doc=self.doc) as live:
                    self.sessions += 1
                    stay = time.monotonic() + rng.uniform(2.0, 12.0)
                    while time.monotonic() < min(stay, until):
                        self.write(rng, live)
                        await asyncio.sleep(rng.expovariate(rate))
                    if rng.random() < 0.5:
                        self.aborted += 1
                        live.ws.transport.abort()  # the network is gone: no close handshake
            except Exception as exc:  # a refused or failed connection: counted, tried again
                self.errors.append(f"{type(exc).__name__}: {exc}"[:120])
            for _ in range(rng.randint(0, 3)):  # offline for a moment, still typing
                self.write(rng, None)
            await asyncio.sleep(rng.uniform(0.1, 2.0))


async def sample(pid: int, base: str, every: float, out: list[tuple[float, float, int]]) -> None:
    start = time.monotonic()
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        while True:
            rooms = -1
            with contextlib.suppress(httpx.HTTPError):
                rooms = int((await http.get("/health")).json().get("rooms", -1))
            out.append((time.monotonic() - start, status_kb(pid, "VmRSS") / 1024, rooms))
            await asyncio.sleep(every)


async def settle(clients: list[Client], timeout: float) -> int:
    """Everyone reconnects with what they kept and syncs; then what the server holds per room,
    read by a newcomer, must hold every mark. Returns the number of marks missing."""

    async def resync(client: Client) -> None:
        async with connect(client.url, doc=client.doc) as live:
            await live.round_trip(timeout)

    for start in range(0, len(clients), 20):
        await asyncio.gather(*(resync(c) for c in clients[start : start + 20]))
    lost = 0
    for room in sorted({c.room for c in clients}):
        marks = set().union(*(c.written for c in clients if c.room == room))
        url = next(c.url for c in clients if c.room == room)
        async with connect(url) as newcomer:
            text = str(newcomer)
        lost += sum(1 for m in marks if m not in text)
    return lost


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares MB per minute."""
    if len(points) < 2:
        return 0.0
    xs = [t / 60 for t, _ in points]
    ys = [m for _, m in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


async def main_async(args: argparse.Namespace) -> str:
    raise_nofile()
    workdir = Path(tempfile.mkdtemp(prefix="atelier-soak-"))
    settings = {
        "ATELIER_SECRET_KEY": SECRET,
        "ATELIER_WS_CONNECTIONS_PER_ADDRESS": "0",  # every client is on 127.0.0.1
        "ATELIER_ROOM_IDLE_SECONDS": "2",  # rooms unload and load again during the run
    }
    server, port = await asyncio.to_thread(start_atelier, workdir, settings)
    try:
        base = f"http://127.0.0.1:{port}"
        rng = random.Random(args.seed)
        rooms = [f"soak-{r}" for r in range(args.rooms)]
        clients = []
        for k in range(args.clients):
            room = rooms[k % len(rooms)]
            token = mint_grant(SECRET, room, "rw", f"soak-{k}", 6 * 3600)
            clients.append(
                Client(f"c{k}", room, f"ws://127.0.0.1:{port}/ws/docs/{room}?token={token}")
            )
        series: list[tuple[float, float, int]] = []
        sampler = asyncio.create_task(sample(server.pid, base, args.sample_every, series))
        until = time.monotonic() + args.minutes * 60
        started = time.monotonic()
        await asyncio.gather(
            *(c.run(random.Random(rng.random()), until, args.rate) for c in clients)
        )
        lost = await settle(clients, timeout=60)
        sampler.cancel()
        elapsed = time.monotonic() - started
        alive = server.alive()
    finally:
        server.stop()
    edits = sum(len(c.written) for c in clients)
    sessions = sum(c.sessions for c in clients)
    aborted = sum(c.aborted for c in clients)
    errors = [e for c in clients for e in c.errors]
    steady = [(t, m) for t, m, _ in series if t >= elapsed / 3]
    lines = [
        f"## Soak — {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"CPU: {cpu_model()}. {args.clients} clients in {args.rooms} rooms for "
        f"{args.minutes:g} min, ~{args.rate:g} edits/s each while connected; connections of "
        "2–12 s, half of them aborted without a close; offline typing between connections.",
        "",
        "| minute | server RSS (MB) | rooms loaded |",
        "|---|---|---|",
    ]
    shown = -1
    for t, mb, rooms_loaded in series:
        if int(t // 30) != shown:  # one row per half minute
            shown = int(t // 30)
            lines.append(f"| {t / 60:.1f} | {mb:.1f} | {rooms_loaded} |")
    lines += [
        "",
        f"Edits: {edits:,} · connections: {sessions:,} ({aborted:,} aborted) · "
        f"**lost edits: {lost}** · server alive at the end: {'yes' if alive else 'NO'}",
        f"RSS from the first third on: min {min(m for _, m in steady):.1f} MB, "
        f"max {max(m for _, m in steady):.1f} MB, trend {slope(steady):+.2f} MB/min"
        if steady
        else "RSS: too few samples",
        f"Connection errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""),
        f"Server log: {workdir / 'server.log'}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--clients", type=int, default=120)
    parser.add_argument("--rooms", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=2.0, help="edits/s per connected client")
    parser.add_argument("--sample-every", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=9)
    print(asyncio.run(main_async(parser.parse_args(argv))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

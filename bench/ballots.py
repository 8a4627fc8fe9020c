"""Ballots under load (issue #4): N participants vote over the HTTP API within a time window,
one poll per method, while an observer follows the séance's live channel.

    .venv/bin/python -m bench.ballots                       # 5,000 voters in 60 s, every method
    .venv/bin/python -m bench.ballots --voters 500 --seconds 10 --methods dots,irv

For each method it reports: ballots accepted; the HTTP round trip of a ballot (p50/p99); the
time from a ballot's submission to the first ``tally`` event at the observer that counts it
(the receipt's ``seq`` against the event's ``seq``: p50/p95/p99/max); how many tally events the
observer received (the server throttles them to ~4 per second per poll); and the server's CPU
time per ballot. Everything runs on this machine: the load generator and the observer share
the client process, the server is one ``atelier serve`` process on SQLite. No anchor offers
this flow (Claper's and Loomio's votes are not comparable APIs), so the figures stand alone.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import random
import sys
import tempfile
import time
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.procs import cpu_seconds, start_atelier

ROOT = Path(__file__).resolve().parent.parent
METHODS = ["plurality", "approval", "dots", "score", "borda", "irv", "schulze", "majority_judgment"]
OPTIONS = [
    "Jardin partagé",
    "Piste cyclable",
    "Boîte à livres",
    "Bancs sur la place",
    "Fresque participative",
    "Fête de quartier",
]
PARAMS: dict[str, dict[str, Any]] = {
    "dots": {"dots_per_voter": 5, "max_per_option": 3},
    "score": {"min": 0, "max": 5},
}


def random_ballot(method: str, rng: random.Random) -> dict[str, Any]:  # noqa: PLR0911
    ids = [f"o{i}" for i in range(1, len(OPTIONS) + 1)]
    match method:
        case "plurality":
            return {"choice": rng.choice(ids)}
        case "approval":
            return {"approve": [o for o in ids if rng.random() < 0.4]}
        case "dots":
            dots: dict[str, int] = {}
            for _ in range(5):
                option = rng.choice(ids)
                if dots.get(option, 0) < 3:
                    dots[option] = dots.get(option, 0) + 1
            return {"dots": dots}
        case "score":
            return {"scores": {o: rng.randint(0, 5) for o in ids}}
        case "borda":
            return {"ranking": rng.sample(ids, len(ids))}
        case "irv" | "schulze":
            return {"ranking": rng.sample(ids, rng.randint(1, len(ids)))}
        case "majority_judgment":
            return {"grades": {o: rng.randint(0, 5) for o in ids}}
    raise ValueError(method)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Bench:
    def __init__(self, base: str, concurrency: int) -> None:
        self.base = base
        self.http = httpx.AsyncClient(
            base_url=base,
            timeout=60,
            # 5,000 people's phones, not one browser: a kept token or device cookie would make
            # every join after the first give back the same participant.
            cookies=httpx.Cookies(CookieJar(DefaultCookiePolicy(allowed_domains=[]))),
            limits=httpx.Limits(
                max_connections=concurrency,
                max_keepalive_connections=concurrency,
                # Below uvicorn's 5 s keep-alive: a connection the server is closing is never
                # reused (a request sent on it fails with ReadError, and a join is not retried).
                keepalive_expiry=2.0,
            ),
        )
        self.facilitator = ""
        self.session_id = ""
        self.tokens: list[str] = []

    async def setup(self, voters: int, concurrency: int) -> float:
        created = await self.http.post(
            "/api/ateliers",
            json={
                "title": "Sommet citoyen — banc d’essai",
                "subject": "Priorités du quartier",
                "kind": "initiative_citoyenne",  # a resident may start one without a credential
                "scope": "ville",
                "facilitator_name": "Animation",
                "min_residents": 1,
            },
        )
        created.raise_for_status()
        atelier = created.json()["atelier"]["id"]
        self.facilitator = created.json()["facilitator"]["token"]
        seance = await self.http.post(
            f"/api/ateliers/{atelier}/sessions",
            json={
                "date": "2026-11-26",
                "start_time": "18:00:00",
                "mode": "distanciel",
                "remote_link": "https://visio.example/atelier",
            },
            headers=self.auth(self.facilitator),
        )
        seance.raise_for_status()
        self.session_id = seance.json()["id"]
        code = seance.json()["join_code"]
        gate = asyncio.Semaphore(concurrency)

        async def join(i: int) -> str:
            if i % 10 == 0:  # one in ten is a city agent, who joins with an invitation
                return await join_agent(i)
            async with gate:
                response = await self.http.post(
                    f"/api/join/{code}",
                    json={
                        "display_name": f"Voix {i}",
                        "role": "habitant",
                        "accept_charter_version": 1,
                    },
                )
            response.raise_for_status()
            return str(response.json()["token"])

        async def join_agent(i: int) -> str:
            async with gate:
                invited = await self.http.post(
                    f"/api/ateliers/{atelier}/invitations",
                    json={"role": "agent"},
                    headers=self.auth(self.facilitator),
                )
                invited.raise_for_status()
                response = await self.http.post(
                    f"/api/join/{code}",
                    json={
                        "display_name": f"Voix {i}",
                        "role": "agent",
                        "accept_charter_version": 1,
                        "invitation_code": invited.json()["code"],
                    },
                )
            response.raise_for_status()
            return str(response.json()["token"])

        started = time.perf_counter()
        self.tokens = list(await asyncio.gather(*(join(i) for i in range(voters))))
        return time.perf_counter() - started

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def run_method(  # noqa: PLR0915
        self, method: str, seconds: float, server_pid: int, rng: random.Random
    ) -> dict[str, Any]:
        created = await self.http.post(
            f"/api/sessions/{self.session_id}/polls",
            json={
                "title": f"Banc d’essai — {method}",
                "method": method,
                "options": [{"label": label} for label in OPTIONS],
                "params": PARAMS.get(method, {}),
                "voter_roles": ["habitant", "agent"],
            },
            headers=self.auth(self.facilitator),
        )
        created.raise_for_status()
        poll_id = created.json()["id"]
        ws_url = self.base.replace("http", "ws") + f"/ws/sessions/{self.session_id}"
        tallies: list[tuple[int, float]] = []  # (seq, arrival)
        last_seq = {"value": -1}
        done = asyncio.Event()

        async with websockets.connect(f"{ws_url}?token={self.facilitator}", max_size=None) as ws:

            async def observe() -> None:
                async for frame in ws:
                    event = json.loads(frame)
                    if event.get("type") == "tally" and event.get("poll_id") == poll_id:
                        tallies.append((event["seq"], time.perf_counter()))
                        if event["seq"] == last_seq["value"]:
                            done.set()

            observer = asyncio.create_task(observe())
            (
                await self.http.post(
                    f"/api/polls/{poll_id}/open", headers=self.auth(self.facilitator)
                )
            ).raise_for_status()
            sent: list[tuple[int, float]] = []  # (seq, submitted)
            round_trips: list[float] = []
            errors = 0
            interval = seconds / len(self.tokens)
            cpu_before = cpu_seconds(server_pid)
            t0 = time.perf_counter()

            async def cast(i: int, token: str) -> None:
                nonlocal errors
                await asyncio.sleep(max(0.0, t0 + i * interval - time.perf_counter()))
                ballot = random_ballot(method, rng)
                submitted = time.perf_counter()
                response = await self.http.put(
                    f"/api/polls/{poll_id}/ballot",
                    json={"ballot": ballot},
                    headers=self.auth(token),
                )
                if response.status_code != 200:
                    errors += 1
                    return
                round_trips.append(time.perf_counter() - submitted)
                sent.append((response.json()["seq"], submitted))

            await asyncio.gather(*(cast(i, token) for i, token in enumerate(self.tokens)))
            casting = time.perf_counter() - t0
            last_seq["value"] = max((seq for seq, _ in sent), default=0)
            if not any(seq >= last_seq["value"] for seq, _ in tallies):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), 30)
            cpu = cpu_seconds(server_pid) - cpu_before
            observer.cancel()

        tally_seqs = [seq for seq, _ in tallies]
        latencies: list[float] = []
        missing = 0
        for seq, submitted in sent:
            index = bisect.bisect_left(tally_seqs, seq)
            if index == len(tallies):
                missing += 1
            else:
                latencies.append(tallies[index][1] - submitted)
        closed = await self.http.post(
            f"/api/polls/{poll_id}/close", headers=self.auth(self.facilitator)
        )
        closed.raise_for_status()
        counted = closed.json()["turnout"]["total"]
        ms = 1000.0
        return {
            "method": method,
            "accepted": len(sent),
            "counted": counted,
            "errors": errors,
            "seconds": casting,
            "rtt_p50": percentile(round_trips, 0.5) * ms,
            "rtt_p99": percentile(round_trips, 0.99) * ms,
            "p50": percentile(latencies, 0.5) * ms,
            "p95": percentile(latencies, 0.95) * ms,
            "p99": percentile(latencies, 0.99) * ms,
            "max": max(latencies, default=float("nan")) * ms,
            "unseen": missing,
            "tallies": len(tallies),
            "cpu_ms": cpu / max(1, len(sent)) * ms,
        }


def table(rows: list[dict[str, Any]], voters: int, seconds: float, joined: float) -> str:
    lines = [
        f"{voters} voters, ballots spread over {seconds:.0f} s, one poll per method "
        f"({len(OPTIONS)} options); {voters} joins took {joined:.1f} s.",
        "",
        "| method | accepted / counted | errors | HTTP p50 / p99 (ms) "
        "| to tally p50 / p95 / p99 / max (ms) | not seen | tally events "
        "| server CPU / ballot (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['accepted']} / {r['counted']} | {r['errors']} "
            f"| {r['rtt_p50']:.0f} / {r['rtt_p99']:.0f} "
            f"| {r['p50']:.0f} / {r['p95']:.0f} / {r['p99']:.0f} / {r['max']:.0f} "
            f"| {r['unseen']} | {r['tallies']} | {r['cpu_ms']:.2f} |"
        )
    return "\n".join(lines)


async def measure(
    voters: int,
    seconds: float,
    methods: list[str],
    *,
    concurrency: int = 64,
    seed: int = 2017,
    database_url: str = "",
) -> dict[str, Any]:
    """Start an Atelier, join ``voters`` participants, run one poll per method; the joins' time
    and one row per method (see :meth:`Bench.run_method`). Also the ``votes`` scenario of
    ``python -m bench``."""
    workdir = Path(tempfile.mkdtemp(prefix="atelier-ballots-"))
    settings = {"ATELIER_SECRET_KEY": "bench-secret-key-bench-secret-key-0123"}
    if database_url:
        settings["ATELIER_DATABASE_URL"] = database_url
    server, port = await asyncio.to_thread(start_atelier, workdir, settings)
    try:
        bench = Bench(f"http://127.0.0.1:{port}", concurrency)
        joined = await bench.setup(voters, concurrency)
        rng = random.Random(seed)
        rows = []
        for method in methods:
            row = await bench.run_method(method, seconds, server.pid, rng)
            print(
                f"  {method}: p99 {row['p99']:.0f} ms, {row['cpu_ms']:.2f} ms CPU/ballot",
                file=sys.stderr,
            )
            rows.append(row)
        await bench.http.aclose()
        return {"voters": voters, "seconds": seconds, "joined_s": joined, "rows": rows}
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ballots", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--voters", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--methods", type=lambda s: s.split(","), default=METHODS)
    parser.add_argument("--concurrency", type=int, default=64, help="HTTP connections (64)")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument(
        "--database-url",
        default="",
        help="an empty database to use (e.g. postgresql+asyncpg://…); default: a new SQLite file",
    )
    args = parser.parse_args(argv)
    if unknown := set(args.methods) - set(METHODS):
        parser.error(f"unknown methods: {', '.join(sorted(unknown))}")
    result = asyncio.run(
        measure(
            args.voters,
            args.seconds,
            args.methods,
            concurrency=args.concurrency,
            seed=args.seed,
            database_url=args.database_url,
        )
    )
    print(table(result["rows"], args.voters, args.seconds, result["joined_s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

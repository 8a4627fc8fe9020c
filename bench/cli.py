"""``python -m bench``: install the anchors, run every scenario against every server, one after
the other, and print one markdown table (see bench/README.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import shutil
import signal
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import ballots, procs
from bench import install as installer
from bench.procs import Proc, Sampler
from bench.servers import ALIASES, ALL, REPO, Running, ServerSpec, stop

BENCH = Path(__file__).resolve().parent
ANCHORS = BENCH / ".anchors"
CACHE = ANCHORS / "cache"

FANOUT = {  # name: (rooms, clients per room, edits per second per client)
    "fanout-1x10": (1, 10, 5.0),
    "fanout-10x20": (10, 20, 5.0),
    "fanout-1x200": (1, 200, 2.0),
}
SCENARIOS = [*FANOUT, "trace", "join", "idle", "votes"]
SERVER_ORDER = ["atelier", "yws", "hocuspocus", "pyws"]
#: Atelier on PostgreSQL + Redis, one instance or two (issue #6): ``--servers atelier-pg1,…``.
CLUSTERS = ["atelier-pg1", "atelier-pg2"]
#: Servers run only when asked for, and only in the live scenarios: Atelier without fsync
#: (``--servers atelier,atelier-nosync,…``: the cost of durability), and the clusters.
OPT_IN = ["atelier-nosync", *CLUSTERS]


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


# --- workers ----------------------------------------------------------------------------------


class Workers:
    """Load-generator processes, started together, read together, stopped together."""

    def __init__(self, name: str, configs: list[dict[str, Any]], logs: Path) -> None:
        self.procs = [
            Proc(
                f"{name}-w{i}",
                [sys.executable, "-m", "bench.loadgen"],
                cwd=REPO,
                log_path=logs / f"{name}-w{i}.log",
                pipe=True,
            )
            for i in range(len(configs))
        ]
        for proc, cfg in zip(self.procs, configs, strict=True):
            proc.send(cfg)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def read_all(self, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        return [p.read(max(1.0, deadline - time.monotonic())) for p in self.procs]

    def send_all(self, obj: dict[str, Any]) -> None:
        for p in self.procs:
            p.send(obj)

    def stop(self) -> None:
        """Let workers that were told to finish exit on their own; on an error, stop them now."""
        failing = sys.exc_info()[0] is not None
        for p in self.procs:
            if p.alive() and not failing:
                with contextlib.suppress(Exception):
                    p.popen.wait(5)
            p.stop(signal.SIGTERM, grace=3)


def percentile(hist: Counter[int], q: float) -> float | None:
    total = sum(hist.values())
    if not total:
        return None
    rank = q * total
    seen = 0
    for bucket in sorted(hist):
        seen += hist[bucket]
        if seen >= rank:
            return math.exp((bucket + 0.5) / 100) / 1000.0  # µs → ms
    return None


# --- scenarios ----------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.run_dir = ANCHORS / "runs" / stamp
        self.logs = self.run_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.results: dict[str, dict[str, dict[str, Any]]] = {}
        self.notes: list[str] = []
        self.exited: list[str] = []

    # -- helpers

    def workdir(self, scenario: str, server: ServerSpec) -> Path:
        path = self.run_dir / "data" / f"{scenario}.{server.key}"
        if path.exists():
            shutil.rmtree(path)
        return path

    def base_cfg(self, server: ServerSpec, running: Running, rooms: list[str]) -> dict[str, Any]:
        return {
            "framing": server.framing,
            "urls": server.urls(running, rooms),
            "token": "bench",
            "deflate": not self.args.no_deflate,
            "cache_dir": str(CACHE),
        }

    def open_rooms(
        self, server: ServerSpec, running: Running, rooms: list[str], tag: str
    ) -> Workers:
        """One client per room, one room at a time, before the load's clients connect at once.

        pycrdt-websocket 0.16.5 hangs every client but one when several join a room that does
        not exist yet at the same moment; opening each room first sidesteps that for all servers.
        """
        cfg = {**self.base_cfg(server, running, rooms), "mode": "opener", "rooms": rooms}
        opener = Workers(f"{tag}.{server.key}.opener", [cfg], self.logs)
        try:
            opener.read_all(60 + 2 * len(rooms))
        except BaseException:
            opener.stop()
            raise
        return opener

    @staticmethod
    def close_rooms(opener: Workers) -> None:
        try:
            opener.send_all({"stop": True})
            opener.read_all(30)
        finally:
            opener.stop()

    def check_alive(self, running: Running) -> None:
        """Note a server that died during the scenario (its figures are then partial)."""
        for proc in running.procs:
            if not proc.alive():
                self.exited.append(
                    f"{running.workdir.name}: {running.spec.label} exited with code "
                    f"{proc.popen.returncode} during the scenario (see its log)"
                )

    def n_workers(self, clients: int) -> int:
        if self.args.workers:
            return self.args.workers
        return 2 if clients >= 100 else 1

    # -- fan-out

    def fanout(self, name: str, server: ServerSpec) -> dict[str, Any]:
        n_rooms, per_room, rate = FANOUT[name]
        if self.args.clients:
            per_room = min(per_room, self.args.clients)
        edits = max(1, round(rate * self.args.duration))
        rooms = [f"{name}-{i}" for i in range(n_rooms)]
        running = server.start(self.workdir(name, server), logs=self.logs)
        try:
            clients = [(room, cid, per_room) for room in rooms for cid in range(per_room)]
            n_workers = self.n_workers(len(clients))
            base = self.base_cfg(server, running, rooms)
            t_base = time.monotonic()
            configs = [
                {
                    **base,
                    "mode": "fanout",
                    "clients": clients[w::n_workers],
                    "rate": rate,
                    "edits": edits,
                    "drain_timeout": self.args.drain_timeout,
                    "t_base": t_base,
                }
                for w in range(n_workers)
            ]
            opener = self.open_rooms(server, running, rooms, name)
            workers = Workers(f"{name}.{server.key}", configs, self.logs)
            sampler = Sampler({"server": running.pids, "loadgen": workers.pids})
            sampler.start()
            try:
                try:
                    ready = workers.read_all(120 + len(clients) * 0.5)
                finally:
                    self.close_rooms(opener)
                go = time.monotonic() + 0.5
                workers.send_all({"go": go})
                results = workers.read_all(self.args.duration + self.args.drain_timeout + 120)
            finally:
                sampler.stop()
                workers.stop()
            vmhwm = procs.peak_memory_kb(running.pids)
            self.check_alive(running)
        finally:
            stop(running)
        hist: Counter[int] = Counter()
        for r in results:
            hist.update({int(k): v for k, v in r["hist"].items()})
        deliveries = sum(r["deliveries"] for r in results)
        expected = n_rooms * per_room * (per_room - 1) * edits
        first = min((r["first_send"] for r in results if r["first_send"]), default=0.0)
        last_send = max(r["last_send"] for r in results)
        last_delivery = max(r["last_delivery"] for r in results)
        done = max(r["done_at"] for r in results)
        all_complete = all(r["all_complete"] for r in results)
        complete_at = max((r["complete_at"] for r in results if r["complete_at"]), default=None)
        errors = Counter()
        for r in results:
            errors.update(r["errors"]["kinds"])
        finals = [f for r in results for f in r["finals"]]
        exact, why = self._exactness(finals, rooms)
        connected = sum(r.get("connected", 0) for r in ready)
        return {
            "clients": len(clients),
            "connected": connected,
            "edits_per_client": edits,
            "p50_ms": percentile(hist, 0.50),
            "p95_ms": percentile(hist, 0.95),
            "p99_ms": percentile(hist, 0.99),
            "deliveries": deliveries,
            "expected_deliveries": expected,
            "deliveries_per_s": deliveries / (last_delivery - first)
            if first and last_delivery > first
            else None,
            "offered_per_s": n_rooms * per_room * (per_room - 1) * rate,
            "backlog_s": (complete_at - last_send) if all_complete and complete_at else None,
            "incomplete": not all_complete,
            "errors": sum(errors.values()),
            "error_kinds": dict(errors),
            "server_cpu_pct": sampler.cpu_percent("server", go, done),
            "server_kernel_pct": sampler.cpu_percent("server", go, done, kernel=True),
            "loadgen_cpu_pct": sampler.cpu_percent("loadgen", go, done),
            "peak_rss_mb": vmhwm / 1024 if vmhwm else None,
            "exact": exact,
            "exact_why": why,
            "connect_s": max(r.get("connect_s", 0) for r in ready),
            "worker_rusage": [r.get("rusage") for r in results],
        }

    @staticmethod
    def _exactness(finals: list[dict[str, Any]], rooms: list[str]) -> tuple[bool, str]:
        problems = []
        for room in rooms:
            mine = [f for f in finals if f["room"] == room]
            incomplete = [f for f in mine if not f["complete"]]
            if incomplete:
                problems.append(f"{room}: {len(incomplete)}/{len(mine)} clients incomplete")
            shas = {f["sha"] for f in mine}
            if len(shas) > 1:
                problems.append(f"{room}: {len(shas)} different final texts")
        return (not problems), "; ".join(problems[:3])

    # -- trace replay

    def trace(self, server: ServerSpec) -> dict[str, Any]:
        txns = self.args.trace_txns
        room = "trace"
        running = server.start(self.workdir("trace", server), logs=self.logs)
        try:
            base = self.base_cfg(server, running, [room])
            obs_cfg = {
                **base,
                "mode": "observers",
                "room": room,
                "txns": txns,
                "observers": 3,
                "stall_timeout": self.args.stall_timeout,
                "max_seconds": self.args.trace_max_seconds,
            }
            writer_cfg = {**base, "mode": "writer", "room": room, "txns": txns}
            observers = Workers(f"trace.{server.key}.obs", [obs_cfg], self.logs)
            try:
                observers.read_all(120)
            except BaseException:
                observers.stop()
                raise
            writer = Workers(f"trace.{server.key}.writer", [writer_cfg], self.logs)
            sampler = Sampler({"server": running.pids, "loadgen": observers.pids + writer.pids})
            sampler.start()
            try:
                writer.read_all(120)
                go = time.monotonic() + 0.3
                writer.send_all({"go": go})
                observers.send_all({"go": go})
                wres = writer.read_all(self.args.trace_max_seconds + 60)[0]
                ores = observers.read_all(self.args.trace_max_seconds + 60)[0]
                end = time.monotonic()
                writer.send_all({"stop": True})
            finally:
                sampler.stop()
                observers.stop()
                writer.stop()
            vmhwm = procs.peak_memory_kb(running.pids)
            self.check_alive(running)
        finally:
            stop(running)
        obs = ores["observers"]
        done = [o["complete_at"] for o in obs]
        all_done = all(done)
        end_window = max(done) if all_done else end
        errors = Counter(ores["errors"]["kinds"])
        errors.update(wres["errors"]["kinds"])
        first = wres["first_send"]
        return {
            "txns": txns,
            "edits_per_s": txns / (max(done) - first) if all_done else None,
            "writer_edits_per_s": txns / (wres["last_send"] - first)
            if wres["last_send"] > first
            else None,
            "seconds": (max(done) - first) if all_done else None,
            "exact_observers": sum(1 for o in obs if o["exact"]),
            "observers": len(obs),
            "stalled": ores["stalled"],
            "observer_detail": obs,
            "errors": sum(errors.values()),
            "error_kinds": dict(errors),
            "server_cpu_pct": sampler.cpu_percent("server", first, end_window),
            "loadgen_cpu_pct": sampler.cpu_percent("loadgen", first, end_window),
            "peak_rss_mb": vmhwm / 1024 if vmhwm else None,
        }

    # -- join a long history

    def _joins(
        self, server: ServerSpec, running: Running, room: str, n: int, tag: str
    ) -> dict[str, Any]:
        cfg = {
            **self.base_cfg(server, running, [room]),
            "mode": "joiner",
            "room": room,
            "txns": self.args.join_updates,
            "joins": n,
            "timeout": self.args.join_timeout,
        }
        w = Workers(f"join.{server.key}.{tag}", [cfg], self.logs)
        try:
            return w.read_all(self.args.join_timeout * n + 120)[0]
        finally:
            w.stop()

    def _quiesce(self, running: Running, limit: float) -> float:
        """Wait until the server has used < 3 % CPU for half a second (its writes are done)."""
        t0 = time.monotonic()
        prev = procs.cpu_seconds(running.pid)
        while time.monotonic() - t0 < limit:
            time.sleep(0.5)
            now = procs.cpu_seconds(running.pid)
            if now - prev < 0.015:
                break
            prev = now
        return time.monotonic() - t0

    def join(self, server: ServerSpec) -> dict[str, Any]:
        room = "history"
        n = self.args.join_updates
        running = server.start(self.workdir("join", server), persistent=True, logs=self.logs)
        try:
            seed_cfg = {
                **self.base_cfg(server, running, [room]),
                "mode": "writer",
                "room": room,
                "txns": n,
                "barrier": True,
                "barrier_timeout": self.args.seed_timeout,
            }
            seeder = Workers(f"join.{server.key}.seeder", [seed_cfg], self.logs)
            try:
                seeder.read_all(120)
                seeder.send_all({"go": time.monotonic() + 0.2})
                seed = seeder.read_all(self.args.seed_timeout + 120)[0]
                # Let the server finish what it does after acknowledging the seed (writes to
                # its store), with the seeder still connected, so that the joins below find a
                # server at rest. (pycrdt-websocket drops a room's pending store writes when a
                # client disconnects while the room still has sends in flight.)
                settle = self._quiesce(running, self.args.settle_timeout)
                warm = self._joins(server, running, room, 3, "warm")
                seeder.send_all({"stop": True})
            finally:
                seeder.stop()
            settle += self._quiesce(running, 10.0)
            running = server.restart(running, self.logs)
            cold = self._joins(server, running, room, 2, "cold")
            vmhwm = procs.peak_memory_kb(running.pids)
            self.check_alive(running)
        finally:
            stop(running)
        return self._join_metrics(
            n,
            seed,
            warm["joins"],
            cold["joins"][:1],
            settle,
            vmhwm,
            Counter(warm["errors"]["kinds"]) + Counter(cold["errors"]["kinds"]),
        )

    def join_store(self, server: ServerSpec) -> dict[str, Any]:
        """Atelier only: 100,000 rows written through SqlDocumentStore while the server is down."""
        from bench.trace import load

        room = "history"
        n = self.args.join_updates
        workdir = self.workdir("join-store", server)
        workdir.mkdir(parents=True)
        server.prepare(workdir)
        updates = load(CACHE, log=log, limit=n).updates
        t0 = time.monotonic()
        asyncio.run(_seed_store(workdir / "atelier.db", room, updates))
        seed_s = time.monotonic() - t0
        running = server.start(workdir, fresh=False, logs=self.logs)
        try:
            first = self._joins(server, running, room, 3, "store-first")
            running = server.restart(running, self.logs)
            again = self._joins(server, running, room, 1, "store-restart")
            vmhwm = procs.peak_memory_kb(running.pids)
            self.check_alive(running)
        finally:
            stop(running)
        seed = {"first_send": 0.0, "barrier_s": seed_s}
        metrics = self._join_metrics(
            n,
            seed,
            first["joins"][1:],
            first["joins"][:1],
            0.0,
            vmhwm,
            Counter(first["errors"]["kinds"]) + Counter(again["errors"]["kinds"]),
        )
        metrics["restart_again_ms"] = again["joins"][0]["synced_ms"]
        return metrics

    @staticmethod
    def _join_metrics(
        n: int,
        seed: dict[str, Any],
        warm: list[dict[str, Any]],
        cold: list[dict[str, Any]],
        settle: float,
        vmhwm: int,
        errors: Counter[str],
    ) -> dict[str, Any]:
        def med(values: list[float | None]) -> float | None:
            vals = [v for v in values if v is not None]
            return statistics.median(vals) if vals else None

        seed_s = seed.get("barrier_s")
        return {
            "updates": n,
            "seed_edits_per_s": n / seed_s if seed_s else None,
            "warm_synced_ms": med([j["synced_ms"] for j in warm]),
            "warm_exact": all(j["exact_at_sync"] for j in warm) and bool(warm),
            "warm_complete_ms": med([j["complete_ms"] for j in warm]),
            "cold_synced_ms": cold[0]["synced_ms"] if cold else None,
            "cold_exact": bool(cold) and cold[0]["exact_at_sync"],
            "cold_complete_ms": cold[0]["complete_ms"] if cold else None,
            "settle_s": settle,
            "joins_raw": {"live": warm, "restart": cold},
            "errors": sum(errors.values()),
            "error_kinds": dict(errors),
            "peak_rss_mb": vmhwm / 1024 if vmhwm else None,
        }

    # -- idle connections

    def idle(self, server: ServerSpec) -> dict[str, Any]:
        soft, _hard = procs.raise_nofile()
        wanted = self.args.idle
        n = min(wanted, soft - 256)
        if n < wanted:
            self.notes.append(f"idle: fd limit {soft} allows {n} connections, not {wanted}")
        per_room = self.args.idle_per_room
        rooms = [f"idle-{i}" for i in range(math.ceil(n / per_room))]
        assignment = [rooms[i // per_room] for i in range(n)]
        running = server.start(self.workdir("idle", server), logs=self.logs)
        try:
            time.sleep(1.0)
            rss_before = procs.status_kb(running.pid, "VmRSS")
            base = self.base_cfg(server, running, rooms)
            n_workers = self.args.workers or (2 if n >= 2000 else 1)
            configs = [
                {**base, "mode": "idle", "rooms": assignment[w::n_workers]}
                for w in range(n_workers)
            ]
            opener = self.open_rooms(server, running, rooms, "idle")
            cpu_before = sum(procs.cpu_seconds(pid) for pid in running.pids)
            workers = Workers(f"idle.{server.key}", configs, self.logs)
            try:
                try:
                    ready = workers.read_all(600)
                    cpu_connect = sum(procs.cpu_seconds(pid) for pid in running.pids) - cpu_before
                finally:
                    self.close_rooms(opener)
                time.sleep(self.args.idle_hold)
                rss_after = procs.status_kb(running.pid, "VmRSS")
                workers.send_all({"stop": True})
                results = workers.read_all(60)
            finally:
                workers.stop()
            vmhwm = procs.peak_memory_kb(running.pids)
            self.check_alive(running)
        finally:
            stop(running)
        connected = sum(r["connected"] for r in ready)
        errors = Counter()
        for r in results:
            errors.update(r["errors"]["kinds"])
        connect_s = max(r["connect_s"] for r in ready)
        return {
            "wanted": wanted,
            "connected": connected,
            "still_open": sum(r["still_open"] for r in results),
            "rooms": len(rooms),
            "kb_per_conn": (rss_after - rss_before) / connected if connected else None,
            "rss_before_mb": rss_before / 1024,
            "rss_after_mb": rss_after / 1024,
            "connect_per_s": connected / connect_s if connect_s else None,
            # Server CPU spent while the sockets connected, per socket: what a connection costs
            # apart from how busy the machine was (the rate above shares it with the clients).
            "connect_cpu_ms": 1000 * cpu_connect / connected if connected else None,
            "errors": sum(errors.values()),
            "error_kinds": dict(errors),
            "peak_rss_mb": vmhwm / 1024 if vmhwm else None,
        }

    # -- votes

    def votes(self) -> dict[str, Any]:
        """Issue #4's load, Atelier only (no anchor has polls): participants cast ballots over
        the HTTP API within a window, one poll per method, while an observer follows the
        séance's live channel (``bench/ballots.py``, also ``make -C bench ballots``)."""
        a = self.args
        result = asyncio.run(ballots.measure(a.voters, a.vote_seconds, a.vote_methods))
        rows = result["rows"]
        return {
            **result,
            "accepted": sum(r["accepted"] for r in rows),
            "counted": sum(r["counted"] for r in rows),
            "errors": sum(r["errors"] for r in rows),
            "unseen": sum(r["unseen"] for r in rows),
        }

    # -- driver

    def run(self, scenarios: list[str], servers: list[ServerSpec]) -> None:
        for scenario in scenarios:
            if scenario in FANOUT and self.args.repeat > 1:
                self._run_fanout_rounds(scenario, servers)
                continue
            for server in servers:
                if server.key in OPT_IN and scenario not in FANOUT and scenario != "trace":
                    continue  # joins and idle connections are one instance's business
                if scenario == "votes" and server.key != "atelier":
                    continue  # no anchor has polls
                self._run_one(scenario, server)
                if scenario == "join" and server.key == "atelier" and not self.args.no_store_seed:
                    self._run_one("join-store", server)

    def _measure(self, scenario: str, server: ServerSpec) -> dict[str, Any]:
        if scenario in FANOUT:
            return self.fanout(scenario, server)
        if scenario == "trace":
            return self.trace(server)
        if scenario == "join":
            return self.join(server)
        if scenario == "join-store":
            return self.join_store(server)
        if scenario == "idle":
            return self.idle(server)
        if scenario == "votes":
            return self.votes()
        raise ValueError(scenario)

    def _run_one(self, scenario: str, server: ServerSpec) -> dict[str, Any]:
        log(f"== {scenario} × {server.label}")
        t0 = time.monotonic()
        try:
            res = self._measure(scenario, server)
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            res = {"failed": f"{type(exc).__name__}: {str(exc)[:300]}"}
        res["wall_s"] = time.monotonic() - t0
        self.results.setdefault(scenario, {})[server.key] = res
        summary_of = "join" if scenario == "join-store" else scenario
        log(f"   {summary(summary_of, res)}  ({res['wall_s']:.0f}s)")
        return res

    def _run_fanout_rounds(self, scenario: str, servers: list[ServerSpec]) -> None:
        """``--repeat N``: N rounds, each running every server once in turn, so that a slow
        minute of the machine falls on all servers alike; each figure is the median of the
        rounds (:func:`combine_rounds`)."""
        runs: dict[str, list[dict[str, Any]]] = {s.key: [] for s in servers}
        t0 = time.monotonic()
        for round_no in range(1, self.args.repeat + 1):
            for server in servers:
                log(f"   round {round_no}/{self.args.repeat}")
                runs[server.key].append(self._run_one(scenario, server))
        for key, rounds in runs.items():
            res = combine_rounds(rounds)
            res["wall_s"] = time.monotonic() - t0
            self.results.setdefault(scenario, {})[key] = res


def combine_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One fan-out result from several rounds of the same server: the median of each figure,
    errors added up, exact only if every round was, and each round's p99 kept for the table."""
    failed = [r["failed"] for r in rounds if "failed" in r]
    if failed:
        return {"failed": f"{len(failed)}/{len(rounds)} rounds failed: {failed[0]}"}

    def median(key: str) -> Any:
        values = sorted(r[key] for r in rounds if r.get(key) is not None)
        return values[len(values) // 2] if values else None

    combined = dict(rounds[len(rounds) // 2])
    for key in (
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "deliveries_per_s",
        "backlog_s",
        "server_cpu_pct",
        "server_kernel_pct",
        "loadgen_cpu_pct",
    ):
        combined[key] = median(key)
    combined["peak_rss_mb"] = max((r.get("peak_rss_mb") or 0 for r in rounds), default=None)
    combined["errors"] = sum(r.get("errors", 0) for r in rounds)
    combined["exact"] = all(r.get("exact") for r in rounds)
    combined["incomplete"] = any(r.get("incomplete") for r in rounds)
    combined["round_p99_ms"] = [r.get("p99_ms") for r in rounds]
    return combined


async def _seed_store(db: Path, room: str, updates: list[bytes]) -> None:
    from server.db.doc_store import SqlDocumentStore
    from server.state import create_engine

    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    store = SqlDocumentStore(engine)
    try:
        for i in range(0, len(updates), 1000):
            await store.append(room, updates[i : i + 1000])
    finally:
        await store.close()
        await engine.dispose()


# --- output -------------------------------------------------------------------------------------


def fmt(v: Any, digits: int = 1) -> str:  # noqa: PLR0911  # one return per kind of value
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "**no**"
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 100:
            return f"{v:.0f}"
        return f"{v:.{digits}f}" if abs(v) >= 1 else f"{v:.{max(digits, 2)}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def summary(scenario: str, r: dict[str, Any]) -> str:  # noqa: PLR0911  # one per scenario
    if "failed" in r:
        return "FAILED " + r["failed"]
    if scenario in FANOUT:
        return (
            f"p50 {fmt(r['p50_ms'])} ms, p99 {fmt(r['p99_ms'])} ms, "
            f"{fmt(r['deliveries_per_s'])} deliveries/s, backlog {fmt(r['backlog_s'], 2)} s, "
            f"errors {r['errors']}, exact {fmt(r['exact'])}"
        )
    if scenario == "trace":
        return (
            f"{fmt(r['edits_per_s'])} edits/s end to end, "
            f"exact {r['exact_observers']}/{r['observers']}, errors {r['errors']}"
        )
    if scenario == "join":
        return (
            f"seed {fmt(r['seed_edits_per_s'])} edits/s, "
            f"synced warm {fmt(r['warm_synced_ms'])} ms, "
            f"after restart {fmt(r['cold_synced_ms'])} ms, "
            f"exact {fmt(r['warm_exact'])}/{fmt(r['cold_exact'])}"
        )
    if scenario == "idle":
        return f"{r['connected']} connected, {fmt(r['kb_per_conn'])} KB/conn"
    if scenario == "votes":
        worst = max(r["rows"], key=lambda row: row["p99"])
        return (
            f"{r['accepted']:,} ballots, {r['errors']} errors, worst p99 to tally "
            f"{worst['p99']:.0f} ms ({worst['method']})"
        )
    return json.dumps(r)[:200]


def _fanout_rows(r: dict[str, Any], drain: float) -> list[tuple[str, Any, str | None]]:
    backlog = r.get("backlog_s")
    if r.get("incomplete"):
        pct = (
            100.0 * r["deliveries"] / r["expected_deliveries"]
            if r.get("expected_deliveries")
            else 0
        )
        backlog = f">{drain:.0f} (only {pct:.1f} % delivered)"
    return [
        ("latency p50 (ms)", r.get("p50_ms"), "lower"),
        ("latency p95 (ms)", r.get("p95_ms"), "lower"),
        ("latency p99 (ms)", r.get("p99_ms"), "lower"),
        *(
            [("latency p99 of each round (ms)", " / ".join(fmt(v) for v in rounds), None)]
            if (rounds := r.get("round_p99_ms"))
            else []
        ),
        ("deliveries/s", r.get("deliveries_per_s"), "higher"),
        ("backlog after last edit (s)", backlog, None),
        ("errors", r.get("errors"), None),
        ("server CPU (% of a core)", r.get("server_cpu_pct"), None),
        # … of which system calls: socket writes, and for Atelier its fsync and sync pipe.
        ("of which in the kernel (%)", r.get("server_kernel_pct"), None),
        ("server peak RSS (MB)", r.get("peak_rss_mb"), None),
        ("load generator CPU (%)", r.get("loadgen_cpu_pct"), None),
        ("exact (all texts identical, complete)", r.get("exact"), None),
    ]


def rows_for(  # noqa: PLR0911  # one return per scenario
    scenario: str, r: dict[str, Any], args: argparse.Namespace
) -> list[tuple[str, Any, str | None]]:
    if "failed" in r:
        return [("FAILED", r["failed"], None)]
    if scenario in FANOUT:
        return _fanout_rows(r, args.drain_timeout)
    if scenario == "trace":
        return [
            (
                "edits/s end to end",
                r.get("edits_per_s")
                if r.get("edits_per_s")
                else ("stalled" if r.get("stalled") else None),
                "higher",
            ),
            ("writer send rate (edits/s)", r.get("writer_edits_per_s"), None),
            ("observers exact", f"{r['exact_observers']}/{r['observers']}", None),
            ("errors", r.get("errors"), None),
            ("server CPU (% of a core)", r.get("server_cpu_pct"), None),
            ("server peak RSS (MB)", r.get("peak_rss_mb"), None),
            ("load generator CPU (%)", r.get("loadgen_cpu_pct"), None),
        ]
    if scenario in ("join", "join-store"):
        warm_label = (
            "synced, room live (ms)" if scenario == "join" else "synced, room live after load (ms)"
        )
        cold_label = (
            "synced after restart (ms)"
            if scenario == "join"
            else "synced, first join after start (ms)"
        )
        rows = [
            ("seed rate (updates/s)", r.get("seed_edits_per_s"), "higher"),
            (warm_label, r.get("warm_synced_ms"), "lower"),
            (cold_label, r.get("cold_synced_ms"), "lower"),
            (
                "content exact at sync (live / restart)",
                f"{fmt(r.get('warm_exact'))} / {fmt(r.get('cold_exact'))}",
                None,
            ),
        ]
        if scenario == "join":
            rows.append(("busy writing after the seed (s)", r.get("settle_s"), None))
        if r.get("restart_again_ms") is not None:
            rows.append(("synced after a second restart (ms)", r["restart_again_ms"], "lower"))
        if not r.get("cold_exact") and r.get("cold_complete_ms"):
            rows.append(("full content after restart (ms)", r["cold_complete_ms"], "lower"))
        rows += [
            ("errors", r.get("errors"), None),
            ("server peak RSS (MB)", r.get("peak_rss_mb"), None),
        ]
        return rows
    if scenario == "idle":
        return [
            ("connections open", f"{r['connected']:,}/{r['wanted']:,}", None),
            ("memory per connection (KB)", r.get("kb_per_conn"), "lower"),
            (
                "server RSS idle → loaded (MB)",
                f"{fmt(r['rss_before_mb'])} → {fmt(r['rss_after_mb'])}",
                None,
            ),
            ("connections/s while connecting", r.get("connect_per_s"), "higher"),
            ("server CPU per connection (ms)", r.get("connect_cpu_ms"), "lower"),
            ("errors", r.get("errors"), None),
        ]
    if scenario == "votes":
        return [
            (
                "ballots accepted / counted at the close",
                f"{r['accepted']:,} / {r['counted']:,}",
                None,
            ),
            ("errors / ballots no tally event showed", f"{r['errors']} / {r['unseen']}", None),
            (f"{r['voters']:,} joins (s)", r["joined_s"], None),
            *(
                (
                    f"{row['method']}: ballot → tally at the observer p50 / p99 (ms) · "
                    "server CPU per ballot (ms)",
                    f"{row['p50']:.0f} / {row['p99']:.0f} · {row['cpu_ms']:.2f}",
                    None,
                )
                for row in r["rows"]
            ),
        ]
    return []


def ratio(a: Any, b: Any) -> str:
    if (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and not isinstance(a, bool)
        and b
    ):
        return f"{a / b:.2f}×"
    return "—"


def scenario_title(scenario: str, args: argparse.Namespace) -> str:
    if scenario in FANOUT:
        rooms, c, r = FANOUT[scenario]
        c = min(c, args.clients) if args.clients else c
        room_s = "room" if rooms == 1 else "rooms"
        return f"fan-out {rooms} {room_s} × {c} clients, {r:g} edits/s each"
    titles = {
        "trace": f"trace replay ({args.trace_txns:,} txns, 3 observers)",
        "join": f"join a {args.join_updates:,}-update history (seeded through the server)",
        "join-store": (
            f"join a {args.join_updates:,}-row history (Atelier, seeded through SqlDocumentStore)"
        ),
        "idle": f"{args.idle:,} idle connections",
        "votes": (
            f"votes: {args.voters:,} participants, ballots over {args.vote_seconds:g} s, "
            "one poll per method (no anchor has polls)"
        ),
    }
    return titles[scenario]


def table(bench: Bench, servers: list[ServerSpec]) -> str:
    args = bench.args
    anchors = [s for s in servers if s.key != "atelier"]
    has_atelier = any(s.key == "atelier" for s in servers)
    head = ["scenario", "metric", *(s.label for s in servers)]
    if has_atelier:
        head += [f"Atelier ÷ {s.label}" for s in anchors]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    order = [
        s for s in [*FANOUT, "trace", "join", "join-store", "idle", "votes"] if s in bench.results
    ]
    for scenario in order:
        per_server = bench.results[scenario]
        title = scenario_title(scenario, args)
        metric_rows: dict[str, dict[str, Any]] = {}
        better: dict[str, str | None] = {}
        for key, res in per_server.items():
            for label, value, kind in rows_for(scenario, res, args):
                metric_rows.setdefault(label, {})[key] = value
                better[label] = kind
        first = True
        for label, values in metric_rows.items():
            cells = [title if first else "", label]
            first = False
            for s in servers:
                cells.append(fmt(values.get(s.key)) if s.key in per_server else "")
            if has_atelier:
                for s in anchors:
                    cells.append(
                        ratio(values.get("atelier"), values.get(s.key)) if better[label] else ""
                    )
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def server_log_notes(bench: Bench) -> list[str]:
    notes = []
    for path in sorted(bench.logs.glob("*.log")):
        text = path.read_text(errors="replace")
        if "-w" in path.name.split(".")[-2]:  # a load-generator worker
            if "Traceback" in text:
                notes.append(f"{path.name}: the load generator logged a traceback")
            continue
        warnings = sum(
            1 for line in text.splitlines() if "WARNING" in line or "warn" in line.lower()
        )
        errors = sum(
            1
            for line in text.splitlines()
            if "ERROR" in line or "Traceback" in line or "Error:" in line
        )
        if warnings or errors:
            notes.append(f"{path.name}: {warnings} warning lines, {errors} error lines")
    return notes


# --- entry --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--only",
        action="append",
        default=[],
        help=(
            f"scenarios, comma-separated or repeated: {', '.join(SCENARIOS)} (or 'fanout'); "
            "default all"
        ),
    )
    p.add_argument(
        "--servers",
        default=",".join(SERVER_ORDER),
        help="comma-separated: atelier, yws (Node reference), hocuspocus, pyws (pycrdt-websocket)",
    )
    p.add_argument(
        "--duration", type=float, default=20.0, help="seconds of editing per fan-out scenario (20)"
    )
    p.add_argument(
        "--clients", type=int, default=0, help="cap on clients per room in fan-out scenarios"
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=None,
        help=(
            "fan-out: rounds of every server in turn; figures are the rounds' medians "
            "(3; 1 with --smoke)"
        ),
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        help="load-generator processes (default: 2 from 100 clients)",
    )
    p.add_argument(
        "--drain-timeout", type=float, default=60.0, help="max seconds to wait for the backlog (60)"
    )
    p.add_argument(
        "--trace-txns", type=int, default=259_778, help="trace transactions to replay (all)"
    )
    p.add_argument(
        "--trace-max-seconds", type=float, default=300.0, help="bound on one replay (300)"
    )
    p.add_argument(
        "--stall-timeout",
        type=float,
        default=20.0,
        help="replay: give up after this long without progress",
    )
    p.add_argument(
        "--join-updates", type=int, default=100_000, help="history length for the join scenario"
    )
    p.add_argument("--join-timeout", type=float, default=120.0, help="bound on one join (s)")
    p.add_argument(
        "--seed-timeout", type=float, default=900.0, help="bound on seeding the history (s)"
    )
    p.add_argument(
        "--settle-timeout",
        type=float,
        default=300.0,
        help="join: max seconds to let a server finish its writes before the restart",
    )
    p.add_argument(
        "--no-store-seed", action="store_true", help="skip Atelier's store-seeded join variant"
    )
    p.add_argument(
        "--idle", type=int, default=10_000, help="idle connections (capped by the fd limit)"
    )
    p.add_argument("--idle-per-room", type=int, default=100, help="idle connections per room (100)")
    p.add_argument(
        "--idle-hold",
        type=float,
        default=3.0,
        help="seconds to hold the idle connections before measuring",
    )
    p.add_argument(
        "--voters", type=int, default=5000, help="votes: participants casting ballots (5,000)"
    )
    p.add_argument(
        "--vote-seconds", type=float, default=60.0, help="votes: window of the ballots (60 s)"
    )
    p.add_argument(
        "--vote-methods",
        type=lambda v: v.split(","),
        default=ballots.METHODS,
        help="votes: comma-separated methods, one poll each (all eight)",
    )
    p.add_argument(
        "--no-deflate",
        action="store_true",
        help="clients do not offer permessage-deflate (browsers do; the default offers it)",
    )
    p.add_argument(
        "--smoke",
        action="store_true",
        help=(
            "quick preset: 3 s fan-out, ≤ 20 clients/room, 20k-txn trace, 5k-update join, "
            "300 idle, 300 voters on two methods"
        ),
    )
    p.add_argument("--skip-install", action="store_true", help="do not check/install the anchors")
    args = p.parse_args(argv)
    if args.repeat is None:
        # On a shared machine one server's p99 moves by 2x from one 20-second run to the next,
        # in periods: rounds of every server in turn put the slow minutes on all of them alike.
        args.repeat = 1 if args.smoke else 3
    if args.smoke:
        defaults = {
            "duration": 3.0,
            "clients": 20,
            "trace_txns": 20_000,
            "join_updates": 5_000,
            "idle": 300,
            "drain_timeout": 15.0,
            "trace_max_seconds": 45.0,
            "stall_timeout": 10.0,
            "seed_timeout": 60.0,
            "join_timeout": 20.0,
            "idle_hold": 1.0,
            "settle_timeout": 30.0,
            "voters": 300,
            "vote_seconds": 5.0,
            "vote_methods": ["plurality", "schulze"],
        }
        for key, value in defaults.items():
            if getattr(args, key) == p.get_default(key):
                setattr(args, key, value)
    return args


def selected_scenarios(only: list[str]) -> list[str]:
    wanted: list[str] = []
    for item in only or [",".join(SCENARIOS)]:
        for raw in item.split(","):
            name = raw.strip()
            if not name:
                continue
            if name == "fanout":
                wanted += list(FANOUT)
            elif name in SCENARIOS:
                wanted.append(name)
            else:
                raise SystemExit(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
    return [s for s in SCENARIOS if s in wanted]


def selected_servers(servers: str) -> list[ServerSpec]:
    keys = []
    for raw in servers.split(","):
        name = raw.strip().lower()
        if name not in ALIASES:
            raise SystemExit(
                f"unknown server {name!r}; choose from atelier, yws, hocuspocus, pyws, "
                + ", ".join(OPT_IN)
            )
        keys.append(ALIASES[name])
    return [ALL[k] for k in [*SERVER_ORDER, *OPT_IN] if k in keys]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenarios = selected_scenarios(args.only)
    servers = selected_servers(args.servers)

    def on_term(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)  # also when started with SIGINT ignored (background)
    if not args.skip_install:
        installer.install(log=log)
    if "trace" in scenarios or "join" in scenarios:
        from bench.trace import load

        load(CACHE, log=log)  # compute the trace's updates once, before anything is timed
    procs.raise_nofile()
    bench = Bench(args)
    started = time.monotonic()
    interrupted = False
    try:
        bench.run(scenarios, servers)
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: stopping every process the bench started …")
    finally:
        procs.stop_all()
    load_avg = Path("/proc/loadavg").read_text().split()[0]
    out = [
        f"## Atelier bench — {dt.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"CPU: {procs.cpu_model()}. Load: {load_avg} at the end. "
        f"Run took {time.monotonic() - started:.0f} s{' (interrupted)' if interrupted else ''}.",
        f"Settings: fan-out {args.duration:g} s of edits"
        f"{f' × {args.repeat} rounds (medians)' if args.repeat > 1 else ''}"
        f"{f', ≤ {args.clients} clients/room' if args.clients else ''}, "
        f"drain ≤ {args.drain_timeout:g} s; trace {args.trace_txns:,} txns; "
        f"join {args.join_updates:,} updates; {args.idle:,} idle connections; "
        f"{args.voters:,} voters; "
        f"clients {'without' if args.no_deflate else 'offering'} permessage-deflate.",
        "Ratios are Atelier ÷ anchor: below 1× is better for latencies, times and memory, "
        "above 1× for rates.",
        "",
        table(bench, servers),
    ]
    notes = list(bench.exited)
    ncpu = os.cpu_count() or 1
    for scenario, per_server in bench.results.items():
        for key, res in per_server.items():
            if res.get("error_kinds"):
                kinds = ", ".join(f"{k} ×{v}" for k, v in list(res["error_kinds"].items())[:4])
                notes.append(f"{scenario} / {ALL[key].label}: errors: {kinds}")
            if res.get("exact_why"):
                notes.append(f"{scenario} / {ALL[key].label}: not exact: {res['exact_why']}")
            load, server_cpu = res.get("loadgen_cpu_pct") or 0, res.get("server_cpu_pct") or 0
            if load > 85 * max(1, bench.n_workers(res.get("clients", 0))) or (
                load + server_cpu > 85 * ncpu
            ):
                notes.append(
                    f"{scenario} / {ALL[key].label}: load generator {load:.0f} % + server "
                    f"{server_cpu:.0f} % of {ncpu} cores: the machine was saturated, latencies "
                    "include queueing on the client side too"
                )
    notes += bench.notes + server_log_notes(bench)
    if notes:
        out += ["", "Notes:", *(f"- {n}" for n in notes)]
    out += ["", f"Logs and raw results: {bench.run_dir.relative_to(REPO)}/"]
    text = "\n".join(out)
    print(text)
    (bench.run_dir / "table.md").write_text(text + "\n")
    (bench.run_dir / "results.json").write_text(
        json.dumps({"args": vars(args), "results": bench.results}, indent=1, default=str)
    )
    return 130 if interrupted else 0

"""Live tallies: every node that has followers of a séance keeps the count of its open polls.

A ballot change reaches every node as a :class:`~server.live.BallotCounted` (its own through
the hub, the others' through the relay), numbered by the poll's ``seq``. A node applies the
changes in ``seq`` order to a :class:`~domain.voting.count.LiveCount` loaded from the database
(a change already in the loaded state is skipped; one that arrives early waits for the gap to
fill, and a gap that stays open reloads the count). A ballot thus costs O(options) here for
every method but IRV and Schulze, which recount when the tally is sent.

Tally events go to the node's own followers only (every node computes them), at most one per
:attr:`TallyBoard.interval` per poll, the latest state always last: a burst of ballots
becomes a few frames, and the room still sees the final count at once. On a secret poll a
tally carries the turnout in total and no result (``domain.polls.results_visible`` and
``live_breakdown``): two consecutive tallies a ballot apart would otherwise be that ballot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.voting.count import LiveCount
from server.db.models import PollRow
from server.live import BallotCounted, Event, LiveHub, PollClosed, Tally
from server.services import polls as svc

__all__ = ["TallyBoard"]

log = logging.getLogger("atelier.tallies")

GAP_TIMEOUT = 1.0  # seconds a missing change may take to arrive before the count reloads


@dataclass
class _Watch:
    poll_id: str
    session_id: str
    row: PollRow | None = None
    count: LiveCount | None = None
    seq: int = 0
    pending: dict[int, BallotCounted] = field(default_factory=dict)
    loading: asyncio.Task[None] | None = None
    emit_handle: asyncio.TimerHandle | None = None
    gap_handle: asyncio.TimerHandle | None = None
    last_emit: float = 0.0


class TallyBoard:
    def __init__(self, engine: AsyncEngine, hub: LiveHub, interval: float = 0.25) -> None:
        self._engine = engine
        self._hub = hub
        self.interval = interval
        self._watches: dict[str, _Watch] = {}
        self.reloads = 0  # counts loaded from the database (tests, metrics)
        hub.on_ballot = self.on_ballot
        hub.on_unfollow = self.forget_session
        hub.on_event = self.on_event

    # --- what the hub calls ---------------------------------------------------------------

    def on_ballot(self, delta: BallotCounted) -> None:
        if not self._hub.following(delta.session_id):
            return  # nobody here to show it to; a follower arriving later loads the count
        watch = self._watches.get(delta.poll_id)
        if watch is None:
            watch = self._watch(delta.poll_id, delta.session_id)
        watch.pending[delta.seq] = delta
        if watch.count is not None:
            self._drain(watch)

    def on_event(self, event: Event) -> None:
        if isinstance(event, PollClosed):
            self._drop(str(event.poll["id"]))  # its final count is the stored one

    def forget_session(self, session_id: str) -> None:
        for poll_id, watch in list(self._watches.items()):
            if watch.session_id == session_id:
                self._drop(poll_id)

    # --- what the routes call ---------------------------------------------------------------

    async def live_count(self, poll_id: str, session_id: str) -> tuple[PollRow, LiveCount]:
        """The current count of an open poll, loading it if this node does not hold it yet.
        Only kept (and kept current) while someone on this node follows the séance."""
        watch = self._watches.get(poll_id)
        if watch is None:
            if not self._hub.following(session_id):
                return await svc.load_count(self._engine, poll_id)
            watch = self._watch(poll_id, session_id)
        while watch.count is None or watch.row is None:
            task = watch.loading
            if task is None:  # a reload was dropped with its watch
                return await svc.load_count(self._engine, poll_id)
            await asyncio.wait({task})  # never raises; a dropped load falls back below
            if self._watches.get(poll_id) is not watch:
                return await svc.load_count(self._engine, poll_id)
        return watch.row, watch.count

    # --- inside ---------------------------------------------------------------------------

    def _watch(self, poll_id: str, session_id: str) -> _Watch:
        watch = self._watches[poll_id] = _Watch(poll_id, session_id)
        watch.loading = asyncio.get_running_loop().create_task(self._load(watch))
        return watch

    async def _load(self, watch: _Watch) -> None:
        self.reloads += 1
        try:
            row, count = await svc.load_count(self._engine, watch.poll_id)
        except Exception:
            log.exception("tallies: could not load poll %s", watch.poll_id)
            self._drop(watch.poll_id)
            return
        if self._watches.get(watch.poll_id) is not watch:
            return
        watch.row, watch.count, watch.seq = row, count, row.seq
        watch.loading = None
        if row.status != "open":
            self._drop(watch.poll_id)
            return
        self._drain(watch)
        self._schedule_emit(watch)

    def _drain(self, watch: _Watch) -> None:
        assert watch.count is not None
        applied = False
        for seq in sorted(watch.pending):
            if seq <= watch.seq:
                del watch.pending[seq]  # already in the loaded count
            elif seq == watch.seq + 1:
                delta = watch.pending.pop(seq)
                try:
                    if delta.remove is not None:
                        watch.count.remove(delta.role, tuple(delta.remove))
                    watch.count.add(delta.role, tuple(delta.add or ()))
                except ValueError:
                    log.warning("tallies: poll %s out of step; reloading", watch.poll_id)
                    self._reload(watch)
                    return
                watch.seq = seq
                applied = True
            else:
                break
        if watch.pending and watch.gap_handle is None:
            watch.gap_handle = asyncio.get_running_loop().call_later(
                GAP_TIMEOUT, self._gap_expired, watch
            )
        elif not watch.pending and watch.gap_handle is not None:
            watch.gap_handle.cancel()
            watch.gap_handle = None
        if applied:
            self._schedule_emit(watch)

    def _gap_expired(self, watch: _Watch) -> None:
        watch.gap_handle = None
        if self._watches.get(watch.poll_id) is watch and watch.pending:
            log.info("tallies: poll %s missed a change; reloading", watch.poll_id)
            self._reload(watch)

    def _reload(self, watch: _Watch) -> None:
        pending = watch.pending
        self._drop(watch.poll_id)
        fresh = self._watch(watch.poll_id, watch.session_id)
        fresh.pending.update(pending)

    def _schedule_emit(self, watch: _Watch) -> None:
        if watch.emit_handle is not None:
            return
        delay = max(0.0, watch.last_emit + self.interval - time.monotonic())
        watch.emit_handle = asyncio.get_running_loop().call_later(delay, self._emit, watch)

    def _emit(self, watch: _Watch) -> None:
        watch.emit_handle = None
        if self._watches.get(watch.poll_id) is not watch or watch.count is None:
            return
        assert watch.row is not None
        watch.last_emit = time.monotonic()
        poll = svc.poll_of(watch.row)
        results: dict[str, Any] | None = None
        if svc.visible_to_all(watch.row):
            results = svc.results_of(poll, watch.count, final=False)
        self._hub.deliver_local(
            watch.session_id,
            Tally(
                watch.session_id,
                watch.poll_id,
                watch.seq,
                svc.turnout_of(poll, watch.count),
                results,
            ),
        )

    def _drop(self, poll_id: str) -> None:
        watch = self._watches.pop(poll_id, None)
        if watch is None:
            return
        for handle in (watch.emit_handle, watch.gap_handle):
            if handle is not None:
                handle.cancel()
        if watch.loading is not None and not watch.loading.done():
            watch.loading.cancel()

    async def close(self) -> None:
        for poll_id in list(self._watches):
            watch = self._watches.get(poll_id)
            self._drop(poll_id)
            if watch is not None and watch.loading is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await watch.loading

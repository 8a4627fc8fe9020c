"""Who wrote in which section of a proposal, for the frozen version's record, and with which
Yjs client ids, for the history's authors.

A room applies a client's update synchronously inside ``Room.receive`` (nothing is awaited
between decoding the frame and applying it), so the connection that sent it is known while the
section fragments' observers fire: :meth:`Contributions.receive` names it for exactly that
span. Updates relayed from other instances are recorded there, by the instance their writer is
connected to. The first time a participant changes a section, one row is written.

The first update a writer's connection sends with a Yjs client id not seen yet in the document
(read from the update's header: :func:`collab.history.frame_client`) records that client id as
theirs (``document_authors``), once; the history names each revision's authors by it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from pycrdt import XmlFragment
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from collab.history import frame_client
from collab.peer import Peer
from collab.room import Room
from domain.templates import TEMPLATES
from server.db.models import ContributionRow, DocumentAuthorRow, ProposalRow
from server.db.writes import reading, transaction

__all__ = ["Contributions", "record_authors"]

log = logging.getLogger("atelier.contributions")


@dataclass
class _Tracker:
    room: Room
    proposal_id: str
    seen: set[tuple[str, str]] = field(default_factory=set)
    current: str | None = None
    subscriptions: list[Any] = field(default_factory=list)
    #: Yjs client ids whose writer is recorded (or being recorded) for this document.
    clients: set[int] = field(default_factory=set)


def _is_update(frame: bytes) -> bool:
    # y-websocket sync message (0) carrying SyncStep2 (1) or Update (2).
    return len(frame) > 1 and frame[0] == 0 and frame[1] in (1, 2)


class Contributions:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._trackers: dict[str, _Tracker] = {}
        self._proposals: dict[str, tuple[str, tuple[str, ...]] | None] = {}
        self._writes: set[asyncio.Task[None]] = set()

    async def _proposal_of(self, doc_id: str) -> tuple[str, tuple[str, ...]] | None:
        if doc_id not in self._proposals:
            async with reading(self._engine) as session:
                found = (
                    await session.execute(
                        select(ProposalRow.id, ProposalRow.kind).where(ProposalRow.doc_id == doc_id)
                    )
                ).first()
            self._proposals[doc_id] = (
                (found.id, TEMPLATES[found.kind].keys)
                if found and found.kind in TEMPLATES
                else None
            )
        return self._proposals[doc_id]

    async def tracker(self, room: Room) -> _Tracker | None:
        """The room's tracker (attached on first use; again if the room was reloaded)."""
        tracker = self._trackers.get(room.name)
        if tracker is not None and tracker.room is room:
            return tracker
        proposal = await self._proposal_of(room.name)
        if proposal is None:
            return None
        proposal_id, keys = proposal
        tracker = _Tracker(room, proposal_id)
        for key in keys:
            fragment = room.doc.get(key, type=XmlFragment)
            tracker.subscriptions.append(
                fragment.observe_deep(lambda *_, key=key: self._changed(tracker, key))
            )
        self._trackers[room.name] = tracker
        return tracker

    async def receive(self, room: Room, peer: Peer, frame: bytes, tracker: _Tracker | None) -> None:
        if tracker is None or peer.read_only or not peer.subject or not _is_update(frame):
            await room.receive(peer, frame)
            return
        tracker.current = peer.subject
        try:
            await room.receive(peer, frame)  # applies before any await: no one else runs here
        finally:
            tracker.current = None
        client = frame_client(frame)
        if client is not None and client not in tracker.clients:
            tracker.clients.add(client)
            self._spawn(self._record_author(room.name, client, peer.subject))

    def _changed(self, tracker: _Tracker, section: str) -> None:
        who = tracker.current
        if who is None or (section, who) in tracker.seen:
            return
        tracker.seen.add((section, who))
        self._spawn(self._record(tracker.proposal_id, section, who))

    def _spawn(self, write: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(write)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _record_author(self, doc_id: str, client: int, participant_id: str) -> None:
        try:
            await record_authors(self._engine, doc_id, {client: participant_id})
        except Exception:
            log.warning(
                "contributions: could not record client %s of %s in %s",
                client,
                participant_id,
                doc_id,
                exc_info=True,
            )

    async def _record(self, proposal_id: str, section: str, participant_id: str) -> None:
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        try:
            async with transaction(self._engine) as session:
                await session.execute(
                    dialect.insert(ContributionRow)
                    .values(proposal_id=proposal_id, section=section, participant_id=participant_id)
                    .on_conflict_do_nothing()
                )
        except Exception:
            log.warning(
                "contributions: could not record %s in %s",
                participant_id,
                proposal_id,
                exc_info=True,
            )

    async def settle(self) -> None:
        """Wait for the rows being written (before a freeze reads them, and at shutdown)."""
        if self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)


async def record_authors(engine: AsyncEngine, doc_id: str, clients: dict[int, str]) -> None:
    """Record who writes with which client ids in ``doc_id``; a client id recorded before
    keeps its participant (the first one to write with it)."""
    if not clients:
        return
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    async with transaction(engine) as session:
        await session.execute(
            dialect.insert(DocumentAuthorRow)
            .values(
                [
                    {"document_id": doc_id, "client_id": client, "participant_id": who}
                    for client, who in sorted(clients.items())
                ]
            )
            .on_conflict_do_nothing()
        )

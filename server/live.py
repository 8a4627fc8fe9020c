"""The live channel of a séance: JSON events to everyone following it, on every instance.

Events are msgspec tagged unions (``{"type": "...", ...}``). A node delivers an event to its own
subscribers and publishes it on the relay (channel ``session:<id>``); other nodes deliver what
they receive. Presence (who is connected, by role) is counted per node and merged from the
others' announcements.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from collab.relay import Relay, RelayKind, RelayMessage, Subscription

__all__ = [
    "AmendmentsChanged",
    "AtelierClosed",
    "AtelierReopened",
    "AttendanceChanged",
    "BallotCounted",
    "CommentsChanged",
    "Event",
    "JoinCodeChanged",
    "LiveHub",
    "ParticipantJoined",
    "PollClosed",
    "PollOpened",
    "PresenceChanged",
    "ProposalsChanged",
    "ResultsPublished",
    "SessionCancelled",
    "SessionRestored",
    "Snapshot",
    "StepChanged",
    "Tally",
]

log = logging.getLogger("atelier.live")


class Snapshot(msgspec.Struct, tag="snapshot"):
    """Sent first on connect: where the séance stands."""

    session_id: str
    current_step: int | None
    method_steps: list[str]
    attendance_by_role: dict[str, int]
    present_by_role: dict[str, int]
    polls: list[dict[str, Any]] = msgspec.field(default_factory=list)  # as GET /api/polls/{id}
    timer: dict[str, Any] | None = None  # the step timer, as ``timer_changed`` gives it
    #: The séance's join code and link now: a screen that was offline when the code was
    #: renewed (``join_code_changed``) shows the one that works once it reconnects.
    join_code: str | None = None
    join_url: str | None = None
    #: When the séance was cancelled (an instant) and the public reason, if any: a screen
    #: that was offline when ``session_cancelled`` or ``session_restored`` went out is right
    #: again once it reconnects.
    cancelled_at: str | None = None
    cancel_reason: str | None = None
    #: When the séance's atelier was closed and the public reason, or None while it is open:
    #: a screen that was offline when ``atelier_closed`` or ``atelier_reopened`` went out (a
    #: phone asleep) is right again once it reconnects.
    atelier_closed_at: str | None = None
    atelier_close_reason: str | None = None


class StepChanged(msgspec.Struct, tag="step_changed"):
    session_id: str
    current_step: int | None
    title: str | None


class TimerChanged(msgspec.Struct, tag="timer_changed"):
    """The step timer moved (``timer`` is ``None`` once stopped); see ``domain.timer``."""

    session_id: str
    timer: dict[str, Any] | None


class AttendanceChanged(msgspec.Struct, tag="attendance_changed"):
    session_id: str
    attendance_by_role: dict[str, int]


class PresenceChanged(msgspec.Struct, tag="presence_changed"):
    session_id: str
    present_by_role: dict[str, int]


class JoinCodeChanged(msgspec.Struct, tag="join_code_changed"):
    """The séance has a new join code: the old one, and its QR code, no longer open it. The
    projector and the consoles show the new one (those who follow already joined)."""

    session_id: str
    join_code: str
    join_url: str


class SessionCancelled(msgspec.Struct, tag="session_cancelled"):
    """The facilitators cancelled the séance (``reason`` is the public one, if given): open
    screens say so at once, and its join code, QR code and invitations no longer open it."""

    session_id: str
    cancelled_at: str
    cancel_reason: str | None


class SessionRestored(msgspec.Struct, tag="session_restored"):
    """A cancelled séance takes place again: open screens stop saying it is cancelled."""

    session_id: str


class AtelierClosed(msgspec.Struct, tag="atelier_closed"):
    """The séance's atelier was closed (``close_reason`` is the public one, if given): sent on
    every séance of the atelier, those held already too, so that their open screens stop
    offering what a closed atelier refuses (409 ``atelier_closed``) without a reload."""

    session_id: str
    closed_at: str
    close_reason: str | None


class AtelierReopened(msgspec.Struct, tag="atelier_reopened"):
    """The city's staff reopened the séance's atelier: open screens offer again what it takes
    (its séances cancelled by the closing stay cancelled: ``session_restored`` tells them)."""

    session_id: str


class ParticipantJoined(msgspec.Struct, tag="participant_joined"):
    session_id: str
    role: str


class PollOpened(msgspec.Struct, tag="poll_opened"):
    session_id: str
    poll: dict[str, Any]  # as GET /api/polls/{id} shows it to everyone


class Tally(msgspec.Struct, tag="tally"):
    """A poll's count as it stands; at most a few per second per poll, the last one always."""

    session_id: str
    poll_id: str
    seq: int  # ballot changes counted so far
    turnout: dict[str, Any]  # {"total": n, "by_role": {role: n}}
    results: dict[str, Any] | None  # None while the results are hidden


class PollClosed(msgspec.Struct, tag="poll_closed"):
    session_id: str
    poll: dict[str, Any]


class ResultsPublished(msgspec.Struct, tag="results_published"):
    session_id: str
    poll: dict[str, Any]


class ProposalsChanged(msgspec.Struct, tag="proposals_changed"):
    """One of the atelier's proposals changed (created, renamed, locked or unlocked, archived or
    restored, restarted from a version, forked, frozen, transmitted): sent on every séance of
    its atelier; screens that list proposals read them again (``GET .../proposals``)."""

    session_id: str
    proposal_id: str
    change: str


class CommentsChanged(msgspec.Struct, tag="comments_changed"):
    """A proposal's comments changed (a thread started, a reply, resolved or reopened, a
    comment deleted): sent on every séance of its atelier; open editors of that proposal read
    its comments again (``GET /api/proposals/{id}/comments``)."""

    session_id: str
    proposal_id: str


class AmendmentsChanged(msgspec.Struct, tag="amendments_changed"):
    """A proposal's amendments changed (proposed, withdrawn, accepted, rejected, put to the
    vote, decided by a vote) or its amendment mode was switched: sent on every séance of its
    atelier; open editors read ``GET /api/proposals/{id}/amendments`` again."""

    session_id: str
    proposal_id: str


class BallotCounted(msgspec.Struct, tag="ballot_counted"):
    """Between nodes only, never to clients: ballot change number ``seq`` of a poll, as
    counting forms (a secret ballot's form travels without its voter)."""

    session_id: str
    poll_id: str
    seq: int
    role: str
    add: list[int] | None
    remove: list[int] | None


class _PresenceAnnouncement(msgspec.Struct, tag="presence_of_node"):
    """Who follows the séance on one node: each role's people (participant ids), not their
    connections, so a person on two instances is one person."""

    session_id: str
    node_id: str
    people_by_role: dict[str, list[str]]


Event = (
    Snapshot
    | StepChanged
    | TimerChanged
    | AttendanceChanged
    | PresenceChanged
    | ParticipantJoined
    | JoinCodeChanged
    | SessionCancelled
    | SessionRestored
    | AtelierClosed
    | AtelierReopened
    | PollOpened
    | Tally
    | PollClosed
    | ResultsPublished
    | ProposalsChanged
    | CommentsChanged
    | AmendmentsChanged
)
_Wire = Event | _PresenceAnnouncement | BallotCounted
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(_Wire)


@dataclass(frozen=True)
class Closing:
    """Put in a follower's queue instead of an event: its connection ends with this code."""

    code: int
    reason: str


TOO_SLOW = Closing(1013, "too slow, reconnect")
Outbox = asyncio.Queue[bytes | Closing]


@dataclass
class _Channel:
    subscribers: set[Outbox] = field(default_factory=set)
    #: role -> person -> how many of their connections follow here (a console, a projector
    #: and a phone are one facilitator; two tabs are one resident).
    local_people: dict[str, Counter[str]] = field(default_factory=dict)
    remote_people: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    relay_sub: Subscription | None = None

    def local(self) -> dict[str, list[str]]:
        return {role: sorted(people) for role, people in self.local_people.items() if people}

    def presence(self) -> dict[str, int]:
        """People present by role, on every node, each counted once."""
        people: dict[str, set[str]] = {}
        for by_role in (self.local(), *self.remote_people.values()):
            for role, ids in by_role.items():
                people.setdefault(role, set()).update(ids)
        return {role: len(ids) for role, ids in people.items() if ids}


class LiveHub:
    """Fan-out of séance events. Queues are bounded: a follower that cannot keep up is dropped
    (its client reconnects and gets a fresh snapshot), never the others."""

    def __init__(self, relay: Relay, max_queued: int = 1000) -> None:
        self._relay = relay
        self._max_queued = max_queued
        self._channels: dict[str, _Channel] = {}
        self._by_subject: dict[str, set[Outbox]] = {}
        self._lock = asyncio.Lock()
        #: Called with every ballot change, this node's and the others' (the tally board).
        self.on_ballot: Callable[[BallotCounted], None] | None = None
        #: Called with every event published here or received from another node.
        self.on_event: Callable[[Event], None] | None = None
        #: Called when this node stops following a séance (nobody here watches it any more).
        self.on_unfollow: Callable[[str], None] | None = None

    def following(self, session_id: str) -> bool:
        """Whether someone on this node follows the séance."""
        return session_id in self._channels

    def presence(self, session_id: str) -> dict[str, int]:
        channel = self._channels.get(session_id)
        return channel.presence() if channel else {}

    async def publish(self, session_id: str, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(event)
        data = _encoder.encode(event)
        self._deliver(session_id, data)
        try:
            await self._relay.publish(f"session:{session_id}", RelayKind.EVENT, data)
        except Exception:
            log.warning("live: relay publish failed for %s", session_id, exc_info=True)

    def deliver_local(self, session_id: str, event: Event) -> None:
        """To this node's followers only: for events every node computes itself (tallies)."""
        self._deliver(session_id, _encoder.encode(event))

    async def ballot_counted(self, delta: BallotCounted) -> None:
        """A ballot change: to this node's tally board, and to the other nodes'."""
        if self.on_ballot is not None:
            self.on_ballot(delta)
        try:
            await self._relay.publish(
                f"session:{delta.session_id}", RelayKind.EVENT, _encoder.encode(delta)
            )
        except Exception:
            log.warning("live: relay publish failed for %s", delta.session_id, exc_info=True)

    def _deliver(self, session_id: str, data: bytes) -> None:
        channel = self._channels.get(session_id)
        if channel is None:
            return
        for queue in list(channel.subscribers):
            if queue.qsize() >= self._max_queued:
                channel.subscribers.discard(queue)
                queue.put_nowait(TOO_SLOW)  # the follower's stream ends; it reconnects
            else:
                queue.put_nowait(data)

    def _on_relay(self, session_id: str, message: RelayMessage) -> None:
        try:
            wire = _decoder.decode(message.payload)
        except msgspec.DecodeError:
            log.warning("live: dropping an unreadable relay event for %s", session_id)
            return
        channel = self._channels.get(session_id)
        if isinstance(wire, _PresenceAnnouncement):
            if channel is not None:
                channel.remote_people[wire.node_id] = wire.people_by_role
                self._deliver(
                    session_id, _encoder.encode(PresenceChanged(session_id, channel.presence()))
                )
            return
        if isinstance(wire, BallotCounted):
            if self.on_ballot is not None:
                self.on_ballot(wire)
            return
        if self.on_event is not None:
            self.on_event(wire)
        self._deliver(session_id, message.payload)

    def close_subject(self, subject: str, closing: Closing) -> None:
        """End every stream of this node followed by ``subject`` (a revoked participant)."""
        for queue in self._by_subject.get(subject, ()):
            queue.put_nowait(closing)

    @contextlib.asynccontextmanager
    async def follow(self, session_id: str, role: str, subject: str = "") -> AsyncIterator[Outbox]:
        """Subscribe for the duration of the block; the follower counts as present. The queue
        yields events, or a :class:`Closing` that ends the stream."""
        queue: Outbox = asyncio.Queue()
        if subject:
            self._by_subject.setdefault(subject, set()).add(queue)
        person = subject or f"anonymous:{id(queue)}"
        async with self._lock:
            channel = self._channels.get(session_id)
            if channel is None:
                channel = self._channels[session_id] = _Channel()
                channel.relay_sub = await self._relay.subscribe(
                    f"session:{session_id}", lambda m: self._on_relay(session_id, m)
                )
            channel.subscribers.add(queue)
            channel.local_people.setdefault(role, Counter())[person] += 1
        await self._announce(session_id, channel)
        try:
            yield queue
        finally:
            if subject and (mine := self._by_subject.get(subject)) is not None:
                mine.discard(queue)
                if not mine:
                    del self._by_subject[subject]
            channel.subscribers.discard(queue)
            people = channel.local_people[role]
            people[person] -= 1
            if people[person] <= 0:
                del people[person]
            await self._announce(session_id, channel)
            async with self._lock:
                if not channel.subscribers and self._channels.get(session_id) is channel:
                    del self._channels[session_id]
                    if channel.relay_sub is not None:
                        await channel.relay_sub.close()
                    if self.on_unfollow is not None:
                        self.on_unfollow(session_id)

    async def _announce(self, session_id: str, channel: _Channel) -> None:
        self._deliver(session_id, _encoder.encode(PresenceChanged(session_id, channel.presence())))
        announcement = _PresenceAnnouncement(session_id, self._relay.node_id, channel.local())
        with contextlib.suppress(Exception):
            await self._relay.publish(
                f"session:{session_id}", RelayKind.EVENT, _encoder.encode(announcement)
            )

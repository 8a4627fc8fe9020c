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
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import msgspec

from collab.relay import Relay, RelayKind, RelayMessage, Subscription

__all__ = [
    "AttendanceChanged",
    "Event",
    "LiveHub",
    "ParticipantJoined",
    "PresenceChanged",
    "Snapshot",
    "StepChanged",
]

log = logging.getLogger("atelier.live")


class Snapshot(msgspec.Struct, tag="snapshot"):
    """Sent first on connect: where the séance stands."""

    session_id: str
    current_step: int | None
    method_steps: list[str]
    attendance_by_role: dict[str, int]
    present_by_role: dict[str, int]


class StepChanged(msgspec.Struct, tag="step_changed"):
    session_id: str
    current_step: int | None
    title: str | None


class AttendanceChanged(msgspec.Struct, tag="attendance_changed"):
    session_id: str
    attendance_by_role: dict[str, int]


class PresenceChanged(msgspec.Struct, tag="presence_changed"):
    session_id: str
    present_by_role: dict[str, int]


class ParticipantJoined(msgspec.Struct, tag="participant_joined"):
    session_id: str
    role: str


class _PresenceAnnouncement(msgspec.Struct, tag="presence_of_node"):
    session_id: str
    node_id: str
    present_by_role: dict[str, int]


Event = Snapshot | StepChanged | AttendanceChanged | PresenceChanged | ParticipantJoined
_Wire = Event | _PresenceAnnouncement
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(_Wire)


@dataclass
class _Channel:
    subscribers: set[asyncio.Queue[bytes]] = field(default_factory=set)
    local_presence: dict[str, int] = field(default_factory=dict)
    remote_presence: dict[str, dict[str, int]] = field(default_factory=dict)
    relay_sub: Subscription | None = None

    def presence(self) -> dict[str, int]:
        total = dict(self.local_presence)
        for counts in self.remote_presence.values():
            for role, n in counts.items():
                total[role] = total.get(role, 0) + n
        return {role: n for role, n in total.items() if n > 0}


class LiveHub:
    """Fan-out of séance events. Queues are bounded: a follower that cannot keep up is dropped
    (its client reconnects and gets a fresh snapshot), never the others."""

    def __init__(self, relay: Relay, max_queued: int = 1000) -> None:
        self._relay = relay
        self._max_queued = max_queued
        self._channels: dict[str, _Channel] = {}
        self._lock = asyncio.Lock()

    def presence(self, session_id: str) -> dict[str, int]:
        channel = self._channels.get(session_id)
        return channel.presence() if channel else {}

    async def publish(self, session_id: str, event: Event) -> None:
        data = _encoder.encode(event)
        self._deliver(session_id, data)
        try:
            await self._relay.publish(f"session:{session_id}", RelayKind.EVENT, data)
        except Exception:
            log.warning("live: relay publish failed for %s", session_id, exc_info=True)

    def _deliver(self, session_id: str, data: bytes) -> None:
        channel = self._channels.get(session_id)
        if channel is None:
            return
        for queue in list(channel.subscribers):
            if queue.qsize() >= self._max_queued:
                channel.subscribers.discard(queue)
                queue.put_nowait(b"")  # the follower's stream ends; it reconnects
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
                channel.remote_presence[wire.node_id] = wire.present_by_role
                self._deliver(
                    session_id, _encoder.encode(PresenceChanged(session_id, channel.presence()))
                )
            return
        self._deliver(session_id, message.payload)

    @contextlib.asynccontextmanager
    async def follow(self, session_id: str, role: str) -> AsyncIterator[asyncio.Queue[bytes]]:
        """Subscribe for the duration of the block; the follower counts as present."""
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        async with self._lock:
            channel = self._channels.get(session_id)
            if channel is None:
                channel = self._channels[session_id] = _Channel()
                channel.relay_sub = await self._relay.subscribe(
                    f"session:{session_id}", lambda m: self._on_relay(session_id, m)
                )
            channel.subscribers.add(queue)
            channel.local_presence[role] = channel.local_presence.get(role, 0) + 1
        await self._announce(session_id, channel)
        try:
            yield queue
        finally:
            channel.subscribers.discard(queue)
            channel.local_presence[role] -= 1
            await self._announce(session_id, channel)
            async with self._lock:
                if not channel.subscribers and self._channels.get(session_id) is channel:
                    del self._channels[session_id]
                    if channel.relay_sub is not None:
                        await channel.relay_sub.close()

    async def _announce(self, session_id: str, channel: _Channel) -> None:
        self._deliver(session_id, _encoder.encode(PresenceChanged(session_id, channel.presence())))
        announcement = _PresenceAnnouncement(
            session_id, self._relay.node_id, dict(channel.local_presence)
        )
        with contextlib.suppress(Exception):
            await self._relay.publish(
                f"session:{session_id}", RelayKind.EVENT, _encoder.encode(announcement)
            )

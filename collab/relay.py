"""The relay carries a room's live traffic between server instances.

A relay message is ``kind • payload`` on a per-room channel, and every message carries the id of
the node that sent it, so that a node ignores its own (Hocuspocus does the same). The relay is
best-effort fan-out; durability is the store's job, and a node that missed messages catches up
from the store and from its clients' sync.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

__all__ = [
    "Handler",
    "MemoryBroker",
    "MemoryRelay",
    "Relay",
    "RelayKind",
    "RelayMessage",
    "Subscription",
]


class RelayKind(IntEnum):
    UPDATE = 0  # a document update (v1), already durable
    AWARENESS = 1  # an awareness update
    EVENT = 2  # a live séance event (JSON), for the server's live channel
    STATE = 3  # a room's state vector, announced now and then (anti-entropy)


@dataclass(frozen=True, slots=True)
class RelayMessage:
    node_id: str
    kind: RelayKind
    payload: bytes


Handler = Callable[[RelayMessage], None]


class Subscription(Protocol):
    async def close(self) -> None: ...


class Relay(Protocol):
    """Publish to and subscribe to a room's channel. Own messages are never delivered back."""

    node_id: str

    async def publish(self, room: str, kind: RelayKind, payload: bytes) -> None: ...

    def heard(self, room: str) -> bool:
        """Whether another node may hear what is published to ``room`` now; if not, a room
        need not publish (the embedded server alone: no task per broadcast)."""
        ...

    async def subscribe(self, room: str, handler: Handler) -> Subscription: ...

    async def close(self) -> None: ...


@dataclass(slots=True)
class MemoryBroker:
    """An in-process broker several :class:`MemoryRelay` nodes can share (tests, embedded mode)."""

    channels: dict[str, list[tuple[str, Handler]]] = field(default_factory=dict)

    def node(self, node_id: str | None = None) -> MemoryRelay:
        return MemoryRelay(self, node_id or uuid.uuid4().hex)


class _MemorySubscription:
    def __init__(self, broker: MemoryBroker, room: str, entry: tuple[str, Handler]) -> None:
        self._broker, self._room, self._entry = broker, room, entry

    async def close(self) -> None:
        handlers = self._broker.channels.get(self._room, [])
        if self._entry in handlers:
            handlers.remove(self._entry)
        if not handlers:
            self._broker.channels.pop(self._room, None)


class MemoryRelay:
    """In-process relay: the embedded default (one node: nothing to relay) and the test double."""

    def __init__(self, broker: MemoryBroker | None = None, node_id: str | None = None) -> None:
        self.broker = broker or MemoryBroker()
        self.node_id = node_id or uuid.uuid4().hex

    async def publish(self, room: str, kind: RelayKind, payload: bytes) -> None:
        message = RelayMessage(self.node_id, kind, payload)
        for node_id, handler in list(self.broker.channels.get(room, ())):
            if node_id != self.node_id:
                handler(message)

    def heard(self, room: str) -> bool:
        return any(node_id != self.node_id for node_id, _ in self.broker.channels.get(room, ()))

    async def subscribe(self, room: str, handler: Handler) -> Subscription:
        entry = (self.node_id, handler)
        self.broker.channels.setdefault(room, []).append(entry)
        return _MemorySubscription(self.broker, room, entry)

    async def close(self) -> None:
        for room, handlers in list(self.broker.channels.items()):
            kept = [h for h in handlers if h[0] != self.node_id]
            if kept:
                self.broker.channels[room] = kept
            else:
                del self.broker.channels[room]

"""Orders every instance must carry out on its own connections: close a revoked participant's
documents and séance channels, close a document's editors when it is locked or replaced.

An order is applied here at once and published on the relay's ``control`` channel for the
other instances (JSON ``{"op", "target", "code", "reason"}``). Redis pub/sub may lose an order
during an outage; the rule it enforces does not depend on it — a revoked token and a locked
document are refused on every (re)connection — it only makes it take effect without waiting.
"""

from __future__ import annotations

import logging
from typing import Literal

import msgspec

from collab.relay import Relay, RelayKind, RelayMessage, Subscription
from collab.rooms import RoomRegistry
from server.live import Closing, LiveHub

__all__ = ["ControlChannel"]

log = logging.getLogger("atelier.control")
CHANNEL = "control"


class _Order(msgspec.Struct, frozen=True):
    op: Literal["close_subject", "close_room"]
    target: str
    code: int
    reason: str


class ControlChannel:
    def __init__(self, relay: Relay, registry: RoomRegistry, live: LiveHub) -> None:
        self._relay = relay
        self._registry = registry
        self._live = live
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        self._subscription = await self._relay.subscribe(CHANNEL, self._on_relay)

    async def close(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()

    async def close_subject(self, subject: str, code: int, reason: str) -> None:
        await self._order(_Order("close_subject", subject, code, reason))

    async def close_room(self, doc_id: str, code: int, reason: str) -> None:
        await self._order(_Order("close_room", doc_id, code, reason))

    async def _order(self, order: _Order) -> None:
        self._apply(order)
        try:
            await self._relay.publish(CHANNEL, RelayKind.EVENT, msgspec.json.encode(order))
        except Exception:
            log.warning("control: could not tell the other instances %s", order, exc_info=True)

    def _on_relay(self, message: RelayMessage) -> None:
        try:
            order = msgspec.json.decode(message.payload, type=_Order)
        except msgspec.DecodeError:
            log.warning("control: dropping an unreadable order")
            return
        self._apply(order)

    def _apply(self, order: _Order) -> None:
        if order.op == "close_subject":
            self._registry.close_peers_of(order.target, order.code, order.reason)
            self._live.close_subject(order.target, Closing(order.code, order.reason))
        else:
            room = self._registry.rooms.get(order.target)
            if room is not None:
                room.close_peers(order.code, order.reason)

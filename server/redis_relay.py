"""``collab.relay.Relay`` on Redis pub/sub: a channel per room, one subscriber connection per node.

A message on the wire is ``node_id (16 bytes) • kind (1 byte) • payload``; a node drops its own.
Pub/sub is fire-and-forget: a message published while a node is cut off is lost to it. The
relay is not the durable path — the store is: rooms announce their state vectors now and then
(``RelayKind.STATE``), and a node that sees edits it lacks reloads them from the store
(``collab.room``, anti-entropy, as Hocuspocus does with its own sync messages).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from collab.relay import Handler, RelayKind, RelayMessage

__all__ = ["RedisRelay"]

log = logging.getLogger("atelier.relay")
_PREFIX = "atelier:room:"


def deployment_namespace(signing_key: str) -> str:
    """A name for one deployment's channels, the same on each of its instances (they share the
    signing key) and different between deployments that share a Redis (a city's production and
    training instances): no room, séance or order of one reaches the other. Derived, never the
    key itself."""
    return hashlib.sha256(b"atelier-relay:" + signing_key.encode()).hexdigest()[:16]


class _RedisSubscription:
    def __init__(self, relay: RedisRelay, room: str, handler: Handler) -> None:
        self._relay, self._room, self._handler = relay, room, handler

    async def close(self) -> None:
        await self._relay._unsubscribe(self._room, self._handler)


class RedisRelay:
    def __init__(self, url: str, node_id: str | None = None, namespace: str = "") -> None:
        self.node_id = node_id or uuid.uuid4().hex
        #: Every channel's name starts with this: ``atelier:[namespace:]room:``.
        self._prefix = f"atelier:{namespace}:room:" if namespace else _PREFIX
        self._node_bytes = uuid.UUID(hex=self.node_id).bytes
        # Bounded waits: a stalled Redis (paused, partitioned) fails a publish after a few
        # seconds instead of piling up tasks forever; rooms catch up once it is back.
        self._redis: Redis = Redis.from_url(
            url, socket_timeout=5.0, socket_connect_timeout=5.0, health_check_interval=10
        )
        self._pubsub: PubSub = self._redis.pubsub()
        self._handlers: dict[str, list[Handler]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._confirmed: dict[str, asyncio.Event] = {}

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:
            return False

    async def publish(self, room: str, kind: RelayKind, payload: bytes) -> None:
        await self._redis.publish(self._prefix + room, self._node_bytes + bytes((kind,)) + payload)

    def heard(self, room: str) -> bool:
        return True  # who else is subscribed is Redis's to know

    async def subscribe(self, room: str, handler: Handler) -> _RedisSubscription:
        async with self._lock:
            handlers = self._handlers.setdefault(room, [])
            handlers.append(handler)
            if len(handlers) == 1:
                # Return only once Redis confirms: whatever is published after that reaches us
                # (a room loads its stored state after subscribing, so nothing falls between).
                confirmed = self._confirmed[self._prefix + room] = asyncio.Event()
                await self._pubsub.subscribe(self._prefix + room)
                if self._reader is None:
                    self._reader = asyncio.create_task(self._read(), name="redis-relay-reader")
                await asyncio.wait_for(confirmed.wait(), 10)
        return _RedisSubscription(self, room, handler)

    async def _unsubscribe(self, room: str, handler: Handler) -> None:
        async with self._lock:
            handlers = self._handlers.get(room, [])
            if handler in handlers:
                handlers.remove(handler)
            if not handlers and room in self._handlers:
                del self._handlers[room]
                with contextlib.suppress(Exception):
                    await self._pubsub.unsubscribe(self._prefix + room)

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("redis relay: read failed, retrying", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            if message.get("type") == "subscribe":
                event = self._confirmed.pop(message["channel"].decode(), None)
                if event is not None:
                    event.set()
                continue
            if message.get("type") != "message":
                continue
            data: bytes = message["data"]
            if len(data) < 17 or data[:16] == self._node_bytes:
                continue
            room = message["channel"].decode()[len(self._prefix) :]
            try:
                relayed = RelayMessage(
                    uuid.UUID(bytes=data[:16]).hex, RelayKind(data[16]), data[17:]
                )
            except ValueError:
                log.warning("redis relay: dropping a malformed message on %s", room)
                continue
            for handler in list(self._handlers.get(room, ())):
                try:
                    handler(relayed)
                except Exception:
                    log.exception("redis relay: handler failed for %s", room)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        with contextlib.suppress(Exception):
            await self._redis.aclose()

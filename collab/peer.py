"""One client connection as a room sees it: an outbox and the rights it was granted.

Rooms never await a client: ``send`` only queues, and a writer task drains the queue to the
transport. A client that cannot keep up is closed with 1013 (it reconnects and resyncs, losing
nothing) rather than having frames silently dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Protocol

__all__ = ["CloseCode", "Peer", "Transport"]

log = logging.getLogger("atelier.collab")


class CloseCode:
    """WebSocket close codes used by Atelier.

    4400–4499 are final for a y-websocket client (≥ 3.1 stops reconnecting): they are for what
    reconnecting cannot cure. Every other code is retried with a backoff.
    """

    NORMAL = 1000
    GOING_AWAY = 1001
    UNSUPPORTED_DATA = 1003  # a text frame
    INVALID_PAYLOAD = 1007  # an undecodable or inapplicable frame
    #: Too many connections from one address, or frames sent too fast: the client retries,
    #: and is admitted again once it is within its limits.
    POLICY_VIOLATION = 1008
    TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    TRY_AGAIN_LATER = 1013  # the room could not load, or the client is too slow: retry
    UNAUTHORIZED = 4401
    FORBIDDEN = 4403
    #: A document or an awareness state past its size limit: sending it again would be refused
    #: again, so the client must stop (HTTP 413's twin).
    CONTENT_TOO_LARGE = 4413


class Transport(Protocol):
    async def send(self, frame: bytes) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


class Peer:
    """A connection in a room. ``read_only`` peers may sync and publish awareness, never write."""

    def __init__(
        self,
        transport: Transport,
        *,
        read_only: bool = False,
        subject: str = "",
        max_queued_frames: int = 10_000,
    ) -> None:
        self.transport = transport
        self.read_only = read_only
        self.subject = subject
        self._max_queued = max_queued_frames
        self._outbox: deque[bytes] = deque()
        self._wakeup = asyncio.Event()
        self._closing: tuple[int, str] | None = None
        self.closed = asyncio.Event()

    def __repr__(self) -> str:
        return f"<Peer {self.subject or id(self):} {'r' if self.read_only else 'rw'}>"

    @property
    def is_closing(self) -> bool:
        return self._closing is not None

    def send(self, frame: bytes) -> None:
        """Queue a frame; never blocks."""
        if self._closing is not None:
            return
        if len(self._outbox) >= self._max_queued:
            log.warning("closing slow client %r: %d frames queued", self, len(self._outbox))
            self.close(CloseCode.TRY_AGAIN_LATER, "client too slow, reconnect")
            return
        self._outbox.append(frame)
        self._wakeup.set()

    def close(self, code: int, reason: str) -> None:
        """Close after the frames already queued are sent."""
        if self._closing is None:
            self._closing = (code, reason)
            self._wakeup.set()

    async def run_writer(self) -> None:
        """Drain the outbox to the transport until the peer is closed."""
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                while self._outbox:
                    await self.transport.send(self._outbox.popleft())
                if self._closing is not None:
                    code, reason = self._closing
                    await self.transport.close(code, reason)
                    return
        except Exception:  # the socket went away under us: the reader sees it too
            log.debug("writer of %r stopped", self, exc_info=True)
        finally:
            self._outbox.clear()
            self.closed.set()

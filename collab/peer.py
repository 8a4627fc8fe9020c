"""One client connection as a room sees it: an outbox and the rights it was granted.

Rooms never await a client: ``send`` writes at once when the transport can take the frame
without waiting (``Transport.send_now``), and otherwise queues it for a writer task that exists
only while frames wait. A room broadcasting one update to 200 people thus costs 200 direct
writes, not 200 task wake-ups, and an idle connection holds no task at all. A client that
cannot keep up is closed with 1013 (it reconnects and resyncs, losing nothing) rather than
having frames silently dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
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

    def send_now(self, frame: bytes) -> bool:
        """Write ``frame`` at once if that needs no waiting (the socket is open and its buffer
        below its high-water mark); ``False`` if the frame must go through :meth:`send`."""
        ...

    async def close(self, code: int, reason: str) -> None: ...


class Peer:
    """A connection in a room. ``read_only`` peers may sync and publish awareness, never write."""

    __slots__ = (
        "_closing",
        "_max_queued",
        "_outbox",
        "_writer",
        "closed",
        "read_only",
        "subject",
        "transport",
    )

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
        self._writer: asyncio.Task[None] | None = None
        self._closing: tuple[int, str] | None = None
        #: Set once the close was sent, or the socket went away.
        self.closed = asyncio.Event()

    def __repr__(self) -> str:
        return f"<Peer {self.subject or id(self):} {'r' if self.read_only else 'rw'}>"

    @property
    def is_closing(self) -> bool:
        return self._closing is not None

    def send(self, frame: bytes) -> None:
        """Send or queue a frame, in order; never blocks."""
        if self._closing is not None:
            return
        # Frames already waiting go first: the direct path is for an empty outbox only.
        if self._writer is None and self.transport.send_now(frame):
            return
        if len(self._outbox) >= self._max_queued:
            log.warning("closing slow client %r: %d frames queued", self, len(self._outbox))
            self.close(CloseCode.TRY_AGAIN_LATER, "client too slow, reconnect")
            return
        self._outbox.append(frame)
        self._start_writer()

    def close(self, code: int, reason: str) -> None:
        """Close after the frames already queued are sent."""
        if self._closing is None:
            self._closing = (code, reason)
            self._start_writer()

    async def wait_closed(self, grace: float) -> None:
        """Wait up to ``grace`` seconds for the close to be sent, then give up on the socket."""
        try:
            await asyncio.wait_for(self.closed.wait(), grace)
        except TimeoutError:
            if self._writer is not None:
                self._writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._writer

    def _start_writer(self) -> None:
        if self._writer is None and not self.closed.is_set():
            self._writer = asyncio.create_task(self._drain(), name=f"writer:{self!r}")

    async def _drain(self) -> None:
        """Send what is queued, then the close if one was asked for; exit when done."""
        try:
            while self._outbox:
                await self.transport.send(self._outbox.popleft())
            if self._closing is not None:
                code, reason = self._closing
                await self.transport.close(code, reason)
                self.closed.set()
        except Exception:  # the socket went away under us: the reader sees it too
            log.debug("writer of %r stopped", self, exc_info=True)
            self._gone()
        except asyncio.CancelledError:
            self._gone()
            raise
        finally:
            self._writer = None

    def _gone(self) -> None:
        if self._closing is None:
            self._closing = (CloseCode.GOING_AWAY, "")
        self._outbox.clear()
        self.closed.set()

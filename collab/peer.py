"""One client connection as a room sees it: an outbox and the rights it was granted.

Rooms never await a client: ``send`` writes at once when the transport can take the frame
without waiting (``Transport.send_now``), and otherwise queues it for a writer task that exists
only while frames wait. A room broadcasting one update to 200 people thus costs 200 direct
writes, not 200 task wake-ups, and an idle connection holds no task at all. A client that
cannot keep up is closed with 1013 (it reconnects and resyncs, losing nothing) rather than
having frames silently dropped.

What waits for a client is bounded in frames and in bytes: a writer pasting 1 MB again and
again would otherwise pile up a gigabyte behind a phone that froze long before ten thousand
frames. Past either bound the frames still waiting are dropped at once (the client gets them
again when it resyncs) and the close goes out after the frame being written, if any. A frame
that finds nothing waiting is always taken, whatever its size: a SyncStep2 of a document
larger than the byte bound must still reach a client that reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Protocol

from collab.lean import Flag

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
        "_in_flight",
        "_max_queued",
        "_max_queued_bytes",
        "_outbox",
        "_outbox_bytes",
        "_writer",
        "closed",
        "closing",
        "presence",
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
        max_queued_bytes: int = 4 * 1024 * 1024,
        presence: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.transport = transport
        self.read_only = read_only
        self.subject = subject
        #: Vets each presence state this connection publishes (raw JSON in, raw JSON out): the
        #: server passes one that writes the connection's own name and role into the state.
        self.presence = presence
        self._max_queued = max_queued_frames
        self._max_queued_bytes = max_queued_bytes
        #: Made with the first frame that must wait: most connections never need one.
        self._outbox: deque[bytes] | None = None
        self._outbox_bytes = 0
        self._in_flight = 0  # bytes of the frame the writer is sending
        self._writer: asyncio.Task[None] | None = None
        self._closing: tuple[int, str] | None = None
        #: Set once a close is asked for: whoever reads the client's frames may stop.
        self.closing = Flag()
        #: Set once the close was sent, or the socket went away.
        self.closed = Flag()

    def __repr__(self) -> str:
        return f"<Peer {self.subject or id(self):} {'r' if self.read_only else 'rw'}>"

    @property
    def is_closing(self) -> bool:
        return self._closing is not None

    @property
    def queued_bytes(self) -> int:
        """Bytes held for this client: the frames waiting, and the one being written."""
        return self._outbox_bytes + self._in_flight

    def send(self, frame: bytes) -> None:
        """Send or queue a frame, in order; never blocks."""
        if self._closing is not None:
            return
        # Frames already waiting go first: the direct path is for an empty outbox only.
        if self._writer is None and self.transport.send_now(frame):
            return
        held = self.queued_bytes
        outbox = self._outbox
        if outbox is None:
            outbox = self._outbox = deque()
        if len(outbox) >= self._max_queued or (held and held + len(frame) > self._max_queued_bytes):
            log.warning(
                "closing slow client %r: %d frames, %d bytes queued (limits %d, %d)",
                self,
                len(outbox),
                held,
                self._max_queued,
                self._max_queued_bytes,
            )
            self._drop_queue()
            self.close(CloseCode.TRY_AGAIN_LATER, "client too slow, reconnect")
            return
        outbox.append(frame)
        self._outbox_bytes += len(frame)
        self._start_writer()

    def close(self, code: int, reason: str) -> None:
        """Close after the frames already queued are sent."""
        if self._closing is None:
            self._closing = (code, reason)
            self.closing.set()
            self._start_writer()

    async def wait_closed(self, grace: float) -> bool:
        """Wait up to ``grace`` seconds for the close to be sent, then give up on the socket:
        ``False`` if it was given up (the caller may then abort the connection)."""
        try:
            await asyncio.wait_for(self.closed.wait(), grace)
        except TimeoutError:
            if self._writer is not None:
                self._writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._writer
            return False
        return True

    def _start_writer(self) -> None:
        if self._writer is None and not self.closed.is_set():
            self._writer = asyncio.create_task(self._drain(), name=f"writer:{self!r}")

    async def _drain(self) -> None:
        """Send what is queued, then the close if one was asked for; exit when done."""
        try:
            while self._outbox:
                frame = self._outbox.popleft()
                self._outbox_bytes -= len(frame)
                self._in_flight = len(frame)
                await self.transport.send(frame)
                self._in_flight = 0
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
            self._in_flight = 0
            if not self._outbox:
                self._outbox = None  # its block goes back: the next wait makes a new one

    def _drop_queue(self) -> None:
        self._outbox = None
        self._outbox_bytes = 0

    def _gone(self) -> None:
        if self._closing is None:
            self._closing = (CloseCode.GOING_AWAY, "")
            self.closing.set()
        self._drop_queue()
        self.closed.set()

"""A lean WebSocket client: the ``websockets`` library's Sans-I/O protocol on an asyncio Protocol.

The load generator must receive ~80,000 frames per second (1 room × 200 clients × 2 edits/s, each
delivered to 199 others) on one or two cores shared with the server it measures. The ``websockets``
asyncio client costs a task switch and a future per message; here every frame is handed to a
plain callback straight from ``data_received``, which is several times cheaper, so what is timed
is the server rather than the client. Handshake, masking, permessage-deflate, ping/pong and the
closing handshake are all done by ``websockets.client.ClientProtocol``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import traceback
from collections.abc import Callable

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import enable_client_permessage_deflate
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

__all__ = ["LeanSocket", "connect", "open_socket"]


class LeanSocket(asyncio.Protocol):
    def __init__(self, url: str, deflate: bool, on_message: Callable[[bytes], None]) -> None:
        self.uri = parse_uri(url)
        extensions = enable_client_permessage_deflate(None) if deflate else None
        self.ws = ClientProtocol(self.uri, extensions=extensions, max_size=None)
        self.on_message = on_message
        #: called after each batch of frames read from the socket
        self.after_batch: Callable[[], None] | None = None
        self.on_close: Callable[[LeanSocket], None] | None = None
        self.transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self._paused = False
        self._drain: asyncio.Future[None] | None = None
        self._fragments: list[bytes] = []
        self._fast = False  # see _fast_frames
        self._partial = b""
        self._fragment_binary = True
        self.close_code: int | None = None
        self.close_reason = ""
        self.handler_errors = 0

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.ws.send_request(self.ws.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        if self._fast:
            data = self._fast_frames(data)
            if not data:
                return
        self._slow_received(data)

    def _fast_frames(self, data: bytes) -> bytes:
        """Deliver the whole unfragmented binary frames at the head of what was read; return
        the rest, from the first frame that is anything else, for ``websockets`` to parse.

        Once the handshake is done and no extension was negotiated, a server's data frame is
        two to ten bytes of header and the payload, unmasked (RFC 6455 §5.2): read here, it
        costs a few slices instead of a pass through ``websockets``' generator-based parser,
        which took most of the load generator's time. Any other frame (a ping, a close, a
        fragment, a text frame, reserved bits) hands the stream to ``websockets`` for good, at
        that frame's first byte: it never sees half a frame, and its state stays exact. It hands
        the stream back once its buffer is empty again (:meth:`_slow_received`)."""
        buf = self._partial + data if self._partial else data
        self._partial = b""
        pos, end = 0, len(buf)
        on_message = self.on_message
        while end - pos >= 2:
            head, size = buf[pos], buf[pos + 1]
            if head != 0x82 or size & 0x80:  # not FIN + binary, or masked: not ours to read
                self._fast = False
                return buf[pos:]
            size &= 0x7F
            start = pos + 2
            if size == 126:
                start += 2
                if start > end:
                    break
                size = int.from_bytes(buf[pos + 2 : start])
            elif size == 127:
                start += 8
                if start > end:
                    break
                size = int.from_bytes(buf[pos + 2 : start])
            if start + size > end:
                break
            self._deliver(on_message, buf[start : start + size])
            pos = start + size
        self._partial = buf[pos:]
        if self.after_batch is not None:
            self.after_batch()
        return b""

    def _slow_received(self, data: bytes) -> None:  # noqa: PLR0912  # one branch per event kind
        self.ws.receive_data(data)
        events = self.ws.events_received()
        self._flush()
        on_message = self.on_message
        for ev in events:
            if isinstance(ev, Response):
                if not self.opened.done():
                    if self.ws.handshake_exc is not None:
                        self.opened.set_exception(self.ws.handshake_exc)
                    else:
                        self.opened.set_result(None)
                continue
            op = ev.opcode
            if op is Opcode.BINARY:
                if ev.fin:
                    self._deliver(on_message, bytes(ev.data))
                else:
                    self._fragments = [bytes(ev.data)]
                    self._fragment_binary = True
            elif op is Opcode.CONT:
                self._fragments.append(bytes(ev.data))
                if ev.fin:
                    message = b"".join(self._fragments)
                    self._fragments = []
                    if self._fragment_binary:
                        self._deliver(on_message, message)
            elif op is Opcode.TEXT:
                if not ev.fin:
                    self._fragments = []
                    self._fragment_binary = False
            elif op is Opcode.CLOSE:
                self.close_code = self.ws.close_code
                self.close_reason = self.ws.close_reason or ""
        if self.after_batch is not None:
            self.after_batch()
        # Back to the fast path once websockets holds no partial frame of its own.
        self._fast = (
            self.ws.state is State.OPEN
            and not self.ws.extensions
            and not self.ws.reader.buffer
            and not self._fragments
        )

    def _deliver(self, on_message: Callable[[bytes], None], message: bytes) -> None:
        try:
            on_message(message)
        except Exception:  # a bug in a handler must not silently drop the connection
            self.handler_errors += 1
            if self.handler_errors == 1:
                traceback.print_exc(file=sys.stderr)

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.close_code is None:
            self.close_code = self.ws.close_code if self.ws.close_code is not None else 1006
            self.close_reason = self.ws.close_reason or (str(exc) if exc else "")
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed during handshake: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)
        if self.on_close is not None:
            self.on_close(self)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    # --- API ------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.opened.done() and not self.closed.done() and self.close_code is None

    def _flush(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        for chunk in self.ws.data_to_send():
            if chunk:
                transport.write(chunk)
            elif transport.can_write_eof():
                transport.write_eof()

    def send(self, data: bytes) -> None:
        """Queue one binary frame (never blocks; see :meth:`drain`)."""
        if self.closed.done():
            raise ConnectionError("socket closed")
        self.ws.send_binary(data)
        self._flush()

    def send_many(self, frames: list[bytes]) -> None:
        if self.closed.done():
            raise ConnectionError("socket closed")
        for frame in frames:
            self.ws.send_binary(frame)
        self._flush()

    @property
    def paused(self) -> bool:
        return self._paused

    async def drain(self) -> None:
        """Wait until the kernel has taken what was written (TCP back-pressure)."""
        if self._paused and not self.closed.done():
            self._drain = asyncio.get_running_loop().create_future()
            await self._drain

    async def close(self, timeout: float = 2.0) -> None:
        if self.transport is None or self.closed.done():
            return
        with contextlib.suppress(Exception):
            self.ws.send_close(1000)
            self._flush()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self.closed), timeout)
        if not self.closed.done():
            self.transport.abort()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


async def connect(
    url: str, on_message: Callable[[bytes], None], *, deflate: bool = True, timeout: float = 60.0
) -> LeanSocket:
    return await open_socket(LeanSocket(url, deflate, on_message), timeout)


async def open_socket(sock: LeanSocket, timeout: float = 60.0) -> LeanSocket:
    """Connect and complete the handshake. Frames that arrive with the handshake response are
    delivered to ``on_message`` before this returns: keep a reference to ``sock`` beforehand."""
    loop = asyncio.get_running_loop()
    host, port = sock.uri.host, sock.uri.port
    await asyncio.wait_for(loop.create_connection(lambda: sock, host, port), timeout)
    try:
        await asyncio.wait_for(asyncio.shield(sock.opened), timeout)
    except BaseException:
        sock.abort()
        raise
    return sock

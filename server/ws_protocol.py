"""uvicorn's WebSocket protocol (websockets' Sans-I/O), plus a direct write for binary frames.

Through ASGI, each frame sent to each client passes four coroutine layers of Litestar and
uvicorn, and websockets builds a ``Frame`` object and serialises it per connection. For a room
of 200 people that was most of the server's CPU (py-spy, ``bench/RESULTS.md`` §9). A frame the
server sends is never masked, so its bytes are the same for every client: :func:`binary_frame`
builds them once per update, and :meth:`AtelierWebSocketProtocol.write_frame` writes them to
one connection's socket synchronously. The app finds that method in the ASGI scope, under
:data:`DIRECT_WRITE`; under any other server the key is absent and frames go through ASGI.

The direct write is only taken when nothing would be bypassed: the handshake is done, no close
was sent or received, no extension was negotiated (permessage-deflate would expect compressed
frames to be compressed by websockets), and the socket is not paused for writing (a slow
client's frames then queue in its :class:`collab.Peer`, which closes it past its limit).
Control frames, closes and the handshake still go through uvicorn. Data frames are never
fragmented, so writing whole frames beside websockets' own cannot interleave with a message
it is in the middle of.

A client that stops reading altogether never takes its close frame either, and asyncio keeps
a closed transport open until its buffer is flushed: the app ends such a connection with
:meth:`AtelierWebSocketProtocol.abort`, found in the scope under :data:`ABORT`.

Participants leave their tab open for hours, so what an idle connection keeps is trimmed
(``bench/RESULTS.md`` §14): the handshake's request and response (with their header objects)
are dropped once the socket is open; the inbox and the ``writable`` flag are
:mod:`collab.lean`'s, which allocate nothing until awaited; and the keep-alive of every
connection runs on one shared timer (:class:`PingWheel`) instead of a timer handle each. A
connection is pinged about every ``ws_ping_interval`` seconds and dropped (1011) when its pong
has not come back by its next turn, one interval later — whether or not it ever sent a frame.

Once a document socket is open and in its room, the app hands it over
(:meth:`AtelierWebSocketProtocol.hand_off`, under :data:`HAND_OFF`) and returns, so that no
ASGI coroutine stack stays suspended for the socket's life; the protocol then passes each
receive event to the app's session from a task that exists only while events wait.
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
import typing
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.utils import (
    ClientDisconnected,
    get_client_addr,
    get_path_with_query_string,
)
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.datastructures import Headers
from websockets.http11 import MAX_LINE_LENGTH, MAX_NUM_HEADERS, Request
from websockets.protocol import Protocol, State
from websockets.streams import StreamReader

from collab.lean import Flag, Inbox
from server.logging import CONNECTIONS_LOGGER

_CONNECTIONS = logging.getLogger(CONNECTIONS_LOGGER)

__all__ = [
    "ABORT",
    "DIRECT_WRITE",
    "HAND_OFF",
    "AtelierHttpToolsProtocol",
    "AtelierWebSocketProtocol",
    "Handed",
    "PingWheel",
    "binary_frame",
]

#: The ASGI scope extension holding a connection's ``write_frame(bytes) -> bool``.
DIRECT_WRITE = "atelier.write_frame"
#: … and its ``abort() -> None``: drop the connection now, with whatever is still buffered.
ABORT = "atelier.abort"
#: … and its ``hand_off(session)``: see :meth:`AtelierWebSocketProtocol.hand_off`.
HAND_OFF = "atelier.hand_off"


class Handed(typing.Protocol):
    """What an app hands a connection to (:meth:`AtelierWebSocketProtocol.hand_off`)."""

    async def on_message(self, message: Any) -> bool:
        """One ASGI receive event, in order; ``False`` once the connection is done with."""
        ...

    async def finish(self) -> None:
        """Run once, after the last message, or once :meth:`AtelierWebSocketProtocol.end` is
        called: what the app ran after its reading loop."""
        ...


class _HookedInbox(Inbox[Any]):
    """The protocol's inbox, telling the protocol when something is put (once handed off)."""

    __slots__ = ("hook",)

    def __init__(self) -> None:
        super().__init__()
        self.hook: Callable[[], None] | None = None

    def put_nowait(self, item: Any) -> None:
        super().put_nowait(item)
        if self.hook is not None:
            self.hook()


_SHORT = struct.Struct("!BB")
_MEDIUM = struct.Struct("!BBH")
_LONG = struct.Struct("!BBQ")
_FIN_BINARY = 0x82


def binary_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked binary WebSocket frame carrying ``payload`` (RFC 6455 §5.2)."""
    length = len(payload)
    if length < 126:
        header = _SHORT.pack(_FIN_BINARY, length)
    elif length < 1 << 16:
        header = _MEDIUM.pack(_FIN_BINARY, 126, length)
    else:
        header = _LONG.pack(_FIN_BINARY, 127, length)
    return header + payload


class PingWheel:
    """The keep-alive of every connection of one event loop, on one timer.

    Connections are spread over ``SLOTS`` slots; every ``interval / SLOTS`` seconds one slot
    takes its turn: each of its connections is pinged, or, if the pong of its previous ping
    (one interval ago) never came, dropped. The wheel stops when its last connection leaves.
    """

    SLOTS = 16
    _wheels: dict[int, PingWheel] = {}

    __slots__ = ("_cursor", "_handle", "_loop", "_next", "_size", "_slots", "interval")

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        self._loop = loop
        self.interval = interval
        self._slots: list[set[AtelierWebSocketProtocol]] = [set() for _ in range(self.SLOTS)]
        self._cursor = 0
        self._next = 0  # where the next connection goes: round robin
        self._size = 0
        self._handle: asyncio.TimerHandle | None = None

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop, interval: float) -> PingWheel:
        key = id(loop)
        wheel = cls._wheels.get(key)
        if wheel is None or wheel._loop is not loop or wheel.interval != interval:
            wheel = cls._wheels[key] = cls(loop, interval)
        return wheel

    def add(self, conn: AtelierWebSocketProtocol) -> set[AtelierWebSocketProtocol]:
        slot = self._slots[self._next]
        self._next = (self._next + 1) % self.SLOTS
        slot.add(conn)
        self._size += 1
        if self._handle is None:
            self._handle = self._loop.call_later(self.interval / self.SLOTS, self._tick)
        return slot

    def remove(self, conn: AtelierWebSocketProtocol, slot: set[AtelierWebSocketProtocol]) -> None:
        if conn in slot:
            slot.remove(conn)
            self._size -= 1
        if self._size == 0:
            if self._handle is not None:
                self._handle.cancel()
                self._handle = None
            if PingWheel._wheels.get(id(self._loop)) is self:
                del PingWheel._wheels[id(self._loop)]

    def _tick(self) -> None:
        slot = self._slots[self._cursor]
        self._cursor = (self._cursor + 1) % self.SLOTS
        for conn in list(slot):
            conn.keepalive_turn()
        self._handle = (
            self._loop.call_later(self.interval / self.SLOTS, self._tick) if self._size else None
        )


class AtelierWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's ``websockets-sansio`` protocol, exposing :meth:`write_frame` to the app, and
    keeping less per idle connection (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each socket opened is logged at DEBUG only (server.logging.CONNECTIONS_LOGGER).
        self.logger = self.conn.logger = _CONNECTIONS
        self.conn.debug = _CONNECTIONS.isEnabledFor(logging.DEBUG)
        self.queue = _HookedInbox()  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]
        self.writable.set()
        self._ping_slot: set[AtelierWebSocketProtocol] | None = None
        self._handed: Handed | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ended = False
        self._cork: list[bytes] | None = None  # the 101 and what follows it, held (_accept)

    # The hand-off: the app's coroutine stack is not kept for the socket's life.

    def hand_off(self, session: Handed) -> AtelierWebSocketProtocol:
        """Take the connection over from the app, which then returns: its ASGI coroutine stack
        (uvicorn's task, Litestar's middleware, the handler's frames, ~7.5 KB) is freed, and
        uvicorn does not close the transport when it does. Every receive event goes to
        ``session.on_message`` from a task that exists only while events wait; the
        ``session.finish`` runs in a task of its own once the connection is done with."""
        self._handed = session
        self.scope = None  # type: ignore[assignment]
        self.queue.hook = self._kick  # type: ignore[attr-defined]
        self._kick()
        return self

    def _kick(self) -> None:
        if self._reader is None and not self._ended and not self.queue.empty():
            self._reader = self._spawn(self._read())

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task = self.loop.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.on_task_complete)
        return task

    async def _read(self) -> None:
        session = self._handed
        assert session is not None
        try:
            while not self._ended and not self.queue.empty():
                message = self.queue.get_nowait()
                if self.read_paused and self.queue.empty():
                    self.read_paused = False
                    self.transport.resume_reading()
                if not await session.on_message(message):
                    self._reader = None
                    self.end()
                    return
        except asyncio.CancelledError:
            pass  # ended from outside (a close asked for by the server)
        except Exception:
            self.logger.exception("Exception in WebSocket session")
            self._reader = None
            self.end()
        finally:
            if self._reader is asyncio.current_task():
                self._reader = None

    def end(self) -> None:
        """The connection is done with (the client left, or the server closes it): stop
        reading, and run the session's ``finish``. Idempotent."""
        if self._ended or self._handed is None:
            return
        self._ended = True
        self.queue.hook = None  # type: ignore[attr-defined]
        reader, self._reader = self._reader, None
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()
        self._spawn(self._handed.finish())

    async def run_asgi(self) -> None:
        # uvicorn's, except that a connection handed off stays open when the app returns.
        try:
            result = await self.app(self.scope, self.receive, self.send)
        except ClientDisconnected:
            pass
        except BaseException:
            self.logger.exception("Exception in ASGI application\n")
            self.send_500_response()
        else:
            if not self.handshake_complete:
                self.logger.error("ASGI callable returned without completing handshake.")
                self.send_500_response()
            elif result is not None:
                self.logger.error("ASGI callable should return None, but returned '%s'.", result)
            elif self._handed is not None:
                return
        self._uncork()
        if self.close_timer is None:
            self.transport.close()

    def upgrade(
        self,
        transport: asyncio.Transport,
        server: tuple[str, int | None] | None,
        client: tuple[str, int] | None,
        scheme: str,
        request: Request,
        raw_headers: list[tuple[bytes, bytes]],
    ) -> None:
        """Take over a connection whose upgrade request uvicorn's HTTP protocol has parsed
        (:class:`AtelierHttpToolsProtocol`): what :meth:`connection_made` and the request's
        bytes would do, without writing the request out and parsing it a second time, nor
        asking the socket its addresses again."""
        self.connections.add(self)
        self.transport = transport
        self.server = server
        self.client = client
        self.scheme = "wss" if scheme == "https" else "ws"
        conn = self.conn
        # The request is read: what comes from now on is frames (ServerProtocol.parse would
        # go on to Protocol.parse once it had read the request).
        conn.parser = Protocol.parse(conn)
        next(conn.parser)
        self.handle_connect(request, raw_headers)

    def handle_connect(
        self, event: Request, raw_headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        """uvicorn's, with the scope's extensions of this protocol, and the request's headers
        as they came when the HTTP protocol passed them (:meth:`upgrade`)."""
        self.request = event
        self.response = self.conn.accept(event)
        self.handshake_initiated = True
        if self.response.status_code != 101:
            self.handshake_complete = True
            self.close_sent = True
            self.conn.send_response(self.response)
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.transport.close()
            return
        if raw_headers is None:
            raw_headers = [
                (key.encode("ascii"), value.encode("latin-1"))
                for key, value in event.headers.raw_items()
            ]
        raw_path, _, query_string = event.path.partition("?")
        subprotocols: list[str] = []
        for header in event.headers.get_all("Sec-WebSocket-Protocol"):
            subprotocols.extend([token.strip() for token in header.split(",")])
        root_path = self.root_path
        self.scope = {  # type: ignore[typeddict-item]
            "type": "websocket",
            "asgi": {"version": self.asgi_version, "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": self.scheme,
            "server": self.server,
            "client": self.client,
            "root_path": root_path,
            "path": root_path + unquote(raw_path),
            "raw_path": root_path.encode("ascii") + raw_path.encode("ascii"),
            "query_string": query_string.encode("ascii"),
            "headers": raw_headers,
            "subprotocols": subprotocols,
            "state": self.app_state.copy(),
            "extensions": {
                "websocket.http.response": {},
                DIRECT_WRITE: self.write_frame,
                ABORT: self.abort,
                HAND_OFF: self.hand_off,
            },
        }
        self.queue.put_nowait({"type": "websocket.connect"})
        task = self.loop.create_task(self.run_asgi())
        task.add_done_callback(self.on_task_complete)
        self.tasks.add(task)

    async def send(self, message: Any) -> None:
        if (
            message["type"] == "websocket.accept"
            and not self.handshake_complete
            and self.initial_response is None
        ):
            await self._accept(message)
        else:
            self._uncork()
            await super().send(message)
        if self.handshake_complete and getattr(self, "request", None) is not None:
            # The handshake is answered: its request and response (and their headers, a
            # copy of which the ASGI scope keeps) are no longer read.
            self.request = None
            self.response = None
            self._restart_parser()

    async def _accept(self, message: Any) -> None:
        """uvicorn's answer to ``websocket.accept``, except that the 101 is held until the end
        of this loop turn, and written with the frames the app sends meanwhile — a document
        socket's greeting (SyncStep1, presence): one write instead of three, each of which was
        a tenth of what opening a socket cost (bench/RESULTS.md §15)."""
        await self.writable.wait()
        if self.disconnected:
            raise ClientDisconnected()
        if self.logger.isEnabledFor(logging.INFO):
            self.logger.info(
                '%s - "WebSocket %s" [accepted]',
                get_client_addr(self.scope),
                get_path_with_query_string(self.scope),
            )
        headers = [
            (name.decode("latin-1").lower(), value.decode("latin-1"))
            for name, value in (self.default_headers + list(message.get("headers", [])))
        ]
        if subprotocol := message.get("subprotocol"):
            headers.append(("Sec-WebSocket-Protocol", subprotocol))
        del self.response.headers["Date"]
        self.response.headers.update(headers)
        if not self.transport.is_closing():
            self.handshake_complete = True
            self.conn.send_response(self.response)
            self._cork = self.conn.data_to_send()
            self.loop.call_soon(self._uncork)
            self.start_keepalive()

    def _uncork(self) -> None:
        """Write what :meth:`_accept` held back; anything else written to the socket calls this
        first, so bytes leave in the order they were made."""
        cork, self._cork = self._cork, None
        if cork and not self.transport.is_closing():
            self.transport.write(b"".join(cork))

    def data_received(self, data: bytes) -> None:
        self._uncork()  # a pong or close answered from here goes after the 101
        super().data_received(data)

    def _restart_parser(self) -> None:
        """websockets' server parser is a generator whose frame keeps the handshake request
        (with its headers) as a local for the connection's life. Once it waits for the next
        frame at a frame boundary, a fresh frame parser replaces it; otherwise it is left be."""
        conn = self.conn
        outer = conn.parser
        inner = getattr(outer, "gi_yieldfrom", None)  # Protocol.parse, under ServerProtocol's
        waiting = getattr(inner, "gi_yieldfrom", None)
        if (
            conn.state is not State.OPEN
            or conn.parser_exc is not None
            or getattr(inner, "gi_code", None) is not Protocol.parse.__code__
            or getattr(waiting, "gi_code", None) is not StreamReader.at_eof.__code__
            or conn.reader.buffer
        ):
            return
        parser = Protocol.parse(conn)
        next(parser)  # runs to its first wait: no data is buffered, so it reads nothing
        conn.parser = parser
        outer.close()

    # Keep-alive on the shared wheel (replaces uvicorn's timer handles per connection).

    def start_keepalive(self) -> None:
        if self.ping_interval is not None and self.ping_interval > 0 and self._ping_slot is None:
            self._ping_slot = PingWheel.of(self.loop, self.ping_interval).add(self)

    def stop_keepalive(self) -> None:
        super().stop_keepalive()
        if self._ping_slot is not None:
            assert self.ping_interval is not None
            PingWheel.of(self.loop, self.ping_interval).remove(self, self._ping_slot)
            self._ping_slot = None

    def keepalive_turn(self) -> None:
        """This connection's turn on the wheel: drop it if its last ping went unanswered,
        else ping it."""
        if self.close_sent or self.transport.is_closing():
            return
        self._uncork()
        if self.pending_ping_payload is not None:
            self.stop_keepalive()
            self.keepalive_timeout()
            return
        self.pending_ping_payload = struct.pack("!I", random.getrandbits(32))
        self.ping_sent_at = self.loop.time()
        self.conn.send_ping(self.pending_ping_payload)
        self.transport.write(b"".join(self.conn.data_to_send()))

    def handle_pong(self, event: Any) -> None:
        if self.pending_ping_payload is not None and bytes(event.data) == self.pending_ping_payload:
            self.last_ping_rtt = self.loop.time() - self.ping_sent_at
            self.pending_ping_payload = None  # the next turn pings again

    def write_frame(self, frame: bytes) -> bool:
        """Write an encoded data frame now if nothing stands in the way; else ``False``."""
        if (
            self.handshake_complete
            and not self.close_sent
            and not self.disconnected
            and self.initial_response is None
            and self.writable.is_set()
            and self.conn.state is State.OPEN
            and not self.conn.extensions
            and not self.transport.is_closing()
        ):
            if self._cork is not None:
                self._cork.append(frame)
            else:
                self.transport.write(frame)
            return True
        return False

    def abort(self) -> None:
        """Drop the connection at once (the client gets no close frame: it could not read one)."""
        self.transport.abort()


class AtelierHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, which hands a WebSocket upgrade to
    :class:`AtelierWebSocketProtocol` as it parsed it (:meth:`AtelierWebSocketProtocol.upgrade`).

    uvicorn writes the parsed request out again and feeds it to websockets, which parses it a
    second time in Python, and the new protocol asks the socket its addresses again: a tenth of
    what opening a socket cost (``bench/RESULTS.md`` §16). The request goes the long way, which
    refuses what websockets refuses, whenever it is anything but a plain ``GET`` in HTTP/1.1
    within websockets' limits, without a body and with an ASCII target."""

    def handle_websocket_upgrade(self) -> None:
        ws_class = self.ws_protocol_class
        request = self._plain_upgrade() if isinstance(ws_class, type) else None
        if request is None or not issubclass(ws_class, AtelierWebSocketProtocol):
            super().handle_websocket_upgrade()
            return
        self.connections.discard(self)
        protocol = ws_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.server_state, app_state=self.app_state
        )
        self.transport.set_protocol(protocol)
        protocol.upgrade(
            self.transport, self.server, self.client, self.scheme or "http", request, self.headers
        )

    def _plain_upgrade(self) -> Request | None:
        scope = self.scope
        if scope["method"] != "GET" or scope.get("http_version", "1.1") != "1.1":
            return None
        url = self.url
        raw = self.headers
        if len(url) > MAX_LINE_LENGTH or len(raw) > MAX_NUM_HEADERS:
            return None
        headers = Headers()
        try:
            path = url.decode("ascii")
            for name, value in raw:
                if len(name) + len(value) + 2 > MAX_LINE_LENGTH or name == b"transfer-encoding":
                    return None
                if name == b"content-length" and value != b"0":
                    return None
                headers.set_insecure(name.decode("ascii"), value.decode("latin-1"))
        except UnicodeDecodeError:
            return None
        return Request(path, headers)

"""``/ws/docs/{doc_id}``: the y-websocket endpoint of a live document.

Order of business for a connection: accept → count it against its address (1008 past
``ATELIER_WS_CONNECTIONS_PER_ADDRESS``, retryable) → check the grant (4401 / 4403, both final
for the client) → join the room (it is loaded once; a failed load closes with 1013, retryable) →
the room greets (SyncStep1 and awareness) → every frame goes to the room, one at a time, in order.
A bad frame closes only this connection: 1003 for text, 1009 for too big, 1007 for undecodable
or inapplicable, 4413 (final) for a document or awareness state past its size limit.

Frames faster than ``ATELIER_WS_MESSAGES_PER_SECOND`` (after a burst of
``ATELIER_WS_MESSAGE_BURST``) are not refused: the connection is read no further until its
allowance has come back. uvicorn reads no more of a socket than the frame handed to the app and
the ones already in its buffer, so TCP makes the client wait, and a y-websocket client replaying
a trace, or pasting in a loop, gets every update applied at the allowed pace. Only a connection
held back without a break for ``ATELIER_WS_FLOOD_SECONDS`` is closed, with 1008.

One connection is one document: the path names it, and no message of the protocol names
another, so "rooms per connection" is 1 by construction and needs no limit of its own.

Presence says who is there: a participant's connection publishes its states with its own name
and role written into their ``user`` (the field the web client and y-prosemirror's cursors
read), whatever the client put there — an observer cannot show as « Maire (élu·e) ». The rest of
the state passes as it came, and a state without ``user`` claims no one and is left alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import re
import time
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import msgspec
from litestar._parsers import parse_cookie_string
from litestar.types import Receive, Scope, Send

from collab import CloseCode, LimitExceeded, Peer, ProtocolError, Room, RoomLoadError
from collab.protocol import permission_denied_message
from server.actors import Refused, actor_from_token
from server.auth import DocGrant, InvalidGrant, token_from, verify_grant
from server.guards import TOO_MANY_CONNECTIONS, TOO_MANY_MESSAGES, TokenBucket
from server.security import close_cross_site_socket, cross_site
from server.services.ateliers import DocAccessRefused, doc_access_for
from server.state import AppServices
from server.ws_protocol import (
    ABORT,
    DIRECT_WRITE,
    HAND_OFF,
    AtelierWebSocketProtocol,
    Handed,
    binary_frame,
)

log = logging.getLogger("atelier.ws")

DOC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
_WRITER_GRACE = 5.0
#: Broadcast frames are small; a big SyncStep2 is sent once and need not be kept.
_CACHED_FRAME_BYTES = 64 * 1024


class SocketTransport:
    """Adapts a document's :class:`RawSocket` to ``collab.Transport``.

    ``send_now`` writes through the server's direct path (``server.ws_protocol``) when it has
    one. A room sends the same frame to each of its peers in turn, so the encoded frame of the
    last payload is kept and reused while the same bytes object comes back.
    """

    __slots__ = ("_socket", "_write")

    _last: tuple[bytes, bytes] = (b"", b"")

    def __init__(self, socket: RawSocket) -> None:
        self._socket = socket
        self._write: Callable[[bytes], bool] | None = socket.scope.get("extensions", {}).get(
            DIRECT_WRITE
        )

    async def send(self, frame: bytes) -> None:
        await self._socket.send({"type": "websocket.send", "bytes": frame})

    def send_now(self, frame: bytes) -> bool:
        if self._write is None:
            return False
        payload, wire = SocketTransport._last
        if payload is not frame:
            wire = binary_frame(frame)
            if len(frame) <= _CACHED_FRAME_BYTES:
                SocketTransport._last = (frame, wire)
        return self._write(wire)

    async def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self._socket.close(code, reason)


async def _close(socket: RawSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await socket.close(code, reason)


async def _refuse(socket: RawSocket, code: int, reason: str) -> None:
    # Old y-websocket clients only log an auth message; newer ones stop on the 44xx code.
    with contextlib.suppress(Exception):
        await socket.send({"type": "websocket.send", "bytes": permission_denied_message(reason)})
        await socket.close(code, reason)


Presence = Callable[[bytes], bytes]


def presence_of(name: str, role: str) -> Presence:
    """What a participant's connection does to each presence state it publishes: its ``user``
    gets the participant's own ``name`` and ``role`` (see the module docstring)."""

    def vet(state: bytes) -> bytes:
        value = msgspec.json.decode(state)  # decodes: the room checked it already
        if not isinstance(value, dict) or "user" not in value:
            return state
        claimed = value["user"]
        user = {**(claimed if isinstance(claimed, dict) else {}), "name": name, "role": role}
        if user == claimed:
            return state
        value["user"] = user
        return msgspec.json.encode(value)

    return vet


async def _access(
    services: AppServices, token: str | None, doc_id: str
) -> tuple[bool, str, int, Presence | None]:
    """``(read_only, subject, expiry, presence)`` for this token on this document (the expiry
    in Unix seconds; ``presence`` vets a participant's presence states, an operator's document
    grant publishes as it likes), or :class:`DocAccessRefused`.

    A document grant names its document and access; a participant token gets what the
    permission table gives its role, on the documents of its own atelier only.
    """
    key = services.settings.signing_key
    try:
        grant = verify_grant(key, token)
    except InvalidGrant as exc:
        raise DocAccessRefused(CloseCode.UNAUTHORIZED, str(exc)) from exc
    if isinstance(grant, DocGrant):
        if grant.doc != doc_id:
            raise DocAccessRefused(CloseCode.FORBIDDEN, "this grant is for another document")
        return grant.read_only, grant.sub, grant.exp, None
    try:
        actor = await actor_from_token(services.engine, key, token)
    except Refused as exc:
        raise DocAccessRefused(CloseCode.UNAUTHORIZED, exc.en.rstrip(".").lower()) from exc
    read_only = await doc_access_for(services.engine, actor, doc_id)
    presence = presence_of(actor.display_name, actor.role)
    return read_only, actor.participant_id, grant.exp, presence


#: The path of a document's socket; the rest of the path is the document's id.
PREFIX = "/ws/docs/"


class RawSocket:
    """The little of Litestar's ``WebSocket`` a document socket uses, on the raw ASGI callables.

    Document sockets do not go through Litestar's router and middleware stack
    (:func:`document_socket`): opening one through them was a sixth of what it cost the
    server (bench/RESULTS.md §15), for a path that needs none of their work — its one guard,
    the cross-site check, is run here."""

    __slots__ = ("_send", "receive", "scope")

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope: Any = scope
        self.receive: Callable[[], Any] = receive
        self._send = send

    @property
    def address(self) -> str:
        client = self.scope.get("client")
        return str(client[0]) if client and client[0] else "unknown"

    async def accept(self, subprotocol: str | None) -> None:
        if (await self.receive())["type"] != "websocket.connect":
            raise ConnectionError("the client left before its handshake was answered")
        await self._send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": []})

    async def send(self, message: Any) -> None:
        await self._send(message)

    async def close(self, code: int, reason: str) -> None:
        await self._send({"type": "websocket.close", "code": code, "reason": reason})


async def document_socket(
    services: AppServices, scope: Scope, receive: Receive, send: Send
) -> None:
    """``/ws/docs/{doc_id}``, straight from the ASGI server (see :class:`RawSocket`); an error
    closes the socket with 1011, as Litestar's exception middleware did."""
    if cross_site(scope):
        await close_cross_site_socket(scope, receive, send)
        return
    socket = RawSocket(scope, receive, send)
    try:
        await doc_socket(socket, services, scope["path"][len(PREFIX) :])
    except ConnectionError:
        pass  # gone before its handshake
    except Exception:
        log.exception("document socket failed")
        await _close(socket, CloseCode.INTERNAL_ERROR, "internal error")


async def doc_socket(socket: RawSocket, services: AppServices, doc_id: str) -> None:
    requested = socket.scope.get("subprotocols") or []
    # A client that asks for subprotocols must get one back, or Node's `ws` refuses the socket.
    await socket.accept(requested[0] if requested else None)
    address = socket.address
    # enter/leave rather than `with admit(...)`: no suspended generator per open socket.
    if not services.connections.enter(address):
        await _close(socket, CloseCode.POLICY_VIOLATION, TOO_MANY_CONNECTIONS)
        return
    handed = False
    try:
        handed = await _serve(socket, services, doc_id, address)
    finally:
        if not handed:
            services.connections.leave(address)


async def _serve(socket: RawSocket, services: AppServices, doc_id: str, address: str) -> bool:
    """Serve the socket; ``True`` if it was handed off to the server's protocol (which then
    runs the end of this function, :meth:`_Session.finish`, when the socket is done with)."""
    settings = services.settings
    if not DOC_ID.match(doc_id):
        await _refuse(socket, 4400, "invalid document id")
        return False
    token = token_from(*_credentials(socket.scope))
    try:
        read_only, subject, expiry, presence = await _access(services, token, doc_id)
    except DocAccessRefused as exc:
        await _refuse(socket, exc.close_code, exc.reason)
        return False
    # The handshake's headers are read (address, token): the scope's list of them need not stay
    # for the socket's life (1 KB of an idle connection's 20, bench/RESULTS.md §14).
    socket.scope["headers"] = []
    socket.scope["query_string"] = b""  # … nor the token in the query string

    peer = Peer(
        SocketTransport(socket),
        read_only=read_only,
        subject=subject,
        max_queued_frames=settings.max_queued_frames,
        max_queued_bytes=settings.max_queued_bytes,
        presence=presence,
    )
    # A token is checked when the socket opens; the socket ends when the token does, as the
    # next HTTP request made with it would be refused.
    expires = _Deadlines.of(asyncio.get_running_loop()).add(max(0.0, expiry - time.time()), peer)
    hand_off: Callable[[Handed], Any] | None = socket.scope.get("extensions", {}).get(HAND_OFF)
    handed = False
    try:
        room = await services.registry.enter(doc_id, peer)  # `join` without its generator
        try:
            tracker = await services.contributions.tracker(room)
            session = _Session(room, peer, services, tracker, address, expires)
            if hand_off is not None and not peer.is_closing:
                # The rest runs from the server's protocol, and this stack is freed
                # (bench/RESULTS.md §14.4): _Session.finish does what the blocks below do.
                session.start(hand_off(session))
                handed = True
                return True
            await _until_closing(peer, _read_frames(session, socket.receive))
        finally:
            if not handed:
                services.registry.leave(room, peer)
    except RoomLoadError:
        peer.close(CloseCode.TRY_AGAIN_LATER, "document unavailable, retry")
    finally:
        if not handed:
            await _end(socket, peer, expires)
    return False


async def _end(socket: RawSocket, peer: Peer, expires: list[Any]) -> None:
    _Deadlines.of(asyncio.get_running_loop()).cancel(expires)
    peer.close(CloseCode.NORMAL, "")
    if not await peer.wait_closed(_WRITER_GRACE):
        # It reads nothing, not even its close: drop the connection and what it buffers.
        abort: Callable[[], None] | None = socket.scope.get("extensions", {}).get(ABORT)
        if abort is not None:
            abort()


class _ProtocolTransport:
    """``collab.Transport`` straight on the server's protocol, once a socket is handed off
    (the :class:`RawSocket` and its ASGI ``send`` chain are gone by then)."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: AtelierWebSocketProtocol) -> None:
        self._protocol = protocol

    async def send(self, frame: bytes) -> None:
        await self._protocol.send({"type": "websocket.send", "bytes": frame})

    def send_now(self, frame: bytes) -> bool:
        payload, wire = SocketTransport._last
        if payload is not frame:
            wire = binary_frame(frame)
            if len(frame) <= _CACHED_FRAME_BYTES:
                SocketTransport._last = (frame, wire)
        return self._protocol.write_frame(wire)

    async def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self._protocol.send({"type": "websocket.close", "code": code, "reason": reason})


class _Session:
    """A document socket's frames, one event at a time (:meth:`on_message`), and, once handed
    off, the end of :func:`_serve`, with no coroutine kept while the socket is idle."""

    __slots__ = (
        "_bucket",
        "_closing",
        "_expires",
        "_held_since",
        "_protocol",
        "address",
        "peer",
        "room",
        "services",
        "tracker",
    )

    def __init__(
        self,
        room: Room,
        peer: Peer,
        services: AppServices,
        tracker: Any,
        address: str,
        expires: list[Any],
    ) -> None:
        self.room = room
        self.peer = peer
        self.services = services
        self.tracker = tracker
        self.address = address
        self._expires = expires
        self._bucket: TokenBucket | None = services.message_bucket()
        self._held_since: float | None = None
        self._protocol: AtelierWebSocketProtocol | None = None
        self._closing: asyncio.Future[None] | None = None

    def start(self, protocol: AtelierWebSocketProtocol) -> None:
        self._protocol = protocol
        self.peer.transport = _ProtocolTransport(protocol)
        closing = self._closing = self.peer.closing.future()
        closing.add_done_callback(self._closed)

    def _closed(self, fut: asyncio.Future[None]) -> None:
        if not fut.cancelled() and self._protocol is not None:
            self._protocol.end()

    async def on_message(self, message: Any) -> bool:  # noqa: PLR0911
        peer, room = self.peer, self.room
        if peer.is_closing or message["type"] != "websocket.receive":
            return False  # disconnected
        bucket = self._bucket
        if bucket is not None:
            if (delay := bucket.wait()) == 0:
                self._held_since = None
            else:
                now = time.monotonic()
                if self._held_since is None:
                    self._held_since = now
                elif now - self._held_since > self.services.settings.ws_flood_seconds:
                    log.warning("closing %r in %s: %s", peer, room.name, TOO_MANY_MESSAGES)
                    peer.close(CloseCode.POLICY_VIOLATION, TOO_MANY_MESSAGES)
                    return False
                while delay > 0:  # backpressure: nothing more is read meanwhile
                    await asyncio.sleep(delay)
                    delay = bucket.wait()
            bucket.take()
        data = message.get("bytes")
        if data is None:
            peer.close(CloseCode.UNSUPPORTED_DATA, "binary frames only")
            return False
        max_frame = self.services.settings.max_frame_bytes
        if len(data) > max_frame:
            peer.close(CloseCode.TOO_BIG, f"frame larger than {max_frame} bytes")
            return False
        try:
            await self.services.contributions.receive(room, peer, data, self.tracker)
        except LimitExceeded as exc:
            log.warning("closing %r in %s: %s", peer, room.name, exc)
            peer.close(CloseCode.CONTENT_TOO_LARGE, str(exc)[:120])
            return False
        except ProtocolError as exc:
            log.warning("closing %r in %s: %s", peer, room.name, exc)
            peer.close(CloseCode.INVALID_PAYLOAD, str(exc)[:120])
            return False
        return True

    async def finish(self) -> None:
        peer = self.peer
        if self._closing is not None:
            peer.closing.discard(self._closing)
            self._closing = None
        try:
            self.services.registry.leave(self.room, peer)
            _Deadlines.of(asyncio.get_running_loop()).cancel(self._expires)
            peer.close(CloseCode.NORMAL, "")
            if not await peer.wait_closed(_WRITER_GRACE) and self._protocol is not None:
                self._protocol.abort()
        finally:
            self.services.connections.leave(self.address)
            self._protocol = None


def _credentials(scope: Any) -> tuple[dict[str, str], dict[str, str], str | None]:
    """The query, cookies and ``Authorization`` header :func:`token_from` reads, straight from
    the ASGI scope: Litestar's ``query_params``, ``cookies`` and ``headers`` would each keep a
    parsed copy in the connection's state for as long as the socket stays open."""
    query: dict[str, str] = {}
    for key, value in parse_qsl(scope.get("query_string", b"").decode("latin-1")):
        query.setdefault(key, value)
    cookie: str | None = None
    authorization: str | None = None
    for name, value in scope.get("headers", ()):
        lowered = name.lower()
        if lowered == b"cookie":
            cookie = value.decode("latin-1")
        elif lowered == b"authorization":
            authorization = value.decode("latin-1")
    return query, parse_cookie_string(cookie) if cookie else {}, authorization


class _Deadlines:
    """The token expiries of every document socket of one event loop, on one timer: a heap of
    ``[when, seq, peer]`` (a timer handle per socket was 0.6 KB of an idle connection,
    ``bench/RESULTS.md`` §14). A cancelled entry is emptied, and the heap rebuilt once most of
    it is cancelled."""

    _by_loop: ClassVar[dict[int, _Deadlines]] = {}

    __slots__ = ("_cancelled", "_handle", "_heap", "_loop", "_seq")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._heap: list[list[Any]] = []
        self._handle: asyncio.TimerHandle | None = None
        self._seq = 0
        self._cancelled = 0

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> _Deadlines:
        found = cls._by_loop.get(id(loop))
        if found is None or found._loop is not loop:
            found = cls._by_loop[id(loop)] = cls(loop)
        return found

    def add(self, delay: float, peer: Peer) -> list[Any]:
        self._seq += 1
        entry = [self._loop.time() + delay, self._seq, peer]
        heapq.heappush(self._heap, entry)
        if self._heap[0] is entry:
            self._schedule()
        return entry

    def cancel(self, entry: list[Any]) -> None:
        if entry[2] is None:
            return
        entry[2] = None
        self._cancelled += 1
        if self._cancelled * 2 > len(self._heap):
            self._heap = [e for e in self._heap if e[2] is not None]
            heapq.heapify(self._heap)
            self._cancelled = 0
            self._schedule()

    def _schedule(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._heap:
            self._handle = self._loop.call_at(self._heap[0][0], self._fire)

    def _fire(self) -> None:
        self._handle = None
        now = self._loop.time()
        due: list[Peer] = []
        while self._heap and self._heap[0][0] <= now:
            entry = heapq.heappop(self._heap)
            if entry[2] is None:
                self._cancelled -= 1
            else:
                due.append(entry[2])
                entry[2] = None
        self._schedule()
        for peer in due:
            peer.close(CloseCode.UNAUTHORIZED, "token expired")


async def _until_closing(peer: Peer, reading: Coroutine[Any, Any, None]) -> None:
    """Read the client's frames until it leaves, or until the server closes it (too slow, token
    expired): a client that stopped reading may never send the frame that would wake a reader.

    The reading runs in this task, and a close asked for meanwhile cancels it where it waits:
    no second task and no waiter per idle connection (``bench/RESULTS.md`` §14). A frame is
    applied before any await, so none is left half done."""
    task = asyncio.current_task()
    assert task is not None
    stopper = _Stopper(task)
    closing = peer.closing.future()
    closing.add_done_callback(stopper.stop)
    try:
        await reading
    except asyncio.CancelledError:
        if not stopper.stopped:
            raise
        task.uncancel()
    finally:
        stopper.reading = False
        closing.remove_done_callback(stopper.stop)
        peer.closing.discard(closing)


class _Stopper:
    """Cancels the reading task once, while it reads (a slotted object: lighter than a closure
    over a dict for each idle connection)."""

    __slots__ = ("reading", "stopped", "task")

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        self.reading = True
        self.stopped = False

    def stop(self, _: object) -> None:
        if self.reading and not self.stopped:
            self.stopped = True
            self.task.cancel()


async def _read_frames(session: _Session, receive: Callable[[], Any]) -> None:
    """Without the server's protocol (another ASGI server): the frames read in this task, each
    handled as a handed-off socket's (:meth:`_Session.on_message`)."""
    while not session.peer.is_closing and await session.on_message(await receive()):
        pass

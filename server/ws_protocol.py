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
"""

from __future__ import annotations

import struct
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

__all__ = ["ABORT", "DIRECT_WRITE", "AtelierWebSocketProtocol", "binary_frame"]

#: The ASGI scope extension holding a connection's ``write_frame(bytes) -> bool``.
DIRECT_WRITE = "atelier.write_frame"
#: … and its ``abort() -> None``: drop the connection now, with whatever is still buffered.
ABORT = "atelier.abort"

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


class AtelierWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's ``websockets-sansio`` protocol, exposing :meth:`write_frame` to the app."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope: dict[str, Any] | None = getattr(self, "scope", None)  # absent if refused
        if scope is not None:
            scope["extensions"][DIRECT_WRITE] = self.write_frame
            scope["extensions"][ABORT] = self.abort

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
            self.transport.write(frame)
            return True
        return False

    def abort(self) -> None:
        """Drop the connection at once (the client gets no close frame: it could not read one)."""
        self.transport.abort()

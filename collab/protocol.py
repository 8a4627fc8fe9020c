"""The y-websocket wire protocol: one message per binary frame.

Decoding is strict (every length is checked against the frame) because a frame comes from an
untrusted client; encoding uses pycrdt's sync helpers where they are exact, and our own string
encoding where they are not (``pycrdt.Encoder.write_var_string`` counts code points, not UTF-8
bytes; see DESIGN.md, known traps).

Grammar (``research/yjs_anchors.md`` §a.3)::

    message  := varUint(type) • payload
    type 0   Sync       := varUint(subtype) • varUint8Array(data)   subtype 0 SS1, 1 SS2, 2 Update
    type 1   Awareness  := varUint8Array(awareness update)
    type 2   Auth       := varUint(0 = PermissionDenied) • varString(reason)
    type 3   QueryAwareness (no payload)
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from pycrdt import (
    create_awareness_message,
    create_update_message,
    write_message,
    write_var_uint,
)

__all__ = [
    "EMPTY_UPDATE",
    "Auth",
    "AwarenessMessage",
    "LimitExceeded",
    "Message",
    "MessageType",
    "ProtocolError",
    "QueryAwareness",
    "SyncStep1",
    "SyncStep2",
    "SyncType",
    "SyncUpdate",
    "awareness_message",
    "decode_message",
    "decode_state_vector",
    "permission_denied_message",
    "query_awareness_message",
    "read_var_uint",
    "sync_step1_message",
    "sync_step2_message",
    "update_message",
    "var_string",
]

#: An update with no structs and an empty delete set: what a peer that has everything sends.
EMPTY_UPDATE: Final = b"\x00\x00"

# lib0 refuses integers past 2^53 - 1 (Number.MAX_SAFE_INTEGER); so do we. They take at most
# 8 bytes (7 bits each), which is all lib0 and Yrs ever write.
_MAX_SAFE_INTEGER: Final = (1 << 53) - 1
_MAX_VARINT_BYTES: Final = 8


class MessageType(IntEnum):
    SYNC = 0
    AWARENESS = 1
    AUTH = 2
    QUERY_AWARENESS = 3


class SyncType(IntEnum):
    STEP1 = 0
    STEP2 = 1
    UPDATE = 2


class ProtocolError(ValueError):
    """A frame that does not follow the grammar. The connection that sent it is closed."""


class LimitExceeded(ProtocolError):
    """A well-formed message past a size limit (a document, an awareness state); nothing of it
    was applied. The connection that sent it is closed with ``CloseCode.CONTENT_TOO_LARGE``.

    A :class:`ProtocolError`, so that every place that drops a bad message drops this one too.
    """


def read_var_uint(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    """Read an unsigned LEB128 integer at ``pos``; return ``(value, next_pos)``.

    Raises :class:`ProtocolError` on truncation, on a value past 2^53 - 1, and on an encoding
    longer than the 8 bytes such a value needs: padded zeros (``80 80 … 00``) are in range, and
    reading megabytes of them one by one would hold the whole server.
    """
    value = 0
    shift = 0
    end = len(data)
    while True:
        if pos >= end:
            raise ProtocolError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if value > _MAX_SAFE_INTEGER:
            raise ProtocolError("varint out of range")
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift == _MAX_VARINT_BYTES * 7:
            raise ProtocolError(f"varint longer than {_MAX_VARINT_BYTES} bytes")


def decode_state_vector(data: bytes) -> dict[int, int]:
    """A Yjs state vector (``count, (client, clock)*``) as ``{client: clock}``."""
    count, pos = read_var_uint(data, 0)
    vector: dict[int, int] = {}
    for _ in range(count):
        client, pos = read_var_uint(data, pos)
        clock, pos = read_var_uint(data, pos)
        vector[client] = clock
    if pos != len(data):
        raise ProtocolError("trailing bytes after a state vector")
    return vector


def _read_var_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    length, pos = read_var_uint(data, pos)
    end = pos + length
    if end > len(data):
        raise ProtocolError(f"length {length} runs past the end of the frame")
    return data[pos:end], end


def var_string(text: str) -> bytes:
    """lib0 ``writeVarString``: the length prefix counts UTF-8 bytes."""
    raw = text.encode()
    return write_var_uint(len(raw)) + raw


# --- decoded messages ---------------------------------------------------------------------


class SyncStep1:
    __slots__ = ("state_vector",)

    def __init__(self, state_vector: bytes) -> None:
        self.state_vector = state_vector


class SyncStep2:
    __slots__ = ("update",)

    def __init__(self, update: bytes) -> None:
        self.update = update


class SyncUpdate:
    __slots__ = ("update",)

    def __init__(self, update: bytes) -> None:
        self.update = update


class AwarenessMessage:
    __slots__ = ("update",)

    def __init__(self, update: bytes) -> None:
        self.update = update


class Auth:
    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class QueryAwareness:
    __slots__ = ()


Message = SyncStep1 | SyncStep2 | SyncUpdate | AwarenessMessage | Auth | QueryAwareness

_SYNC_KINDS: Final = (SyncStep1, SyncStep2, SyncUpdate)
_SYNC_STEP1_PREFIX: Final = bytes((MessageType.SYNC, SyncType.STEP1))
_SYNC_STEP2_PREFIX: Final = bytes((MessageType.SYNC, SyncType.STEP2))


def decode_message(frame: bytes) -> Message:
    """Decode one frame into one message.

    Trailing bytes after the message are refused: the stable y-websocket client sends exactly one
    message per frame, and accepting more would hide a framing bug.
    """
    if not frame:
        raise ProtocolError("empty frame")
    kind, pos = read_var_uint(frame, 0)
    message: Message
    if kind == MessageType.SYNC:
        sub, pos = read_var_uint(frame, pos)
        if sub > SyncType.UPDATE:
            raise ProtocolError(f"unknown sync message type {sub}")
        data, pos = _read_var_bytes(frame, pos)
        message = _SYNC_KINDS[sub](data)
    elif kind == MessageType.AWARENESS:
        data, pos = _read_var_bytes(frame, pos)
        message = AwarenessMessage(data)
    elif kind == MessageType.AUTH:
        sub, pos = read_var_uint(frame, pos)
        if sub != 0:
            raise ProtocolError(f"unknown auth message type {sub}")
        raw, pos = _read_var_bytes(frame, pos)
        try:
            message = Auth(raw.decode())
        except UnicodeDecodeError as exc:
            raise ProtocolError("auth reason is not UTF-8") from exc
    elif kind == MessageType.QUERY_AWARENESS:
        message = QueryAwareness()
    else:
        raise ProtocolError(f"unknown message type {kind}")
    if pos != len(frame):
        raise ProtocolError(f"{len(frame) - pos} trailing bytes after the message")
    return message


# --- encoders -----------------------------------------------------------------------------


def sync_step1_message(state_vector: bytes) -> bytes:
    return _SYNC_STEP1_PREFIX + write_message(state_vector)


def sync_step2_message(update: bytes) -> bytes:
    return _SYNC_STEP2_PREFIX + write_message(update)


def update_message(update: bytes) -> bytes:
    return create_update_message(update)


def awareness_message(awareness_update: bytes) -> bytes:
    return create_awareness_message(awareness_update)


def permission_denied_message(reason: str) -> bytes:
    return bytes((MessageType.AUTH, 0)) + var_string(reason)


def query_awareness_message() -> bytes:
    return bytes((MessageType.QUERY_AWARENESS,))

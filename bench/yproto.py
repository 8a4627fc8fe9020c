"""The few wire-protocol pieces the load generator needs, for both framings it speaks.

* ``y``: plain y-websocket (Atelier, the Node reference server, pycrdt-websocket): one message per
  binary frame, ``varUint(type) • payload`` (research/yjs_anchors.md §a.3).
* ``hocuspocus``: every frame is prefixed by ``varString(documentName)``; a connection opens with
  an Auth/Token message, and the server acks every applied update with SyncStatus (type 8)
  (research/yjs_anchors.md §a.9).

Kept independent of Atelier's own ``collab.protocol`` on purpose: the bench must not share code
with the server it measures.
"""

from __future__ import annotations

SYNC = 0
AWARENESS = 1
AUTH = 2
SYNC_REPLY = 4  # Hocuspocus: a Sync message that must not trigger another SyncStep1
SYNC_STATUS = 8  # Hocuspocus: ack of an applied update

STEP1 = 0
STEP2 = 1
UPDATE = 2

EMPTY_SV = b"\x00"
EMPTY_UPDATE = b"\x00\x00"


def var_uint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_var_uint(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def var_bytes(b: bytes) -> bytes:
    return var_uint(len(b)) + b


def var_string(s: str) -> bytes:
    # lib0 counts UTF-8 bytes (pycrdt's Encoder.write_var_string counts code points: not used).
    return var_bytes(s.encode())


def sync_message(subtype: int, payload: bytes) -> bytes:
    return bytes((SYNC, subtype)) + var_bytes(payload)


class Framing:
    """Plain y-websocket framing; :class:`HocuspocusFraming` adds the document prefix."""

    name = "y"

    def __init__(self, room: str) -> None:
        self.room = room
        self.prefix = b""

    def hello(self, token: str) -> list[bytes]:
        """Frames to send first, before SyncStep1."""
        return []

    def wrap(self, message: bytes) -> bytes:
        return message

    def body_offset(self, frame: bytes) -> int:
        """Where the y-protocol message starts in ``frame``."""
        return 0

    def step1(self, state_vector: bytes) -> bytes:
        return self.wrap(sync_message(STEP1, state_vector))

    def step2(self, update: bytes) -> bytes:
        return self.wrap(sync_message(STEP2, update))

    def update(self, update: bytes) -> bytes:
        return self.wrap(sync_message(UPDATE, update))


class HocuspocusFraming(Framing):
    name = "hocuspocus"

    def __init__(self, room: str) -> None:
        super().__init__(room)
        self.prefix = var_string(room)

    def hello(self, token: str) -> list[bytes]:
        # [doc][2 Auth][0 Token][varString token][varString providerVersion]
        return [self.prefix + bytes((AUTH, 0)) + var_string(token) + var_string("atelier-bench")]

    def wrap(self, message: bytes) -> bytes:
        return self.prefix + message

    def body_offset(self, frame: bytes) -> int:
        n, pos = read_var_uint(frame, 0)
        return pos + n


def framing_for(kind: str, room: str) -> Framing:
    return HocuspocusFraming(room) if kind == "hocuspocus" else Framing(room)


def parse(frame: bytes, offset: int) -> tuple[int, int, bytes]:
    """``(type, subtype, payload)`` of the message at ``offset``; subtype -1 when none.

    Sync (0) and SyncReply (4) give the sync subtype and the update/state-vector bytes; Auth (2)
    gives its subtype; everything else gives ``(type, -1, b"")``.
    """
    kind = frame[offset]
    if kind in (SYNC, SYNC_REPLY):
        sub = frame[offset + 1]
        n, pos = read_var_uint(frame, offset + 2)
        return SYNC, sub, frame[pos : pos + n]
    if kind == AUTH:
        return AUTH, frame[offset + 1], frame[offset + 2 :]
    return kind, -1, b""

"""Live documents: the y-websocket protocol, rooms, their registry, storage and relay interfaces.

This package knows no HTTP, SQL or Redis: the server hands it implementations of
:class:`~collab.store.DocumentStore` and :class:`~collab.relay.Relay`.
"""

from collab.group_commit import GroupCommitStore
from collab.peer import CloseCode, Peer, Transport
from collab.protocol import LimitExceeded, ProtocolError
from collab.relay import MemoryBroker, MemoryRelay, Relay, RelayKind
from collab.room import Room, RoomPolicy, RoomState
from collab.rooms import RoomLoadError, RoomRegistry
from collab.store import DocumentStore, HistoryEntry, LogStats, MemoryDocumentStore, StoreError

__all__ = [
    "CloseCode",
    "DocumentStore",
    "GroupCommitStore",
    "HistoryEntry",
    "LimitExceeded",
    "LogStats",
    "MemoryBroker",
    "MemoryDocumentStore",
    "MemoryRelay",
    "Peer",
    "ProtocolError",
    "Relay",
    "RelayKind",
    "Room",
    "RoomLoadError",
    "RoomPolicy",
    "RoomRegistry",
    "RoomState",
    "StoreError",
    "Transport",
]

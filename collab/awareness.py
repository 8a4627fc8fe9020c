"""Awareness (presence) of one room, following y-protocols' ``applyAwarenessUpdate``.

pycrdt ships an ``Awareness`` class, but it re-encodes every state with ``json.dumps`` and knows
nothing of which connection introduced a client id. A server needs both the raw pass-through (a
state is forwarded byte for byte, never re-serialised) and per-connection ownership (so that an
abrupt disconnect removes exactly the ids that connection brought). This module keeps those two
concerns and nothing else.

Wire format of an awareness update::

    varUint(n) • n × ( varUint(clientID) • varUint(clock) • varString(JSON(state) | "null") )
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

import msgspec
from pycrdt import write_var_uint

from collab.protocol import LimitExceeded, ProtocolError, read_var_uint

__all__ = ["AwarenessChange", "AwarenessEntry", "RoomAwareness", "decode_awareness_update"]

_NULL = b"null"


@dataclass(frozen=True, slots=True)
class AwarenessEntry:
    client_id: int
    clock: int
    state: bytes  # raw JSON text, ``b"null"`` for a client that left


@dataclass(slots=True)
class AwarenessChange:
    """What one update changed. ``update`` holds only the accepted entries, ready to forward."""

    update: bytes | None
    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    #: States of new client ids not taken because the room's presence was full.
    refused: int = 0


def decode_awareness_update(
    data: bytes, max_state_bytes: int | None = None, max_entries: int | None = None
) -> list[AwarenessEntry]:
    """Decode and validate an awareness update (each state must be JSON).

    Raises :class:`ProtocolError` for a malformed update, :class:`LimitExceeded` for a state
    over ``max_state_bytes`` or more than ``max_entries`` entries (checked before any is read).
    """
    count, pos = read_var_uint(data, 0)
    if count > len(data):  # each entry takes at least 3 bytes; refuse absurd counts early
        raise ProtocolError("awareness entry count exceeds the frame")
    if max_entries is not None and count > max_entries:
        raise LimitExceeded(f"awareness update of {count} states exceeds {max_entries}")
    entries: list[AwarenessEntry] = []
    for _ in range(count):
        client_id, pos = read_var_uint(data, pos)
        clock, pos = read_var_uint(data, pos)
        length, pos = read_var_uint(data, pos)
        end = pos + length
        if end > len(data):
            raise ProtocolError("awareness state runs past the end of the frame")
        state = data[pos:end]
        pos = end
        if max_state_bytes is not None and length > max_state_bytes:
            raise LimitExceeded(f"awareness state of {length} bytes exceeds {max_state_bytes}")
        if state != _NULL:
            try:
                msgspec.json.decode(state)
            except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # the second: bad UTF-8
                raise ProtocolError("awareness state is not JSON") from exc
        entries.append(AwarenessEntry(client_id, clock, state))
    if pos != len(data):
        raise ProtocolError("trailing bytes after the awareness update")
    return entries


def _encode(entries: Iterable[AwarenessEntry]) -> bytes:
    items = list(entries)
    parts = [write_var_uint(len(items))]
    for entry in items:
        parts.append(write_var_uint(entry.client_id))
        parts.append(write_var_uint(entry.clock))
        parts.append(write_var_uint(len(entry.state)))
        parts.append(entry.state)
    return b"".join(parts)


class RoomAwareness:
    """The presence states of one room; the server itself never has a state of its own.

    The room holds at most ``max_states`` states: a state of a client id the room does not
    hold yet is not taken once it is full, from a connection or from another node, so that the
    room's presence is bounded however many connections publish. A y-websocket client sends
    back every state it learns (a newcomer's first update holds everyone present), so a client's
    update may hold up to twice ``max_states`` entries plus its own; more is refused
    (:class:`LimitExceeded`) before anything is read — with that bound, no real client is ever
    refused for echoing a full room. A connection (an ``owner``) may publish
    ``max_ids_per_owner`` client ids of its own (a y-websocket connection has one).
    """

    def __init__(
        self,
        max_state_bytes: int | None = None,
        *,
        max_states: int | None = None,
        max_ids_per_owner: int | None = None,
    ) -> None:
        self._max_state_bytes = max_state_bytes
        self._max_states = max_states
        self._max_entries = (
            None if max_states is None else 2 * max_states + (max_ids_per_owner or 1)
        )
        self._max_ids_per_owner = max_ids_per_owner
        self._states: dict[int, bytes] = {}
        self._clocks: dict[int, int] = {}
        self._last_seen: dict[int, float] = {}
        self._owner: dict[int, Hashable] = {}

    @property
    def client_ids(self) -> list[int]:
        return list(self._states)

    def state(self, client_id: int) -> bytes | None:
        return self._states.get(client_id)

    def apply(
        self,
        data: bytes,
        owner: Hashable | None,
        now: float,
        vet: Callable[[bytes], bytes] | None = None,
    ) -> AwarenessChange:
        """Apply an update from ``owner``; raises :class:`ProtocolError` if it does not decode.

        ``vet``, when given, sees each state the update brings (raw JSON, never ``null``) and
        returns the state to keep and forward: the server uses it to write the connection's
        own name and role into what it publishes. A state it leaves as it was is forwarded
        byte for byte.

        A state is accepted when its clock is newer than the known one, or when it is a null
        state at the same clock for a client still present (y-protocols' rule). A clock-0 first
        state of an unknown client is dropped (an unknown client counts as clock 0), exactly as
        every y-websocket peer does: the client becomes visible once its clock moves. A state of
        a new client id is dropped while the room holds ``max_states`` (counted in
        ``AwarenessChange.refused``): that client edits as usual, unseen until a place frees.
        """
        from_client = owner is not None
        entries = decode_awareness_update(
            data, self._max_state_bytes, self._max_entries if from_client else None
        )
        if from_client and self._max_ids_per_owner is not None:
            self._check_ids_of(owner, entries, self._max_ids_per_owner)
        change = AwarenessChange(update=None)
        accepted: list[AwarenessEntry] = []
        rewritten = False
        for received in entries:
            entry = received
            cid = entry.client_id
            known = self._clocks.get(cid)
            present = cid in self._states
            is_null = entry.state == _NULL
            current = 0 if known is None else known
            if not (current < entry.clock or (current == entry.clock and is_null and present)):
                continue
            if not (present or is_null) and self._full():
                change.refused += 1
                continue
            if vet is not None and not is_null:
                state = vet(entry.state)
                if state != entry.state:
                    entry = AwarenessEntry(cid, entry.clock, state)
                    rewritten = True
            accepted.append(entry)
            self._clocks[cid] = entry.clock
            self._last_seen[cid] = now
            if is_null:
                if present:
                    del self._states[cid]
                    change.removed.append(cid)
                self._owner.pop(cid, None)
            else:
                self._states[cid] = entry.state
                if owner is not None:
                    self._owner[cid] = owner
                (change.updated if present else change.added).append(cid)
        if accepted:
            whole = len(accepted) == len(entries) and not rewritten
            change.update = data if whole else _encode(accepted)
        return change

    def _full(self) -> bool:
        return self._max_states is not None and len(self._states) >= self._max_states

    def _check_ids_of(self, owner: Hashable, entries: list[AwarenessEntry], limit: int) -> None:
        """Raise :class:`LimitExceeded`, before anything is applied, if ``entries`` would give
        ``owner`` more than ``limit`` client ids."""
        new = {
            e.client_id
            for e in entries
            if e.state != _NULL
            and self._owner.get(e.client_id) != owner
            and e.clock > self._clocks.get(e.client_id, 0)
        }
        if new:
            owned = sum(1 for who in self._owner.values() if who == owner)
            if owned + len(new) > limit:
                raise LimitExceeded(
                    f"awareness: {owned + len(new)} client ids from one connection exceed {limit}"
                )

    def remove_owned_by(self, owner: Hashable) -> AwarenessChange:
        """Remove every client id ``owner`` introduced (its connection closed)."""
        ids = [cid for cid, who in self._owner.items() if who == owner]
        return self.remove(ids)

    def remove(self, client_ids: Iterable[int]) -> AwarenessChange:
        """Remove states; the null entries keep the current clock, as y-protocols does."""
        removed = [cid for cid in client_ids if cid in self._states]
        for cid in removed:
            del self._states[cid]
            self._owner.pop(cid, None)
        if not removed:
            return AwarenessChange(update=None)
        update = _encode(AwarenessEntry(cid, self._clocks[cid], _NULL) for cid in removed)
        return AwarenessChange(update=update, removed=removed)

    def outdated(self, now: float, timeout: float) -> list[int]:
        """Client ids whose state was not renewed within ``timeout`` seconds."""
        return [cid for cid in self._states if now - self._last_seen.get(cid, now) >= timeout]

    def encode_all(self) -> bytes | None:
        """One update with every present state, for a newcomer or a QueryAwareness."""
        if not self._states:
            return None
        return _encode(
            AwarenessEntry(cid, self._clocks[cid], st) for cid, st in self._states.items()
        )

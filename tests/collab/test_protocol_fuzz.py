"""Property-based fuzzing of the decoders a client's bytes reach first: y-websocket frames,
awareness updates, state vectors.

The contract under test: every input either decodes or raises the protocol's own error
(:class:`ProtocolError`), never anything else; a valid frame round-trips byte for byte; a
declared length is checked against the frame before anything of that size is allocated; and a
room fed any of these frames stays whole — its document, its store, its other clients.
"""

from __future__ import annotations

import contextlib
import tracemalloc
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Text, write_var_uint

from collab import MemoryDocumentStore, MemoryRelay, ProtocolError, RoomRegistry
from collab.awareness import AwarenessEntry, decode_awareness_update
from collab.protocol import (
    Auth,
    AwarenessMessage,
    Message,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    awareness_message,
    decode_message,
    decode_state_vector,
    permission_denied_message,
    query_awareness_message,
    sync_step1_message,
    sync_step2_message,
    update_message,
)
from collab.room import RoomPolicy
from collab.store import apply_all, readable
from tests.collab.helpers import make_peer, text_updates

MAX_SAFE = (1 << 53) - 1
uints = st.integers(min_value=0, max_value=MAX_SAFE)


# --- valid frames ----------------------------------------------------------------------------


def encode(message: Message) -> bytes:
    """The frame of a decoded message, with the module's own encoders."""
    if isinstance(message, SyncStep1):
        return sync_step1_message(message.state_vector)
    if isinstance(message, SyncStep2):
        return sync_step2_message(message.update)
    if isinstance(message, SyncUpdate):
        return update_message(message.update)
    if isinstance(message, AwarenessMessage):
        return awareness_message(message.update)
    if isinstance(message, Auth):
        return permission_denied_message(message.reason)
    assert isinstance(message, QueryAwareness)
    return query_awareness_message()


def fields(message: Message) -> tuple[str, Any]:
    value = next((getattr(message, name) for name in type(message).__slots__), None)
    return type(message).__name__, value


@st.composite
def state_vectors(draw: st.DrawFn) -> bytes:
    clocks = draw(st.dictionaries(uints, uints, max_size=6))
    parts = [write_var_uint(len(clocks))]
    for client, clock in clocks.items():
        parts += [write_var_uint(client), write_var_uint(clock)]
    return b"".join(parts)


def _json_states() -> st.SearchStrategy[bytes]:
    values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=6,
    )
    return values.map(msgspec.json.encode)


@st.composite
def awareness_updates(draw: st.DrawFn) -> bytes:
    entries = draw(st.lists(st.tuples(uints, uints, _json_states()), max_size=4))
    parts = [write_var_uint(len(entries))]
    for client, clock, state in entries:
        parts += [write_var_uint(client), write_var_uint(clock), write_var_uint(len(state)), state]
    return b"".join(parts)


# Real document updates, not only opaque bytes: mutating them reaches Yrs' decoder too.
_REAL_UPDATES = text_updates((0, "Créer "), (6, "des ateliers"), (0, "« "), client_id=3)

payloads = st.binary(max_size=40) | st.sampled_from(_REAL_UPDATES)
messages: st.SearchStrategy[Message] = st.one_of(
    state_vectors().map(SyncStep1),
    payloads.map(SyncStep2),
    payloads.map(SyncUpdate),
    awareness_updates().map(AwarenessMessage),
    st.text(max_size=30).map(Auth),
    st.just(QueryAwareness()),
)
frames = messages.map(encode)


# --- mutations -------------------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, source: st.SearchStrategy[bytes] = frames) -> bytes:
    """A valid frame after a few random mutations: bit flips, truncation, duplication, splicing
    with another frame, insertion of bytes (huge varints among them), deletion."""
    frame = bytearray(draw(source))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "duplicate", "splice", "insert", "delete"]))
        at = draw(st.integers(0, len(frame)))
        if op == "flip" and frame:
            frame[min(at, len(frame) - 1)] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del frame[at:]
        elif op == "duplicate":
            frame = frame + frame
        elif op == "splice":
            other = draw(source)
            frame = frame[:at] + other[draw(st.integers(0, len(other))) :]
        elif op == "insert":
            frame[at:at] = draw(
                st.sampled_from(
                    [b"\xff\xff\xff\xff\x0f", b"\xff" * 7 + b"\x7f", b"\x80" * 9 + b"\x00", b"\x00"]
                )
                | st.binary(min_size=1, max_size=4)
            )
        elif op == "delete" and frame:
            del frame[at : at + draw(st.integers(1, 4))]
    return bytes(frame)


def decodes_or_refuses(frame: bytes) -> Message | None:
    """Decode ``frame``; ``None`` when refused. Any other exception fails the test."""
    try:
        return decode_message(frame)
    except ProtocolError:
        return None


# --- the decoder -----------------------------------------------------------------------------


class TestFrames:
    @given(frames)
    def test_a_valid_frame_round_trips_byte_for_byte(self, frame: bytes) -> None:
        message = decode_message(frame)
        assert encode(message) == frame

    @given(messages)
    def test_a_message_survives_encoding_and_decoding(self, message: Message) -> None:
        assert fields(decode_message(encode(message))) == fields(message)

    @given(frames, st.data())
    def test_every_truncation_of_a_frame_is_refused(
        self, frame: bytes, data: st.DataObject
    ) -> None:
        cut = data.draw(st.integers(0, len(frame) - 1))
        with pytest.raises(ProtocolError):
            decode_message(frame[:cut])

    @given(frames)
    def test_two_frames_in_one_are_refused(self, frame: bytes) -> None:
        with pytest.raises(ProtocolError, match="trailing"):
            decode_message(frame + frame)

    @settings(max_examples=500)
    @given(mutated())
    def test_a_mutated_frame_decodes_or_is_refused_never_anything_else(self, frame: bytes) -> None:
        message = decodes_or_refuses(frame)
        if message is not None:
            # What decodes means one thing: encoded again, it decodes to the same message. (Not
            # always to the same bytes: like lib0, the decoder takes a padded varint, 80 00 = 0.)
            assert fields(decode_message(encode(message))) == fields(message)

    @settings(max_examples=300)
    @given(st.binary(max_size=256))
    def test_random_bytes_decode_or_are_refused(self, frame: bytes) -> None:
        decodes_or_refuses(frame)

    @given(
        st.sampled_from([b"\x00\x00", b"\x00\x01", b"\x00\x02", b"\x01", b"\x02\x00"]), st.data()
    )
    def test_a_huge_declared_length_is_refused_without_allocating_it(
        self, header: bytes, data: st.DataObject
    ) -> None:
        length = data.draw(st.integers(min_value=1 << 20, max_value=MAX_SAFE))
        frame = header + write_var_uint(length) + data.draw(st.binary(max_size=64))
        tracemalloc.start()
        try:
            with pytest.raises(ProtocolError, match="runs past the end"):
                decode_message(frame)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 64 * 1024

    @given(
        st.sampled_from([b"", b"\x00", b"\x00\x00", b"\x00\x01", b"\x00\x02", b"\x01", b"\x02"]),
        # Up to 7 bytes: in range (49 bits), so the only fault is the end of the frame.
        st.binary(min_size=1, max_size=7).map(lambda b: bytes(x | 0x80 for x in b)),
    )
    def test_a_truncated_varint_is_refused(self, before: bytes, continued: bytes) -> None:
        # Wherever a varint is read (type, sync type, length, auth type), the frame ends in one
        # whose every byte says "more follows".
        with pytest.raises(ProtocolError, match="truncated varint"):
            decode_message(before + continued)

    @given(st.integers(min_value=1, max_value=1 << 20))
    def test_zero_padding_past_eight_bytes_is_refused_at_once(self, padding: int) -> None:
        with pytest.raises(ProtocolError, match="longer than 8 bytes"):
            decode_message(b"\x80" * (8 + padding) + b"\x00")

    @given(st.integers(min_value=4, max_value=MAX_SAFE), st.binary(max_size=8))
    def test_an_unknown_message_type_is_refused(self, kind: int, rest: bytes) -> None:
        with pytest.raises(ProtocolError, match="unknown message type"):
            decode_message(write_var_uint(kind) + rest)

    @given(st.integers(min_value=3, max_value=MAX_SAFE), st.binary(max_size=8))
    def test_an_unknown_sync_type_is_refused(self, sub: int, rest: bytes) -> None:
        with pytest.raises(ProtocolError, match="unknown sync message type"):
            decode_message(b"\x00" + write_var_uint(sub) + rest)

    @given(st.integers(min_value=1, max_value=MAX_SAFE), st.binary(max_size=8))
    def test_an_unknown_auth_type_is_refused(self, sub: int, rest: bytes) -> None:
        with pytest.raises(ProtocolError, match="unknown auth message type"):
            decode_message(b"\x02" + write_var_uint(sub) + rest)

    @given(st.integers(min_value=MAX_SAFE + 1, max_value=1 << 63))
    def test_a_varint_past_2_53_is_refused(self, value: int) -> None:
        with pytest.raises(ProtocolError, match=r"out of range|longer than 8 bytes"):
            decode_message(write_var_uint(value))


class TestPayloadDecoders:
    @settings(max_examples=300)
    @given(mutated(awareness_updates()))
    def test_an_awareness_update_decodes_or_is_refused(self, update: bytes) -> None:
        try:
            entries = decode_awareness_update(update, 64 * 1024, 1000)
        except ProtocolError:
            return
        assert all(isinstance(entry, AwarenessEntry) for entry in entries)

    @given(st.integers(min_value=1 << 20, max_value=MAX_SAFE), st.binary(max_size=32))
    def test_a_huge_awareness_count_is_refused_without_allocating(
        self, count: int, rest: bytes
    ) -> None:
        tracemalloc.start()
        try:
            with pytest.raises(ProtocolError):
                decode_awareness_update(write_var_uint(count) + rest)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 64 * 1024

    @settings(max_examples=300)
    @given(mutated(state_vectors()))
    def test_a_state_vector_decodes_or_is_refused(self, vector: bytes) -> None:
        try:
            decoded = decode_state_vector(vector)
        except ProtocolError:
            return
        assert all(0 <= k <= MAX_SAFE and 0 <= v <= MAX_SAFE for k, v in decoded.items())


# --- a room fed mutated frames ---------------------------------------------------------------

# Frames that pass the framing, carrying a mutated document update: what reaches Yrs.
well_framed_mutated_updates = mutated(st.sampled_from(_REAL_UPDATES)).map(update_message)


@pytest.mark.anyio
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(mutated() | well_framed_mutated_updates, min_size=1, max_size=12))
async def test_a_room_fed_mutated_frames_stays_whole(bad_frames: list[bytes]) -> None:
    """Whatever the frames, the room refuses or applies each (refusing only with a
    ProtocolError), keeps an honest client's edits from before and after, stores only rows that
    read back, and reloads with those edits.

    Not asserted: that the fuzzer's own content reloads as it was live. A frame may forge ids
    (a client id and clocks overlapping another update's), and Yjs has no defence against a
    writer forging ids: live and stored copies may then keep different ones of the forged
    structs. The honest client's edits, with ids of their own, are never among them.
    """
    store = MemoryDocumentStore()
    policy = RoomPolicy(max_document_bytes=64 * 1024, max_awareness_state_bytes=1024)
    reg = RoomRegistry(store, MemoryRelay(), policy=policy, idle_seconds=0)
    fuzzer, _ = make_peer()
    honest, honest_t = make_peer()
    before, after = text_updates((0, "avant "), (6, "après"), client_id=424242)
    async with reg.join("d", fuzzer) as room, reg.join("d", honest):
        await room.receive(honest, update_message(before))
        for frame in bad_frames:
            with contextlib.suppress(ProtocolError):
                await room.receive(fuzzer, frame)
        await room.receive(honest, update_message(after))
        await honest_t.wait_for(lambda: "avant après" in honest_t.text())
        await room.wait_durable()
        assert "avant après" in str(room.doc.get("t", type=Text))
    await reg.unload_idle_now()
    rows = await store.load("d")
    assert all(readable(row) for row in rows)
    reloaded = Doc()
    apply_all(reloaded, rows)
    assert "avant après" in str(reloaded.get("t", type=Text))

"""The y-websocket wire format, byte for byte (research/yjs_anchors.md §a.4, verified against
yjs 13.6.33 + y-protocols 1.0.7)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pycrdt import Doc, Text, get_state

from collab.awareness import RoomAwareness
from collab.protocol import (
    Auth,
    AwarenessMessage,
    ProtocolError,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    awareness_message,
    decode_message,
    permission_denied_message,
    query_awareness_message,
    read_var_uint,
    sync_step1_message,
    sync_step2_message,
    update_message,
    var_string,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def hi_update() -> bytes:
    doc = Doc(client_id=1)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    doc.get("t", type=Text).insert(0, "hi")
    return updates[0]


HI = "01 01 01 00 04 01 01 74 02 68 69 00"


class TestByteExactFrames:
    def test_sync_step1_of_an_empty_doc(self) -> None:
        assert sync_step1_message(Doc().get_state()) == h("00 00 01 00")

    def test_empty_sync_step2(self) -> None:
        assert sync_step2_message(b"\x00\x00") == h("00 01 02 00 00")

    def test_update_of_client_1_inserting_hi(self) -> None:
        assert hi_update() == h(HI)
        assert update_message(hi_update()) == h("00 02 0c " + HI)

    def test_state_vector_after_hi_and_its_sync_step1(self) -> None:
        assert get_state(hi_update()) == h("01 01 02")
        assert sync_step1_message(get_state(hi_update())) == h("00 00 03 01 01 02")

    def test_sync_step2_from_that_doc_to_an_empty_peer(self) -> None:
        doc = Doc()
        doc.apply_update(hi_update())
        assert sync_step2_message(doc.get_update(h("00"))) == h("00 01 0c " + HI)

    def test_delete_of_the_first_char(self) -> None:
        doc = Doc(client_id=1)
        doc.apply_update(hi_update())
        updates: list[bytes] = []
        doc.observe(lambda event: updates.append(event.update))
        doc.get("t", type=Text).__delitem__(0)
        assert updates == [h("00 01 01 01 00 01")]

    def test_state_vector_of_a_large_client_id(self) -> None:
        doc = Doc(client_id=3_000_000_000)
        doc.get("t", type=Text).insert(0, "x")
        assert doc.get_state() == h("01 80 bc c1 96 0b 01")

    def test_awareness_of_ann_and_her_leaving(self) -> None:
        state = b'{"user":{"name":"Ann"}}'
        entry = h("01 01 01") + bytes([len(state)]) + state
        assert awareness_message(entry) == h("01 1b 01 01 01 17") + state
        room = RoomAwareness()
        room.apply(entry, owner="a", now=0.0)
        assert awareness_message(room.remove([1]).update or b"") == h(
            "01 08 01 01 01 04 6e 75 6c 6c"
        )

    def test_an_awareness_state_that_is_not_utf8_is_refused_as_a_protocol_error(self) -> None:
        # msgspec raises UnicodeDecodeError, not DecodeError, on bad UTF-8 (found by fuzzing):
        # it went past the endpoint's handler as an unexpected error.
        with pytest.raises(ProtocolError, match="not JSON"):
            RoomAwareness().apply(b'\x01\x80\x01\x80\x01\x08["00\xc0\x80"]', "a", 0.0)

    def test_non_ascii_length_counts_utf8_bytes(self) -> None:
        assert var_string("Zoë") == h("04 5a 6f c3 ab")
        state = '{"user":{"name":"Zoë"}}'.encode()
        assert len(state) == 0x18

    def test_permission_denied_and_query_awareness(self) -> None:
        assert permission_denied_message("no") == h("02 00 02 6e 6f")
        assert query_awareness_message() == h("03")


class TestDecoding:
    def test_each_message_type(self) -> None:
        assert isinstance(decode_message(h("00 00 01 00")), SyncStep1)
        assert isinstance(decode_message(h("00 01 02 00 00")), SyncStep2)
        update = decode_message(h("00 02 0c " + HI))
        assert isinstance(update, SyncUpdate)
        assert update.update == h(HI)
        assert isinstance(decode_message(h("01 08 01 01 01 04 6e 75 6c 6c")), AwarenessMessage)
        auth = decode_message(h("02 00 02 6e 6f"))
        assert isinstance(auth, Auth)
        assert auth.reason == "no"
        assert isinstance(decode_message(h("03")), QueryAwareness)

    @pytest.mark.parametrize(
        ("frame", "why"),
        [
            ("", "empty"),
            ("80", "truncated varint"),
            ("04", "unknown message type"),
            ("00 03 00", "unknown sync message type"),
            ("00 02 0c 01", "runs past the end"),
            ("00 02 ff ff ff ff 0f 00", "runs past the end"),
            ("00 00 01 00 99", "trailing"),
            ("02 05 00", "unknown auth"),
            ("02 00 02 ff fe", "not UTF-8"),
            ("ff ff ff ff ff ff ff ff ff 01", "out of range"),
            ("80 80 80 80 80 80 80 80 00", "longer than 8 bytes"),
        ],
    )
    def test_malformed_frames_are_refused_with_a_reason(self, frame: str, why: str) -> None:
        with pytest.raises(ProtocolError, match=why):
            decode_message(h(frame))

    @given(st.integers(min_value=0, max_value=(1 << 53) - 1))
    def test_varuint_round_trip(self, value: int) -> None:
        from pycrdt import write_var_uint

        encoded = write_var_uint(value)
        assert read_var_uint(encoded, 0) == (value, len(encoded))

    @given(st.binary(max_size=64))
    def test_random_bytes_decode_or_raise_protocol_error(self, frame: bytes) -> None:
        with contextlib.suppress(ProtocolError):
            decode_message(frame)

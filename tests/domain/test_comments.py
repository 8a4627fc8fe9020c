"""A comment's bounds and who tidies a discussion (``domain.comments``)."""

from __future__ import annotations

import base64

import pytest

from domain import comments
from domain.errors import InvalidInput
from domain.roles import Role


def test_a_body_is_kept_trimmed_with_its_line_breaks() -> None:
    assert comments.body("  Deux bacs ?\r\nOu trois.  ") == "Deux bacs ?\nOu trois."
    assert comments.body("é" * comments.MAX_BODY) == "é" * 2000


@pytest.mark.parametrize(
    ("text", "code"),
    [(" \n\t ", "empty"), ("x" * 2001, "too_long"), ("un\x00deux", "control_character")],
)
def test_a_body_out_of_bounds_is_refused_in_the_forms_words(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        comments.body(text)
    assert refused.value.code == code
    if code == "empty":
        assert refused.value.message_fr == "Le commentaire est obligatoire."


def test_a_quote_is_one_line_of_500_characters_at_most() -> None:
    assert comments.quote(" un\n composteur ") == "un composteur"
    with pytest.raises(InvalidInput):
        comments.quote("x" * 501)
    with pytest.raises(InvalidInput):
        comments.quote("   ")


def test_an_anchor_is_base64_of_512_bytes_at_most() -> None:
    raw = bytes(range(40))
    assert comments.anchor(base64.b64encode(raw).decode(), "anchor_start") == raw
    for bad, code in (
        ("pas du base64", "invalid_anchor"),
        ("", "invalid_anchor"),
        (base64.b64encode(b"\0" * 513).decode(), "anchor_too_large"),
    ):
        with pytest.raises(InvalidInput) as refused:
            comments.anchor(bad, "anchor_end")
        assert refused.value.code == code


@pytest.mark.parametrize("role", list(Role))
def test_the_author_or_a_facilitator_resolves_and_deletes(role: Role) -> None:
    facilitator = role is Role.ANIMATEUR
    assert comments.may_resolve(role, author=True)
    assert comments.may_delete(role, author=True)
    assert comments.may_resolve(role, author=False) is facilitator
    assert comments.may_delete(role, author=False) is facilitator

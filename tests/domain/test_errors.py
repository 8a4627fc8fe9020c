"""The exception tree, French typography, and the checks on text people type."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    check_aware,
    check_id,
    check_line,
    check_text,
    normalize_line,
    normalize_text,
    typeset_fr,
)

NBSP, NNBSP = "\u00a0", "\u202f"


def line(value: str, max_length: int = 10) -> None:
    check_line(value, field="name", label_fr="le nom", label_en="name", max_length=max_length)


@pytest.mark.parametrize("kind", [Forbidden, InvalidTransition, Conflict, InvalidInput])
def test_every_refusal_is_a_domain_error(kind: type[DomainError]) -> None:
    error = kind("some_code", "En français.", "In English.", field="title")
    assert isinstance(error, DomainError)
    assert (error.code, error.message_fr, error.message_en, error.field) == (
        "some_code",
        "En français.",
        "In English.",
        "title",
    )
    assert str(error) == "some_code: In English."


def test_the_french_message_is_typeset() -> None:
    error = Conflict("x", "Code « ABCD » déjà utilisé : pourquoi ?", "Code already used.")
    assert error.message_fr == f"Code «{NBSP}ABCD{NBSP}» déjà utilisé{NBSP}: pourquoi{NNBSP}?"


@given(st.text())
def test_typesetting_is_idempotent(text: str) -> None:
    assert typeset_fr(typeset_fr(text)) == typeset_fr(text)


def test_normalize_line_trims_and_collapses_spaces() -> None:
    assert normalize_line("  Marie   Dupont \n") == "Marie Dupont"
    assert normalize_line("e\u0301lu") == "élu"  # NFC: one way to write « é »


def test_normalize_text_keeps_lines_and_unifies_line_ends() -> None:
    assert normalize_text("\n un\r\ndeux\rtrois  \n") == "un\ndeux\ntrois"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "empty"),
        ("x" * 11, "too_long"),
        ("a\x00b", "control_character"),
        ("a\x1bb", "control_character"),
        ("a\nb", "control_character"),
        ("a\tb", "control_character"),
        ("a\u202eb", "control_character"),  # right-to-left override
        ("a\u2066b", "control_character"),  # left-to-right isolate
        ("a\u2028b", "control_character"),  # line separator
        (" ab", "not_normalized"),
    ],
)
def test_a_line_refuses(value: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        line(value)
    assert caught.value.code == code
    assert caught.value.field == "name"
    assert caught.value.message_fr.startswith("Le nom")


@pytest.mark.parametrize("value", ["a", "x" * 10, "Zoé", "مريم", "李雷", "Ana 🌻", "a\u200fb"])
def test_a_line_accepts(value: str) -> None:
    line(value)


def test_multiline_text_allows_newlines_and_tabs_only() -> None:
    kwargs = {"field": "subject", "label_fr": "le sujet", "label_en": "subject"}
    check_text("un\n\tdeux", max_length=100, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="control_character"):
        check_text("un\x07deux", max_length=100, **kwargs)  # type: ignore[arg-type]


def test_too_short_names_the_minimum() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_line("ab", field="f", label_fr="le code", label_en="code", max_length=9, min_length=3)
    assert caught.value.code == "too_short"
    assert "3" in caught.value.message_fr


def test_too_long_says_how_long_it_was() -> None:
    with pytest.raises(InvalidInput) as caught:
        line("x" * 12)
    assert "12" in caught.value.message_fr
    assert "10" in caught.value.message_en


@pytest.mark.parametrize("value", ["a", "demo-atelier_1", "A" * 64])
def test_ids_accept(value: str) -> None:
    check_id(value)


@pytest.mark.parametrize("value", ["", "-a", "a b", "a/b", "é", "A" * 65])
def test_ids_refuse(value: str) -> None:
    with pytest.raises(InvalidInput, match="invalid_id"):
        check_id(value)


def test_naive_datetimes_are_refused() -> None:
    check_aware(datetime(2017, 12, 12, tzinfo=UTC), "now")
    with pytest.raises(InvalidInput) as caught:
        check_aware(datetime(2017, 12, 12), "now")
    assert (caught.value.code, caught.value.field) == ("naive_datetime", "now")

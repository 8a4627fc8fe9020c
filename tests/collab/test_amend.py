"""Passages anchored by real yjs (``tests/interop/anchors.mjs``: the relative positions the
browser makes), found and replaced with pycrdt: exactly, whatever the characters before them
(accents count two bytes, an emoji two UTF-16 units), whatever was edited or deleted since,
and never a crash on positions that are not the document's."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map, XmlFragment

from collab.amend import RECEIPTS, apply_amendment, apply_once, detached, locate, section_texts
from domain.amendments import relative_position
from domain.errors import InvalidInput

ANCHORS = Path(__file__).resolve().parents[1] / "interop" / "anchors.mjs"
TEXT = "Le marché ouvre à 8 h 😀 le samedi matin."


def yjs(paragraphs: list[str], passages: list[tuple[int, int, int]]) -> tuple[Doc[Any], list[Any]]:
    spec = {"sections": {"s": paragraphs}, "passages": [["s", *p] for p in passages]}
    out = subprocess.run(
        ["node", str(ANCHORS)],
        check=True,
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=60,
    )
    made = json.loads(out.stdout)
    doc: Doc[Any] = Doc()
    doc.apply_update(base64.b64decode(made["update"]))
    return doc, [tuple(base64.b64decode(a) for a in pair) for pair in made["passages"]]


def units(text: str, index: int) -> int:
    """A character index as yjs counts (UTF-16 code units)."""
    return len(text[:index].encode("utf-16-le")) // 2


def text_of(doc: Doc[Any]) -> str:
    return str(doc.get("s", type=XmlFragment))


def test_a_passage_after_accents_and_an_emoji_is_found_and_replaced_exactly() -> None:
    start = TEXT.index("samedi")
    doc, ((a, b),) = yjs([TEXT, "Deux."], [(0, units(TEXT, start), units(TEXT, start + 6))])
    where = locate(doc.get_update(), "s", a, b)
    assert (where.text, where.start, where.end) == (0, start, start + 6)
    with doc.transaction():
        assert apply_amendment(doc, "s", a, b, "dimanche") == "replaced"
    assert text_of(doc) == (
        f"<paragraph>{TEXT.replace('samedi', 'dimanche')}</paragraph><paragraph>Deux.</paragraph>"
    )


def test_edits_before_and_inside_the_paragraph_are_followed() -> None:
    start = TEXT.index("samedi")
    doc, ((a, b),) = yjs([TEXT], [(0, units(TEXT, start), units(TEXT, start + 6))])
    text = section_texts(doc.get("s", type=XmlFragment))[0]
    text.insert(0, "Été : ")  # pycrdt counts UTF-8 bytes: 0 is 0 either way
    with doc.transaction():
        apply_amendment(doc, "s", a, b, "lundi")
    assert "Été : Le marché ouvre à 8 h 😀 le lundi matin." in text_of(doc)


def test_a_passage_to_the_end_of_its_paragraph_and_one_over_two_paragraphs() -> None:
    doc, anchors = yjs(
        [TEXT, "Deux."],
        [(0, 0, units(TEXT, len(TEXT))), (1, 1, 3)],
    )
    whole = locate(doc.get_update(), "s", *anchors[0])
    assert (whole.text, whole.start, whole.end) == (0, 0, len(TEXT))
    spans = locate(doc.get_update(), "s", anchors[0][0], anchors[1][1])
    assert spans.text is None
    other_section = locate(doc.get_update(), "t", *anchors[0])
    assert other_section.text is None


def test_a_deleted_passage_is_detached_and_its_replacement_kept() -> None:
    start = TEXT.index("samedi")
    doc, anchors = yjs([TEXT, "Deux mots."], [(0, units(TEXT, start), units(TEXT, start + 6))])
    fragment = doc.get("s", type=XmlFragment)
    text = section_texts(fragment)[0]
    byte = len(TEXT[:start].encode())
    del text[byte : byte + len("samedi")]
    ((a, b),) = anchors
    assert detached(doc.get_update(), [("s", a, b)]) == [True]
    with doc.transaction():
        assert apply_amendment(doc, "s", a, b, "jeudi") == "inserted"
    assert "le jeudi matin." in text_of(doc)
    del fragment.children[0]
    assert detached(doc.get_update(), [("s", a, b)]) == [True]
    with doc.transaction():
        assert apply_amendment(doc, "s", a, b, "Jeudi.") == "appended"
    assert text_of(doc).endswith("<paragraph>Jeudi.</paragraph>")


def test_an_amendment_applied_while_someone_types_in_the_same_paragraph_merges() -> None:
    start = TEXT.index("samedi")
    server, ((a, b),) = yjs([TEXT], [(0, units(TEXT, start), units(TEXT, start + 6))])
    client: Doc[Any] = Doc()
    client.apply_update(server.get_update())
    typed = section_texts(client.get("s", type=XmlFragment))[0]
    typed.insert(len(typed), " Venez !")
    with server.transaction():
        apply_amendment(server, "s", a, b, "dimanche")
    server.apply_update(client.get_update())
    client.apply_update(server.get_update())
    expected = TEXT.replace("samedi", "dimanche") + " Venez !"
    assert text_of(server) == text_of(client) == f"<paragraph>{expected}</paragraph>"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00",
        b"\x00\x05",
        b"\x07\x01\x01",
        b"\x01\xff",
        b"\x00\x05\x07\x00\x00",
        b"\x00" + b"\xff" * 12,
    ],
)
def test_malformed_positions_are_refused_before_the_crdt_library_sees_them(raw: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        relative_position(raw, "anchor_start")
    assert refused.value.code == "invalid_anchor"


def test_positions_the_document_never_held_resolve_to_nothing() -> None:
    doc, ((a, _),) = yjs([TEXT], [(0, 0, 3)])
    other, ((c, d),) = yjs([TEXT], [(0, 0, 3)])
    del other
    assert locate(doc.get_update(), "s", c, d).text is None
    assert locate(doc.get_update(), "s", a, d).text is None
    with doc.transaction():
        assert apply_amendment(doc, "s", c, d, "") == "nothing"


# --- applying once ------------------------------------------------------------------------------


def once(doc: Doc[Any], a: bytes, b: bytes, text: str, **options: Any) -> tuple[str, bool]:
    with doc.transaction():
        return apply_once(doc, "am-1", "s", a, b, text, **options)


def test_an_amendment_applied_again_finds_its_receipt_and_edits_nothing() -> None:
    start = TEXT.index("samedi")
    doc, ((a, b),) = yjs([TEXT], [(0, units(TEXT, start), units(TEXT, start + 6))])
    assert once(doc, a, b, "dimanche") == ("replaced", True)
    after = doc.get_state()
    assert once(doc, a, b, "dimanche") == ("replaced", False)
    assert doc.get_state() == after  # not one byte written
    assert text_of(doc) == f"<paragraph>{TEXT.replace('samedi', 'dimanche')}</paragraph>"
    assert dict(doc.get(RECEIPTS, type=Map)) == {"am-1": "replaced"}
    assert "am-1" not in text_of(doc)  # the receipt is no section's text


def test_a_receipt_covers_what_the_passage_cannot_tell() -> None:
    # Replacing the first word: its anchors no longer resolve into one text afterwards, and a
    # second application would append « Ce » as a paragraph of its own; the receipt says no.
    doc, ((a, b),) = yjs([TEXT], [(0, 0, 2)])
    assert once(doc, a, b, "Ce", check_text=True) == ("replaced", True)
    assert once(doc, a, b, "Ce", check_text=True) == ("replaced", False)
    assert text_of(doc) == f"<paragraph>Ce{TEXT[2:]}</paragraph>"


def test_one_applied_before_receipts_is_recognised_by_its_text() -> None:
    start = TEXT.index("samedi")
    doc, ((a, b),) = yjs([TEXT, "Deux."], [(0, units(TEXT, start), units(TEXT, start + 6))])
    with doc.transaction():
        apply_amendment(doc, "s", a, b, "dimanche")  # as the server did before receipts
    expected = text_of(doc)
    assert once(doc, a, b, "dimanche", check_text=True) == ("replaced", False)
    assert text_of(doc) == expected
    assert dict(doc.get(RECEIPTS, type=Map)) == {"am-1": "replaced"}  # exact from now on


def test_one_appended_before_receipts_is_not_appended_again() -> None:
    start = TEXT.index("samedi")
    doc, ((a, b),) = yjs([TEXT, "Deux."], [(0, units(TEXT, start), units(TEXT, start + 6))])
    del doc.get("s", type=XmlFragment).children[0]
    with doc.transaction():
        assert apply_amendment(doc, "s", a, b, "Le dimanche.") == "appended"
    expected = text_of(doc)
    assert once(doc, a, b, "Le dimanche.", check_text=True) == ("appended", False)
    assert text_of(doc) == expected


def test_checking_the_text_still_applies_what_is_not_there() -> None:
    start = TEXT.index("samedi")
    doc, ((a, b),) = yjs([TEXT], [(0, units(TEXT, start), units(TEXT, start + 6))])
    assert once(doc, a, b, "dimanche", check_text=True) == ("replaced", True)
    assert "le dimanche matin." in text_of(doc)
    # A deletion is never taken as done: applied again, it finds nothing more to delete.
    doc, ((a, b),) = yjs([TEXT], [(0, units(TEXT, start), units(TEXT, start + 7))])
    with doc.transaction():
        apply_amendment(doc, "s", a, b, "")
    assert once(doc, a, b, "", check_text=True) == ("nothing", True)
    assert text_of(doc) == f"<paragraph>{TEXT.replace('samedi ', '')}</paragraph>"

"""Amendments on the live document: where a passage is, whether it is still there, replacing it.

A passage is anchored by two Yjs relative positions (as y-prosemirror's
``absolutePositionToRelativePosition`` makes them in the browser). pycrdt resolves a decoded
position to an offset, but not to the text it lies in, and cannot make positions in an
``XmlText``. So :func:`locate` finds the text by moving it: in a throwaway copy of the
document it inserts ``i + 1`` characters at the start of the section's i-th text; a position
inside text i moves by exactly ``i + 1``, a position in no text of the section does not move.

Every position is parsed first (:func:`domain.amendments.relative_position`) and checked
against the document's state vector, so the CRDT library is only handed an item it holds;
what it still cannot resolve (content collected with its deleted parent) counts as gone.

Applying is idempotent (:func:`apply_once`): in the same transaction as the edit, the document
notes a receipt under the amendment's id (the root map :data:`RECEIPTS`), so that the edit and
its receipt are durable together or not at all. An amendment applied before receipts existed is
recognised by its passage, which then reads as the replacement (a deleted item's position
resolves where it was, and pycrdt inserts after the deleted items: the anchors frame the
replacement).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from pycrdt import Doc, Map, StickyIndex, XmlElement, XmlFragment, XmlText

from domain.amendments import RelativePosition, relative_position

__all__ = [
    "RECEIPTS",
    "Applied",
    "Located",
    "apply_amendment",
    "apply_once",
    "detached",
    "locate",
    "section_texts",
]

Applied = Literal["replaced", "inserted", "appended", "nothing"]
_APPLIED: Final = ("replaced", "inserted", "appended", "nothing")

#: The root map of receipts, amendment id → how it went in. The colon keeps it apart from the
#: section keys (``domain.templates``: lowercase words); editors never bind it.
RECEIPTS: Final = "atelier:amendments"


@dataclass(frozen=True)
class Located:
    """Where a passage stands now: the index of its text among the section's texts (document
    order), and its start and end as character indices in that text. ``text`` None: in no
    text of the section (its paragraph was deleted, or the positions are between blocks)."""

    text: int | None
    start: int
    end: int
    #: Both positions resolve, but into two different texts.
    spans_blocks: bool = False

    @property
    def collapsed(self) -> bool:
        return self.text is None or self.end <= self.start


def section_texts(node: XmlFragment | XmlElement) -> list[XmlText]:
    """Every text under ``node``, in document order (a list item's paragraphs included)."""
    found: list[XmlText] = []
    for child in node.children:
        if isinstance(child, XmlText):
            found.append(child)
        elif isinstance(child, XmlElement):
            found.extend(section_texts(child))
    return found


def _plain(text: XmlText) -> str:
    """The text's characters without their formatting (an embed counts as one byte)."""
    return "".join(chunk if isinstance(chunk, str) else "\x00" for chunk, *_ in text.diff())


def _to_bytes(plain: str, index: int) -> int:
    """A character index as pycrdt's text methods count positions (UTF-8 bytes)."""
    return len(plain[:index].encode("utf-8"))


def _state_vector(doc: Doc[Any]) -> dict[int, int]:
    data, pos = doc.get_state(), 0

    def varuint() -> int:
        nonlocal pos
        value, shift = 0, 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    clients: dict[int, int] = {}
    for _ in range(varuint()):
        client = varuint()
        clients[client] = varuint()
    return clients


def _offset(doc: Doc[Any], raw: bytes, pos: RelativePosition, known: dict[int, int]) -> int | None:
    """The position's offset in its parent now, or None when it cannot be resolved here."""
    if pos.kind == "root" or pos.client is None or pos.clock is None:
        return None
    if pos.clock >= known.get(pos.client, 0):
        return None  # an item this document never saw
    try:
        with doc.transaction() as txn:
            return StickyIndex.decode(raw).get_index(txn)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:
        return None


def _locate_in(doc: Doc[Any], section: str, start: bytes, end: bytes) -> Located:
    positions = (relative_position(start, "anchor_start"), relative_position(end, "anchor_end"))
    known = _state_vector(doc)
    before = [_offset(doc, raw, p, known) for raw, p in zip((start, end), positions, strict=True)]
    if before[0] is None or before[1] is None:
        return Located(None, 0, 0)
    scratch: Doc[Any] = Doc()
    scratch.apply_update(doc.get_update())
    texts = section_texts(scratch.get(section, type=XmlFragment))
    with scratch.transaction():
        for i, text in enumerate(texts):
            text.insert(0, "\x01" * (i + 1))
    known = _state_vector(scratch)
    after = [
        _offset(scratch, raw, p, known) for raw, p in zip((start, end), positions, strict=True)
    ]
    if after[0] is None or after[1] is None:
        return Located(None, 0, 0)
    moved = (after[0] - before[0], after[1] - before[1])
    if moved[0] != moved[1]:
        return Located(None, before[0], before[1], spans_blocks=moved[0] > 0 and moved[1] > 0)
    if moved[0] <= 0 or moved[0] > len(texts):
        return Located(None, 0, 0)
    exact = _exact(doc, section, moved[0] - 1, (start, end), positions)
    if exact is None:
        return Located(None, 0, 0)
    return Located(moved[0] - 1, exact[0], exact[1])


def _exact(
    doc: Doc[Any],
    section: str,
    index: int,
    raws: tuple[bytes, bytes],
    positions: tuple[RelativePosition, RelativePosition],
) -> tuple[int, int] | None:
    """The two positions as character indices in the section's text ``index``.

    A resolved offset counts the whole items before a position in UTF-8 bytes but the part of
    its own item in UTF-16 units, so it is exact only when the position starts an item. In a
    copy, one marker goes before every character (and one at the end): each character is then
    an item of its own, and the offset, all in bytes, is walked back to a character index."""
    scratch: Doc[Any] = Doc()
    scratch.apply_update(doc.get_update())
    text = section_texts(scratch.get(section, type=XmlFragment))[index]
    plain = _plain(text)
    bounds = [0]
    for char in plain:
        bounds.append(bounds[-1] + len(char.encode("utf-8")))
    with scratch.transaction():
        for at in reversed(bounds):
            text.insert(at, "\x01")
    known = _state_vector(scratch)
    found = []
    for raw, pos in zip(raws, positions, strict=True):
        offset = _offset(scratch, raw, pos, known)
        if offset is None:
            return None
        # Just after the marker before character j: ``bounds[j] + j + 1`` bytes.
        found.append(
            next((j for j in range(len(bounds)) if offset <= bounds[j] + j + 1), len(plain))
        )
    return found[0], found[1]


def locate(state: bytes, section: str, start: bytes, end: bytes) -> Located:
    """Where the passage between ``start`` and ``end`` stands in the document ``state``."""
    doc: Doc[Any] = Doc()
    doc.apply_update(state)
    return _locate_in(doc, section, start, end)


def detached(state: bytes, passages: Sequence[tuple[str, bytes, bytes]]) -> list[bool]:
    """For each passage (section, start, end): whether its text is gone from ``state`` (its
    paragraph deleted, or the passage deleted so that its ends met). For a worker process."""
    doc: Doc[Any] = Doc()
    doc.apply_update(state)
    return [_locate_in(doc, *passage).collapsed for passage in passages]


def apply_amendment(
    doc: Doc[Any], section: str, start: bytes, end: bytes, replacement: str
) -> Applied:
    """Replace the passage with ``replacement`` in ``doc`` (to be run inside the room's edit
    transaction). A passage deleted meanwhile gets the replacement where it was if that place
    still resolves, else as a new paragraph at the end of its section: never lost."""
    where = _locate_in(doc, section, start, end)
    if where.text is not None:
        text = section_texts(doc.get(section, type=XmlFragment))[where.text]
        plain = _plain(text)
        first, last = _to_bytes(plain, where.start), _to_bytes(plain, where.end)
        first = min(first, last)  # a passage deleted meanwhile: its ends met (or crossed)
        if last > first:
            del text[first:last]
        if replacement:
            text.insert(first, replacement)
            return "replaced" if where.end > where.start else "inserted"
        return "replaced" if where.end > where.start else "nothing"
    if not replacement:
        return "nothing"
    paragraph = doc.get(section, type=XmlFragment).children.append(XmlElement("paragraph"))
    paragraph.children.append(XmlText(replacement))
    return "appended"


def _reads_as(
    doc: Doc[Any], section: str, start: bytes, end: bytes, replacement: str
) -> Applied | None:
    """How the text already says what the amendment would make it say, if it does: its
    passage reads as ``replacement`` (``"replaced"``) or, its paragraph gone, a paragraph of the
    section does (``"appended"``, what applying does then). A deletion is never taken as done:
    applying it again deletes nothing more."""
    if not replacement:
        return None
    texts = section_texts(doc.get(section, type=XmlFragment))
    where = _locate_in(doc, section, start, end)
    if where.text is not None:
        passage = _plain(texts[where.text])[where.start : where.end]
        return "replaced" if passage == replacement else None
    return "appended" if any(_plain(text) == replacement for text in texts) else None


def apply_once(
    doc: Doc[Any],
    amendment_id: str,
    section: str,
    start: bytes,
    end: bytes,
    replacement: str,
    *,
    check_text: bool = False,
) -> tuple[Applied, bool]:
    """:func:`apply_amendment` unless this amendment already went in; ``(how, edited now)``.

    Its receipt says so exactly. With ``check_text`` (an amendment whose first application was
    cut short, and may predate receipts), a text that already reads as the replacement counts
    too, and gets its receipt. To be run inside the room's edit transaction:
    the receipt is part of the same update as the edit."""
    receipts = doc.get(RECEIPTS, type=Map)
    noted = receipts.get(amendment_id)
    if noted in _APPLIED:
        return noted, False
    found = _reads_as(doc, section, start, end, replacement) if check_text else None
    if found is not None:
        receipts[amendment_id] = found
        return found, False
    how = apply_amendment(doc, section, start, end, replacement)
    receipts[amendment_id] = how
    return how, True

"""Amendments to a proposal: a participant proposes to replace a passage of one paragraph.

In « amendements » mode (``amendment_mode`` on the proposal, set by a facilitator) the
participants who are not facilitators read the live text and propose replacements instead of
writing; the facilitators accept them (the server applies the replacement to the live text),
reject them, or put them to a vote in one action. An amendment's passage is anchored like a
comment's (two Yjs relative positions, :func:`domain.comments.anchor`) and lies inside ONE
paragraph: both positions in the same text. Its fate is one of :class:`Fate`.

The anchors are parsed here (:func:`relative_position`), strictly: the CRDT library that
resolves them afterwards must only ever be handed bytes of the shape Yjs writes.

>>> replacement("  le  dimanche\\n matin ")
'le  dimanche matin'
>>> decidable("proposee"), decidable("acceptee")
(True, False)
>>> relative_position(bytes([0, 5, 7, 0]))
RelativePosition(kind='item', client=5, clock=7, name=None, assoc=0)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from domain.errors import InvalidInput, check_text, normalize_line, normalize_text

__all__ = [
    "KEEP_LABEL",
    "MAX_OPEN",
    "MAX_RATIONALE",
    "MAX_REPLACEMENT",
    "PROPOSING",
    "Fate",
    "RelativePosition",
    "decidable",
    "default_method",
    "invalid_anchor",
    "rationale",
    "relative_position",
    "replacement",
    "withdrawable",
]

#: The replacing text, in characters once normalized (empty: the passage is deleted).
MAX_REPLACEMENT: Final = 2000
#: Why the author proposes it, in characters (optional).
MAX_RATIONALE: Final = 1000
#: Amendments still open (proposed or at the vote) on one proposal: past it, 422.
MAX_OPEN: Final = 200
#: The first option of a vote on amendments.
KEEP_LABEL: Final = "Garder le texte actuel"
#: What someone whose role may not propose an amendment is told they tried (French, English):
#: proposing is allowed by ``Action.COMMENT`` (a contribution like a comment, the same people),
#: but the refusal names the amendment (:func:`domain.roles.require`).
PROPOSING: Final = ("proposer un amendement", "propose an amendment")


class Fate(StrEnum):
    """Where an amendment stands. ``applying`` is transient: the accepted status is written
    first as ``applying`` (under the row's lock), the text is edited, then ``acceptee``; an
    amendment found ``applying`` after a crash is applied again by the next accept (applying
    is idempotent enough: see :mod:`server.services.amendments`)."""

    PROPOSEE = "proposee"
    AU_VOTE = "au_vote"
    APPLYING = "applying"
    ACCEPTEE = "acceptee"
    REJETEE = "rejetee"
    RETIREE = "retiree"


#: Fates an amendment is still open in (it counts towards :data:`MAX_OPEN`).
OPEN: Final = frozenset({Fate.PROPOSEE.value, Fate.AU_VOTE.value, Fate.APPLYING.value})


def decidable(status: str) -> bool:
    """Whether a facilitator may accept, reject, or put it to the vote now: only while it is
    proposed (an amendment at the vote is decided by the vote's close)."""
    return status == Fate.PROPOSEE.value


def withdrawable(status: str) -> bool:
    """Whether its author may withdraw it: while nobody decided it (nor put it to the vote)."""
    return status == Fate.PROPOSEE.value


def replacement(text: str) -> str:
    """The replacing text as kept: plain text inside one paragraph, so one line (line breaks
    made spaces), NFC, trimmed; 0 to :data:`MAX_REPLACEMENT` characters, no control
    characters, else :class:`InvalidInput`."""
    kept = normalize_line(" ".join(normalize_text(text).split("\n")))
    check_text(
        kept,
        field="replacement",
        label_fr="le texte proposé",
        label_en="proposed text",
        max_length=MAX_REPLACEMENT,
        multiline=False,
    )
    return kept


def rationale(text: str | None) -> str | None:
    """The author's reason as kept (None when there is none), at most
    :data:`MAX_RATIONALE` characters."""
    if text is None:
        return None
    kept = normalize_text(text)
    check_text(
        kept,
        field="rationale",
        label_fr="la justification",
        label_en="rationale",
        max_length=MAX_RATIONALE,
    )
    return kept or None


def default_method(options: int) -> Literal["plurality"]:
    """The method of a vote on amendments when the facilitator chooses none: the console's
    default (plurality), for keep/amend as for several competing amendments."""
    del options
    return "plurality"


@dataclass(frozen=True)
class RelativePosition:
    """A Yjs relative position as ``Y.encodeRelativePosition`` writes it: relative to an item
    (a character: ``client``, ``clock``), to a root type by ``name``, or to a type by its
    item id; ``assoc`` ≥ 0 sticks to the right, < 0 to the left."""

    kind: Literal["item", "root", "type"]
    client: int | None
    clock: int | None
    name: str | None
    assoc: int


def invalid_anchor(field: str) -> InvalidInput:
    return InvalidInput(
        "invalid_anchor",
        "La position du passage est illisible.",
        "The passage's position cannot be read.",
        field=field,
    )


class _Reader:
    def __init__(self, data: bytes, field: str) -> None:
        self.data, self.pos, self.field = data, 0, field

    def varuint(self) -> int:
        value, shift = 0, 0
        while True:
            if self.pos >= len(self.data) or shift > 49:
                raise invalid_anchor(self.field)
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    def varint(self) -> int:
        if self.pos >= len(self.data):
            raise invalid_anchor(self.field)
        first = self.data[self.pos]
        self.pos += 1
        value, negative, shift = first & 0x3F, bool(first & 0x40), 6
        more = bool(first & 0x80)
        while more:
            if self.pos >= len(self.data) or shift > 48:
                raise invalid_anchor(self.field)
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            more = bool(byte & 0x80)
        return -value if negative else value

    def string(self) -> str:
        length = self.varuint()
        end = self.pos + length
        if end > len(self.data):
            raise invalid_anchor(self.field)
        try:
            text = self.data[self.pos : end].decode("utf-8")
        except UnicodeDecodeError:
            raise invalid_anchor(self.field) from None
        self.pos = end
        return text


def relative_position(raw: bytes, field: str = "anchor") -> RelativePosition:
    """Parse an encoded relative position completely (every byte accounted for), else
    :class:`InvalidInput` ``invalid_anchor``."""
    reader = _Reader(raw, field)
    tag = reader.varuint()
    client = clock = None
    name = None
    kind: Literal["item", "root", "type"]
    if tag == 0:
        kind, client, clock = "item", reader.varuint(), reader.varuint()
    elif tag == 1:
        kind, name = "root", reader.string()
    elif tag == 2:
        kind, client, clock = "type", reader.varuint(), reader.varuint()
    else:
        raise invalid_anchor(field)
    # Yjs writes the association last; positions encoded before it existed have none (0).
    assoc = reader.varint() if reader.pos < len(raw) else 0
    if reader.pos != len(raw) or (client is not None and client >= 2**53):
        raise invalid_anchor(field)
    return RelativePosition(kind, client, clock, name, assoc)

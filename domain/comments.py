"""Comments on a proposal: bounds on what is kept, and who may resolve or delete a thread.

A comment is anchored to a passage of one section by two Yjs relative positions (the passage's
start and end, as ``Y.encodeRelativePosition`` writes them, in base64), so that it follows the
edits made around it; the server keeps them as opaque bytes, bounded in size, and the quoted
passage as it was when commented (shown when the passage was deleted since). Commenting is
writing, short (``Action.COMMENT``); resolving and deleting belong to the comment's author and to
the facilitators, who keep the discussion tidy.

>>> body("  Pourquoi pas le samedi ?  ")
'Pourquoi pas le samedi ?'
>>> may_delete("habitant", author=False), may_delete("animateur", author=False)
(False, True)
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

from domain.errors import InvalidInput, check_text, normalize_line, normalize_text
from domain.roles import Action, Role, can

__all__ = [
    "MAX_ANCHOR_BYTES",
    "MAX_BODY",
    "MAX_QUOTE",
    "anchor",
    "body",
    "may_delete",
    "may_resolve",
    "quote",
]

#: A comment's text, in characters once trimmed: a remark, not a second proposal.
MAX_BODY: Final = 2000
#: The quoted passage, in characters: enough to recognise it once it is gone from the text.
MAX_QUOTE: Final = 500
#: One encoded relative position, in bytes. A real one is a few dozen (a client id, a clock, a
#: type's name, an association); the bound keeps a client from storing anything else there.
MAX_ANCHOR_BYTES: Final = 512


def body(text: str) -> str:
    """The comment as kept: NFC, line breaks made ``\\n``, trimmed; 1 to :data:`MAX_BODY`
    characters without control characters, else :class:`InvalidInput` (``empty``,
    ``too_long``, ``control_character``) with the words the comment form uses."""
    kept = normalize_text(text)
    check_text(
        kept,
        field="body",
        label_fr="le commentaire",
        label_en="comment",
        max_length=MAX_BODY,
        min_length=1,
    )
    return kept


def quote(text: str) -> str:
    """The quoted passage as kept: one line (a passage across paragraphs joins with spaces),
    at most :data:`MAX_QUOTE` characters, else :class:`InvalidInput`."""
    kept = normalize_line(" ".join(text.split()))
    check_text(
        kept,
        field="quote",
        label_fr="le passage cité",
        label_en="quoted passage",
        max_length=MAX_QUOTE,
        min_length=1,
        multiline=False,
    )
    return kept


def anchor(encoded: str, field: str) -> bytes:
    """One relative position, from its base64: 1 to :data:`MAX_ANCHOR_BYTES` bytes, else
    :class:`InvalidInput` ``invalid_anchor`` or ``anchor_too_large``."""
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not raw:
        raise InvalidInput(
            "invalid_anchor",
            "La position du passage commenté est illisible.",
            "The commented passage's position cannot be read.",
            field=field,
        )
    if len(raw) > MAX_ANCHOR_BYTES:
        raise InvalidInput(
            "anchor_too_large",
            f"La position du passage commenté dépasse {MAX_ANCHOR_BYTES} octets "
            f"({len(raw)} reçus).",
            f"The commented passage's position is over {MAX_ANCHOR_BYTES} bytes "
            f"({len(raw)} given).",
            field=field,
        )
    return raw


def _facilitates(role: Role | str) -> bool:
    return can(role, Action.MANAGE_SESSION)


def may_resolve(role: Role | str, *, author: bool) -> bool:
    """Whether someone may resolve (or reopen) a thread: the one who started it, or a
    facilitator."""
    return author or _facilitates(role)


def may_delete(role: Role | str, *, author: bool) -> bool:
    """Whether someone may delete a comment: its author, or a facilitator (moderation)."""
    return author or _facilitates(role)

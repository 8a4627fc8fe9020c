"""What a proposal becomes: frozen versions in a hash chain, and its way through the council.

Lifecycle (each step recorded with who and when)::

    brouillon → figee (v1, v2…) → transmise → en_instruction → adoptee | ajournee | rejetee

Freezing again (a later version) is allowed until the proposal is transmitted; an adopted
proposal gets implementation milestones (« suivi »). Who may do each step is the permission
table's (:mod:`domain.roles`).

A version never changes. Its hash is the SHA-256 of :func:`canonical` applied to
:func:`hashed_fields` — sorted-key JSON, UTF-8, no spaces — which includes the previous
version's hash: changing any stored version breaks every link after it, and :func:`verify_chain`
names the first broken one. Anyone can recompute it (the README gives the recipe).

Names (format 2, :data:`VERSION_FORMAT`). A person may ask for their name to be erased, and a
frozen version must still verify afterwards: so a version of format 2 holds no name in what is
hashed. Wherever a name stands — who froze it (``created_by``), who wrote in a section
(``contributors.named``), who asked to be named among those present (``attendance.named``) —
the hashed content holds a salted commitment, :func:`commitment` (``sha256(salt + name)``, a
fresh 256-bit salt per person and version), and the name and its salt are stored beside the
version, outside the hash: anyone holding both checks the name against the commitment, and
erasing them leaves the commitment, which no one can open again, and the hash intact. Versions
of format 1 (frozen before this) hold the names themselves and hash exactly as they always did.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Any, Final

from domain.errors import Forbidden, InvalidInput, InvalidTransition
from domain.roles import Action, Role, can

__all__ = [
    "DECISIONS",
    "GENESIS",
    "MAX_LIST_DEPTH",
    "VERSION_FORMAT",
    "ProposalStatus",
    "bound_depth",
    "canonical",
    "check_decision",
    "check_move",
    "commitment",
    "hashed_fields",
    "leaves_from",
    "md_escape",
    "rich_word_diff",
    "to_html",
    "to_markdown",
    "to_text",
    "verify_chain",
    "version_hash",
    "word_diff",
]

GENESIS: Final = "0" * 64  # the "previous hash" of version 1

#: The format new versions are frozen in: 2, names as salted commitments (module docstring).
#: Format 1 (names in the hashed content) is still read and verified as it was.
VERSION_FORMAT: Final = 2


class ProposalStatus(StrEnum):
    BROUILLON = "brouillon"
    FIGEE = "figee"
    TRANSMISE = "transmise"
    EN_INSTRUCTION = "en_instruction"
    ADOPTEE = "adoptee"
    AJOURNEE = "ajournee"
    REJETEE = "rejetee"

    @property
    def label_fr(self) -> str:
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]


_LABELS: Final = {
    ProposalStatus.BROUILLON: ("brouillon", "draft"),
    ProposalStatus.FIGEE: ("figée", "frozen"),
    ProposalStatus.TRANSMISE: ("transmise au conseil", "handed to the council"),
    ProposalStatus.EN_INSTRUCTION: ("en instruction", "under review"),
    ProposalStatus.ADOPTEE: ("adoptée", "adopted"),
    ProposalStatus.AJOURNEE: ("ajournée", "postponed"),
    ProposalStatus.REJETEE: ("rejetée", "rejected"),
}

DECISIONS: Final = frozenset(
    {ProposalStatus.ADOPTEE, ProposalStatus.AJOURNEE, ProposalStatus.REJETEE}
)

S = ProposalStatus
#: step -> (the statuses it leaves from, the status it leads to, the action it needs)
_MOVES: Final[Mapping[str, tuple[frozenset[ProposalStatus], ProposalStatus | None, Action]]] = {
    "freeze": (frozenset({S.BROUILLON, S.FIGEE}), S.FIGEE, Action.FREEZE),
    "transmit": (frozenset({S.FIGEE}), S.TRANSMISE, Action.TRANSMIT_TO_COUNCIL),
    "instruct": (frozenset({S.TRANSMISE}), S.EN_INSTRUCTION, Action.RECORD_DECISION),
    "decide": (frozenset({S.TRANSMISE, S.EN_INSTRUCTION}), None, Action.RECORD_DECISION),
    "milestone": (frozenset({S.ADOPTEE}), S.ADOPTEE, Action.RECORD_DECISION),
}


def check_move(
    step: str, status: ProposalStatus | str, role: Role | str | None
) -> ProposalStatus | None:
    """Raise unless ``role`` may take ``step`` from ``status``; return the status it leads to
    (None for ``decide``, whose outcome the caller gives). ``role`` None: the city's council
    credential, which may record decisions on any transmitted proposal."""
    leaves, leads, action = _MOVES[step]
    allowed = can(Role(role), action) if role is not None else action is Action.RECORD_DECISION
    if not allowed:
        raise Forbidden(
            "forbidden",
            "Votre rôle ne permet pas cette action.",
            "Your role does not allow this action.",
        )
    if ProposalStatus(status) not in leaves:
        current = ProposalStatus(status)
        raise InvalidTransition(
            f"proposal_{current.value}",
            f"La proposition est « {current.label_fr} » : impossible ici.",
            f"The proposal is {current.label_en}: not possible now.",
        )
    return leads


def leaves_from(step: str, status: ProposalStatus | str) -> bool:
    """Whether ``step`` may start from ``status`` (who may take it is :func:`check_move`'s): a
    séance's freeze passes over the proposals already handed over instead of refusing them all."""
    return ProposalStatus(status) in _MOVES[step][0]


# --- the hash chain ---------------------------------------------------------------------------


def canonical(value: object) -> bytes:
    """The one byte encoding that is hashed: JSON, keys sorted, no spaces, UTF-8 as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def commitment(salt: str, name: str) -> str:
    """A name as a format-2 version hashes it: the hex SHA-256 of the salt (64 hex digits, as
    stored) followed by the name, as one UTF-8 string. Without the salt it cannot be opened,
    not even by trying every name."""
    return hashlib.sha256((salt + name).encode("utf-8")).hexdigest()


def hashed_fields(
    *,
    proposal_id: str,
    number: int,
    created_at: str,
    created_by: str,
    prev_hash: str,
    content: Mapping[str, Any],
    state: bytes,
    format: int = 1,
) -> dict[str, Any]:
    """What a version's hash covers. ``created_at`` is the stored string (ISO 8601, UTC,
    ``2026-11-26T18:42:07.123456Z``); the exact Yjs state enters by its own SHA-256. From
    format 2 on, ``format`` is hashed too (and ``created_by`` and the names in ``content`` are
    commitments); format 1 has no such key, so old versions hash exactly as before."""
    fields = {
        "proposal_id": proposal_id,
        "version": number,
        "created_at": created_at,
        "created_by": created_by,
        "prev_hash": prev_hash,
        "state_sha256": hashlib.sha256(state).hexdigest(),
        "content": content,
    }
    if format != 1:
        fields["format"] = format
    return fields


def version_hash(**fields: Any) -> str:
    return hashlib.sha256(canonical(hashed_fields(**fields))).hexdigest()


def verify_chain(versions: Sequence[Mapping[str, Any]]) -> int | None:
    """The number of the first version whose stored hash or link is wrong, or None.

    Each item has ``proposal_id``, ``number``, ``created_at``, ``created_by``, ``prev_hash``,
    ``content``, ``state`` and the stored ``hash``, in version order, and ``format`` (1 when
    absent).
    """
    previous = GENESIS
    for expected_number, version in enumerate(versions, start=1):
        recomputed = version_hash(
            proposal_id=version["proposal_id"],
            number=version["number"],
            created_at=version["created_at"],
            created_by=version["created_by"],
            prev_hash=version["prev_hash"],
            content=version["content"],
            state=version["state"],
            format=int(version.get("format") or 1),
        )
        if (
            version["number"] != expected_number
            or version["prev_hash"] != previous
            or recomputed != version["hash"]
        ):
            return int(version["number"])
        previous = version["hash"]
    return None


# --- rendering blocks -------------------------------------------------------------------------
# A section's content is a list of blocks, as collab.render reads them from the Y document:
#   {"type": "paragraph" | "heading" | "blockquote", "level"?: int, "runs": [[text, [marks]]]}
#   {"type": "bullet_list" | "ordered_list", "items": [[block, …], …]}
# Marks: bold, italic, strike, code, underline, and ``link:<href>`` (a link to the web or an
# e-mail address, see :func:`link_of`). Anything else is rendered as plain text.
# Lists nest at most MAX_LIST_DEPTH deep (:func:`bound_depth`); nothing else nests.

#: Lists deeper than this are read as items of the deepest list. No one writes a proposal nine
#: lists deep, but anyone who may write can send one 500 deep, and every renderer (here, in
#: ``server.pdf``, the JSON encoder of the hash) would then recurse past Python's limit.
MAX_LIST_DEPTH: Final = 8

_MD_MARKS: Final = {"bold": "**", "italic": "_", "strike": "~~", "code": "`"}
_HTML_MARKS: Final = {
    "bold": "strong",
    "italic": "em",
    "strike": "s",
    "code": "code",
    "underline": "u",
}
_MD_SPECIAL = re.compile(r"([\\`*_~\[\]#<>|])")

Block = Mapping[str, Any]


def _flat_items(items: Iterable[Sequence[Block]]) -> list[list[Block]]:
    """The items of a list and of every list nested in them, as items of one list, in reading
    order: an item's blocks up to its first nested list, that list's items (flattened the same
    way), then the item's blocks after it as an item of their own. Iterative: any depth."""
    out: list[list[Block]] = []
    current: list[Block] | None = None
    # Each frame: (True, iterator over items) or (False, iterator over one item's blocks).
    stack: list[tuple[bool, Iterator[Any]]] = [(True, iter(items))]
    while stack:
        is_items, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            if is_items and current is not None:
                out.append(current)
                current = None
        elif is_items:
            if current is not None:
                out.append(current)
            current = []
            stack.append((False, iter(entry)))
        elif "items" in entry:
            if current:
                out.append(current)
            current = None
            stack.append((True, iter(entry["items"])))
        else:
            if current is None:
                current = []
            current.append(entry)
    if current is not None:
        out.append(current)
    return out


def bound_depth(blocks: Iterable[Block], max_depth: int = MAX_LIST_DEPTH) -> list[Block]:
    """``blocks`` with lists nested at most ``max_depth`` deep (a new structure): the items of
    deeper lists become items of the deepest one allowed, in reading order, so no text is lost.
    Blocks within the bound come back equal."""

    def bounded(blocks: Iterable[Block], depth: int) -> list[Block]:
        out: list[Block] = []
        for block in blocks:
            if "items" not in block:
                out.append(block)
            elif depth + 1 < max_depth:
                items = [bounded(item, depth + 1) for item in block["items"]]
                out.append({**block, "items": items})
            else:
                out.append({**block, "items": _flat_items(block["items"])})
        return out

    return bounded(blocks, 0)


def _runs(block: Block) -> list[tuple[str, list[str]]]:
    return [(str(text), [str(m) for m in marks]) for text, marks in block.get("runs", [])]


def to_text(blocks: Iterable[Block]) -> str:
    """Plain text: paragraphs separated by blank lines, list items one per line."""

    def plain(blocks: Iterable[Block]) -> str:
        out: list[str] = []
        for block in blocks:
            if "items" in block:
                out.append("\n".join(plain(item) for item in block["items"]))
            else:
                out.append("".join(text for text, _ in _runs(block)))
        return "\n\n".join(part for part in out if part)

    return plain(bound_depth(blocks))


def md_escape(text: str) -> str:
    """``text`` as literal Markdown: every character a renderer would read as markup (``<``
    starting raw HTML included) is backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", text)


_SAFE_HREF: Final = re.compile(r"(?:https?://|mailto:)\S{1,2000}", re.IGNORECASE)


def link_of(marks: Iterable[str]) -> str | None:
    """The address of a run's link (its ``link:<href>`` mark), when it is one a reader may
    follow: the web or an e-mail address. Anything else (``javascript:``) stays plain text."""
    for mark in marks:
        if mark.startswith("link:") and _SAFE_HREF.fullmatch(href := mark[5:]):
            return href
    return None


def _md_inline(block: Block) -> str:
    parts = []
    for text, marks in _runs(block):
        escaped = md_escape(text)
        for mark in marks:
            if mark in _MD_MARKS and escaped.strip():
                escaped = f"{_MD_MARKS[mark]}{escaped}{_MD_MARKS[mark]}"
        if (href := link_of(marks)) and escaped.strip():
            target = href.replace("<", "%3C").replace(">", "%3E")
            escaped = f"[{escaped}](<{target}>)"
        parts.append(escaped)
    return "".join(parts)


def to_markdown(blocks: Iterable[Block], *, heading_offset: int = 0) -> str:
    def markdown(blocks: Iterable[Block]) -> str:
        out: list[str] = []
        for block in blocks:
            kind = block.get("type")
            if kind in ("bullet_list", "ordered_list"):
                lines = []
                for i, item in enumerate(block["items"], start=1):
                    marker = f"{i}." if kind == "ordered_list" else "-"
                    body = markdown(item).replace("\n", "\n   ")
                    lines.append(f"{marker} {body}")
                out.append("\n".join(lines))
            elif kind == "heading":
                level = min(6, max(1, int(block.get("level", 1))) + heading_offset)
                out.append(f"{'#' * level} {_md_inline(block)}")
            elif kind == "blockquote":
                out.append("> " + _md_inline(block))
            else:
                out.append(_md_inline(block))
        return "\n\n".join(part for part in out if part)

    return markdown(bound_depth(blocks))


def _html_inline(block: Block) -> str:
    parts = []
    for text, marks in _runs(block):
        escaped = html.escape(text, quote=True)
        for mark in marks:
            if mark in _HTML_MARKS:
                tag = _HTML_MARKS[mark]
                escaped = f"<{tag}>{escaped}</{tag}>"
        if href := link_of(marks):
            escaped = f'<a href="{html.escape(href, quote=True)}" rel="nofollow">{escaped}</a>'
        parts.append(escaped)
    return "".join(parts)


def to_html(blocks: Iterable[Block], *, heading_offset: int = 0) -> str:
    """HTML built only from known tags around escaped text: nothing a writer typed can become
    markup, so it needs no sanitiser afterwards."""

    def markup(blocks: Iterable[Block]) -> str:
        out: list[str] = []
        for block in blocks:
            kind = block.get("type")
            if kind in ("bullet_list", "ordered_list"):
                tag = "ol" if kind == "ordered_list" else "ul"
                items = "".join(f"<li>{markup(item)}</li>" for item in block["items"])
                out.append(f"<{tag}>{items}</{tag}>")
            elif kind == "heading":
                level = min(6, max(1, int(block.get("level", 1))) + heading_offset)
                out.append(f"<h{level}>{_html_inline(block)}</h{level}>")
            elif kind == "blockquote":
                out.append(f"<blockquote><p>{_html_inline(block)}</p></blockquote>")
            else:
                out.append(f"<p>{_html_inline(block)}</p>")
        return "".join(out)

    return markup(bound_depth(blocks))


# --- differences ------------------------------------------------------------------------------

_WORDS = re.compile(r"\s+|[^\s]+")


def word_diff(before: str, after: str) -> list[dict[str, str]]:
    """Word by word: ``[{"op": "equal"|"insert"|"delete", "text": …}]``, whitespace kept, so
    joining the equal and delete parts gives ``before`` back, equal and insert give ``after``."""
    a, b = _WORDS.findall(before), _WORDS.findall(after)
    ops: list[dict[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            ops.append({"op": "delete", "text": "".join(a[i1:i2])})
        if tag in ("insert", "replace"):
            ops.append({"op": "insert", "text": "".join(b[j1:j2])})
        if tag == "equal":
            ops.append({"op": "equal", "text": "".join(a[i1:i2])})
    return [op for op in ops if op["text"]]


#: A word and its formatting: the word, then its pieces with their marks (one piece unless
#: the formatting changes inside the word, « **banc**s »).
Token = tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]


def _block_tokens(block: Block) -> list[Token]:
    """A textblock's words, found in its whole text (so that where a run starts does not split
    a word), each with the marks of its characters."""
    text, marks = "", []
    for run_text, run_marks in _runs(block):
        text += run_text
        marks.extend([tuple(sorted(set(run_marks)))] * len(run_text))
    tokens: list[Token] = []
    for match in _WORDS.finditer(text):
        pieces: list[tuple[str, tuple[str, ...]]] = []
        for i in range(match.start(), match.end()):
            if pieces and pieces[-1][1] == marks[i]:
                pieces[-1] = (pieces[-1][0] + text[i], marks[i])
            else:
                pieces.append((text[i], marks[i]))
        tokens.append((match.group(), tuple(pieces)))
    return tokens


def _rich_tokens(blocks: Iterable[Block]) -> list[Token]:
    """The words of ``blocks`` with their marks, separated as :func:`to_text` separates them
    (a blank line between blocks, a line between list items)."""

    def joined(parts: list[list[Token]], separator: str) -> list[Token]:
        out: list[Token] = []
        for part in (p for p in parts if p):
            if out:
                out.append((separator, ((separator, ()),)))
            out.extend(part)
        return out

    def plain(blocks: Iterable[Block]) -> list[Token]:
        parts: list[list[Token]] = []
        for block in blocks:
            if "items" in block:
                parts.append(joined([plain(item) for item in block["items"]], "\n"))
            else:
                parts.append(_block_tokens(block))
        return joined(parts, "\n\n")

    return plain(bound_depth(blocks))


def rich_word_diff(before: Iterable[Block], after: Iterable[Block]) -> list[dict[str, Any]]:
    """:func:`word_diff` over two sections' blocks, where words whose text stayed and whose
    marks changed (made bold, a link added) are ``{"op": "format", "text": …, "runs": [[text,
    marks after]…], "before": [[text, marks before]…]}``: a formatting-only change shows,
    instead of a diff that says « no change ». Equal, delete and format parts still give the
    text before; equal, insert and format the text after."""
    a, b = _rich_tokens(before), _rich_tokens(after)
    ops: list[dict[str, Any]] = []

    def pieces(tokens: list[Token]) -> list[list[Any]]:
        return [[text, list(marks)] for _, parts in tokens for text, marks in parts]

    def add(op: str, tokens: list[Token], was: list[Token] | None = None) -> None:
        text = "".join(word for word, _ in tokens)
        if not text:
            return
        if op == "format":
            ops.append(
                {"op": op, "text": text, "runs": pieces(tokens), "before": pieces(was or [])}
            )
        elif ops and ops[-1]["op"] == op:
            ops[-1]["text"] += text
        else:
            ops.append({"op": op, "text": text})

    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = a[i1:i2], b[j1:j2]
        if tag == "equal":
            add("equal", old)
        elif tag == "replace" and [w for w, _ in old] == [w for w, _ in new]:
            add("format", new, old)
        else:
            add("delete", old)
            add("insert", new)
    return ops


def check_decision(outcome: str, answer: str, reference: str | None) -> ProposalStatus:
    """A council decision: its outcome, the official answer (required), the délibération."""
    try:
        status = ProposalStatus(outcome)
    except ValueError:
        status = None
    if status not in DECISIONS:
        raise InvalidInput(
            "bad_decision",
            "La décision est « adoptee », « ajournee » ou « rejetee ».",
            "The decision is adoptee, ajournee or rejetee.",
            field="outcome",
        )
    if not answer.strip():
        raise InvalidInput(
            "answer_required",
            "La réponse officielle est obligatoire : les participant·es la liront.",
            "The official answer is required: participants will read it.",
            field="answer",
        )
    if status is ProposalStatus.ADOPTEE and not (reference or "").strip():
        raise InvalidInput(
            "reference_required",
            "Une adoption cite la délibération du conseil municipal.",
            "An adoption cites the council's délibération.",
            field="deliberation_ref",
        )
    assert status is not None
    return status

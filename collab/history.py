"""A document's history, rebuilt from its stored rows: revisions, past states, authorship.

The store keeps every row a document ever stored, with its time
(:meth:`collab.store.DocumentStore.history`). Here, without I/O:

* :func:`first_client` reads which Yjs client wrote a browser's update (its header): the
  server maps each client to the participant who used it (``document_authors``), and
  :func:`update_clients` finds whose edits each stored row brought.
* :func:`group_revisions` groups consecutive rows of the same authors, each within
  :data:`REVISION_GAP` of the last, into one revision: a workshop stores thousands of
  keystroke batches, a reader wants « Awa wrote for two minutes ». A row without structs (a
  deletion only: its state vector names no one) belongs to the revision it falls in.
* :func:`revision_sections` replays the rows up to a revision and returns each section's blocks
  (as :func:`collab.render.section_blocks` makes them) with each text run's author. Yrs does not
  tell who inserted a character, so authorship is followed from state to state: at each step the
  text is compared with the step before (common prefix and suffix, then a sequence match of the
  middle), and what was inserted goes to that step's author. A step is a revision; past
  :data:`ATTRIBUTION_STEPS` revisions the steps are sampled evenly (always ending at the revision
  asked for), and what was inserted during a sampled step goes to the author of its last
  revision. The text shown is always exact: every row is applied.
* :func:`section_nodes` and :func:`put_section` copy a section's content at a revision into the
  live document (a restore is a new edit: the history keeps going forward).

The heavy functions (``list_revisions``, ``revision_sections``, ``section_nodes``) take and
return picklable values: the server runs them in its render workers.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from collab.render import section_blocks
from collab.store import apply_all

__all__ = [
    "ATTRIBUTION_STEPS",
    "REVISION_GAP",
    "Revision",
    "first_client",
    "frame_client",
    "group_revisions",
    "list_revisions",
    "put_section",
    "revision_sections",
    "section_nodes",
    "update_clients",
]

#: Rows of the same authors further apart than this start a new revision.
REVISION_GAP = timedelta(seconds=60)

#: At most this many comparisons follow authorship up to a revision (see the module docstring).
ATTRIBUTION_STEPS = 300

#: Above this many characters compared (the product of both middles' lengths), a change is not
#: matched character by character: the whole middle counts as replaced.
_MATCH_LIMIT = 4_000_000


def _varuint(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varuint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def first_client(update: bytes, pos: int = 0) -> int | None:
    """The first Yjs client id whose structs ``update`` carries (a v1 update begins with the
    number of clients, then for the first one the number of its structs and its id); ``None``
    for an update that only deletes, or one too short to say. A browser's update carries its
    own client only. ``pos``: where the update starts in ``update``."""
    try:
        clients, pos = _varuint(update, pos)
        if clients == 0:
            return None
        _, pos = _varuint(update, pos)
        client, _ = _varuint(update, pos)
    except ValueError:
        return None
    return client


def frame_client(frame: bytes) -> int | None:
    """:func:`first_client` of the update a y-websocket sync frame carries (SyncStep2 or
    Update), read in place; ``None`` for any other frame."""
    try:
        kind, pos = _varuint(frame, 0)
        sub, pos = _varuint(frame, pos)
        if kind != 0 or sub not in (1, 2):
            return None
        _, pos = _varuint(frame, pos)  # the update's length
    except ValueError:
        return None
    return first_client(frame, pos)


def _state(doc: Doc[Any]) -> dict[int, int]:
    state = doc.get_state()
    count, pos = _varuint(state, 0)
    clocks: dict[int, int] = {}
    for _ in range(count):
        client, pos = _varuint(state, pos)
        clocks[client], pos = _varuint(state, pos)
    return clocks


def update_clients(datas: Sequence[bytes]) -> list[list[int]]:
    """For each row, in order, the Yjs clients whose edits it brought into the document: the
    rows are replayed and the document's state vector compared before and after each (a row's
    own state vector says nothing of structs that do not start at clock 0). Empty for a row
    that only deletes."""
    doc: Doc[Any] = Doc()
    before: dict[int, int] = {}
    out: list[list[int]] = []
    for data in datas:
        try:
            doc.apply_update(data)
        except BaseException as exc:  # Yrs panics are BaseExceptions
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            out.append([])
            continue
        after = _state(doc)
        out.append(sorted(c for c, clock in after.items() if clock > before.get(c, 0)))
        before = after
    return out


@dataclass(frozen=True, slots=True)
class Revision:
    """Rows ``start`` to ``end`` (exclusive) of a document's history, numbered from 1."""

    n: int
    start: int
    end: int
    at: datetime  # the time of its last row
    authors: tuple[str, ...]  # author keys (participant ids), in order of appearance
    size: int  # bytes stored


def group_revisions(
    times: Sequence[datetime],
    sizes: Sequence[int],
    clients: Sequence[Sequence[int]],
    author_of: Mapping[int, str],
    gap: timedelta = REVISION_GAP,
) -> list[Revision]:
    """Rows grouped into revisions (see the module docstring). A client no one is recorded for
    (the template's text, a server edit no one claimed) is the author ``""``."""
    revisions: list[Revision] = []
    start = 0
    current: tuple[str, ...] | None = None
    size = 0
    for i, at in enumerate(times):
        authors = tuple(dict.fromkeys(author_of.get(c, "") for c in clients[i]))
        joins = current is not None and (not authors or authors == current)
        if joins and at - times[i - 1] <= gap:
            size += sizes[i]
            continue
        if i > start:
            revisions.append(
                Revision(len(revisions) + 1, start, i, times[i - 1], current or (), size)
            )
        start, current, size = i, authors or None, sizes[i]
    if len(times) > start:
        revisions.append(
            Revision(len(revisions) + 1, start, len(times), times[-1], current or (), size)
        )
    return revisions


def list_revisions(
    times: Sequence[datetime], datas: Sequence[bytes], author_of: Mapping[int, str]
) -> list[Revision]:
    """A render worker's job: the revisions of a document's rows."""
    return group_revisions(times, [len(d) for d in datas], update_clients(datas), author_of)


# --- past states and who wrote them ----------------------------------------------------------

_SEPARATOR = "\n"  # between two textblocks of a section's flattened text


def _textblocks(blocks: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every block holding runs, in reading order (lists' items included, without recursion)."""
    stack: list[Iterator[Any]] = [iter(blocks)]
    while stack:
        block = next(stack[-1], None)
        if block is None:
            stack.pop()
        elif isinstance(block, list):  # a list item: its blocks
            stack.append(iter(block))
        elif "runs" in block:
            yield block
        else:
            stack.append(iter(block.get("items") or []))


def _flat(blocks: Iterable[Mapping[str, Any]]) -> str:
    return "".join(
        "".join(run[0] for run in block["runs"]) + _SEPARATOR for block in _textblocks(blocks)
    )


def _follow(before: str, after: str, owners: list[int], author: int) -> list[int]:
    """The owners of ``after``'s characters, given ``before``'s: kept characters keep theirs,
    inserted ones are ``author``'s."""
    prefix = 0
    limit = min(len(before), len(after))
    while prefix < limit and before[prefix] == after[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < limit - prefix
        and before[len(before) - 1 - suffix] == after[len(after) - 1 - suffix]
    ):
        suffix += 1
    old = before[prefix : len(before) - suffix]
    new = after[prefix : len(after) - suffix]
    if not old and new:
        # A word typed inside a sentence (« jardin| partagé » + « fleuri ») matches as
        # « fleuri » + a space as well as a space + « fleuri »: the typed space goes with the
        # word typed, so the insertion slides back over equal spaces.
        while prefix and after[prefix - 1] == new[-1] and new[-1].isspace():
            prefix -= 1
            new = after[prefix : prefix + len(new)]
        return owners[:prefix] + [author] * len(new) + owners[prefix:]
    middle: list[int] = []
    if new:
        if old and len(old) * len(new) <= _MATCH_LIMIT:
            matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                if tag == "equal":
                    middle += owners[prefix + i1 : prefix + i2]
                else:
                    middle += [author] * (j2 - j1)
        else:
            middle = [author] * len(new)
    return owners[:prefix] + middle + owners[len(owners) - suffix :]


def _owned(blocks: list[Any], owners: list[int]) -> list[Any]:
    """``blocks`` whose runs are split by owner: ``[text, marks, author]`` (author -1: none
    known)."""
    pos = 0
    for block in _textblocks(blocks):
        runs: list[list[Any]] = []
        for text, marks in block["runs"]:
            start = 0
            while start < len(text):
                who = owners[pos + start]
                end = start + 1
                while end < len(text) and owners[pos + end] == who:
                    end += 1
                runs.append([text[start:end], marks, who])
                start = end
            pos += len(text)
        pos += len(_SEPARATOR)
        block["runs"] = runs  # type: ignore[index]
    return blocks


def _steps(target: int, limit: int) -> list[int]:
    """The revisions (indexes, 0-based) authorship is followed at, up to ``target``."""
    if target + 1 <= limit:
        return list(range(target + 1))
    every = (target + 1) / limit
    picked = sorted({round((k + 1) * every) - 1 for k in range(limit)} | {target})
    return [i for i in picked if 0 <= i <= target]


def revision_sections(
    datas: Sequence[bytes],
    ends: Sequence[int],
    owners_of: Sequence[int],
    target: int,
    keys: Sequence[str],
    steps: int = ATTRIBUTION_STEPS,
) -> dict[str, list[Any]]:
    """A render worker's job: each section's blocks after revision ``target`` (0-based index
    into ``ends``, the revisions' row ends), runs tagged with their author's number from
    ``owners_of`` (one per revision, -1 for none)."""
    doc: Doc[Any] = Doc()
    applied = 0
    texts = {key: "" for key in keys}
    owners: dict[str, list[int]] = {key: [] for key in keys}
    blocks: dict[str, list[Any]] = {key: [] for key in keys}
    for step in _steps(target, steps):
        apply_all(doc, datas[applied : ends[step]])
        applied = ends[step]
        now = section_blocks(doc, keys)
        for key in keys:
            text = _flat(now[key])
            if text != texts[key]:
                owners[key] = _follow(texts[key], text, owners[key], owners_of[step])
                texts[key] = text
            blocks[key] = list(now[key])
    return {key: _owned(blocks[key], owners[key]) for key in keys}


# --- restoring a section -----------------------------------------------------------------------

#: A section's content as plain data: ``{"text": [[str, attrs | None], ...]}`` or
#: ``{"tag": str, "attrs": {...}, "children": [...]}``.
Node = dict[str, Any]


def section_nodes(datas: Sequence[bytes], end: int, key: str) -> list[Node]:
    """A render worker's job: section ``key``'s content after the first ``end`` rows, as
    :data:`Node` values (every element, attribute and formatted run)."""
    doc: Doc[Any] = Doc()
    apply_all(doc, datas[:end])
    out: list[Node] = []
    stack: list[tuple[Iterator[Any], list[Node]]] = [
        (iter(doc.get(key, type=XmlFragment).children), out)
    ]
    while stack:
        children, target = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
        elif isinstance(child, XmlText):
            target.append({"text": [[t, dict(a) if a else None] for t, a in child.diff()]})
        else:
            node: Node = {"tag": child.tag, "attrs": dict(child.attributes), "children": []}
            target.append(node)
            stack.append((iter(child.children), node["children"]))
    return out


def put_section(doc: Doc[Any], key: str, nodes: Sequence[Node]) -> None:
    """Replace section ``key``'s content in ``doc`` by ``nodes`` (call within one transaction:
    the room's edit)."""
    fragment = doc.get(key, type=XmlFragment)
    if len(fragment.children):
        del fragment.children[0 : len(fragment.children)]
    stack: list[tuple[Iterator[Node], Any]] = [(iter(nodes), fragment)]
    while stack:
        pending, parent = stack[-1]
        node = next(pending, None)
        if node is None:
            stack.pop()
        elif "text" in node:
            text = parent.children.append(XmlText())
            at = 0
            for part, attrs in node["text"]:
                if isinstance(part, str) and part:
                    text.insert(at, part, attrs or None)
                    at += len(part)
        else:
            element = parent.children.append(XmlElement(node["tag"], node.get("attrs") or None))
            stack.append((iter(node.get("children") or []), element))

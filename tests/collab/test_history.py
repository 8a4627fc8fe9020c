"""The history's pure parts (collab/history.py): whose client wrote an update, revisions grouped
by author and minute, a past state with who wrote each run, and a section copied back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from collab.history import (
    _steps,
    first_client,
    frame_client,
    group_revisions,
    list_revisions,
    put_section,
    revision_sections,
    section_nodes,
    update_clients,
)
from collab.protocol import sync_step2_message, update_message
from collab.render import section_blocks

T0 = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)


class Writers:
    """Two people's documents kept in step, every edit stored as a row with its time."""

    def __init__(self) -> None:
        self.docs = {"awa": Doc(client_id=1001), "bob": Doc(client_id=2002)}
        self.rows: list[bytes] = []
        self.times: list[datetime] = []

    def edit(self, who: str, seconds: float, change: Callable[[Doc[Any]], None]) -> bytes:
        doc = self.docs[who]
        before = doc.get_state()
        with doc.transaction():
            change(doc)
        update = doc.get_update(before)
        for other in self.docs.values():
            if other is not doc:
                other.apply_update(update)
        self.rows.append(update)
        self.times.append(T0 + timedelta(seconds=seconds))
        return update


def text_of(doc: Doc[Any]) -> XmlText:
    return doc.get("s", type=XmlFragment).children[0].children[0]


def new_paragraph(text: str) -> Callable[[Doc[Any]], None]:
    def change(doc: Doc[Any]) -> None:
        paragraph = doc.get("s", type=XmlFragment).children.append(XmlElement("paragraph"))
        paragraph.children.append(XmlText(text))

    return change


def insert(at: int, text: str, attrs: dict[str, Any] | None = None) -> Callable[[Doc[Any]], None]:
    return lambda doc: text_of(doc).insert(at, text, attrs)


AUTHORS = {1001: "awa", 2002: "bob"}


def test_an_update_names_its_writer_in_its_header_and_in_its_frame() -> None:
    w = Writers()
    first = w.edit("awa", 0, new_paragraph("Bonjour"))
    later = w.edit("bob", 1, insert(7, " à tous"))
    assert (first_client(first), first_client(later)) == (1001, 2002)
    assert frame_client(update_message(later)) == 2002
    assert frame_client(sync_step2_message(first)) == 1001
    deletion = w.edit("awa", 2, lambda doc: text_of(doc).__delitem__(slice(0, 3)))
    assert first_client(deletion) is None  # a deletion carries no struct
    assert frame_client(b"\x01\x02") is None  # awareness, not an update
    assert first_client(b"\x81") is None  # truncated
    # Replayed, each row names the clients whose edits it brought, wherever their clocks start.
    assert update_clients(w.rows) == [[1001], [2002], []]


def test_revisions_group_one_author_s_rows_within_a_minute() -> None:
    w = Writers()
    w.edit("awa", 0, new_paragraph("Un"))
    w.edit("awa", 30, insert(2, " deux"))
    w.edit("awa", 80, insert(7, " trois"))  # 50 s after the last: the same revision
    w.edit("bob", 85, insert(0, "> "))  # another author: a new one
    w.edit("bob", 90, lambda doc: text_of(doc).__delitem__(slice(0, 2)))  # deletion: joins
    w.edit("bob", 200, insert(0, "Et "))  # 110 s later: a new one
    w.edit("awa", 201, insert(0, "!"))
    revisions = list_revisions(w.times, w.rows, AUTHORS)
    assert [(r.n, r.start, r.end, r.authors) for r in revisions] == [
        (1, 0, 3, ("awa",)),
        (2, 3, 5, ("bob",)),
        (3, 5, 6, ("bob",)),
        (4, 6, 7, ("awa",)),
    ]
    assert revisions[0].at == w.times[2]
    assert revisions[1].size == len(w.rows[3]) + len(w.rows[4])
    # A client no one is recorded for (the template, a server edit no one claimed) is "".
    assert group_revisions(w.times[:1], [1], [[77]], {})[0].authors == ("",)
    assert group_revisions([], [], [], {}) == []


def _runs(sections: dict[str, list[Any]]) -> list[tuple[str, list[str], int]]:
    return [tuple(run) for block in sections["s"] for run in block["runs"]]  # type: ignore[misc]


def test_a_past_state_says_who_wrote_each_run() -> None:
    w = Writers()
    w.edit("awa", 0, new_paragraph("Un jardin, partagé."))
    w.edit("bob", 10, insert(len("Un jardin"), " fleuri", {"bold": {}}))
    w.edit("awa", 20, insert(0, "Vite ! "))
    revisions = list_revisions(w.times, w.rows, AUTHORS)
    ends = [r.end for r in revisions]
    owners = [1, 2, 1]
    assert _runs(revision_sections(w.rows, ends, owners, 0, ["s"])) == [
        ("Un jardin, partagé.", [], 1)
    ]
    assert _runs(revision_sections(w.rows, ends, owners, 1, ["s"])) == [
        ("Un jardin", [], 1),
        (" fleuri", ["bold"], 2),
        (", partagé.", [], 1),
    ]
    assert _runs(revision_sections(w.rows, ends, owners, 2, ["s"])) == [
        ("Vite ! Un jardin", [], 1),
        (" fleuri", ["bold"], 2),
        (", partagé.", [], 1),
    ]


def test_a_long_history_is_followed_at_sampled_steps_and_its_text_stays_exact() -> None:
    assert _steps(4, 10) == [0, 1, 2, 3, 4]
    steps = _steps(999, 300)
    assert len(steps) <= 301
    assert steps[-1] == 999
    assert steps == sorted(set(steps))
    w = Writers()
    w.edit("awa", 0, new_paragraph("a"))
    for i in range(1, 40):
        who = "bob" if i % 2 else "awa"
        w.edit(who, i * 100, insert(i, "b" if who == "bob" else "a"))
    revisions = list_revisions(w.times, w.rows, AUTHORS)
    assert len(revisions) == 40
    ends = [r.end for r in revisions]
    owners = [2 if r.authors == ("bob",) else 1 for r in revisions]
    exact = revision_sections(w.rows, ends, owners, 39, ["s"])
    sampled = revision_sections(w.rows, ends, owners, 39, ["s"], steps=5)
    text = "".join(run[0] for run in _runs(exact))
    assert text == "".join(run[0] for run in _runs(sampled)) == "ab" * 20
    assert len(_runs(exact)) == 40  # each letter its author's
    assert {run[2] for run in _runs(sampled)} <= {1, 2}


def test_a_section_copied_back_keeps_its_elements_and_formatting() -> None:
    w = Writers()

    def heading(doc: Doc[Any]) -> None:
        fragment = doc.get("s", type=XmlFragment)
        title = fragment.children.append(XmlElement("heading", {"level": "2"}))
        title.children.append(XmlText("Titre"))
        items = fragment.children.append(XmlElement("bulletList"))
        item = items.children.append(XmlElement("listItem"))
        paragraph = item.children.append(XmlElement("paragraph"))
        text = paragraph.children.append(XmlText("un "))
        text.insert(3, "point", {"italic": {}})

    w.edit("awa", 0, heading)
    past = section_blocks(w.docs["awa"], ["s"])
    w.edit("bob", 10, lambda doc: doc.get("s", type=XmlFragment).children.__delitem__(0))
    nodes = section_nodes(w.rows, 1, "s")
    live = w.docs["bob"]
    with live.transaction():
        put_section(live, "s", nodes)
    assert section_blocks(live, ["s"]) == past
    # Applied to the other copy, the restore converges.
    w.docs["awa"].apply_update(live.get_update(w.docs["awa"].get_state()))
    assert section_blocks(w.docs["awa"], ["s"]) == past


def test_a_word_typed_inside_a_sentence_is_its_writer_s_with_its_space() -> None:
    w = Writers()
    w.edit("awa", 0, new_paragraph("Un jardin partagé."))
    w.edit("bob", 10, insert(len("Un jardin"), " fleuri"))
    revisions = list_revisions(w.times, w.rows, AUTHORS)
    sections = revision_sections(w.rows, [r.end for r in revisions], [1, 2], 1, ["s"])
    assert _runs(sections) == [("Un jardin", [], 1), (" fleuri", [], 2), (" partagé.", [], 1)]

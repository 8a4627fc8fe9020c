"""Versions and their way to the council: the chain, the rendering, the diff, who moves what."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import Forbidden, InvalidInput, InvalidTransition
from domain.proposals import (
    GENESIS,
    MAX_LIST_DEPTH,
    ProposalStatus,
    bound_depth,
    canonical,
    check_decision,
    check_move,
    leaves_from,
    rich_word_diff,
    to_html,
    to_markdown,
    to_text,
    verify_chain,
    version_hash,
    word_diff,
)


def chain(n: int) -> list[dict[str, object]]:
    versions: list[dict[str, object]] = []
    previous = GENESIS
    for number in range(1, n + 1):
        version = {
            "proposal_id": "p",
            "number": number,
            "created_at": f"2018-01-{number:02d}T18:00:00.000000Z",
            "created_by": "Claire",
            "prev_hash": previous,
            "content": {"sections": [{"key": "constat", "text": f"état {number}"}]},
            "state": bytes([number]),
        }
        version["hash"] = version_hash(**{k: v for k, v in version.items()})
        versions.append(version)
        previous = str(version["hash"])
    return versions


def test_an_intact_chain_verifies_and_any_change_names_its_version() -> None:
    assert verify_chain(chain(4)) is None
    for field, forged in [
        ("content", {"sections": []}),
        ("created_by", "Quelqu’un"),
        ("created_at", "2019-01-01T00:00:00.000000Z"),
        ("state", b"\x00"),
    ]:
        versions = chain(4)
        versions[2][field] = forged
        assert verify_chain(versions) == 3
    relinked = chain(4)
    del relinked[1]  # a version removed: the next one's link breaks
    assert verify_chain(relinked) == 3


def test_rehashing_a_forged_version_still_breaks_the_next_link() -> None:
    versions = chain(3)
    versions[1]["content"] = {"sections": []}
    fields = {k: v for k, v in versions[1].items() if k != "hash"}
    versions[1]["hash"] = version_hash(**fields)
    assert verify_chain(versions) == 3


def test_the_canonical_encoding_is_sorted_compact_utf8() -> None:
    assert canonical({"b": "é", "a": [1, {"d": 2, "c": None}]}) == (
        '{"a":[1,{"c":null,"d":2}],"b":"é"}'.encode()
    )


BLOCKS = [
    {"type": "heading", "level": 1, "runs": [["Un titre", []]]},
    {"type": "paragraph", "runs": [["Texte ", []], ["gras", ["bold"]], [" <b>x</b> *y*", []]]},
    {"type": "bullet_list", "items": [[{"type": "paragraph", "runs": [["un", []]]}]]},
]


def test_html_is_built_from_known_tags_around_escaped_text() -> None:
    rendered = to_html(BLOCKS, heading_offset=2)
    assert rendered == (
        "<h3>Un titre</h3><p>Texte <strong>gras</strong> &lt;b&gt;x&lt;/b&gt; *y*</p>"
        "<ul><li><p>un</p></li></ul>"
    )
    sneaky = [{"type": "heading", "level": '1"><script>', "runs": []}]
    with pytest.raises(ValueError, match="invalid literal"):
        to_html(sneaky)  # a level is a number or nothing renders


def test_markdown_escapes_what_markdown_would_read_as_syntax() -> None:
    assert to_markdown(BLOCKS) == "# Un titre\n\nTexte **gras** \\<b\\>x\\</b\\> \\*y\\*\n\n- un"
    assert to_text(BLOCKS) == "Un titre\n\nTexte gras <b>x</b> *y*\n\nun"


def test_a_link_keeps_its_address_in_every_text_format_and_only_a_safe_one() -> None:
    linked = [
        {
            "type": "paragraph",
            "runs": [
                ["Voir ", []],
                ["le site", ["bold", "link:https://www.strasbourg.eu/?a=1&b=<2>"]],
                [" ou ", []],
                ["écrire", ["link:mailto:democratie@strasbourg.eu"]],
                [" mais pas ", []],
                ["ceci", ["link:javascript:alert(1)"]],
            ],
        }
    ]
    assert to_html(linked) == (
        '<p>Voir <a href="https://www.strasbourg.eu/?a=1&amp;b=&lt;2&gt;" rel="nofollow">'
        "<strong>le site</strong></a> ou "
        '<a href="mailto:democratie@strasbourg.eu" rel="nofollow">écrire</a> mais pas ceci</p>'
    )
    assert to_markdown(linked) == (
        "Voir [**le site**](<https://www.strasbourg.eu/?a=1&b=%3C2%3E>) ou "
        "[écrire](<mailto:democratie@strasbourg.eu>) mais pas ceci"
    )
    assert to_text(linked) == "Voir le site ou écrire mais pas ceci"


@given(st.text(max_size=60), st.text(max_size=60))
def test_a_word_diff_gives_back_both_texts(before: str, after: str) -> None:
    ops = word_diff(before, after)
    assert "".join(o["text"] for o in ops if o["op"] != "insert") == before
    assert "".join(o["text"] for o in ops if o["op"] != "delete") == after


def test_a_word_diff_works_on_words() -> None:
    assert word_diff("un jardin partagé", "un grand jardin partagé") == [
        {"op": "equal", "text": "un"},
        {"op": "insert", "text": " grand"},
        {"op": "equal", "text": " jardin partagé"},
    ]


@pytest.mark.parametrize(
    ("step", "status", "role", "leads"),
    [
        ("freeze", "brouillon", "animateur", ProposalStatus.FIGEE),
        ("freeze", "figee", "animateur", ProposalStatus.FIGEE),
        ("transmit", "figee", "animateur", ProposalStatus.TRANSMISE),
        ("instruct", "transmise", "conseil", ProposalStatus.EN_INSTRUCTION),
        ("instruct", "transmise", None, ProposalStatus.EN_INSTRUCTION),  # the council service
        ("milestone", "adoptee", "conseil", ProposalStatus.ADOPTEE),
    ],
)
def test_allowed_moves(step: str, status: str, role: str | None, leads: ProposalStatus) -> None:
    assert check_move(step, status, role) is leads


@pytest.mark.parametrize(
    ("step", "status", "role", "error"),
    [
        ("freeze", "brouillon", "habitant", Forbidden),
        ("freeze", "transmise", "animateur", InvalidTransition),  # handed over: no new version
        ("transmit", "brouillon", "animateur", InvalidTransition),  # freeze first
        ("decide", "transmise", "animateur", Forbidden),  # the council decides
        ("freeze", "figee", None, Forbidden),  # the council service never freezes
        ("milestone", "rejetee", "conseil", InvalidTransition),
    ],
)
def test_refused_moves(step: str, status: str, role: str | None, error: type[Exception]) -> None:
    with pytest.raises(error):
        check_move(step, status, role)


def test_a_freeze_leaves_from_a_draft_or_a_frozen_proposal_only() -> None:
    assert [s.value for s in ProposalStatus if leaves_from("freeze", s)] == ["brouillon", "figee"]


def test_a_decision_gives_the_official_answer_and_an_adoption_its_deliberation() -> None:
    assert check_decision("rejetee", "Hors compétence communale.", None) is ProposalStatus.REJETEE
    for outcome, answer, ref, code in [
        ("adoptee", "Oui.", None, "reference_required"),
        ("ajournee", "  ", None, "answer_required"),
        ("peut-etre", "Oui.", None, "bad_decision"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            check_decision(outcome, answer, ref)
        assert refused.value.code == code


# --- lists nested without end (issue 23, #7) ---------------------------------------------------


def para(text: str) -> dict[str, object]:
    return {"type": "paragraph", "runs": [[text, []]]}


def nested(depth: int, kind: str = "bullet_list") -> list[dict[str, object]]:
    """A list holding « niveau 1 » and a list holding « niveau 2 » and …, ``depth`` deep, each
    item followed by « après i »."""
    blocks: list[dict[str, object]] = []
    for level in range(depth, 0, -1):
        item = [para(f"niveau {level}"), *blocks, para(f"après {level}")]
        blocks = [{"type": kind, "items": [item]}]
    return blocks


def list_depth(blocks: list[dict[str, object]]) -> int:
    deepest, stack = 0, [(blocks, 0)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        for block in current:
            for item in block.get("items", []):  # type: ignore[attr-defined]
                stack.append((item, depth + 1))
    return deepest


def test_a_list_5000_deep_renders_everywhere_at_the_deepest_allowed_level_keeping_every_word() -> (
    None
):
    blocks = nested(5000)
    words = [f"niveau {n}" for n in range(1, 5001)] + [f"après {n}" for n in range(1, 5001)]
    bounded = bound_depth(blocks)
    assert list_depth(bounded) == MAX_LIST_DEPTH  # type: ignore[arg-type]
    text = to_text(blocks)
    assert [line for line in text.split("\n") if line] == [
        f"niveau {n}" for n in range(1, 5001)
    ] + [f"après {n}" for n in range(5000, 0, -1)]
    markdown, page = to_markdown(blocks), to_html(blocks)
    assert all(word in markdown and word in page for word in words)
    assert page.count("<ul>") == MAX_LIST_DEPTH
    assert len(canonical(bounded)) > 0  # the hash's encoder no longer recurses past its limit


@pytest.mark.parametrize("depth", range(1, MAX_LIST_DEPTH + 1))
def test_lists_within_the_bound_are_left_as_they_are(depth: int) -> None:
    blocks = nested(depth, "ordered_list")
    assert bound_depth(blocks) == blocks


def test_past_the_bound_the_deeper_items_follow_the_item_that_held_them() -> None:
    deepest = [para("a"), {"type": "bullet_list", "items": [[para("b")], [para("c")], []]}]
    blocks = [{"type": "bullet_list", "items": [deepest, [para("d")]]}]
    assert bound_depth(blocks, max_depth=1) == [
        {"type": "bullet_list", "items": [[para("a")], [para("b")], [para("c")], [], [para("d")]]}
    ]


def test_a_formatting_only_change_shows_in_the_diff_and_both_texts_come_back() -> None:
    def para(*runs: tuple[str, list[str]]) -> dict[str, object]:
        return {"type": "paragraph", "runs": [list(r) for r in runs]}

    before = [para(("Un jardin partagé ouvert le mercredi", []))]
    after = [
        para(("Un ", []), ("jardin partagé", ["bold"]), (" ouvert le ", []), ("samedi", [])),
        {"type": "bullet_list", "items": [[para(("des bancs", []))]]},
    ]
    ops = rich_word_diff(before, after)
    assert [op["op"] for op in ops] == ["equal", "format", "equal", "delete", "insert"]
    assert ops[1]["text"] == "jardin partagé"
    assert ops[1]["runs"] == [["jardin", ["bold"]], [" ", ["bold"]], ["partagé", ["bold"]]]
    assert ops[1]["before"][0] == ["jardin", []]
    assert "".join(op["text"] for op in ops if op["op"] != "insert") == to_text(before)
    assert "".join(op["text"] for op in ops if op["op"] != "delete") == to_text(after)
    # Only the formatting changed: the plain diff saw nothing, this one says so.
    same_words = [para(("Un jardin partagé", ["italic"]))]
    assert word_diff(to_text(before[:1]), to_text(before[:1])) == [
        {"op": "equal", "text": to_text(before)}
    ]
    assert [op["op"] for op in rich_word_diff([para(("Un jardin partagé", []))], same_words)] == [
        "format"
    ]

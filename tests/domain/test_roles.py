"""The permission table, cell by cell, against a copy written out here on purpose.

Changing a permission means changing ``domain/roles.py`` *and* the grid below: a permission
never changes by accident.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.errors import Forbidden, InvalidInput
from domain.roles import (
    INVITED_ROLES,
    OPEN_ROLES,
    PERMISSIONS,
    Action,
    Role,
    allowed_actions,
    can,
    require,
)

COLUMNS = ("habitant", "elu", "agent", "animateur", "conseil", "observateur")

# fmt: off
EXPECTED: dict[str, tuple[int, int, int, int, int, int]] = {
    #                              hab elu agt ani cns obs
    "read_atelier":                (1,  1,  1,  1,  1,  1),
    "edit_proposal":               (1,  1,  1,  1,  0,  0),
    "comment":                     (1,  1,  1,  1,  0,  0),
    "vote":                        (1,  0,  1,  0,  0,  0),
    "run_poll":                    (0,  0,  0,  1,  0,  0),
    "enter_proxy_ballot":          (0,  0,  0,  1,  0,  0),
    "manage_session":              (0,  0,  0,  1,  0,  0),
    "invite_elevated":             (0,  0,  0,  1,  0,  0),
    "revoke_participant":          (0,  0,  0,  1,  0,  0),
    "freeze":                      (0,  0,  0,  1,  0,  0),
    "reopen_draft":                (0,  0,  0,  1,  0,  0),
    "transmit_to_council":         (0,  0,  0,  1,  0,  0),
    "read_frozen":                 (1,  1,  1,  1,  1,  1),
    "record_decision":             (0,  0,  0,  0,  1,  0),
    "read_drafts_via_council_api": (0,  0,  0,  0,  0,  0),
    "manage_atelier":              (0,  0,  0,  1,  0,  0),
}
# fmt: on

CELLS = [
    (role, action, bool(allowed))
    for action, row in EXPECTED.items()
    for role, allowed in zip(COLUMNS, row, strict=True)
]


def test_the_grid_names_every_role_and_every_action() -> None:
    """A new role or action cannot slip in without a decision written in this test."""
    assert set(COLUMNS) == {r.value for r in Role}
    assert set(EXPECTED) == {a.value for a in Action}
    assert len(CELLS) == len(Role) * len(Action)


def test_the_table_decides_every_action() -> None:
    assert set(PERMISSIONS) == set(Action)


@pytest.mark.parametrize(("role", "action", "allowed"), CELLS)
def test_can_matches_the_grid(role: str, action: str, allowed: bool) -> None:
    assert can(Role(role), Action(action)) is allowed
    assert can(role, action) is allowed  # the strings read from storage and tokens


@pytest.mark.parametrize(("role", "action", "allowed"), CELLS)
def test_require_raises_exactly_where_can_says_no(role: str, action: str, allowed: bool) -> None:
    if allowed:
        require(role, action)
        return
    with pytest.raises(Forbidden) as caught:
        require(role, action)
    error = caught.value
    assert error.code == "forbidden"
    assert Role(role).label_fr in error.message_fr
    assert Role(role).label_en in error.message_en
    assert Action(action).label_fr in error.message_fr
    assert Action(action).label_en in error.message_en


def test_the_forbidden_message_reads_as_french() -> None:
    with pytest.raises(Forbidden) as vote:
        require(Role.ELU, Action.VOTE)
    assert vote.value.message_fr == "Votre rôle (élu·e) ne permet pas de voter."
    with pytest.raises(Forbidden) as poll:
        require(Role.OBSERVATEUR, Action.RUN_POLL)
    assert "ne permet pas d’organiser les votes" in poll.value.message_fr  # elided « de »
    assert poll.value.message_en.startswith("Your role (observer) does not allow you to run polls")


def test_a_refusal_names_what_was_tried_when_an_action_covers_it() -> None:
    """Proposing an amendment is allowed by COMMENT, and refused under its own name."""
    from domain.amendments import PROPOSING

    with pytest.raises(Forbidden) as amend:
        require(Role.OBSERVATEUR, Action.COMMENT, doing=PROPOSING)
    assert amend.value.code == "forbidden"
    assert amend.value.message_fr == (
        "Votre rôle (observateur·rice) ne permet pas de proposer un amendement."
    )
    assert amend.value.message_en == (
        "Your role (observer) does not allow you to propose an amendment."
    )
    require(Role.HABITANT, Action.COMMENT, doing=PROPOSING)  # the same roles as commenting


def test_nobody_reads_drafts_through_the_council_api() -> None:
    assert not any(can(role, Action.READ_DRAFTS_VIA_COUNCIL_API) for role in Role)


def test_council_staff_never_write() -> None:
    writing = {Action.EDIT_PROPOSAL, Action.COMMENT, Action.VOTE, Action.MANAGE_ATELIER}
    assert not allowed_actions(Role.CONSEIL) & writing


def test_observers_only_read() -> None:
    assert allowed_actions(Role.OBSERVATEUR) == {Action.READ_ATELIER, Action.READ_FROZEN}


def test_allowed_actions_agrees_with_can() -> None:
    for role in Role:
        assert allowed_actions(role) == {a for a in Action if can(role, a)}


@pytest.mark.parametrize("function", [can, require])
def test_an_unknown_role_is_an_error_not_a_no(function: Callable[[str, Action], object]) -> None:
    with pytest.raises(InvalidInput) as caught:
        function("admin", Action.READ_ATELIER)
    assert caught.value.code == "unknown_role"
    assert caught.value.field == "role"


def test_an_unknown_action_is_an_error_not_a_no() -> None:
    with pytest.raises(InvalidInput) as caught:
        can(Role.ANIMATEUR, "delete_everything")
    assert caught.value.code == "unknown_action"


def test_roles_have_french_and_english_labels() -> None:
    assert [r.label_fr for r in Role] == [
        "habitant·e",
        "élu·e",
        "agent",
        "animateur·rice",
        "conseil municipal",
        "observateur·rice",
    ]
    assert [r.label_en for r in Role] == [
        "resident",
        "elected official",
        "city agent",
        "facilitator",
        "city council staff",
        "observer",
    ]


def test_actions_have_french_and_english_labels() -> None:
    for action in Action:
        assert action.label_fr
        assert action.label_en


def test_habitants_and_observers_join_freely_the_others_by_invitation() -> None:
    assert {Role.HABITANT, Role.OBSERVATEUR} == OPEN_ROLES
    assert {Role.ELU, Role.AGENT, Role.ANIMATEUR, Role.CONSEIL} == INVITED_ROLES

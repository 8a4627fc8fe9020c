"""A poll's setup and lifecycle: who votes, who sees results when, and run-offs on a tie."""

from __future__ import annotations

import pytest

from domain.errors import Forbidden, InvalidInput, InvalidTransition
from domain.polls import (
    Poll,
    PollStatus,
    close_poll,
    live_breakdown,
    may_vote,
    new_poll,
    open_poll,
    publish_poll,
    quorum_reached,
    results_visible,
    roles_shown,
    runoff,
)
from domain.roles import Role
from domain.voting import DEFAULT_GRADES, ParamsError, tally

OPTIONS = [("Jardin partagé", None), ("Piste cyclable", "prop-1"), ("Boîte à livres", None)]


def poll(**extra: object) -> Poll:
    return new_poll("Priorités", "plurality", OPTIONS, session_id="s", atelier_id="a", **extra)  # type: ignore[arg-type]


def test_a_new_poll_is_a_draft_with_numbered_options_and_the_default_voters() -> None:
    p = poll()
    assert p.status is PollStatus.DRAFT
    assert [(o.id, o.label, o.proposal_id) for o in p.options] == [
        ("o1", "Jardin partagé", None),
        ("o2", "Piste cyclable", "prop-1"),
        ("o3", "Boîte à livres", None),
    ]
    assert p.voter_roles == {Role.HABITANT, Role.AGENT}
    assert p.secret is True
    assert p.hide_results is False


def test_the_lifecycle_goes_one_way_and_names_the_state_it_is_in() -> None:
    opened = open_poll(poll())
    closed = close_poll(opened)
    published = publish_poll(closed)
    assert [p.status for p in (opened, closed, published)] == ["open", "closed", "published"]
    with pytest.raises(InvalidTransition) as refused:
        open_poll(closed)
    assert refused.value.code == "poll_closed"
    with pytest.raises(InvalidTransition):
        publish_poll(opened)
    with pytest.raises(InvalidTransition):
        close_poll(poll())


def test_only_the_poll_s_roles_vote_and_only_while_it_is_open() -> None:
    p = poll(voter_roles=["habitant", "elu"])
    with pytest.raises(InvalidTransition) as refused:
        may_vote(p, "habitant")
    assert refused.value.code == "poll_not_open"
    opened = open_poll(p)
    may_vote(opened, "elu")  # this poll opened itself to élu·es
    with pytest.raises(Forbidden) as forbidden:
        may_vote(opened, "agent")
    assert forbidden.value.code == "not_a_voter"


@pytest.mark.parametrize(
    ("hide", "status", "resident", "facilitator"),
    [
        (False, "draft", False, False),
        (False, "open", True, True),  # a public poll: the room watches the result form
        (False, "closed", True, True),
        (True, "open", False, False),  # hidden: nobody, not even the facilitator, is herded
        (True, "closed", False, True),  # the facilitator sees them at the close…
        (True, "published", True, True),  # …and everyone once published
    ],
)
def test_who_sees_results_when(hide: bool, status: str, resident: bool, facilitator: bool) -> None:
    p = poll(hide_results=hide, secret=False)
    p = {
        "draft": lambda: p,
        "open": lambda: open_poll(p),
        "closed": lambda: close_poll(open_poll(p)),
        "published": lambda: publish_poll(close_poll(open_poll(p))),
    }[status]()
    assert results_visible(p, Role.HABITANT) is resident
    assert results_visible(p, Role.ANIMATEUR) is facilitator


def test_a_secret_poll_shows_no_result_and_no_role_until_the_close() -> None:
    """Two results read a ballot apart are that ballot: nothing but the total turnout."""
    p = open_poll(poll())
    assert not results_visible(p, Role.HABITANT)
    assert not results_visible(p, Role.ANIMATEUR)
    assert not live_breakdown(p)
    closed = close_poll(p)
    assert results_visible(closed, Role.HABITANT)
    assert live_breakdown(closed)
    assert live_breakdown(open_poll(poll(secret=False)))


@pytest.mark.parametrize(
    ("turnout", "shown"),
    [
        ({"habitant": 9, "agent": 3}, {"habitant", "agent"}),
        ({"habitant": 9, "agent": 1}, set()),  # total − habitant·es = the agent's ballot
        ({"habitant": 9, "elu": 4, "agent": 1}, {"habitant"}),  # élu·es withheld with them
        ({"habitant": 9, "elu": 2, "agent": 1}, {"habitant"}),  # 3 withheld together: enough
        ({"habitant": 2}, set()),  # the total alone, as for any poll
        ({"habitant": 5, "elu": 3, "agent": 0}, {"habitant", "elu"}),  # nobody to protect
        ({"habitant": 3, "elu": 3, "agent": 2, "conseil": 1}, {"habitant", "elu"}),
        ({"habitant": 3, "elu": 4, "agent": 1}, {"elu"}),  # the smallest goes first
    ],
)
def test_no_result_by_role_nor_difference_of_them_is_under_three_ballots(
    turnout: dict[str, int], shown: set[str]
) -> None:
    p = poll(voter_roles=["habitant", "elu", "agent", "conseil"])
    assert roles_shown(p, turnout) == shown
    # Every sum an observer can make: the total, the roles shown, the total minus those.
    withheld = sum(n for role, n in turnout.items() if role not in shown)
    assert not shown or withheld == 0 or withheld >= 3
    assert all(turnout[role] >= 3 for role in shown)
    assert roles_shown(poll(secret=False), turnout) == {r for r, n in turnout.items() if n}


def test_bad_setups_are_refused_with_the_field_at_fault() -> None:
    cases = [
        (dict(options=[("Seule", None)]), "option_count"),
        (dict(options=[("Parc", None), ("  parc ", None)]), "duplicate_option"),
        (dict(voter_roles=[]), "no_voter_roles"),
        (dict(quorum=0), "bad_quorum"),
    ]
    for extra, code in cases:
        options = extra.pop("options", OPTIONS)
        with pytest.raises(InvalidInput) as refused:
            new_poll("T", "plurality", options, session_id="s", atelier_id="a", **extra)  # type: ignore[arg-type]
        assert refused.value.code == code
    with pytest.raises(ParamsError) as bad:
        new_poll("T", "dots", OPTIONS, {}, session_id="s", atelier_id="a")
    assert bad.value.rule == "missing_param"


def test_majority_judgment_stores_its_grades_so_they_never_change_later() -> None:
    p = new_poll("T", "majority_judgment", OPTIONS, session_id="s", atelier_id="a")
    assert p.params["grades"] == list(DEFAULT_GRADES)


def test_quorum() -> None:
    assert quorum_reached(poll(), 0) is None
    assert quorum_reached(poll(quorum=10), 9) is False
    assert quorum_reached(poll(quorum=10), 10) is True


def test_a_run_off_takes_the_options_tied_for_first_and_keeps_the_rules() -> None:
    p = close_poll(open_poll(poll(hide_results=True, quorum=5)))
    tie = tally("plurality", ["o1", "o2", "o3"], [{"choice": "o1"}, {"choice": "o3"}])
    second = runoff(p, tie, of="poll-1")
    assert [o.label for o in second.options] == ["Jardin partagé", "Boîte à livres"]
    assert (second.runoff_of, second.hide_results, second.quorum) == ("poll-1", True, 5)
    assert second.status is PollStatus.DRAFT
    clear = tally("plurality", ["o1", "o2", "o3"], [{"choice": "o1"}])
    with pytest.raises(InvalidTransition) as refused:
        runoff(p, clear, of="poll-1")
    assert refused.value.code == "no_tie"
    with pytest.raises(InvalidTransition):
        runoff(open_poll(poll()), tie, of="poll-1")


def test_a_question_gets_one_run_off_at_most() -> None:
    p = close_poll(open_poll(poll()))
    tie = tally("plurality", ["o1", "o2", "o3"], [{"choice": "o1"}, {"choice": "o3"}])
    with pytest.raises(InvalidTransition) as twice:
        runoff(p, tie, of="poll-1", already=True)
    assert twice.value.code == "runoff_exists"
    second = close_poll(open_poll(runoff(p, tie, of="poll-1")))
    still_tied = tally("plurality", ["o1", "o3"], [{"choice": "o1"}, {"choice": "o3"}])
    with pytest.raises(InvalidTransition) as third:
        runoff(second, still_tied, of="poll-2")
    assert third.value.code == "runoff_of_runoff"

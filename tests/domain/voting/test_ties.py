"""Ties no rule breaks stay ties; IRV's simultaneous eliminations; votes with no ballots."""

from __future__ import annotations

from typing import Any

import pytest

from domain.voting import IrvDetails, IrvRound, Method, tally

OPTIONS = ["a", "b", "c"]

# Per method: ballots on which a and b tie for first, ahead of c.
TIED_FOR_FIRST: dict[Method, tuple[dict[str, Any], list[dict[str, Any]]]] = {
    Method.PLURALITY: ({}, [{"choice": "a"}, {"choice": "b"}]),
    Method.APPROVAL: ({}, [{"approve": ["a", "b"]}, {"approve": ["b", "a", "c"]}]),
    Method.DOTS: ({"dots_per_voter": 3}, [{"dots": {"a": 2, "b": 1}}, {"dots": {"b": 1}}]),
    Method.SCORE: (
        {},
        [{"scores": {"a": 5, "b": 3, "c": 0}}, {"scores": {"a": 1, "b": 3, "c": 1}}],
    ),
    Method.BORDA: ({}, [{"ranking": ["a", "b", "c"]}, {"ranking": ["b", "a", "c"]}]),
    Method.IRV: ({}, [{"ranking": ["a", "c"]}, {"ranking": ["b"]}]),
    Method.SCHULZE: ({}, [{"ranking": ["a", "b", "c"]}, {"ranking": ["b", "a"]}]),
    Method.MAJORITY_JUDGMENT: (
        {},
        [{"grades": {"a": 4, "b": 2, "c": 1}}, {"grades": {"a": 2, "b": 4, "c": 0}}],
    ),
}


@pytest.mark.parametrize("method", list(Method))
def test_a_tie_for_first_has_no_winner(method: Method) -> None:
    params, ballots = TIED_FOR_FIRST[method]
    result = tally(method, OPTIONS, ballots, params)
    assert result.ranking == [["a", "b"], ["c"]]
    assert result.winner is None


@pytest.mark.parametrize("method", list(Method))
def test_option_order_does_not_break_a_tie(method: Method) -> None:
    params, ballots = TIED_FOR_FIRST[method]
    result = tally(method, ["c", "b", "a"], ballots, params)
    assert result.ranking == [["b", "a"], ["c"]]  # tier order follows the options, nothing more
    assert result.winner is None


@pytest.mark.parametrize("method", list(Method))
def test_no_ballots_ties_everyone(method: Method) -> None:
    params = {"dots_per_voter": 1} if method is Method.DOTS else {}
    result = tally(method, OPTIONS, [], params)
    assert result.ranking == [OPTIONS]
    assert result.winner is None
    assert result.ballots_counted == 0


@pytest.mark.parametrize("method", list(Method))
def test_a_single_option_wins_even_unopposed(method: Method) -> None:
    params = {"dots_per_voter": 1} if method is Method.DOTS else {}
    assert tally(method, ["seul"], [], params).winner == "seul"


def test_majority_judgment_identical_grades_tie_all_the_way() -> None:
    # a and b received the same grades from different voters: their majority values are equal.
    ballots = [
        {"grades": {"a": 1, "b": 4, "c": 0}},
        {"grades": {"a": 4, "b": 1, "c": 0}},
        {"grades": {"a": 3, "b": 3, "c": 5}},
    ]
    result = tally("majority_judgment", OPTIONS, ballots, {})
    assert result.ranking == [["a", "b"], ["c"]]  # c: grades 0 0 5, majority grade 0


def test_majority_judgment_no_ballots_has_no_majority_grades() -> None:
    result = tally("majority_judgment", OPTIONS, [], {})
    assert result.scores == {}


# --- IRV -----------------------------------------------------------------------------------------


def irv(options: list[str], groups: list[tuple[int, list[str]]]) -> Any:
    ballots = [{"ranking": ranking} for count, ranking in groups for _ in range(count)]
    return tally("irv", options, ballots, {})


def test_irv_eliminates_every_option_tied_for_fewest_together() -> None:
    result = irv(
        ["a", "b", "c", "d"],
        [(4, ["a"]), (3, ["b"]), (1, ["c", "b"]), (1, ["d", "a"])],
    )
    # Round 1: a 4, b 3, c 1, d 1 of 9 — no majority; c and d go out together.
    # Round 2: a 5, b 4 — a has a majority.
    assert isinstance(result.details, IrvDetails)
    assert result.details.rounds[0].eliminated == ["c", "d"]
    assert result.details.rounds[1].counts == {"a": 5, "b": 4}
    assert result.details.majority_round == 1
    assert result.ranking == [["a"], ["b"], ["c", "d"]]


def test_irv_eliminates_options_nobody_ranks_first_in_round_one() -> None:
    result = irv(["a", "b", "c", "d", "e"], [(3, ["a", "b"]), (2, ["b", "c", "d"])])
    # Round 1: a 3, b 2, c 0, d 0, e 0 — c, d and e go out together, though ranked.
    assert isinstance(result.details, IrvDetails)
    assert result.details.rounds[0].counts == {"a": 3, "b": 2, "c": 0, "d": 0, "e": 0}
    assert result.details.rounds[0].eliminated == ["c", "d", "e"]
    assert result.ranking == [["a"], ["b"], ["c", "d", "e"]]
    assert result.details.majority_round == 0  # 3 of 5 already


def test_irv_exhausted_ballots_drop_out() -> None:
    result = irv(["a", "b", "c"], [(2, ["a"]), (2, ["b"]), (1, ["c"])])
    # Round 1: a 2, b 2, c 1; c goes, and its only ballot ranks nothing else.
    # Round 2: a 2, b 2, 1 exhausted: no majority of 4, and a and b cannot be split.
    assert isinstance(result.details, IrvDetails)
    assert result.details.rounds[1].exhausted == 1
    assert result.details.rounds[1].eliminated == []
    assert result.details.majority_round is None
    assert result.ranking == [["a", "b"], ["c"]]
    assert result.winner is None


def test_irv_empty_rankings_are_counted_and_exhausted_at_once() -> None:
    result = irv(["a", "b"], [(2, []), (1, ["b"])])
    assert result.ballots_counted == 3
    assert isinstance(result.details, IrvDetails)
    assert result.details.rounds[0].exhausted == 2
    assert result.winner == "b"  # 1 of the 1 ballot still in the count


def test_irv_no_ballots_is_one_round_of_zeros() -> None:
    result = irv(["a", "b", "c"], [])
    assert isinstance(result.details, IrvDetails)
    assert result.details.rounds == [
        IrvRound(counts=dict.fromkeys("abc", 0), exhausted=0, eliminated=[])
    ]
    assert result.details.majority_round is None
    assert result.ranking == [["a", "b", "c"]]


def test_irv_rounds_after_the_majority_order_the_others() -> None:
    result = irv(
        ["a", "b", "c", "d"],
        [(7, ["a"]), (3, ["b"]), (2, ["c"]), (1, ["d", "c"])],
    )
    # Round 1: a 7 of 13 is a majority: a wins. The count goes on to order the rest:
    # d goes out and passes to c; round 2: b 3, c 3 — they go out together.
    assert isinstance(result.details, IrvDetails)
    assert result.details.majority_round == 0
    assert result.details.rounds[1].counts == {"a": 7, "b": 3, "c": 3}
    assert result.ranking == [["a"], ["b", "c"], ["d"]]

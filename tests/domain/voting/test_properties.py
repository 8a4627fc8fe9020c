"""Properties every method must have, over random votes (hypothesis)."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.voting import Method, Result, RunningTally, tally

from .strategies import (
    INCREMENTAL,
    METHODS,
    Ballot,
    ballots_for,
    ballots_topped_by,
    neutral_ballots,
    options,
    params_for,
    sets,
    votes,
)

# Small votes hit the interesting cases (ties, exhausted ballots, cycles) within few examples;
# 30 per property keeps the suite near 10 s, half its time budget.
PROPERTY = settings(max_examples=30, deadline=None)


@pytest.mark.parametrize("method", METHODS)
@PROPERTY
@given(data=st.data())
def test_ballot_order_does_not_matter(method: Method, data: st.DataObject) -> None:
    vote = data.draw(votes(method))
    shuffled = data.draw(st.permutations(vote.ballots))
    assert tally(method, vote.options, shuffled, vote.params) == tally(
        method, vote.options, vote.ballots, vote.params
    )


@pytest.mark.parametrize("method", METHODS)
@PROPERTY
@given(data=st.data())
def test_option_order_decides_nothing(method: Method, data: st.DataObject) -> None:
    vote = data.draw(votes(method))
    reordered = list(data.draw(st.permutations(vote.options)))
    result = tally(method, vote.options, vote.ballots, vote.params)
    other = tally(method, reordered, vote.ballots, vote.params)
    assert sets(other.ranking) == sets(result.ranking)
    assert other.winner == result.winner
    assert other.scores == result.scores


@pytest.mark.parametrize("method", METHODS)
@PROPERTY
@given(data=st.data())
def test_a_neutral_set_of_ballots_changes_no_ranking(method: Method, data: st.DataObject) -> None:
    vote = data.draw(votes(method))
    neutral = data.draw(neutral_ballots(method, vote.options, vote.params))
    result = tally(method, vote.options, vote.ballots, vote.params)
    assert tally(method, vote.options, vote.ballots + neutral, vote.params).ranking == (
        result.ranking
    )


@pytest.mark.parametrize("method", METHODS)
@PROPERTY
@given(data=st.data())
def test_a_unanimous_first_choice_wins(method: Method, data: st.DataObject) -> None:
    opts = data.draw(options())
    params = data.draw(params_for(method))
    top = data.draw(st.sampled_from(opts))
    ballots = data.draw(
        st.lists(ballots_topped_by(method, opts, params, top), min_size=1, max_size=12)
    )
    assert tally(method, opts, ballots, params).winner == top


@pytest.mark.parametrize("method", INCREMENTAL)
@PROPERTY
@given(data=st.data())
def test_running_tally_equals_tally(method: Method, data: st.DataObject) -> None:
    opts = data.draw(options())
    params = data.draw(params_for(method))
    ballot = ballots_for(method, opts, params)
    running = RunningTally(method, opts, params)
    held: list[Ballot] = []
    for _ in range(data.draw(st.integers(0, 25))):
        step = data.draw(st.sampled_from(["add", "remove", "replace"]) if held else st.just("add"))
        if step == "add":
            held.append(data.draw(ballot))
            running.add(held[-1])
        elif step == "remove":
            running.remove(held.pop(data.draw(st.integers(0, len(held) - 1))))
        else:
            index = data.draw(st.integers(0, len(held) - 1))
            new = data.draw(ballot)
            running.replace(held[index], new)
            held[index] = new
        assert running.result() == tally(method, opts, held, params)


@pytest.mark.parametrize("method", METHODS)
@PROPERTY
@given(data=st.data())
def test_results_are_well_formed(method: Method, data: st.DataObject) -> None:
    vote = data.draw(votes(method))
    result = tally(method, vote.options, vote.ballots, vote.params)
    # The ranking partitions the options, each tier in the given option order.
    assert sorted(o for tier in result.ranking for o in tier) == sorted(vote.options)
    for tier in result.ranking:
        assert tier
        assert tier == sorted(tier, key=vote.options.index)
    assert result.winner == (result.ranking[0][0] if len(result.ranking[0]) == 1 else None)
    assert result.ballots_counted == len(vote.ballots)
    # It encodes to JSON and decodes back to an equal result, details included.
    assert msgspec.json.decode(msgspec.json.encode(result), type=Result) == result


# --- Why the neutral sets are what they are -----------------------------------------------------
# "Every rotation of one ranking" treats options alike, yet it is neutral only for Borda.


def test_rotations_are_not_neutral_for_irv() -> None:
    # a 4, b 2, c 3, d 4 (truncated ballots): b goes, then c, then a and d tie.
    base = [{"ranking": [o]} for o, n in [("a", 4), ("b", 2), ("c", 3), ("d", 4)] for _ in range(n)]
    assert tally("irv", list("abcd"), base).ranking == [["a", "d"], ["c"], ["b"]]
    # With the rotations: a 5, b 3, c 4, d 5; b goes and "b c d a" passes to c: 5, 5, 5.
    rotated = [{"ranking": list("abcd"[i:] + "abcd"[:i])} for i in range(4)]
    assert tally("irv", list("abcd"), base + rotated).ranking == [["a", "c", "d"], ["b"]]


def test_rotations_are_not_neutral_for_schulze_but_with_their_reverses_they_are() -> None:
    base = [{"ranking": ["b", "a", "c"]}]
    assert tally("schulze", list("abc"), base).ranking == [["b"], ["a"], ["c"]]
    # a b c, b c a, c a b put a before b twice and b before a once: a Condorcet cycle.
    rotated = [{"ranking": list("abc"[i:] + "abc"[:i])} for i in range(3)]
    assert tally("schulze", list("abc"), base + rotated).ranking == [["a", "b"], ["c"]]
    reversed_ = [{"ranking": ballot["ranking"][::-1]} for ballot in rotated]
    assert tally("schulze", list("abc"), base + rotated + reversed_).ranking == [
        ["b"],
        ["a"],
        ["c"],
    ]


def test_the_same_grade_for_everyone_is_not_neutral_for_majority_judgment() -> None:
    # x: 0 5 5 (majority grade 5); y: 3 3 3 (3).
    base = [{"grades": {"x": g, "y": 3}} for g in (0, 5, 5)]
    assert tally("majority_judgment", ["x", "y"], base).winner == "x"
    # Two ballots grading everyone 0: x 0 0 0 5 5 (0), y 0 0 3 3 3 (3).
    low = [{"grades": {"x": 0, "y": 0}}] * 2
    assert tally("majority_judgment", ["x", "y"], base + low).winner == "y"
    # One grade below everything and one above keep every median in place.
    both = [{"grades": {"x": 0, "y": 0}}, {"grades": {"x": 5, "y": 5}}]
    assert tally("majority_judgment", ["x", "y"], base + both).winner == "x"

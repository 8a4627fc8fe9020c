"""Hypothesis strategies: random valid votes for every method, and what the properties add to them.

Votes are small on purpose (at most five options, a dozen ballots): ties, exhausted ballots and
Condorcet cycles are then common, and the suite stays fast.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import strategies as st

from domain.voting import DEFAULT_GRADES, Method

T = TypeVar("T")
Ballot = dict[str, Any]
Params = dict[str, Any]

NAMES = ("parc", "piste", "marché", "école", "fontaine")
METHODS = list(Method)
INCREMENTAL = [method for method in Method if method.incremental]


@dataclass(frozen=True)
class Vote:
    method: Method
    options: list[str]
    params: Params
    ballots: list[Ballot]


def rotations(seq: list[T]) -> list[list[T]]:
    return [seq[i:] + seq[:i] for i in range(len(seq))]


def sets(ranking: list[list[str]]) -> list[frozenset[str]]:
    """A ranking with the order inside each tier forgotten."""
    return [frozenset(tier) for tier in ranking]


@st.composite
def options(draw: st.DrawFn) -> list[str]:
    names = draw(st.permutations(NAMES))
    return list(names[: draw(st.integers(1, len(NAMES)))])


@st.composite
def params_for(draw: st.DrawFn, method: Method) -> Params:
    params: Params = {}
    if method is Method.DOTS:
        params["dots_per_voter"] = draw(st.integers(1, 6))
        if draw(st.booleans()):
            params["max_per_option"] = draw(st.integers(1, 4))
    elif method is Method.SCORE and draw(st.booleans()):  # else the default scale, 0..5
        params["min"] = draw(st.integers(-2, 2))
        params["max"] = draw(st.integers(params["min"] + 1, params["min"] + 5))
    elif method is Method.MAJORITY_JUDGMENT and draw(st.booleans()):  # else the default grades
        params["grades"] = [f"g{i}" for i in range(draw(st.integers(2, 7)))]
    return params


def score_range(params: Params) -> tuple[int, int]:
    return params.get("min", 0), params.get("max", 5)


def best_grade(params: Params) -> int:
    return len(params.get("grades", DEFAULT_GRADES)) - 1


def dots_limits(params: Params) -> tuple[int, int]:
    """(dots per voter, dots one option may get)."""
    budget: int = params["dots_per_voter"]
    return budget, min(params.get("max_per_option", budget), budget)


@st.composite
def ballots_for(draw: st.DrawFn, method: Method, opts: list[str], params: Params) -> Ballot:
    """Any valid ballot."""
    ranking = list(draw(st.permutations(opts)))
    match method:
        case Method.PLURALITY:
            ballot: Ballot = {"choice": ranking[0]}
        case Method.APPROVAL:
            ballot = {"approve": ranking[: draw(st.integers(0, len(opts)))]}
        case Method.DOTS:
            budget, cap = dots_limits(params)
            dots = Counter(draw(st.lists(st.sampled_from(opts), max_size=budget)))
            ballot = {"dots": {o: min(n, cap) for o, n in dots.items()}}
        case Method.SCORE:
            low, high = score_range(params)
            ballot = {"scores": {o: draw(st.integers(low, high)) for o in opts}}
        case Method.MAJORITY_JUDGMENT:
            ballot = {"grades": {o: draw(st.integers(0, best_grade(params))) for o in opts}}
        case Method.BORDA:
            ballot = {"ranking": ranking}
        case Method.IRV | Method.SCHULZE:
            ballot = {"ranking": ranking[: draw(st.integers(0, len(opts)))]}
    return ballot


@st.composite
def votes(draw: st.DrawFn, method: Method) -> Vote:
    opts = draw(options())
    params = draw(params_for(method))
    ballots = draw(st.lists(ballots_for(method, opts, params), max_size=12))
    return Vote(method, opts, params, ballots)


@st.composite
def neutral_ballots(
    draw: st.DrawFn, method: Method, opts: list[str], params: Params
) -> list[Ballot]:
    """Ballots treating every option alike, chosen so that they cannot change a ranking.

    Which sets are neutral depends on the method (test_properties pins counterexamples): the
    rotations of one ranking are neutral for Borda but not for IRV (transfers follow the cyclic
    order) nor for Schulze (rotations add a Condorcet cycle); and the same grade given to
    every option can move majority judgment's medians.
    """
    ranking = list(draw(st.permutations(opts)))
    match method:
        case Method.PLURALITY:
            ballots: list[Ballot] = [{"choice": o} for o in opts]
        case Method.APPROVAL:
            ballots = [{"approve": ranking}]
        case Method.DOTS:
            ballots = [{"dots": {o: 1}} for o in opts]
        case Method.SCORE:
            # Each option gets each of these scores once.
            low, high = score_range(params)
            row = [draw(st.integers(low, high)) for _ in opts]
            ballots = [{"scores": dict(zip(opts, r, strict=True))} for r in rotations(row)]
        case Method.BORDA:
            ballots = [{"ranking": r} for r in rotations(ranking)]
        case Method.SCHULZE:
            # With their reverses, every pair is ordered both ways equally often.
            turns = rotations(ranking)
            ballots = [{"ranking": r} for r in turns + [r[::-1] for r in turns]]
        case Method.IRV:
            # Whichever options are left, each tops as many of these ballots.
            ballots = [{"ranking": list(p)} for p in itertools.permutations(opts)]
        case Method.MAJORITY_JUDGMENT:
            # One grade below and one above every other: each median keeps its place.
            ballots = [
                {"grades": dict.fromkeys(opts, 0)},
                {"grades": dict.fromkeys(opts, best_grade(params))},
            ]
    return ballots


@st.composite
def ballots_topped_by(
    draw: st.DrawFn, method: Method, opts: list[str], params: Params, top: str
) -> Ballot:
    """A valid ballot putting ``top`` strictly above every other option."""
    others = list(draw(st.permutations([o for o in opts if o != top])))
    match method:
        case Method.PLURALITY:
            ballot: Ballot = {"choice": top}
        case Method.APPROVAL:
            ballot = {"approve": [top]}
        case Method.DOTS:
            budget, cap = dots_limits(params)
            mine = draw(st.integers(1, cap))
            spread = Counter(draw(st.lists(st.sampled_from(opts), max_size=budget - mine)))
            dots = {o: min(n, mine - 1) for o, n in spread.items() if o != top}
            ballot = {"dots": {top: mine, **dots}}
        case Method.SCORE:
            low, high = score_range(params)
            ballot = {
                "scores": {top: high, **{o: draw(st.integers(low, high - 1)) for o in others}}
            }
        case Method.MAJORITY_JUDGMENT:
            best = best_grade(params)
            ballot = {"grades": {top: best, **{o: draw(st.integers(0, best - 1)) for o in others}}}
        case Method.BORDA:
            ballot = {"ranking": [top, *others]}
        case Method.IRV | Method.SCHULZE:
            ballot = {"ranking": [top, *others[: draw(st.integers(0, len(others)))]]}
    return ballot

"""The Schulze method, with link strengths measured by winning votes.

A ranking ballot prefers each ranked option to every option after it, and to every option it
leaves out; options it leaves out are tied with each other (no preference either way).

``d[x][y]`` counts the voters preferring x to y. The link x→y has strength ``d[x][y]`` when
``d[x][y] > d[y][x]``, else 0; ``p[x][y]``, the strength of the strongest path from x to y, is
the widest path over those links (Floyd–Warshall). x beats y when ``p[x][y] > p[y][x]``, a
transitive relation (Schulze, 2011), so the ranking peels tiers: the options nobody left beats,
then the same among the rest.

Reference: Markus Schulze, "A new monotonic, clone-independent, reversal symmetric, and
Condorcet-consistent single-winner election method", Social Choice and Welfare 36 (2011).
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.voting.ballots import CountingForm
from domain.voting.poll import Poll
from domain.voting.result import Result, SchulzeDetails

__all__ = ["count"]

Matrix = list[list[int]]


def count(poll: Poll, ballots: Mapping[CountingForm, int]) -> Result:
    """Count ``ballots`` (rankings of option positions, best first, with how many of each)."""
    options = poll.options
    d = pairwise_preferences(len(options), ballots)
    p = strongest_paths(d)
    everyone = range(len(options))

    def beats(x: int, y: int) -> bool:
        return p[x][y] > p[y][x]

    tiers: list[list[int]] = []
    left = list(everyone)
    while left:
        unbeaten = [x for x in left if not any(beats(y, x) for y in left)]
        # "Beats" is transitive and irreflexive, so among options left someone is unbeaten.
        assert unbeaten, "Schulze's beat relation has a cycle"
        tiers.append(unbeaten)
        left = [x for x in left if x not in unbeaten]

    def named(matrix: Matrix) -> dict[str, dict[str, int]]:
        return {
            options[x]: {options[y]: matrix[x][y] for y in everyone if y != x} for x in everyone
        }

    return Result.from_tiers(
        poll.method,
        options,
        tiers,
        scores={options[x]: sum(beats(x, y) for y in everyone) for x in everyone},
        ballots_counted=sum(ballots.values()),
        details=SchulzeDetails(d=named(d), p=named(p)),
    )


def pairwise_preferences(size: int, ballots: Mapping[CountingForm, int]) -> Matrix:
    """``d[x][y]``: how many ballots prefer x to y (unranked options come last, tied)."""
    d = [[0] * size for _ in range(size)]
    for ranking, times in ballots.items():
        unranked = [y for y in range(size) if y not in ranking]
        for rank, x in enumerate(ranking):
            for y in (*ranking[rank + 1 :], *unranked):
                d[x][y] += times
    return d


def strongest_paths(d: Matrix) -> Matrix:
    """``p[x][y]``: the strength of the strongest path x→y, links weighted by winning votes."""
    size = len(d)
    everyone = range(size)
    p = [[d[x][y] if x != y and d[x][y] > d[y][x] else 0 for y in everyone] for x in everyone]
    for via in everyone:
        for x in everyone:
            if x == via:
                continue
            for y in everyone:
                if y not in (x, via):
                    p[x][y] = max(p[x][y], min(p[x][via], p[via][y]))
    return p

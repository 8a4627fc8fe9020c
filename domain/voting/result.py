"""What a count produces: a :class:`Result`, its per-method details, and how tiers are formed.

Results are msgspec structs, so they encode to JSON as they are and decode back to equal
values; ``details`` carries a ``kind`` tag saying which details struct it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeVar

import msgspec

from domain.voting.methods import Method

__all__ = [
    "Details",
    "IrvDetails",
    "IrvRound",
    "MajorityJudgmentDetails",
    "MeritProfile",
    "Result",
    "SchulzeDetails",
    "TotalsDetails",
    "rank_by",
]


class TotalsDetails(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind", tag="totals"):
    """Plurality, approval, dots, score and Borda: each option's total."""

    totals: dict[str, int]


class IrvRound(msgspec.Struct, frozen=True, kw_only=True):
    counts: dict[str, int]  # the options still in the count, and the ballots each holds
    exhausted: int  # ballots ranking none of them, out of the count from here on
    eliminated: list[str]  # out after this round, together; empty on the last round


class IrvDetails(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind", tag="irv"):
    """Every round of the count, until the options left all tie (one option left included).

    ``majority_round`` is the index of the first round where an option held a strict majority
    of the ballots still in the count: it decides the winner. The rounds after it only order
    the other options. It is None when no round had a majority (a tie for first, or no ballots).
    """

    rounds: list[IrvRound]
    majority_round: int | None


class SchulzeDetails(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind", tag="schulze"):
    """``d[x][y]``: voters preferring x to y. ``p[x][y]``: strength of the strongest path x→y."""

    d: dict[str, dict[str, int]]
    p: dict[str, dict[str, int]]


class MeritProfile(msgspec.Struct, frozen=True, kw_only=True):
    """One option's grades, and the majority gauge around its majority grade.

    ``p`` and ``q`` are the shares of ballots grading it strictly above and strictly below its
    majority grade; ``sign`` is ``+`` when p > q, ``-`` when q > p, ``=`` otherwise. With no
    ballots there is no majority grade, and p = q = 0.
    """

    counts: list[int]  # ballots per grade, worst grade first
    majority_grade: int | None
    p: float
    q: float
    sign: Literal["+", "-", "="]


class MajorityJudgmentDetails(
    msgspec.Struct, frozen=True, kw_only=True, tag_field="kind", tag="majority_judgment"
):
    grades: list[str]  # labels, worst to best: ``counts`` and ``majority_grade`` index these
    profiles: dict[str, MeritProfile]


Details = TotalsDetails | IrvDetails | SchulzeDetails | MajorityJudgmentDetails


class Result(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of a count.

    ``ranking`` lists tiers, best first; options tied by every rule of the method share a tier.
    Within a tier, options keep their order in the vote's option list: that order is for a
    stable display only and never decides anything.

    ``winner`` is the single option of the first tier, None when several share it.

    ``scores`` depends on the method: totals (plurality, approval, dots, score, Borda),
    first-round counts (IRV), how many options each beats (Schulze), the majority grade's index
    (majority judgment; empty when there are no ballots).
    """

    method: Method
    ranking: list[list[str]]
    winner: str | None
    scores: dict[str, int]
    ballots_counted: int
    details: Details

    @classmethod
    def from_tiers(
        cls,
        method: Method,
        options: Sequence[str],
        tiers: Sequence[Sequence[int]],
        *,
        scores: dict[str, int],
        ballots_counted: int,
        details: Details,
    ) -> Result:
        """Build a result from tiers of option positions (each tier in ascending positions)."""
        ranking = [[options[i] for i in tier] for tier in tiers]
        return cls(
            method=method,
            ranking=ranking,
            winner=ranking[0][0] if len(ranking[0]) == 1 else None,
            scores=scores,
            ballots_counted=ballots_counted,
            details=details,
        )


Key = TypeVar("Key", int, tuple[int, ...])


def rank_by(keys: Sequence[Key]) -> list[list[int]]:
    """Tiers of positions by ``keys[position]``, highest first; equal keys share a tier."""
    # sorted() is stable even with reverse=True: a tier keeps ascending positions.
    order = sorted(range(len(keys)), key=keys.__getitem__, reverse=True)
    tiers: list[list[int]] = []
    for position in order:
        if tiers and keys[tiers[-1][0]] == keys[position]:
            tiers[-1].append(position)
        else:
            tiers.append([position])
    return tiers

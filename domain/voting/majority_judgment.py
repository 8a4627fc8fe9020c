"""Majority judgment (Balinski & Laraki, *Majority Judgment*, MIT Press, 2011).

Every ballot grades every option. An option's *majority grade* is the lower median of its
grades: the best grade that at least half of the ballots give it or better. Options are ranked
by their *majority value*: the majority grade, then the majority grade of what is left once one
copy of it is removed, and so on until no grade is left. Comparing those sequences
lexicographically is the tie-break by successive removal of median grades; two options tie only
when they received exactly the same grades.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from domain.voting.ballots import CountingForm
from domain.voting.poll import GradeScale, Poll
from domain.voting.result import MajorityJudgmentDetails, MeritProfile, Result, rank_by

__all__ = ["MeritProfiles", "majority_grade", "majority_value"]


def majority_grade(counts: Sequence[int]) -> int | None:
    """The lower median of the grades counted in ``counts`` (ballots per grade, worst first)."""
    total = sum(counts)
    if total == 0:
        return None
    median_rank = (total - 1) // 2  # position of the lower median among the sorted grades
    seen = 0
    for grade, count in enumerate(counts):
        seen += count
        if seen > median_rank:
            return grade
    raise AssertionError("unreachable: the counts add up to total")


def majority_value(counts: Sequence[int]) -> tuple[int, ...]:
    """The grades in the order majority judgment reads them (one per ballot).

    Removing the lower median from sorted grades leaves it between two sides; the next lower
    median is the nearest grade of the lower side when that side is at least as long as the
    upper one, else the nearest of the upper side. So the sequence alternates between the two
    sides, then finishes whichever is longer.
    """
    grades = [grade for grade, count in enumerate(counts) for _ in range(count)]
    if not grades:
        return ()
    median = (len(grades) - 1) // 2
    below = grades[:median][::-1]  # nearest first
    above = grades[median + 1 :]
    value = [grades[median]]
    taken_below = taken_above = 0
    while taken_below < len(below) or taken_above < len(above):
        if len(below) - taken_below >= len(above) - taken_above:
            value.append(below[taken_below])
            taken_below += 1
        else:
            value.append(above[taken_above])
            taken_above += 1
    return tuple(value)


class MeritProfiles:
    """Ballots per grade for every option; adding or removing a ballot costs O(options).

    Computing the result costs O(options × ballots), for the majority values.
    """

    def __init__(self, poll: Poll, scale: GradeScale) -> None:
        self._poll = poll
        self._labels = scale.labels
        self._counts = [[0] * len(scale.labels) for _ in poll.options]
        self._ballots = 0

    def add(self, grades: CountingForm, times: int = 1) -> None:
        """Count ``times`` ballots giving ``grades``; a negative ``times`` takes them back."""
        for position, grade in enumerate(grades):
            self._counts[position][grade] += times
        self._ballots += times

    def result(self) -> Result:
        options = self._poll.options
        profiles = {
            option: _profile(counts, self._ballots)
            for option, counts in zip(options, self._counts, strict=True)
        }
        return Result.from_tiers(
            self._poll.method,
            options,
            rank_by([majority_value(counts) for counts in self._counts]),
            scores={
                option: profile.majority_grade
                for option, profile in profiles.items()
                if profile.majority_grade is not None
            },
            ballots_counted=self._ballots,
            details=MajorityJudgmentDetails(grades=list(self._labels), profiles=profiles),
        )


def _profile(counts: list[int], ballots: int) -> MeritProfile:
    grade = majority_grade(counts)
    if grade is None:
        return MeritProfile(counts=list(counts), majority_grade=None, p=0.0, q=0.0, sign="=")
    above = sum(counts[grade + 1 :])
    below = sum(counts[:grade])
    # The sign compares the counts, not the floats, so it is exact.
    sign: Literal["+", "-", "="] = "+" if above > below else "-" if below > above else "="
    return MeritProfile(
        counts=list(counts),
        majority_grade=grade,
        p=above / ballots,
        q=below / ballots,
        sign=sign,
    )

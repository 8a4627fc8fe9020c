"""Plurality, approval, dots, score and Borda: ballots add points, the highest total ranks first.

Each of these methods reduces a ballot to the points it gives every option (see
:mod:`domain.voting.ballots`), so one count serves them all, and taking a ballot back is
subtracting its points.
"""

from __future__ import annotations

from domain.voting.ballots import CountingForm
from domain.voting.poll import Poll
from domain.voting.result import Result, TotalsDetails, rank_by

__all__ = ["Totals"]


class Totals:
    """Per-option totals; adding or removing a ballot costs O(options)."""

    def __init__(self, poll: Poll) -> None:
        self._poll = poll
        self._totals = [0] * len(poll.options)
        self._ballots = 0

    def add(self, points: CountingForm, times: int = 1) -> None:
        """Count ``times`` ballots giving ``points``; a negative ``times`` takes them back."""
        for position, value in enumerate(points):
            self._totals[position] += value * times
        self._ballots += times

    def result(self) -> Result:
        totals = dict(zip(self._poll.options, self._totals, strict=True))
        return Result.from_tiers(
            self._poll.method,
            self._poll.options,
            rank_by(self._totals),
            scores=totals,
            ballots_counted=self._ballots,
            details=TotalsDetails(totals=dict(totals)),
        )

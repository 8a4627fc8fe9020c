"""Instant-runoff voting.

Each round, every ballot counts for its highest-ranked option still in the count; a ballot
ranking none of them is exhausted and drops out. An option holding a strict majority of the
ballots still in the count wins. Otherwise every option tied for the fewest votes is eliminated
together — options nobody ranks first go in the first round.

The count then goes on until the options left all tie: the winner, having a majority, is never
eliminated, and the later rounds order the other options the way the first ones did, so the
ranking is the last options standing, then the others in reverse order of elimination (options
eliminated together share a tier). When no single option is left — a tie no elimination can
break, or no ballots at all, where every option ties with 0 votes — the options left share the
first tier and there is no winner.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.voting.ballots import CountingForm
from domain.voting.poll import Poll
from domain.voting.result import IrvDetails, IrvRound, Result

__all__ = ["count"]


def count(poll: Poll, ballots: Mapping[CountingForm, int]) -> Result:
    """Count ``ballots`` (rankings of option positions, best first, with how many of each)."""
    options = poll.options
    in_count = list(range(len(options)))  # ascending positions, so tiers come out sorted
    eliminated: list[list[int]] = []
    rounds: list[IrvRound] = []
    majority_round: int | None = None
    while True:
        votes = dict.fromkeys(in_count, 0)
        exhausted = 0
        for ranking, times in ballots.items():
            top = next((position for position in ranking if position in votes), None)
            if top is None:
                exhausted += times
            else:
                votes[top] += times
        active = sum(votes.values())
        if majority_round is None and any(2 * n > active for n in votes.values()):
            majority_round = len(rounds)
        fewest = min(votes.values())
        losers = [position for position in in_count if votes[position] == fewest]
        last = len(losers) == len(in_count)  # all tied, or a single option left
        rounds.append(
            IrvRound(
                counts={options[position]: n for position, n in votes.items()},
                exhausted=exhausted,
                eliminated=[] if last else [options[position] for position in losers],
            )
        )
        if last:
            break
        eliminated.append(losers)
        in_count = [position for position in in_count if votes[position] != fewest]
    return Result.from_tiers(
        poll.method,
        options,
        [in_count, *reversed(eliminated)],
        scores=dict(rounds[0].counts),
        ballots_counted=sum(ballots.values()),
        details=IrvDetails(rounds=rounds, majority_round=majority_round),
    )

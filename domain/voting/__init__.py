"""Counting votes: eight methods, one pure function.

>>> result = tally("plurality", ["parc", "piste"], [{"choice": "parc"}, {"choice": "parc"}])
>>> result.winner, result.ranking
('parc', [['parc'], ['piste']])

:func:`tally` counts a whole vote; :class:`RunningTally` keeps one current ballot by ballot;
:func:`validate_ballot` and :func:`validate_params` check a ballot or a setup on their own.
Refusals are :class:`BallotError` and :class:`ParamsError`, each with a stable ``rule`` code
and a French ``message_fr``. Ties that no rule of the method breaks stay ties: no lot, and the
order of the options never decides anything.
"""

from domain.voting.errors import BallotError, ParamsError, VotingError
from domain.voting.methods import Method
from domain.voting.poll import DEFAULT_GRADES
from domain.voting.result import (
    Details,
    IrvDetails,
    IrvRound,
    MajorityJudgmentDetails,
    MeritProfile,
    Result,
    SchulzeDetails,
    TotalsDetails,
)
from domain.voting.tally import Ballot, RunningTally, tally, validate_ballot, validate_params

__all__ = [
    "DEFAULT_GRADES",
    "Ballot",
    "BallotError",
    "Details",
    "IrvDetails",
    "IrvRound",
    "MajorityJudgmentDetails",
    "MeritProfile",
    "Method",
    "ParamsError",
    "Result",
    "RunningTally",
    "SchulzeDetails",
    "TotalsDetails",
    "VotingError",
    "tally",
    "validate_ballot",
    "validate_params",
]

"""Counting a vote: all at once (:func:`tally`) or ballot by ballot (:class:`RunningTally`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from domain.voting import irv, schulze
from domain.voting.ballots import CountingForm, counting_form
from domain.voting.errors import ParamsError
from domain.voting.majority_judgment import MeritProfiles
from domain.voting.methods import Method
from domain.voting.poll import GradeScale, Poll
from domain.voting.result import Result
from domain.voting.totals import Totals

__all__ = ["Ballot", "RunningTally", "tally", "validate_ballot", "validate_params"]

Ballot = Mapping[str, object]


def tally(
    method: Method | str,
    options: Sequence[str],
    ballots: Iterable[Ballot],
    params: Mapping[str, object] | None = None,
) -> Result:
    """Count ``ballots`` for a vote on ``options`` by ``method``.

    Every ballot is checked before any is counted: the first invalid one raises
    :class:`~domain.voting.errors.BallotError`, and a bad setup raises
    :class:`~domain.voting.errors.ParamsError`. The order of ``ballots`` never matters.
    """
    poll = Poll.create(method, options, params)
    # Many voters cast the same ballot: counting each distinct one once, with its multiplicity,
    # keeps IRV's rounds and Schulze's matrix proportional to distinct ballots.
    forms = Counter(counting_form(poll, ballot) for ballot in ballots)
    match poll.method:
        case Method.IRV:
            return irv.count(poll, forms)
        case Method.SCHULZE:
            return schulze.count(poll, forms)
    running = _running_count(poll)
    for form, times in forms.items():
        running.add(form, times)
    return running.result()


def validate_ballot(
    method: Method | str,
    options: Sequence[str],
    ballot: Ballot,
    params: Mapping[str, object] | None = None,
) -> None:
    """Raise :class:`~domain.voting.errors.BallotError` unless ``ballot`` may be counted."""
    counting_form(Poll.create(method, options, params), ballot)


def validate_params(
    method: Method | str,
    options: Sequence[str],
    params: Mapping[str, object] | None = None,
) -> None:
    """Raise :class:`~domain.voting.errors.ParamsError` unless the vote's setup is sound."""
    Poll.create(method, options, params)


class RunningTally:
    """A tally kept current as ballots arrive, change or are withdrawn.

    For every method but IRV and Schulze, whose results depend on all ballots at once.
    :meth:`add` and :meth:`remove` cost O(options); :meth:`result` equals :func:`tally` over
    the ballots currently held. Each ballot is checked as :func:`tally` checks it.
    """

    def __init__(
        self,
        method: Method | str,
        options: Sequence[str],
        params: Mapping[str, object] | None = None,
    ) -> None:
        self._poll = Poll.create(method, options, params)
        if not self._poll.method.incremental:
            raise ParamsError.not_incremental(self._poll.method.value, self._poll.method.label_fr)
        self._count = _running_count(self._poll)
        # The ballots held, by counting form: remove() refuses a ballot it was never given,
        # which would otherwise leave negative counts behind.
        self._held: Counter[CountingForm] = Counter()

    def add(self, ballot: Ballot) -> None:
        """Count one more ballot."""
        self._add(counting_form(self._poll, ballot))

    def remove(self, ballot: Ballot) -> None:
        """Take back a ballot equal to one held; ValueError if there is none."""
        self._remove(self._held_form(ballot))

    def replace(self, old: Ballot, new: Ballot) -> None:
        """A voter changing their ballot: both are checked before the tally changes."""
        old_form = self._held_form(old)
        new_form = counting_form(self._poll, new)
        self._remove(old_form)
        self._add(new_form)

    def result(self) -> Result:
        """The result over the ballots held, as :func:`tally` would give it."""
        return self._count.result()

    def _held_form(self, ballot: Ballot) -> CountingForm:
        form = counting_form(self._poll, ballot)
        if not self._held[form]:
            raise ValueError(f"{ballot!r} is not in the tally")
        return form

    def _add(self, form: CountingForm) -> None:
        self._count.add(form, 1)
        self._held[form] += 1

    def _remove(self, form: CountingForm) -> None:
        self._count.add(form, -1)
        self._held[form] -= 1
        if not self._held[form]:
            del self._held[form]


class _RunningCount(Protocol):
    def add(self, form: CountingForm, times: int) -> None: ...

    def result(self) -> Result: ...


def _running_count(poll: Poll) -> _RunningCount:
    """The count of a method whose ballots each add a fixed amount (all but IRV and Schulze)."""
    match poll.method, poll.params:
        case Method.MAJORITY_JUDGMENT, GradeScale() as scale:
            return MeritProfiles(poll, scale)
        case _:
            return Totals(poll)

"""One poll's count, in total and by role (the collèges), kept current ballot by ballot.

It is fed *counting forms* (see :mod:`domain.voting.ballots`): a server checks a ballot once,
stores its form, and every node that follows the poll applies the same forms in the same order.

>>> from domain.voting.poll import Poll
>>> count = LiveCount(Poll.create("plurality", ["a", "b"]))
>>> count.add("habitant", (1, 0)); count.add("agent", (0, 1)); count.add("habitant", (1, 0))
>>> count.result().winner, count.result_for("agent").winner, count.turnout()
('a', 'b', {'agent': 1, 'habitant': 2})

For every method but IRV and Schulze, adding or taking back a ballot costs O(options) and the
result is read off running totals; IRV and Schulze keep the distinct forms with their
multiplicity and recount when the result is asked for (callers throttle that).
"""

from __future__ import annotations

from collections import Counter

from domain.voting import irv, schulze
from domain.voting.ballots import CountingForm, counting_form
from domain.voting.methods import Method
from domain.voting.poll import Poll
from domain.voting.result import Result
from domain.voting.tally import _running_count

__all__ = ["LiveCount"]


class _Group:
    """The ballots of one group (everyone, or one role)."""

    def __init__(self, poll: Poll) -> None:
        self.forms: Counter[CountingForm] = Counter()
        self.n = 0
        self.running = _running_count(poll) if poll.method.incremental else None

    def add(self, form: CountingForm, times: int) -> None:
        self.forms[form] += times
        if self.forms[form] < 0:
            self.forms[form] -= times
            raise ValueError(f"{form!r} is not in the count")
        if not self.forms[form]:
            del self.forms[form]
        self.n += times
        if self.running is not None:
            self.running.add(form, times)

    def result(self, poll: Poll) -> Result:
        if self.running is not None:
            return self.running.result()
        counter = irv.count if poll.method is Method.IRV else schulze.count
        return counter(poll, self.forms)

    def size(self) -> int:
        return self.n


class LiveCount:
    """Total and per-role counts of one poll."""

    def __init__(self, poll: Poll) -> None:
        self.poll = poll
        self._total = _Group(poll)
        self._roles: dict[str, _Group] = {}

    def form_of(self, ballot: object) -> CountingForm:
        """Check a ballot against the poll (``BallotError``) and return its counting form."""
        return counting_form(self.poll, ballot)

    def add(self, role: str, form: CountingForm, times: int = 1) -> None:
        """Count ``times`` ballots of ``form`` cast by people of ``role``; negative takes back.

        Raises ValueError, changing nothing, when taking back a ballot the count does not hold.
        """
        group = self._roles.get(role) or self._roles.setdefault(role, _Group(self.poll))
        group.add(form, times)  # checks first: the role's group holds fewer than the total
        self._total.add(form, times)

    def remove(self, role: str, form: CountingForm) -> None:
        self.add(role, form, -1)

    def result(self) -> Result:
        return self._total.result(self.poll)

    def result_for(self, role: str) -> Result:
        group = self._roles.get(role) or _Group(self.poll)
        return group.result(self.poll)

    def turnout(self) -> dict[str, int]:
        """Ballots held, by role (roles with none left out)."""
        return {role: group.size() for role, group in sorted(self._roles.items()) if group.size()}

    @property
    def ballots(self) -> int:
        return self._total.size()

"""The live count a server keeps: by role, ballots coming and going, always equal to a recount."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.voting import Method, tally
from domain.voting.count import LiveCount
from domain.voting.poll import Poll

from .strategies import METHODS, Ballot, ballots_for, options, params_for

ROLES = ("habitant", "agent", "elu")


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_live_count_equals_a_recount_in_total_and_by_role(
    method: Method, data: st.DataObject
) -> None:
    opts = data.draw(options())
    params = data.draw(params_for(method))
    ballot = ballots_for(method, opts, params)
    count = LiveCount(Poll.create(method, opts, params))
    held: list[tuple[str, Ballot]] = []
    for _ in range(data.draw(st.integers(0, 20))):
        if held and data.draw(st.booleans()):  # a voter changes their ballot
            index = data.draw(st.integers(0, len(held) - 1))
            role, old = held[index]
            new = data.draw(ballot)
            count.remove(role, count.form_of(old))
            count.add(role, count.form_of(new))
            held[index] = (role, new)
        else:
            held.append((data.draw(st.sampled_from(ROLES)), data.draw(ballot)))
            count.add(held[-1][0], count.form_of(held[-1][1]))
        assert count.result() == tally(method, opts, [b for _, b in held], params)
        for role in ROLES:
            mine = [b for r, b in held if r == role]
            assert count.result_for(role) == tally(method, opts, mine, params)
        assert count.ballots == len(held)
        assert sum(count.turnout().values()) == len(held)


def test_taking_back_a_ballot_never_cast_changes_nothing() -> None:
    count = LiveCount(Poll.create("plurality", ["a", "b"]))
    count.add("habitant", (1, 0))
    with pytest.raises(ValueError, match="not in the count"):
        count.remove("agent", (1, 0))  # cast by a resident, not by an agent
    with pytest.raises(ValueError, match="not in the count"):
        count.remove("habitant", (0, 1))
    assert count.turnout() == {"habitant": 1}
    assert count.result().winner == "a"

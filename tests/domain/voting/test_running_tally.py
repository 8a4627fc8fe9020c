"""RunningTally: a voter adding, changing and withdrawing a ballot during a live vote."""

from __future__ import annotations

import pytest

from domain.voting import BallotError, RunningTally, tally

OPTIONS = ["parc", "piste", "marché"]
DOTS = {"dots_per_voter": 4}


def test_starts_empty() -> None:
    assert RunningTally("dots", OPTIONS, DOTS).result() == tally("dots", OPTIONS, [], DOTS)


def test_a_voter_changes_their_ballot() -> None:
    running = RunningTally("dots", OPTIONS, DOTS)
    first, second = {"dots": {"parc": 4}}, {"dots": {"piste": 2, "marché": 2}}
    running.add(first)
    running.add({"dots": {"parc": 1}})
    running.replace(first, second)
    expected = tally("dots", OPTIONS, [{"dots": {"parc": 1}}, second], DOTS)
    assert running.result() == expected
    assert running.result().scores == {"parc": 1, "piste": 2, "marché": 2}


def test_remove_matches_by_content() -> None:
    # {"parc": 0} and {} give the same dots: either takes the other back.
    running = RunningTally("dots", OPTIONS, DOTS)
    running.add({"dots": {"parc": 0}})
    running.remove({"dots": {}})
    assert running.result().ballots_counted == 0


def test_removing_a_ballot_never_added_is_refused() -> None:
    running = RunningTally("plurality", OPTIONS)
    running.add({"choice": "parc"})
    with pytest.raises(ValueError, match="is not in the tally"):
        running.remove({"choice": "piste"})
    assert running.result() == tally("plurality", OPTIONS, [{"choice": "parc"}])


def test_a_replacement_is_checked_before_the_old_ballot_leaves() -> None:
    running = RunningTally("plurality", OPTIONS)
    running.add({"choice": "parc"})
    with pytest.raises(BallotError):
        running.replace({"choice": "parc"}, {"choice": "lac"})
    with pytest.raises(ValueError, match="is not in the tally"):
        running.replace({"choice": "piste"}, {"choice": "marché"})
    assert running.result() == tally("plurality", OPTIONS, [{"choice": "parc"}])


def test_majority_judgment_running() -> None:
    running = RunningTally("majority_judgment", ["oui", "non"], {"grades": ["Non", "Bof", "Oui"]})
    ballots = [{"grades": {"oui": 2, "non": 0}}, {"grades": {"oui": 1, "non": 1}}]
    for ballot in ballots:
        running.add(ballot)
    running.remove(ballots[0])
    assert running.result() == tally(
        "majority_judgment", ["oui", "non"], ballots[1:], {"grades": ["Non", "Bof", "Oui"]}
    )

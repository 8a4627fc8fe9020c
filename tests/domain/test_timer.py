"""The step timer counts down the same everywhere: from plain data and the time."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.errors import InvalidInput, InvalidTransition
from domain.timer import StepTimer, add_minutes, pause_timer, resume_timer, start_timer

T0 = dt.datetime(2017, 12, 12, 18, 30, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_a_running_timer_ends_when_its_minutes_have_passed() -> None:
    timer = start_timer(2, 15, T0)
    assert timer.ends_at() == at(15 * 60)
    assert timer.remaining_at(at(60)) == 14 * 60
    assert timer.remaining_at(at(16 * 60)) == -60  # the overrun shows


def test_a_pause_keeps_what_is_left_and_a_resume_counts_on_from_there() -> None:
    paused = pause_timer(start_timer(0, 10, T0), at(120))
    assert (paused.running, paused.ends_at(), paused.remaining_at(at(9999))) == (
        False,
        None,
        480,
    )
    resumed = resume_timer(paused, at(600))
    assert resumed.ends_at() == at(600 + 480)
    with pytest.raises(InvalidTransition, match="timer_running"):
        resume_timer(resumed, at(601))
    with pytest.raises(InvalidTransition, match="timer_not_running"):
        pause_timer(paused, at(601))


def test_minutes_added_or_taken_move_the_end() -> None:
    timer = start_timer(1, 10, T0)
    assert add_minutes(timer, 5).ends_at() == at(15 * 60)
    assert add_minutes(timer, -4).ends_at() == at(6 * 60)
    assert add_minutes(timer, -200).duration == 60  # never under a minute in all
    with pytest.raises(InvalidInput):
        add_minutes(timer, 0)
    with pytest.raises(InvalidInput):
        start_timer(1, 241, T0)


def test_the_stored_form_gives_back_the_same_timer() -> None:
    for timer in (start_timer(3, 7, T0), pause_timer(start_timer(None, 7, T0), at(30))):
        data = timer.to_data(at(45))
        assert StepTimer.from_data(data) == timer
        assert data["remaining"] == timer.remaining_at(at(45))

"""The step timer: a countdown the facilitator runs for the current step of a séance.

The seed's déroulé gives each step its minutes (« Tour de table : 15 min »); the facilitator
starts the countdown, pauses it when the room needs a moment, adds minutes when a discussion
deserves them. The timer is plain data kept with the séance, so it survives a reload and every
screen, on every instance, shows the same: what a screen needs to count down by itself is when
the time runs out (``ends_at``) while it runs, and what is left while it is paused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from domain.errors import InvalidInput, InvalidTransition

__all__ = [
    "MAX_MINUTES",
    "StepTimer",
    "add_minutes",
    "pause_timer",
    "resume_timer",
    "start_timer",
]

#: Longest countdown, and most minutes added at once: a séance lasts an evening.
MAX_MINUTES = 240


@dataclass(frozen=True)
class StepTimer:
    """``duration`` seconds planned for ``step``; ``elapsed`` seconds counted before
    ``running_since`` (``None`` while paused)."""

    step: int | None
    duration: int
    elapsed: float = 0.0
    running_since: dt.datetime | None = None

    @property
    def running(self) -> bool:
        return self.running_since is not None

    def elapsed_at(self, now: dt.datetime) -> float:
        if self.running_since is None:
            return self.elapsed
        return self.elapsed + max(0.0, (now - self.running_since).total_seconds())

    def remaining_at(self, now: dt.datetime) -> float:
        """Seconds left at ``now``; negative once the time is up (the overrun shows)."""
        return self.duration - self.elapsed_at(now)

    def ends_at(self) -> dt.datetime | None:
        """When the time runs out, while it runs."""
        if self.running_since is None:
            return None
        return self.running_since + dt.timedelta(seconds=self.duration - self.elapsed)

    def to_data(self, now: dt.datetime) -> dict[str, Any]:
        """The stored and published form (JSON), with what a screen needs to count down."""
        ends = self.ends_at()
        return {
            "step": self.step,
            "duration": self.duration,
            "elapsed": round(self.elapsed, 3),
            "running_since": self.running_since.isoformat() if self.running_since else None,
            "ends_at": ends.isoformat() if ends else None,
            "remaining": round(self.remaining_at(now), 3),
            "at": now.isoformat(),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> StepTimer:
        since = data.get("running_since")
        return cls(
            step=data.get("step"),
            duration=int(data["duration"]),
            elapsed=float(data.get("elapsed", 0.0)),
            running_since=dt.datetime.fromisoformat(since) if since else None,
        )


def _minutes(minutes: int, *, allow_negative: bool = False) -> int:
    low = -MAX_MINUTES if allow_negative else 1
    if not low <= minutes <= MAX_MINUTES or minutes == 0:
        raise InvalidInput(
            "invalid_minutes",
            f"Le nombre de minutes va de 1 à {MAX_MINUTES}.",
            f"Minutes go from 1 to {MAX_MINUTES}.",
            field="minutes",
        )
    return minutes


def start_timer(step: int | None, minutes: int, now: dt.datetime) -> StepTimer:
    """A new countdown of ``minutes`` for ``step``, running from ``now``."""
    return StepTimer(step=step, duration=_minutes(minutes) * 60, running_since=now)


def pause_timer(timer: StepTimer, now: dt.datetime) -> StepTimer:
    if timer.running_since is None:
        raise InvalidTransition(
            "timer_not_running", "Le minuteur est déjà en pause.", "The timer is already paused."
        )
    return replace(timer, elapsed=timer.elapsed_at(now), running_since=None)


def resume_timer(timer: StepTimer, now: dt.datetime) -> StepTimer:
    if timer.running_since is not None:
        raise InvalidTransition(
            "timer_running", "Le minuteur tourne déjà.", "The timer is already running."
        )
    return replace(timer, running_since=now)


def add_minutes(timer: StepTimer, minutes: int) -> StepTimer:
    """More time, or less with a negative count (never under one minute in all)."""
    duration = timer.duration + _minutes(minutes, allow_negative=True) * 60
    return replace(timer, duration=max(duration, 60))

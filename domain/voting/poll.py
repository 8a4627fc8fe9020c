"""A vote's fixed setup — method, options, parameters — checked once, before any ballot.

Parameters by method (any other key is refused, so a misspelt one cannot silently be ignored):

=====================  ==================================================================
``dots``               ``dots_per_voter`` (required, int ≥ 1), ``max_per_option`` (int ≥ 1)
``score``              ``min``, ``max`` (ints, ``min < max``; default 0 and 5)
``majority_judgment``  ``grades``: at least two distinct labels, worst to best
                       (default :data:`DEFAULT_GRADES`)
others                 none
=====================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeGuard

from domain.voting.errors import ParamsError
from domain.voting.methods import Method

__all__ = ["DEFAULT_GRADES", "DotsBudget", "GradeScale", "Params", "Poll", "ScoreScale"]

DEFAULT_GRADES = ("À rejeter", "Insuffisant", "Passable", "Assez bien", "Bien", "Très bien")
DEFAULT_SCORE_MIN = 0
DEFAULT_SCORE_MAX = 5


@dataclass(frozen=True, slots=True)
class DotsBudget:
    per_voter: int
    per_option: int | None  # None: no cap beyond the voter's budget


@dataclass(frozen=True, slots=True)
class ScoreScale:
    low: int
    high: int


@dataclass(frozen=True, slots=True)
class GradeScale:
    labels: tuple[str, ...]  # worst to best; a ballot gives each option an index into these


Params = DotsBudget | ScoreScale | GradeScale | None

_ACCEPTED_PARAMS = {
    Method.DOTS: ("dots_per_voter", "max_per_option"),
    Method.SCORE: ("min", "max"),
    Method.MAJORITY_JUDGMENT: ("grades",),
}


def is_whole(value: object) -> TypeGuard[int]:
    """An int that is not a bool (JSON ``true`` must not pass for 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Poll:
    """A checked setup. Counting works on option positions; ``options`` maps them back to ids."""

    method: Method
    options: tuple[str, ...]
    index: Mapping[str, int]  # option id -> position in ``options``
    params: Params

    @classmethod
    def create(
        cls,
        method: Method | str,
        options: Sequence[str],
        params: Mapping[str, object] | None = None,
    ) -> Poll:
        """Check a setup; raise :class:`ParamsError` naming the first fault found."""
        checked_method = _method(method)
        checked_options = _options(options)
        return cls(
            method=checked_method,
            options=checked_options,
            index={option: i for i, option in enumerate(checked_options)},
            params=_params(checked_method, {} if params is None else params),
        )


def _method(method: object) -> Method:
    if isinstance(method, str):  # a Method is a str too
        try:
            return Method(method)
        except ValueError:
            pass
    raise ParamsError.unknown_method(method)


def _options(options: object) -> tuple[str, ...]:
    # A lone string is a sequence too, of one-letter "options": refuse it outright.
    if isinstance(options, str) or not isinstance(options, Sequence):
        raise ParamsError.bad_option(options)
    if not options:
        raise ParamsError.no_options()
    seen: set[str] = set()
    for option in options:
        if not isinstance(option, str):
            raise ParamsError.bad_option(option)
        if option in seen:
            raise ParamsError.duplicate_option(option)
        seen.add(option)
    return tuple(options)


def _params(method: Method, params: object) -> Params:
    if not isinstance(params, Mapping):
        raise ParamsError.bad_param("params", params, "a mapping", "un dictionnaire")
    accepted = _ACCEPTED_PARAMS.get(method, ())
    for name in params:
        if name not in accepted:
            raise ParamsError.unknown_param(str(name), method.value)
    match method:
        case Method.DOTS:
            if "dots_per_voter" not in params:
                raise ParamsError.missing_param("dots_per_voter")
            cap = params.get("max_per_option")
            return DotsBudget(
                per_voter=_positive(params, "dots_per_voter"),
                per_option=None if cap is None else _positive(params, "max_per_option"),
            )
        case Method.SCORE:
            low = _whole(params, "min", DEFAULT_SCORE_MIN)
            high = _whole(params, "max", DEFAULT_SCORE_MAX)
            if low >= high:
                raise ParamsError.bad_score_range(low, high)
            return ScoreScale(low, high)
        case Method.MAJORITY_JUDGMENT:
            return GradeScale(_grades(params.get("grades", DEFAULT_GRADES)))
        case _:
            return None


def _whole(params: Mapping[str, object], name: str, default: int) -> int:
    value = params.get(name, default)
    if not is_whole(value):
        raise ParamsError.bad_param(name, value, "an integer", "un nombre entier")
    return value


def _positive(params: Mapping[str, object], name: str) -> int:
    value = params[name]
    if is_whole(value) and value >= 1:
        return value
    raise ParamsError.bad_param(
        name, value, "an integer of at least 1", "un nombre entier supérieur ou égal à 1"
    )


def _grades(labels: object) -> tuple[str, ...]:
    expected = (
        "a list of at least two distinct, non-empty labels",
        "une liste d’au moins deux mentions distinctes et non vides",
    )
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise ParamsError.bad_param("grades", labels, *expected)
    checked = tuple(labels)
    if (
        len(checked) < 2
        or len(set(checked)) != len(checked)
        or not all(isinstance(label, str) and label for label in checked)
    ):
        raise ParamsError.bad_param("grades", labels, *expected)
    return checked

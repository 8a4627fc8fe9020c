"""What a valid ballot looks like for each method, and the counting form it reduces to.

==========================  ==================================  ================================
method                      ballot                              rules
==========================  ==================================  ================================
plurality                   ``{"choice": option}``
approval                    ``{"approve": [option, …]}``        may be empty; no repeats
dots                        ``{"dots": {option: n}}``           n ≥ 0, absent means 0; at most
                                                                ``max_per_option`` on one option
                                                                and ``dots_per_voter`` in all
score                       ``{"scores": {option: s}}``         every option, ``min ≤ s ≤ max``
borda                       ``{"ranking": [option, …]}``        every option once, best first
irv, schulze                ``{"ranking": [option, …]}``        best first, no repeats; may stop
                                                                early, may be empty
majority_judgment           ``{"grades": {option: g}}``         every option, g an index into
                                                                the grades (worst is 0)
==========================  ==================================  ================================

A ballot has exactly its method's key; anything else is ``bad_shape``, so a ballot meant for
another method is refused rather than half-read.

A valid ballot reduces to its *counting form*, a tuple of ints over option positions:

* plurality, approval, dots, score, Borda: the points it gives each option (1 for the choice,
  1 per approval, the dots, the score, n−1−i for rank i of n);
* majority judgment: the grade it gives each option;
* IRV and Schulze: the positions of the options it ranks, best first.

Ballots with the same counting form count the same: a tally groups them, and a running tally
can take back any ballot equal to one it was given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from domain.voting.errors import BallotError
from domain.voting.methods import Method
from domain.voting.poll import DotsBudget, GradeScale, Poll, ScoreScale, is_whole

__all__ = ["CountingForm", "counting_form"]

CountingForm = tuple[int, ...]

_SHAPES = {
    Method.PLURALITY: ("choice", '{"choice": option}'),
    Method.APPROVAL: ("approve", '{"approve": [option, ...]}'),
    Method.DOTS: ("dots", '{"dots": {option: count}}'),
    Method.SCORE: ("scores", '{"scores": {option: score}}'),
    Method.BORDA: ("ranking", '{"ranking": [option, ...]}'),
    Method.IRV: ("ranking", '{"ranking": [option, ...]}'),
    Method.SCHULZE: ("ranking", '{"ranking": [option, ...]}'),
    Method.MAJORITY_JUDGMENT: ("grades", '{"grades": {option: grade}}'),
}


def counting_form(poll: Poll, ballot: object) -> CountingForm:
    """Check ``ballot`` against ``poll``'s rules and reduce it to its counting form.

    Raises :class:`BallotError` for the first rule broken, checking the options in the order
    the ballot gives them.
    """
    key, shape = _SHAPES[poll.method]
    if not isinstance(ballot, Mapping) or set(ballot) != {key}:
        raise BallotError.bad_shape(shape)
    body = ballot[key]
    match poll.method, poll.params:
        case Method.PLURALITY, _:
            form = _choice(poll, body)
        case Method.APPROVAL, _:
            form = _approval(poll, body, shape)
        case Method.DOTS, DotsBudget() as budget:
            form = _dots(poll, body, shape, budget)
        case Method.SCORE, ScoreScale() as scale:
            form = _scores(poll, body, shape, scale)
        case Method.BORDA, _:
            form = _borda_points(poll, _ranking(poll, body, shape))
        case Method.IRV | Method.SCHULZE, _:
            form = _ranking(poll, body, shape)
        case Method.MAJORITY_JUDGMENT, GradeScale() as scale:
            form = _grades(poll, body, shape, scale)
        case _:
            raise AssertionError(f"no ballot rules for {poll.method} with {poll.params}")
    return form


def _position(poll: Poll, option: object) -> int:
    if not isinstance(option, str):
        raise BallotError.not_an_option_id(option)
    position = poll.index.get(option)
    if position is None:
        raise BallotError.unknown_option(option)
    return position


def _sequence(body: object, shape: str) -> list[object] | tuple[object, ...]:
    if not isinstance(body, list | tuple):
        raise BallotError.bad_shape(shape)
    return body


def _mapping(body: object, shape: str) -> Mapping[object, object]:
    if not isinstance(body, Mapping):
        raise BallotError.bad_shape(shape)
    return body


def _integer(value: object, option: str) -> int:
    if not is_whole(value):
        raise BallotError.not_an_integer(option, value)
    return value


def _choice(poll: Poll, body: object) -> CountingForm:
    points = [0] * len(poll.options)
    points[_position(poll, body)] = 1
    return tuple(points)


def _approval(poll: Poll, body: object, shape: str) -> CountingForm:
    points = [0] * len(poll.options)
    for option in _sequence(body, shape):
        position = _position(poll, option)
        if points[position]:
            raise BallotError.duplicate_approval(poll.options[position])
        points[position] = 1
    return tuple(points)


def _dots(poll: Poll, body: object, shape: str, budget: DotsBudget) -> CountingForm:
    dots = [0] * len(poll.options)
    for option, value in _mapping(body, shape).items():
        position = _position(poll, option)
        name = poll.options[position]
        count = _integer(value, name)
        if count < 0:
            raise BallotError.negative_dots(name, count)
        if budget.per_option is not None and count > budget.per_option:
            raise BallotError.over_cap(name, count, budget.per_option)
        dots[position] = count
    if sum(dots) > budget.per_voter:
        raise BallotError.over_budget(sum(dots), budget.per_voter)
    return tuple(dots)


def _scores(poll: Poll, body: object, shape: str, scale: ScoreScale) -> CountingForm:
    scores: list[int | None] = [None] * len(poll.options)
    for option, value in _mapping(body, shape).items():
        position = _position(poll, option)
        name = poll.options[position]
        score = _integer(value, name)
        if not scale.low <= score <= scale.high:
            raise BallotError.score_out_of_range(name, score, scale.low, scale.high)
        scores[position] = score
    return _complete(poll, scores, BallotError.missing_score)


def _grades(poll: Poll, body: object, shape: str, scale: GradeScale) -> CountingForm:
    grades: list[int | None] = [None] * len(poll.options)
    for option, value in _mapping(body, shape).items():
        position = _position(poll, option)
        name = poll.options[position]
        grade = _integer(value, name)
        if not 0 <= grade < len(scale.labels):
            raise BallotError.grade_out_of_range(name, grade, len(scale.labels))
        grades[position] = grade
    return _complete(poll, grades, BallotError.missing_grade)


def _complete(
    poll: Poll, values: list[int | None], missing: Callable[[str], BallotError]
) -> CountingForm:
    complete: list[int] = []
    for option, value in zip(poll.options, values, strict=True):
        if value is None:
            raise missing(option)
        complete.append(value)
    return tuple(complete)


def _ranking(poll: Poll, body: object, shape: str) -> CountingForm:
    ranking: list[int] = []
    seen: set[int] = set()
    for option in _sequence(body, shape):
        position = _position(poll, option)
        if position in seen:
            raise BallotError.duplicate_in_ranking(poll.options[position])
        seen.add(position)
        ranking.append(position)
    return tuple(ranking)


def _borda_points(poll: Poll, ranking: CountingForm) -> CountingForm:
    count = len(poll.options)
    if len(ranking) < count:
        missing = next(i for i in range(count) if i not in ranking)
        raise BallotError.incomplete_ranking(poll.options[missing])
    points = [0] * count
    for rank, position in enumerate(ranking):
        points[position] = count - 1 - rank
    return tuple(points)

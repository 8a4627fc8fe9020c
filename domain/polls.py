"""A priority vote in the room: its setup, its lifecycle, who votes, who sees what.

>>> poll = new_poll("Priorités", "dots", [("Jardin", None), ("Piste", None)],
...                 {"dots_per_voter": 3}, session_id="s1", atelier_id="a1")
>>> poll.status, [o.id for o in poll.options], sorted(r.value for r in poll.voter_roles)
(<PollStatus.DRAFT: 'draft'>, ['o1', 'o2'], ['agent', 'habitant'])

The lifecycle is ``draft → open → closed → published``, run by the facilitator. Counting is
:mod:`domain.voting`'s; this module decides everything around it:

* who votes: the poll's ``voter_roles``, by default the roles the permission table lets vote;
* who sees results: on a public poll, everyone while it runs, unless results are hidden until
  the close (against herding); then the facilitators see them at the close, everyone once
  published. A *secret* poll shows no result while it runs, only its turnout in total
  (:func:`live_breakdown`): two results read a ballot apart are that ballot, and however the
  live results were spaced, the final one read against the last of them would give the ballots
  in between away;
* results by role (the collèges) on a secret poll: :func:`roles_shown` (small-cell suppression
  that subtraction cannot undo);
* a tie for first is a tie: the facilitator can open a run-off between the tied options.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from domain.errors import Forbidden, InvalidInput, InvalidTransition, check_line, normalize_line
from domain.roles import PERMISSIONS, Action, Role, can, parse_role
from domain.voting import Method, Result
from domain.voting.poll import DEFAULT_GRADES
from domain.voting.tally import validate_params

__all__ = [
    "MIN_GROUP_FOR_BREAKDOWN",
    "Option",
    "Poll",
    "PollStatus",
    "close_poll",
    "live_breakdown",
    "may_vote",
    "new_poll",
    "open_poll",
    "publish_poll",
    "quorum_reached",
    "results_visible",
    "roles_shown",
    "runoff",
]

TITLE_MAX = 200
LABEL_MAX = 200
OPTIONS_MAX = 50
#: A secret poll shows a role's own result only when at least this many of its members voted.
MIN_GROUP_FOR_BREAKDOWN: Final = 3


class PollStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"


@dataclass(frozen=True, slots=True)
class Option:
    id: str  # "o1", "o2"…: what ballots name
    label: str
    proposal_id: str | None = None  # an option may be one of the atelier's proposals


@dataclass(frozen=True, slots=True)
class Poll:
    """A vote's setup and state. Valid by construction when made by :func:`new_poll`."""

    session_id: str
    atelier_id: str
    title: str
    method: Method
    options: tuple[Option, ...]
    params: Mapping[str, object]
    voter_roles: frozenset[Role]
    secret: bool = True
    hide_results: bool = False
    quorum: int | None = None
    status: PollStatus = PollStatus.DRAFT
    runoff_of: str | None = None

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(option.id for option in self.options)


def new_poll(
    title: str,
    method: Method | str,
    options: Sequence[tuple[str, str | None]],
    params: Mapping[str, object] | None = None,
    *,
    session_id: str,
    atelier_id: str,
    voter_roles: Iterable[Role | str] | None = None,
    secret: bool = True,
    hide_results: bool = False,
    quorum: int | None = None,
    runoff_of: str | None = None,
) -> Poll:
    """A draft poll; options are ``(label, proposal_id or None)`` and get ids o1, o2…

    Raises :class:`InvalidInput` for a bad title, option, role or quorum, and
    :class:`~domain.voting.ParamsError` for a method or parameters the count would refuse.
    """
    title = normalize_line(title)
    check_line(
        title, field="title", label_fr="le titre", label_en="the title", max_length=TITLE_MAX
    )
    checked: list[Option] = []
    labels: set[str] = set()
    if not 2 <= len(options) <= OPTIONS_MAX:
        raise InvalidInput(
            "option_count",
            f"Un vote propose entre 2 et {OPTIONS_MAX} options.",
            f"A poll offers between 2 and {OPTIONS_MAX} options.",
            field="options",
        )
    for position, (typed, proposal_id) in enumerate(options, start=1):
        label = normalize_line(typed)
        check_line(
            label, field="options", label_fr="l’option", label_en="the option", max_length=LABEL_MAX
        )
        if label.casefold() in labels:
            raise InvalidInput(
                "duplicate_option",
                f"L’option « {label} » figure deux fois.",
                f"The option “{label}” appears twice.",
                field="options",
            )
        labels.add(label.casefold())
        checked.append(Option(f"o{position}", label, proposal_id))
    option_ids = [option.id for option in checked]
    params = dict(params or {})
    validate_params(method, option_ids, params)
    if Method(method) is Method.MAJORITY_JUDGMENT and "grades" not in params:
        params["grades"] = list(DEFAULT_GRADES)  # stored, so the labels never change later
    roles = (
        PERMISSIONS[Action.VOTE]
        if voter_roles is None
        else frozenset(parse_role(role) for role in voter_roles)
    )
    if not roles:
        raise InvalidInput(
            "no_voter_roles",
            "Au moins un rôle doit pouvoir voter.",
            "At least one role must be able to vote.",
            field="voter_roles",
        )
    if quorum is not None and (isinstance(quorum, bool) or quorum < 1):
        raise InvalidInput(
            "bad_quorum",
            "Le quorum est un nombre de bulletins, au moins 1.",
            "The quorum is a number of ballots, at least 1.",
            field="quorum",
        )
    return Poll(
        session_id=session_id,
        atelier_id=atelier_id,
        title=title,
        method=Method(method),
        options=tuple(checked),
        params=params,
        voter_roles=roles,
        secret=secret,
        hide_results=hide_results,
        quorum=quorum,
        runoff_of=runoff_of,
    )


def _move(poll: Poll, expected: PollStatus, to: PollStatus) -> Poll:
    if poll.status is not expected:
        raise InvalidTransition(
            f"poll_{poll.status.value}",
            _STATUS_FR[poll.status],
            f"This poll is {poll.status.value}; it cannot become {to.value}.",
        )
    return replace(poll, status=to)


_STATUS_FR: Final = {
    PollStatus.DRAFT: "Ce vote n’est pas encore ouvert.",
    PollStatus.OPEN: "Ce vote est en cours.",
    PollStatus.CLOSED: "Ce vote est clos.",
    PollStatus.PUBLISHED: "Les résultats de ce vote sont déjà publiés.",
}


def open_poll(poll: Poll) -> Poll:
    return _move(poll, PollStatus.DRAFT, PollStatus.OPEN)


def close_poll(poll: Poll) -> Poll:
    return _move(poll, PollStatus.OPEN, PollStatus.CLOSED)


def publish_poll(poll: Poll) -> Poll:
    return _move(poll, PollStatus.CLOSED, PollStatus.PUBLISHED)


def may_vote(poll: Poll, role: Role | str) -> None:
    """Raise unless a participant of ``role`` may cast a ballot in ``poll`` now."""
    if poll.status is not PollStatus.OPEN:
        raise InvalidTransition(
            "poll_not_open",
            "Ce vote n’est pas ouvert : il n’accepte pas de bulletin.",
            "This poll is not open: it takes no ballot.",
        )
    if parse_role(role) not in poll.voter_roles:
        raise Forbidden(
            "not_a_voter",
            "Votre rôle ne vote pas dans ce scrutin.",
            "Your role does not vote in this poll.",
        )


def results_visible(poll: Poll, role: Role | str) -> bool:
    """Whether someone of ``role`` may see the results now (drafts have none; a secret poll
    has none while it runs)."""
    match poll.status:
        case PollStatus.DRAFT:
            return False
        case PollStatus.PUBLISHED:
            return True
        case PollStatus.OPEN:
            return not poll.hide_results and not poll.secret
        case PollStatus.CLOSED:
            return not poll.hide_results or can(parse_role(role), Action.RUN_POLL)


def live_breakdown(poll: Poll) -> bool:
    """Whether the turnout of a running poll is shown by role (else in total only).

    Not on a secret poll: the role of each ballot would show as it comes in. Its total alone
    says that someone voted, which the room sees anyway.
    """
    return not (poll.secret and poll.status is PollStatus.OPEN)


def roles_shown(poll: Poll, turnout: Mapping[str, int]) -> frozenset[str]:
    """The roles whose own result a poll shows, given its ballots by role.

    A public poll shows every role that voted. A secret poll shows a role's result only when

    1. the role counts at least :data:`MIN_GROUP_FOR_BREAKDOWN` ballots, and
    2. the roles withheld count, together, none or at least that many.

    The second rule is what makes the first hold: the total is always shown, so the withheld
    roles' result *together* is the total minus the roles shown. When the roles under the
    threshold hold 1 or 2 ballots between them, the smallest role shown is withheld too
    (complementary suppression), and so on until the withheld ballots are enough or every role
    is withheld. A role is then never shown alone below the threshold, and neither is any
    difference of what is shown.

    >>> p = new_poll("P", "plurality", [("A", None), ("B", None)], session_id="s", atelier_id="a")
    >>> sorted(roles_shown(p, {"habitant": 9, "agent": 3}))
    ['agent', 'habitant']
    >>> sorted(roles_shown(p, {"habitant": 9, "agent": 1}))  # 9 - … = the agent's ballot
    []
    >>> sorted(roles_shown(p, {"habitant": 9, "elu": 4, "agent": 1}))  # elu withheld with them
    ['habitant']
    >>> sorted(roles_shown(p, {"habitant": 9, "elu": 2, "agent": 1}))  # 3 withheld together
    ['habitant']
    """
    voted = {role: n for role, n in turnout.items() if n > 0}
    if not poll.secret:
        return frozenset(voted)
    threshold = MIN_GROUP_FOR_BREAKDOWN
    shown = sorted((n, role) for role, n in voted.items() if n >= threshold)
    withheld = sum(n for n in voted.values() if n < threshold)
    while shown and 0 < withheld < threshold:
        n, _ = shown.pop(0)  # the smallest: it costs the least information
        withheld += n
    return frozenset(role for _, role in shown)


def quorum_reached(poll: Poll, ballots: int) -> bool | None:
    """None when the poll sets no quorum."""
    return None if poll.quorum is None else ballots >= poll.quorum


def runoff(
    poll: Poll,
    result: Result | None,
    *,
    of: str,
    title: str | None = None,
    already: bool = False,
) -> Poll:
    """A new draft between the options tied for first in ``result``, same method and rules;
    ``of`` is the stored id of ``poll``; ``result`` is its final result (None before the close);
    ``already`` says whether ``poll`` already has a run-off.

    Only once ``poll`` is closed (or published), and only on a tie. One run-off at most per
    question: none for a poll that has one, none for a run-off itself. A tie that survives a
    second round is for the room to settle (discussion, lot): round after round would wear
    the room out and leave the decision to whoever stays last.
    """
    if poll.status not in (PollStatus.CLOSED, PollStatus.PUBLISHED):
        raise InvalidTransition(
            "poll_not_closed",
            "Un second tour se décide une fois le vote clos.",
            "A run-off is decided once the poll is closed.",
        )
    if already:
        raise InvalidTransition(
            "runoff_exists",
            "Ce vote a déjà son second tour : il n’y en a qu’un.",
            "This poll already has its run-off: there is only one.",
        )
    if poll.runoff_of is not None:
        raise InvalidTransition(
            "runoff_of_runoff",
            "Ce vote est déjà un second tour : l’égalité se tranche autrement "
            "(discussion, tirage au sort).",
            "This poll is already a run-off: settle the tie another way (discussion, lot).",
        )
    first = result.ranking[0] if result is not None and result.ranking else []
    if len(first) < 2:
        raise InvalidTransition(
            "no_tie",
            "Il n’y a pas d’égalité en tête : pas de second tour.",
            "There is no tie for first place: no run-off.",
        )
    tied = [option for option in poll.options if option.id in set(first)]
    return new_poll(
        title or f"{poll.title} — second tour",
        poll.method,
        [(option.label, option.proposal_id) for option in tied],
        poll.params,
        session_id=poll.session_id,
        atelier_id=poll.atelier_id,
        voter_roles=poll.voter_roles,
        secret=poll.secret,
        hide_results=poll.hide_results,
        quorum=poll.quorum,
        runoff_of=of,
    )

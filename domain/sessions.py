"""Séances and the people in them: participants, attendance, and the séance's steps.

A :class:`Session` (séance) and a :class:`Participant` are frozen values, valid by construction:
building one directly, with :func:`msgspec.structs.replace` or by decoding checks every field
(:class:`~domain.errors.InvalidInput` naming it). :func:`new_session` tidies typed text first.
Every change is a pure function returning a new value.

Dates and times of a séance are the city's wall-clock (``date``, ``start_time``): that is what
an invitation prints. Instants (check-in, joining, revocation) are aware datetimes, passed in by
the caller: no rule here reads a clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Final

import msgspec

from domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    check_aware,
    check_id,
    check_line,
    normalize_line,
)
from domain.roles import Role

__all__ = [
    "AgendaItem",
    "Attendance",
    "AttendanceSummary",
    "Mode",
    "Participant",
    "Session",
    "Writing",
    "attendance_summary",
    "cancel_session",
    "check_in",
    "check_out",
    "go_to_step",
    "new_session",
    "next_step",
    "normalize_display_name",
    "previous_step",
    "record_headcount",
    "restore_session",
    "revoke",
    "start_session",
    "writing_at",
]

DISPLAY_NAME_MAX = 80
TITLE_MAX = 200
ITEM_MAX = 500  # an objective, a method step or a point for next time: one sentence, maybe long
ITEMS_MAX = 50
AGENDA_MINUTES_MAX = 600
LINK_MAX = 500
HEADCOUNT_MAX = 100_000
SESSION_NUMBER_MAX = 1_000
_LINK = re.compile(r"https?://\S+")


# --- participants ----------------------------------------------------------------------------


def normalize_display_name(text: str) -> str:
    """A display name as shown: NFC, trimmed, inner runs of spaces collapsed to one."""
    return normalize_line(text)


class Participant(msgspec.Struct, frozen=True, kw_only=True):
    """Someone in one atelier, under one role.

    ``display_name``: 1–80 characters, trimmed, without control characters.
    ``charter_version``: the charter version they accepted (``None``: none yet).
    ``show_name_in_minutes``: their consent to be named in the compte-rendu (off by default:
    minutes circulate beyond the room).
    """

    id: str
    atelier_id: str
    display_name: str
    role: Role
    charter_version: int | None = None
    joined_at: dt.datetime
    revoked_at: dt.datetime | None = None
    show_name_in_minutes: bool = False

    def __post_init__(self) -> None:
        check_id(self.id)
        check_id(self.atelier_id, "atelier_id")
        check_line(
            self.display_name,
            field="display_name",
            label_fr="le nom affiché",
            label_en="display name",
            max_length=DISPLAY_NAME_MAX,
        )
        if self.charter_version is not None and self.charter_version < 1:
            raise InvalidInput(
                "invalid_charter_version",
                "Le numéro de version de la charte commence à 1.",
                "Charter versions start at 1.",
                field="charter_version",
            )
        check_aware(self.joined_at, "joined_at")
        if self.revoked_at is not None:
            check_aware(self.revoked_at, "revoked_at")
            if self.revoked_at < self.joined_at:
                raise InvalidInput(
                    "revoked_before_joining",
                    "Un accès ne peut pas être retiré avant d’avoir été donné.",
                    "Access cannot be revoked before it was granted.",
                    field="revoked_at",
                )

    @property
    def revoked(self) -> bool:
        """Whether their access to the atelier was withdrawn (it stays withdrawn)."""
        return self.revoked_at is not None


def revoke(participant: Participant, now: dt.datetime) -> Participant:
    """``participant`` with their access withdrawn at ``now``.

    Their past contributions and attendance stay. Revoking twice: :class:`Conflict`
    ``already_revoked`` (the first time is the one that counts). The caller checks
    ``require(actor.role, Action.REVOKE_PARTICIPANT)``.
    """
    check_aware(now, "now")
    if participant.revoked:
        raise Conflict(
            "already_revoked",
            f"L’accès de {participant.display_name} a déjà été retiré.",
            f"{participant.display_name}’s access was already revoked.",
        )
    return msgspec.structs.replace(participant, revoked_at=now)


# --- séances ---------------------------------------------------------------------------------


class Mode(StrEnum):
    """How people attend: in the room, remotely, or both."""

    PRESENTIEL = "presentiel"
    DISTANCIEL = "distanciel"
    HYBRIDE = "hybride"

    @property
    def label_fr(self) -> str:
        return _MODE_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _MODE_LABELS[self][1]

    @property
    def needs_place(self) -> bool:
        return self is not Mode.DISTANCIEL

    @property
    def needs_link(self) -> bool:
        return self is not Mode.PRESENTIEL


_MODE_LABELS: Final = {
    Mode.PRESENTIEL: ("en présentiel", "in person"),
    Mode.DISTANCIEL: ("à distance", "remote"),
    Mode.HYBRIDE: ("hybride (sur place et à distance)", "hybrid (in person and remote)"),
}


class Writing(StrEnum):
    """How the séance's proposals are written during a step (issue 20, #4): everyone writes
    (« écriture libre ») or, but the facilitators, everyone proposes amendments."""

    LIBRE = "libre"
    AMENDEMENTS = "amendements"

    @property
    def amendments(self) -> bool:
        return self is Writing.AMENDEMENTS


class AgendaItem(msgspec.Struct, frozen=True):
    """One point of the ordre du jour; ``minutes`` planned, or ``None`` when not planned (the
    seed's own agendas give no durations). ``writing``: the writing mode the séance's
    proposals take when the step of the same rank starts; ``None`` leaves it as it is."""

    title: str
    minutes: int | None = None
    writing: Writing | None = None

    def __post_init__(self) -> None:
        check_line(
            self.title,
            field="agenda.title",
            label_fr="le titre du point",
            label_en="agenda item title",
            max_length=ITEM_MAX,
        )
        if self.minutes is not None and not 1 <= self.minutes <= AGENDA_MINUTES_MAX:
            raise InvalidInput(
                "invalid_minutes",
                f"La durée prévue d’un point va de 1 à {AGENDA_MINUTES_MAX} minutes.",
                f"An agenda item lasts from 1 to {AGENDA_MINUTES_MAX} minutes.",
                field="agenda.minutes",
            )


class Attendance(msgspec.Struct, frozen=True):
    """One participant's presence at one séance: when they arrived and, if so, left."""

    participant_id: str
    checked_in_at: dt.datetime
    checked_out_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        check_aware(self.checked_in_at, "checked_in_at")
        if self.checked_out_at is not None:
            check_aware(self.checked_out_at, "checked_out_at")
            if self.checked_out_at < self.checked_in_at:
                raise InvalidInput(
                    "check_out_before_check_in",
                    "Un départ ne peut pas précéder l’arrivée.",
                    "A check-out cannot come before the check-in.",
                    field="checked_out_at",
                )

    @property
    def present(self) -> bool:
        """In the séance right now (arrived and not left)."""
        return self.checked_out_at is None


class Session(msgspec.Struct, frozen=True, kw_only=True):
    """One séance of an atelier.

    Invariants (:class:`InvalidInput`, with the field): ``number`` ≥ 1; ``end_time`` only with
    a ``start_time``, and after it; ``presentiel`` needs a ``place`` and no ``remote_link``,
    ``distanciel`` a ``remote_link`` (http or https) and no ``place``, ``hybride`` both;
    ``current_step`` is ``None`` (not started) or an index into ``method_steps``; one
    attendance record per participant; lists of at most 50 items; a ``cancel_reason`` only on
    a cancelled séance (``cancelled_at``), which never started.
    """

    id: str
    atelier_id: str
    number: int
    date: dt.date
    start_time: dt.time | None = None  # None when unknown: the seed's minutes give no time
    end_time: dt.time | None = None
    mode: Mode
    place: str | None = None
    remote_link: str | None = None
    objectives: tuple[str, ...] = ()
    agenda: tuple[AgendaItem, ...] = ()
    method_steps: tuple[str, ...] = ()
    current_step: int | None = None
    attendance: tuple[Attendance, ...] = ()
    # People counted in the room by the facilitator, device or not (the seed's « Nombre de
    # personnes présentes : 35 » is such a count); None until counted.
    headcount: int | None = None
    next_agenda: tuple[str, ...] = ()  # « Ordre du jour de la séance suivante »
    # Cancelled by the facilitators (when, and the reason they chose to make public); the
    # séance and its agenda stay, shown « annulée ».
    cancelled_at: dt.datetime | None = None
    cancel_reason: str | None = None

    def __post_init__(self) -> None:
        check_id(self.id)
        check_id(self.atelier_id, "atelier_id")
        self._check_cancelled()
        if not 1 <= self.number <= SESSION_NUMBER_MAX:
            raise InvalidInput(
                "invalid_number",
                "Les séances sont numérotées à partir de 1.",
                "Séances are numbered from 1.",
                field="number",
            )
        self._check_times()
        self._check_mode()
        for field, label_fr, label_en, items in (
            ("objectives", "un objectif", "objective", self.objectives),
            ("method_steps", "une étape", "step", self.method_steps),
            (
                "next_agenda",
                "un point pour la séance suivante",
                "next agenda item",
                self.next_agenda,
            ),
        ):
            _check_items(items, field, label_fr, label_en)
        if len(self.agenda) > ITEMS_MAX:
            raise _too_many("agenda")
        if self.current_step is not None and not 0 <= self.current_step < len(self.method_steps):
            raise _step_out_of_range(self.current_step, len(self.method_steps), "current_step")
        ids = [a.participant_id for a in self.attendance]
        if len(set(ids)) != len(ids):
            raise InvalidInput(
                "duplicate_attendance",
                "Une même personne a deux feuilles de présence pour la séance.",
                "The same person has two attendance records for the séance.",
                field="attendance",
            )
        if self.headcount is not None and not 0 <= self.headcount <= HEADCOUNT_MAX:
            raise InvalidInput(
                "invalid_headcount",
                f"Le nombre de personnes présentes va de 0 à {HEADCOUNT_MAX}.",
                f"The headcount goes from 0 to {HEADCOUNT_MAX}.",
                field="headcount",
            )

    def _check_times(self) -> None:
        if self.end_time is None:
            return
        if self.start_time is None:
            raise InvalidInput(
                "end_without_start",
                "Une heure de fin demande une heure de début.",
                "An end time needs a start time.",
                field="end_time",
            )
        if self.end_time <= self.start_time:
            raise InvalidInput(
                "end_before_start",
                "L’heure de fin doit suivre l’heure de début.",
                "The end time must come after the start time.",
                field="end_time",
            )

    def _check_cancelled(self) -> None:
        if self.cancelled_at is None:
            if self.cancel_reason is not None:
                raise InvalidInput(
                    "reason_without_cancel",
                    "Seule une séance annulée a un motif d’annulation.",
                    "Only a cancelled séance has a cancellation reason.",
                    field="cancel_reason",
                )
            return
        check_aware(self.cancelled_at, "cancelled_at")
        if self.current_step is not None:
            raise InvalidInput(
                "cancelled_but_started",
                "Une séance commencée ne peut pas être annulée.",
                "A séance that started cannot be cancelled.",
                field="cancelled_at",
            )
        if self.cancel_reason is not None:
            check_line(
                self.cancel_reason,
                field="cancel_reason",
                label_fr="le motif d’annulation",
                label_en="cancellation reason",
                max_length=ITEM_MAX,
            )

    def _check_mode(self) -> None:
        # Refusing the superfluous field as well as the missing one: an invitation shows what
        # is stored, and a link on an in-person séance would promise remote attendance.
        if self.mode.needs_place and self.place is None:
            raise InvalidInput(
                "place_required",
                f"Une séance {self.mode.label_fr} a besoin d’un lieu.",
                f"A séance {self.mode.label_en} needs a place.",
                field="place",
            )
        if not self.mode.needs_place and self.place is not None:
            raise InvalidInput(
                "place_unexpected",
                "Une séance à distance n’a pas de lieu : choisissez le mode hybride.",
                "A remote séance has no place: choose the hybrid mode.",
                field="place",
            )
        if self.mode.needs_link and self.remote_link is None:
            raise InvalidInput(
                "remote_link_required",
                f"Une séance {self.mode.label_fr} a besoin d’un lien de connexion.",
                f"A séance {self.mode.label_en} needs a link to join remotely.",
                field="remote_link",
            )
        if not self.mode.needs_link and self.remote_link is not None:
            raise InvalidInput(
                "remote_link_unexpected",
                "Une séance en présentiel n’a pas de lien : choisissez le mode hybride.",
                "An in-person séance has no link: choose the hybrid mode.",
                field="remote_link",
            )
        if self.place is not None:
            check_line(
                self.place,
                field="place",
                label_fr="le lieu",
                label_en="place",
                max_length=TITLE_MAX,
            )
        if self.remote_link is not None and (
            len(self.remote_link) > LINK_MAX or not _LINK.fullmatch(self.remote_link)
        ):
            raise InvalidInput(
                "invalid_remote_link",
                "Le lien de connexion doit être une adresse web (http:// ou https://).",
                "The remote link must be a web address (http:// or https://).",
                field="remote_link",
            )

    @property
    def started(self) -> bool:
        return self.current_step is not None

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    def attendance_of(self, participant_id: str) -> Attendance | None:
        return next((a for a in self.attendance if a.participant_id == participant_id), None)


def _too_many(field: str) -> InvalidInput:
    return InvalidInput(
        "too_many_items",
        f"Une liste compte au plus {ITEMS_MAX} éléments.",
        f"A list has at most {ITEMS_MAX} items.",
        field=field,
    )


def _check_items(items: tuple[str, ...], field: str, label_fr: str, label_en: str) -> None:
    if len(items) > ITEMS_MAX:
        raise _too_many(field)
    for item in items:
        check_line(item, field=field, label_fr=label_fr, label_en=label_en, max_length=ITEM_MAX)


def _lines(items: Iterable[str]) -> tuple[str, ...]:
    # Blank lines are what an empty form row sends: dropped, not refused.
    return tuple(line for line in (normalize_line(i) for i in items) if line)


def new_session(
    *,
    id: str,
    atelier_id: str,
    number: int,
    date: dt.date,
    mode: Mode | str,
    start_time: dt.time | None = None,
    end_time: dt.time | None = None,
    place: str | None = None,
    remote_link: str | None = None,
    objectives: Iterable[str] = (),
    agenda: Iterable[AgendaItem] = (),
    method_steps: Iterable[str] = (),
    next_agenda: Iterable[str] = (),
) -> Session:
    """A séance not yet started, with no attendance; text tidied, then every invariant checked.

    An empty ``place`` or ``remote_link`` counts as none. Unknown ``mode``: :class:`InvalidInput`
    ``unknown_mode``.
    """
    try:
        mode = Mode(mode)
    except ValueError:
        raise InvalidInput(
            "unknown_mode",
            f"Mode de séance inconnu : « {mode} ».",
            f"Unknown séance mode: “{mode}”.",
            field="mode",
        ) from None
    return Session(
        id=id,
        atelier_id=atelier_id,
        number=number,
        date=date,
        start_time=start_time,
        end_time=end_time,
        mode=mode,
        place=(normalize_line(place) or None) if place is not None else None,
        remote_link=(remote_link.strip() or None) if remote_link is not None else None,
        objectives=_lines(objectives),
        agenda=tuple(AgendaItem(normalize_line(a.title), a.minutes, a.writing) for a in agenda),
        method_steps=_lines(method_steps),
        next_agenda=_lines(next_agenda),
    )


# --- steps -----------------------------------------------------------------------------------


def _step_out_of_range(index: int, count: int, field: str = "step") -> InvalidInput:
    return InvalidInput(
        "step_out_of_range",
        f"Il n’y a pas d’étape n° {index + 1} : la séance en compte {count}.",
        f"There is no step {index + 1}: the séance has {count}.",
        field=field,
    )


def _require_started(session: Session) -> int:
    if session.current_step is None:
        raise InvalidTransition(
            "session_not_started",
            "La séance n’a pas commencé.",
            "The séance has not started.",
        )
    return session.current_step


def start_session(session: Session) -> Session:
    """Start at the first method step.

    :class:`InvalidTransition`: ``session_already_started``; ``no_method_steps`` when the séance
    has no déroulé to follow; ``session_cancelled`` when the séance was cancelled.
    """
    if session.cancelled:
        raise InvalidTransition(
            "session_cancelled",
            "La séance est annulée : rétablissez-la avant de la commencer.",
            "The séance is cancelled: restore it before starting it.",
        )
    if session.current_step is not None:
        raise InvalidTransition(
            "session_already_started",
            "La séance a déjà commencé.",
            "The séance has already started.",
        )
    if not session.method_steps:
        raise InvalidTransition(
            "no_method_steps",
            "La séance n’a pas de déroulé : ajoutez au moins une étape.",
            "The séance has no steps: add at least one.",
        )
    return msgspec.structs.replace(session, current_step=0)


def next_step(session: Session) -> Session:
    """Move to the next step (``session_not_started``; ``no_next_step`` at the last one)."""
    current = _require_started(session)
    if current + 1 >= len(session.method_steps):
        raise InvalidTransition(
            "no_next_step",
            "C’est la dernière étape de la séance.",
            "This is the séance’s last step.",
        )
    return msgspec.structs.replace(session, current_step=current + 1)


def previous_step(session: Session) -> Session:
    """Move back one step (``session_not_started``; ``no_previous_step`` at the first one)."""
    current = _require_started(session)
    if current == 0:
        raise InvalidTransition(
            "no_previous_step",
            "C’est la première étape de la séance.",
            "This is the séance’s first step.",
        )
    return msgspec.structs.replace(session, current_step=current - 1)


def go_to_step(session: Session, index: int) -> Session:
    """Jump to step ``index`` (0-based) of a started séance.

    ``session_not_started`` (:class:`InvalidTransition`); ``step_out_of_range``
    (:class:`InvalidInput`, field ``step``) when there is no such step.
    """
    _require_started(session)
    if not 0 <= index < len(session.method_steps):
        raise _step_out_of_range(index, len(session.method_steps))
    return msgspec.structs.replace(session, current_step=index)


def writing_at(session: Session, index: int | None) -> Writing | None:
    """The writing mode step ``index`` sets, from the agenda item of the same rank (the one
    whose ``minutes`` the step timer takes); ``None``: no agenda item there, or it says none."""
    if index is None or not 0 <= index < len(session.agenda):
        return None
    return session.agenda[index].writing


# --- cancelling ------------------------------------------------------------------------------


def cancel_session(session: Session, reason: str | None, now: dt.datetime) -> Session:
    """The séance cancelled at ``now``, with an optional public ``reason`` (one line, tidied;
    blank counts as none). Its agenda, objectives and steps are kept: a séance restored, or
    the next one, may take them up.

    :class:`Conflict` ``session_already_cancelled`` (the first cancellation is the one that
    counts); :class:`InvalidTransition` ``session_already_started``: a séance under way or held
    is not cancelled after the fact.
    """
    check_aware(now, "now")
    if session.cancelled:
        raise Conflict(
            "session_already_cancelled",
            "La séance est déjà annulée.",
            "The séance is already cancelled.",
        )
    if session.started:
        raise InvalidTransition(
            "session_already_started",
            "La séance a déjà commencé : elle ne peut plus être annulée.",
            "The séance has already started: it can no longer be cancelled.",
        )
    tidy = normalize_line(reason) if reason is not None else ""
    return msgspec.structs.replace(session, cancelled_at=now, cancel_reason=tidy or None)


def restore_session(session: Session, today: dt.date) -> Session:
    """A cancelled séance planned again, as it was (« Rétablir »), while its date is still
    ahead (``today`` is the city's date, the séance's own included).

    :class:`Conflict` ``session_not_cancelled``; :class:`InvalidTransition` ``session_past``:
    a date gone by is not restored but a new séance scheduled, so that no one is told of a
    meeting that cannot happen.
    """
    if not session.cancelled:
        raise Conflict(
            "session_not_cancelled",
            "La séance n’est pas annulée.",
            "The séance is not cancelled.",
        )
    if session.date < today:
        raise InvalidTransition(
            "session_past",
            "La date de la séance est passée : programmez plutôt une nouvelle séance.",
            "The séance's date has passed: schedule a new séance instead.",
        )
    return msgspec.structs.replace(session, cancelled_at=None, cancel_reason=None)


# --- attendance ------------------------------------------------------------------------------


def check_in(session: Session, participant: Participant, now: dt.datetime) -> Session:
    """Record that ``participant`` arrived at ``now``.

    Someone who left and comes back is present again; their first arrival time is kept (one
    record per person and séance). Refused: ``wrong_atelier`` and ``participant_revoked``
    (:class:`Forbidden`), ``already_checked_in`` (:class:`Conflict`). The caller lets
    participants check themselves in, and others only with ``Action.MANAGE_SESSION``.
    """
    check_aware(now, "now")
    if participant.atelier_id != session.atelier_id:
        raise Forbidden(
            "wrong_atelier",
            "Cette personne ne participe pas à l’atelier de cette séance.",
            "This person is not a participant of this séance’s atelier.",
        )
    if participant.revoked:
        raise Forbidden(
            "participant_revoked",
            f"L’accès de {participant.display_name} à l’atelier a été retiré.",
            f"{participant.display_name}’s access to the atelier was revoked.",
        )
    record = session.attendance_of(participant.id)
    if record is None:
        records = (*session.attendance, Attendance(participant.id, now))
    elif record.present:
        raise Conflict(
            "already_checked_in",
            f"{participant.display_name} est déjà noté·e présent·e.",
            f"{participant.display_name} is already checked in.",
        )
    else:
        back = msgspec.structs.replace(record, checked_out_at=None)
        records = tuple(back if a is record else a for a in session.attendance)
    return msgspec.structs.replace(session, attendance=records)


def check_out(session: Session, participant_id: str, now: dt.datetime) -> Session:
    """Record that the participant left at ``now``.

    Refused: ``not_checked_in``, ``already_checked_out`` (:class:`Conflict`),
    ``check_out_before_check_in`` (:class:`InvalidInput`).
    """
    check_aware(now, "now")
    record = session.attendance_of(participant_id)
    if record is None:
        raise Conflict(
            "not_checked_in",
            "Cette personne n’a pas été notée présente.",
            "This person was not checked in.",
        )
    if not record.present:
        raise Conflict(
            "already_checked_out",
            "Le départ de cette personne est déjà noté.",
            "This person has already checked out.",
        )
    left = msgspec.structs.replace(record, checked_out_at=now)
    records = tuple(left if a is record else a for a in session.attendance)
    return msgspec.structs.replace(session, attendance=records)


def record_headcount(session: Session, headcount: int | None) -> Session:
    """The facilitator's count of people present (``None`` clears it); checked as a field."""
    return msgspec.structs.replace(session, headcount=headcount)


class AttendanceSummary(msgspec.Struct, frozen=True):
    """Who came to a séance.

    ``by_role``: participants who checked in at some point, per role (every role present, 0 if
    none); ``attended``: their total; ``present_now``: those not checked out; ``headcount``: the
    facilitator's count, if any; ``total_present``: what the minutes report.
    """

    by_role: dict[Role, int]
    attended: int
    present_now: int
    headcount: int | None
    total_present: int


def attendance_summary(session: Session, participants: Iterable[Participant]) -> AttendanceSummary:
    """Counts by role of the séance's attendance.

    ``total_present`` is the larger of the headcount and the number checked in: people without
    a device are counted by the facilitator, and someone who checked in is never left out.
    Revoked participants still count for the séances they attended. An attendance record whose
    participant is not in ``participants``: :class:`InvalidInput` ``unknown_participant``.
    """
    roles = {p.id: p.role for p in participants}
    by_role = dict.fromkeys(Role, 0)
    for record in session.attendance:
        role = roles.get(record.participant_id)
        if role is None:
            raise InvalidInput(
                "unknown_participant",
                "Une présence désigne une personne inconnue.",
                f"An attendance record names an unknown participant ({record.participant_id}).",
                field="participants",
            )
        by_role[role] += 1
    attended = len(session.attendance)
    return AttendanceSummary(
        by_role=by_role,
        attended=attended,
        present_now=sum(1 for a in session.attendance if a.present),
        headcount=session.headcount,
        total_present=max(attended, session.headcount or 0),
    )

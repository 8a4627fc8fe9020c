"""Ateliers, séances, joining, invitations, attendance and proposals: one transaction per call.

Every rule is the domain's (``domain.roles.can`` for who may do what, ``domain.joining`` for
codes); this module reads and writes rows and records an activity entry for the feeds.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, Protocol

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.ateliers import (
    AtelierKind,
    AtelierStatus,
    close,
    constitute_if_ready,
    edit_atelier,
    new_atelier,
    refuse_if_closed,
    reopen,
    revise_charter,
)
from domain.errors import Conflict, DomainError, Forbidden, normalize_line
from domain.joining import (
    Invitation,
    accept_charter,
    generate_invitation_code,
    generate_join_code,
    issue_invitation,
    normalize_invitation_code,
    normalize_join_code,
)
from domain.joining import join as domain_join
from domain.proposals import ProposalStatus, leaves_from
from domain.roles import Action, Role, can
from domain.sessions import Session as DomainSession
from domain.sessions import (
    Writing,
    cancel_session,
    go_to_step,
    next_step,
    normalize_display_name,
    previous_step,
    restore_session,
    start_session,
    writing_at,
)
from domain.timer import StepTimer, add_minutes, pause_timer, resume_timer, start_timer
from server.actors import Actor
from server.db.mapping import (
    atelier_from_row,
    atelier_to_row,
    invitation_from_row,
    participant_from_row,
    participant_to_row,
)
from server.db.models import (
    ActivityRow,
    AtelierImageRow,
    AtelierRow,
    AttendanceRow,
    AuditRow,
    CharterVersionRow,
    InvitationRow,
    ParticipantRow,
    ProposalRow,
    ProposalVersionRow,
    SessionRow,
)
from server.db.writes import reading, transaction
from server.documents.rendering import normalize_upload
from server.documents.workers import RenderPool
from server.errors import Problem
from server.printing import SignInRow, SignInSheet
from server.schemas import (
    AtelierClose,
    AtelierCreate,
    AtelierEdit,
    InvitationCreate,
    JoinRequest,
    ProposalCreate,
    SessionCreate,
    WalkInCreate,
)
from server.services import subscriptions

_rng = secrets.SystemRandom()


def new_id() -> str:
    return uuid.uuid4().hex


def now() -> datetime:
    return datetime.now(UTC)


class Member(Protocol):
    """Whoever acts within one atelier: a participant, or a reader of its versions."""

    @property
    def atelier_id(self) -> str | None: ...

    @property
    def role(self) -> str: ...


def require(actor: Member, action: Action, atelier_id: str) -> None:
    """The actor belongs to this atelier and their role allows ``action``; else 403."""
    if actor.atelier_id != atelier_id:
        raise Problem(
            403,
            "other_atelier",
            "Vous ne participez pas à cet atelier.",
            "You are not a participant of this atelier.",
        )
    if not can(Role(actor.role), action):
        raise Problem(
            403,
            "forbidden",
            "Votre rôle ne permet pas cette action.",
            "Your role does not allow this action.",
        )


def require_charter(actor: Actor) -> None:
    """The actor accepted the atelier's current charter; else 403 ``charter_not_accepted``.

    The charter is the atelier's rules of conduct: accepting it is the condition to take part
    (``domain.joining.join``). When a facilitator revises it, everyone accepts the new version
    at their next visit; until then they still read everything, but do not write in the
    documents (their editor opens read-only) nor vote."""
    if actor.charter_behind is not None:
        raise Problem(
            403,
            "charter_not_accepted",
            f"La charte de l’atelier a changé : lisez et acceptez sa version "
            f"{actor.charter_behind} pour continuer à écrire et à voter.",
            f"The atelier’s charter has changed: read and accept its version "
            f"{actor.charter_behind} to go on writing and voting.",
            version=actor.charter_behind,
        )


async def record(session: AsyncSession, atelier_id: str, kind: str, fr: str, en: str) -> None:
    session.add(
        ActivityRow(
            atelier_id=atelier_id, kind=kind, summary_fr=fr, summary_en=en, created_at=now()
        )
    )


def audit(
    session: AsyncSession,
    atelier_id: str,
    actor_id: str,
    action: str,
    target: str,
    **details: object,
) -> None:
    """A sensitive action, with who did it (never the content of a secret ballot)."""
    session.add(
        AuditRow(
            atelier_id=atelier_id,
            actor_id=actor_id,
            action=action,
            target=target,
            details=details,
            created_at=now(),
        )
    )


async def get_seance(
    session: AsyncSession, session_id: str, *, for_update: bool = False
) -> SessionRow:
    row = await session.get(SessionRow, session_id, with_for_update=for_update)
    if row is None:
        raise Problem(404, "session_not_found", "Séance introuvable.", "Session not found.")
    return row


async def get_atelier(session: AsyncSession, atelier_id: str) -> AtelierRow:
    row = await session.get(AtelierRow, atelier_id)
    if row is None:
        raise Problem(404, "atelier_not_found", "Atelier introuvable.", "Atelier not found.")
    return row


# --- ateliers ------------------------------------------------------------------------------


def _pilot_service(kind: str, service: str | None) -> str | None:
    """An atelier de projet names the city's service that pilots it; an atelier d'initiative
    citoyenne is carried by its porteurs, not a service (README « Ce que chaque type permet »)."""
    if service and kind == AtelierKind.INITIATIVE_CITOYENNE.value:
        raise Problem(
            422,
            "pilot_service_for_projects",
            "Un atelier d’initiative citoyenne est porté par des habitant·es : seul un atelier "
            "de projet, ouvert par la ville, a un service pilote.",
            "An atelier d'initiative citoyenne is carried by residents: only an atelier de "
            "projet, opened by the city, has a pilot service.",
            field="pilot_service",
        )
    return service


def _financing(kind: str, financing: str | None) -> str | None:
    """An atelier de projet may carry its budget line; an atelier d'initiative citoyenne,
    started by residents, has none (README « Who may create what »): 422 says so."""
    if financing and kind == AtelierKind.INITIATIVE_CITOYENNE.value:
        raise Problem(
            422,
            "financing_for_projects",
            "Un atelier d’initiative citoyenne n’a pas de ligne budgétaire : seul un atelier "
            "de projet, ouvert par la ville, en porte une.",
            "An atelier d'initiative citoyenne has no budget line: only an atelier de projet, "
            "opened by the city, carries one.",
            field="financing",
        )
    return financing


async def create_atelier(
    engine: AsyncEngine, body: AtelierCreate, staff: str | None
) -> tuple[AtelierRow, ParticipantRow]:
    """A new atelier, en constitution, and its first facilitator (the person creating it).

    Who may create what (README « Qui peut créer quoi »): an atelier de projet is the city's,
    so only its staff (``staff``, from an operator-issued credential) create one. Residents
    start ateliers d'initiative citoyenne, unlisted — no directory, no feed, no image — until
    the city's staff approve them or they are constituted.
    """
    if body.kind == AtelierKind.PROJET.value and staff is None:
        raise Problem(
            403,
            "staff_required",
            "Un atelier de projet est proposé par la Ville : connectez-vous avec le lien que "
            "l’équipe de la démocratie locale vous a remis. Les habitant·es peuvent lancer un "
            "atelier d’initiative citoyenne.",
            "An atelier de projet is proposed by the city: sign in with the link the local "
            "democracy team gave you. Residents may start an atelier d'initiative citoyenne.",
        )
    stamp = now()
    domain_atelier = new_atelier(
        id=new_id(),
        title=body.title,
        kind=body.kind,
        scope=body.scope,
        subject=body.subject,
        neighbourhood=body.neighbourhood,
        instances=tuple(body.instances),
        pilots=tuple(body.pilots),
        charter_text=body.charter_text,
        min_residents=body.min_residents,
    )
    atelier = atelier_to_row(domain_atelier)
    atelier.created_at = atelier.updated_at = stamp
    atelier.listed = staff is not None
    atelier.approved_by = staff
    atelier.financing = _financing(atelier.kind, body.financing)
    atelier.pilot_service = _pilot_service(atelier.kind, body.pilot_service)
    facilitator = ParticipantRow(
        id=new_id(),
        atelier_id=atelier.id,
        display_name=normalize_display_name(body.facilitator_name),
        role=Role.ANIMATEUR.value,
        charter_version=1,
        show_name_in_minutes=True,
        joined_at=stamp,
    )
    async with transaction(engine) as session:
        session.add(atelier)
        await session.flush()
        session.add(facilitator)
        session.add(
            CharterVersionRow(
                atelier_id=atelier.id, version=1, text=atelier.charter_text, created_at=stamp
            )
        )
        await record(
            session,
            atelier.id,
            "atelier_created",
            f"Atelier créé : « {atelier.title} »",
            f"Atelier created: “{atelier.title}”",
        )
    return atelier, facilitator


def _check_mode(body: SessionCreate) -> None:
    if body.mode in ("presentiel", "hybride") and not body.place:
        raise Problem(
            422,
            "place_required",
            "Une séance en présentiel a besoin d’un lieu.",
            "An in-person session needs a place.",
        )
    if body.mode in ("distanciel", "hybride") and not body.remote_link:
        raise Problem(
            422,
            "link_required",
            "Une séance à distance a besoin d’un lien.",
            "A remote session needs a link.",
        )


def agenda_as_stored(items: Any) -> Any:
    """An agenda as stored: an item without a writing mode is kept as before the mode existed
    (``{"title", "minutes"}``, no ``"writing": null``), so that a séance written then, or by
    the demo, compares equal to the same séance sent back by the form."""
    if not isinstance(items, list):
        return items
    return [
        {k: v for k, v in item.items() if k != "writing" or v is not None}
        if isinstance(item, dict)
        else item
        for item in items
    ]


def _stored(data: dict[str, Any], name: str) -> Any:
    value = data.get(name)
    return agenda_as_stored(value) if name == "agenda" else value


def _session_data(body: SessionCreate) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(body)
    data["agenda"] = agenda_as_stored(data["agenda"])
    return data


async def create_session(
    engine: AsyncEngine, actor: Actor, atelier_id: str, body: SessionCreate
) -> SessionRow:
    require(actor, Action.MANAGE_SESSION, atelier_id)
    _check_mode(body)
    data = _session_data(body)
    data["current_step"] = None
    async with transaction(engine) as session:
        refuse_if_closed(atelier_from_row(await get_atelier(session, atelier_id)))
        number = (
            await session.scalar(
                select(func.coalesce(func.max(SessionRow.number), 0)).where(
                    SessionRow.atelier_id == atelier_id
                )
            )
        ) + 1
        row = SessionRow(
            id=new_id(),
            atelier_id=atelier_id,
            number=number,
            join_code=generate_join_code(_rng),
            data=data,
            created_at=now(),
            updated_at=now(),
        )
        session.add(row)
        await record(
            session,
            atelier_id,
            "session_created",
            f"Séance {number} prévue le {body.date:%d/%m/%Y}",
            f"Session {number} scheduled on {body.date.isoformat()}",
        )
        await subscriptions.seance_event(session, row, "scheduled")
    return row


async def new_join_code(engine: AsyncEngine, actor: Actor, session_id: str) -> SessionRow:
    """A new join code for the séance (the old one, say shown on a screenshot that
    circulates, stops working); people who joined stay in."""
    async with transaction(engine) as session:
        row = await get_seance(session, session_id, for_update=True)
        require(actor, Action.MANAGE_SESSION, row.atelier_id)
        await _refuse_closed_atelier(session, row.atelier_id)
        # A cancelled séance's code opens nothing: a new one would neither (restore it first).
        _refuse_if_cancelled(row)
        row.join_code = generate_join_code(_rng)
        row.updated_at = now()
        audit(session, row.atelier_id, actor.participant_id, "join_code", row.id)
    return row


def _refuse_if_cancelled(row: SessionRow) -> None:
    """A cancelled séance changes no more until it is restored: 409 ``session_cancelled``."""
    if row.data.get("cancelled_at") is not None:
        raise Problem(
            409,
            "session_cancelled",
            "La séance est annulée : rétablissez-la avant de la modifier.",
            "The séance is cancelled: restore it before changing it.",
        )


def _no_arrival_if_cancelled(row: SessionRow) -> None:
    """Nobody arrives at a cancelled séance: checking in there, oneself or at the door, is 409
    ``session_cancelled`` (leaving stays possible: people who came before it was called off
    may still be marked gone)."""
    if row.data.get("cancelled_at") is not None:
        raise Problem(
            409,
            "session_cancelled",
            "La séance est annulée : on n’y pointe plus d’arrivée.",
            "The séance is cancelled: nobody is checked in at it.",
        )


#: What may still change once a séance has started: what comes next (the synthesis is a
#: document of its own, edited live).
_AFTER_START = {"next_agenda"}


async def edit_session(
    engine: AsyncEngine, actor: Actor, session_id: str, body: SessionCreate
) -> SessionRow:
    """Change a séance as a whole (the form sends every field). Until it starts, anything;
    once started, only the next séance's agenda: 409 ``seance_started`` says so."""
    _check_mode(body)
    wanted = _session_data(body)
    async with transaction(engine) as session:
        row = await get_seance(session, session_id, for_update=True)
        require(actor, Action.MANAGE_SESSION, row.atelier_id)
        await _refuse_closed_atelier(session, row.atelier_id)
        # Moving a cancelled séance would tell followers of a change to a meeting that does
        # not happen: restore it first (or schedule a new one).
        _refuse_if_cancelled(row)
        if row.data.get("current_step") is not None:
            changed = sorted(
                name
                for name, value in wanted.items()
                if name not in _AFTER_START and _stored(row.data, name) != value
            )
            if changed:
                raise Problem(
                    409,
                    "seance_started",
                    "La séance a commencé : seul l’ordre du jour de la séance suivante peut "
                    f"encore changer (pas : {', '.join(changed)}).",
                    "The séance has started: only the next séance's agenda may still change "
                    f"(not: {', '.join(changed)}).",
                    fields=changed,
                )
        before = dict(row.data)
        # ``revision`` counts the edits: a calendar's SEQUENCE (server.public.ical).
        row.data = {**row.data, **wanted, "revision": int(row.data.get("revision") or 0) + 1}
        row.updated_at = now()
        await record(
            session,
            row.atelier_id,
            "session_edited",
            f"Séance {row.number} modifiée",
            f"Session {row.number} edited",
        )
        await subscriptions.seance_event(session, row, "moved", before)
    return row


def _revised(data: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``data`` with ``changes``, one revision further (a calendar's SEQUENCE)."""
    return {**data, **changes, "revision": int(data.get("revision") or 0) + 1}


async def cancel_seance(
    engine: AsyncEngine, actor: Actor, session_id: str, reason: str | None
) -> SessionRow:
    """« Annuler la séance »: it stays, with its agenda, shown « annulée » (and the public
    ``reason``, if given) on the atelier's page and in calendars; its followers are told.
    409 ``session_already_cancelled``; 409 ``session_already_started`` once it started."""
    async with transaction(engine) as session:
        row = await get_seance(session, session_id, for_update=True)
        require(actor, Action.MANAGE_SESSION, row.atelier_id)
        await _refuse_closed_atelier(session, row.atelier_id)
        stamp = now()
        cancelled = cancel_session(session_from_row(row), reason, stamp)
        row.data = _revised(
            row.data, cancelled_at=stamp.isoformat(), cancel_reason=cancelled.cancel_reason
        )
        row.updated_at = stamp
        await record(
            session,
            row.atelier_id,
            "session_cancelled",
            f"Séance {row.number} annulée",
            f"Session {row.number} cancelled",
        )
        audit(session, row.atelier_id, actor.participant_id, "session_cancelled", row.id)
        await subscriptions.seance_event(session, row, "cancelled")
    return row


async def restore_seance(
    engine: AsyncEngine, actor: Actor, session_id: str, today: date
) -> SessionRow:
    """« Rétablir la séance »: a cancelled séance planned again while its date (``today`` is
    the city's) is still ahead; its followers are told it takes place. 409
    ``session_not_cancelled``; 409 ``session_past`` when the date has gone by."""
    async with transaction(engine) as session:
        row = await get_seance(session, session_id, for_update=True)
        require(actor, Action.MANAGE_SESSION, row.atelier_id)
        await _refuse_closed_atelier(session, row.atelier_id)
        restore_session(session_from_row(row), today)
        row.data = _revised(row.data, cancelled_at=None, cancel_reason=None)
        row.updated_at = now()
        await record(
            session,
            row.atelier_id,
            "session_restored",
            f"Séance {row.number} rétablie",
            f"Session {row.number} restored",
        )
        audit(session, row.atelier_id, actor.participant_id, "session_restored", row.id)
        await subscriptions.seance_event(session, row, "restored")
    return row


async def next_session(
    engine: AsyncEngine, actor: Actor, session_id: str, body: SessionCreate
) -> SessionRow:
    """Séance n+1 from séance n: what n said to treat next becomes its objectives and agenda,
    and its déroulé is kept, unless the body gives its own."""
    async with reading(engine) as session:
        previous = await get_seance(session, session_id)
    require(actor, Action.MANAGE_SESSION, previous.atelier_id)
    carried = [str(item) for item in previous.data.get("next_agenda") or []]
    body = msgspec.structs.replace(
        body,
        objectives=body.objectives or carried,
        method_steps=body.method_steps or list(previous.data.get("method_steps") or []),
    )
    row = await create_session(engine, actor, previous.atelier_id, body)
    if not body.agenda and carried:
        async with transaction(engine) as session:
            fresh = await get_seance(session, row.id, for_update=True)
            fresh.data = {
                **fresh.data,
                "agenda": [{"title": title, "minutes": None} for title in carried],
                "follows": previous.id,
            }
            row = fresh
    return row


# --- joining -------------------------------------------------------------------------------


async def session_by_code(session: AsyncSession, raw_code: str) -> SessionRow:
    try:
        code = normalize_join_code(raw_code)
    except DomainError:
        code = None
    row = None
    if code is not None:
        row = (
            await session.execute(select(SessionRow).where(SessionRow.join_code == code))
        ).scalar()
    if row is None:
        raise Problem(
            404,
            "unknown_join_code",
            "Ce code ne correspond à aucune séance. Vérifiez-le auprès de l’animation.",
            "This code matches no session. Check it with the facilitators.",
        )
    return row


def refuse_cancelled(seance: SessionRow, atelier: AtelierRow) -> None:
    """A cancelled séance's code opens nothing: 410 ``session_cancelled``, whose detail says
    which séance, of which atelier, on which day, and the public reason when the facilitators
    gave one (``date`` and ``cancel_reason`` too, for programs). Restored, it opens it again.

    Said by the server, in the problem detail the join screen already shows for a wrong code,
    so that the phones' join bundle stays as it is. The code is a real one: no failure counts
    against the address (``server.guards``)."""
    data = seance.data
    if data.get("cancelled_at") is None:
        return
    reason = data.get("cancel_reason")
    n = seance.number
    detail_fr = (
        f"La séance {n} de l’atelier « {atelier.title} », prévue le "
        f"{subscriptions.seance_when_fr(data)}, est annulée."
    )
    detail_en = (
        f"Séance {n} of the “{atelier.title}” atelier, planned on "
        f"{subscriptions.seance_when_en(data)}, is cancelled."
    )
    if reason:
        detail_fr += f" Motif : {reason}"
        detail_en += f" Reason: {reason}"
    raise Problem(
        410,
        "session_cancelled",
        detail_fr,
        detail_en,
        date=data.get("date"),
        cancel_reason=reason,
    )


async def refuse_closed(session: AsyncSession, atelier: AtelierRow) -> None:
    """A closed atelier's join codes open nothing: 410 ``atelier_closed``, whose detail names
    the atelier and says since when, with the public reason its facilitators gave (``closed_at``
    and ``close_reason`` too, for programs). Checked before a cancelled séance: the atelier
    being over is what the person needs to know. A real code: no failure counts against the
    address (``server.guards``)."""
    if atelier.status != AtelierStatus.CLOSE.value:
        return
    closed = await closing_of(session, atelier.id)
    detail_fr = f"L’atelier « {atelier.title} » est clos : il n’accueille plus de participant·es."
    detail_en = f"The “{atelier.title}” atelier is closed and no longer takes participants."
    if closed is not None and closed.reason:
        detail_fr += f" Motif : {closed.reason}"
        detail_en += f" Reason: {closed.reason}"
    raise Problem(
        410,
        "atelier_closed",
        detail_fr,
        detail_en,
        closed_at=closed.at.isoformat() if closed is not None else None,
        close_reason=closed.reason if closed is not None else None,
    )


async def join(
    engine: AsyncEngine,
    seance_id: str,
    body: JoinRequest,
    *,
    holder: str | None = None,
    device: Sequence[str] = (),
) -> tuple[ParticipantRow, SessionRow, bool]:
    """A person joins the atelier of a séance: no account, a name, a role, the charter.
    Returns the participant, the séance, and whether the participant is new.

    One participant per person, as far as the server can tell: a browser whose token names a
    participant of this atelier (``holder``), or that joined this atelier before under the same
    name and role (``device``: the participant ids its signed device cookie names, see
    ``server.devices``), gets that participant back, never a second one — unless it was revoked
    (403 ``participant_revoked``). Otherwise the rule is ``domain.joining.join``; this stores its
    result, claiming the invitation with a conditional update so that two racing joins cannot
    both use it. A closed atelier, or a cancelled séance, lets no one in, not even someone who
    joined before: 410 ``atelier_closed`` (:func:`refuse_closed`) or ``session_cancelled``
    (:func:`refuse_cancelled`), and nothing is stored.
    """
    stamp = now()
    async with transaction(engine) as session:
        seance = await get_seance(session, seance_id)
        atelier_row = await get_atelier(session, seance.atelier_id)
        # Before anyone is found or created, and before any token is issued.
        await refuse_closed(session, atelier_row)
        refuse_cancelled(seance, atelier_row)
        again = await _joined_before(session, atelier_row.id, body, holder, device)
        if again is None and body.invitation_code:
            again = await _claim_slip(session, atelier_row.id, body.invitation_code, stamp)
        if again is not None:
            # Back through the join screen, they read and accepted the charter it showed.
            if body.accept_charter_version == atelier_row.charter_version:
                again.charter_version = max(again.charter_version or 0, atelier_row.charter_version)
            return again, seance, False
        invitation = None
        if body.invitation_code:
            invitation = await _invitation(session, body.invitation_code)
        admission = domain_join(
            atelier_from_row(atelier_row),
            session_from_row(seance),
            body.display_name,
            body.role,
            body.accept_charter_version,
            invitation,
            stamp,
            participant_id=new_id(),
            show_name_in_minutes=body.show_name_in_minutes,
        )
        participant = participant_to_row(admission.participant)
        session.add(participant)
        if admission.invitation is not None:
            claimed = await session.execute(
                update(InvitationRow)
                .where(
                    InvitationRow.code == admission.invitation.code, InvitationRow.used_at.is_(None)
                )
                .values(used_at=stamp, used_by=participant.id)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(
                    "invitation_used",
                    "Ce code d’invitation a déjà servi.",
                    "This invitation code was already used.",
                )
        await record(
            session,
            atelier_row.id,
            "participant_joined",
            f"Une personne a rejoint l’atelier ({admission.participant.role.label_fr})",
            f"Someone joined the atelier ({admission.participant.role.label_en})",
        )
        await _constitute_if_ready(session, atelier_row)
    return participant, seance, True


async def _joined_before(
    session: AsyncSession,
    atelier_id: str,
    body: JoinRequest,
    holder: str | None,
    device: Sequence[str],
) -> ParticipantRow | None:
    """The participant this browser already is in this atelier (see :func:`join`), if any."""
    found: ParticipantRow | None = None
    if holder is not None:
        row = await session.get(ParticipantRow, holder)
        if row is not None and row.atelier_id == atelier_id:
            found = row
    if found is None and device:
        name = normalize_display_name(body.display_name)
        found = (
            await session.scalars(
                select(ParticipantRow).where(
                    ParticipantRow.id.in_(list(device)),
                    ParticipantRow.atelier_id == atelier_id,
                    ParticipantRow.display_name == name,
                    ParticipantRow.role == body.role,
                )
            )
        ).first()
    if found is not None and found.revoked_at is not None:
        raise Forbidden(
            "participant_revoked",
            "Votre accès à cet atelier a été retiré : vous ne pouvez pas le rejoindre à nouveau.",
            "Your access to this atelier was revoked: you cannot join it again.",
        )
    return found


async def _claim_slip(
    session: AsyncSession, atelier_id: str, raw_code: str, stamp: datetime
) -> ParticipantRow | None:
    """The participant a walk-in's slip was printed for (:func:`add_walk_in`), claimed once
    from a device; ``None`` when the code is no slip (an ordinary invitation, or unknown)."""
    try:
        code = normalize_invitation_code(raw_code)
    except DomainError:
        return None
    row = await session.get(InvitationRow, code)
    if row is None or row.used_by is None or row.atelier_id != atelier_id:
        return None
    if row.used_at is not None:
        raise Conflict(
            "invitation_used",
            "Ce code a déjà servi : demandez un nouveau code à l’animation.",
            "This code was already used: ask the facilitators for a new one.",
        )
    claimed = await session.execute(
        update(InvitationRow)
        .where(InvitationRow.code == code, InvitationRow.used_at.is_(None))
        .values(used_at=stamp)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "invitation_used",
            "Ce code a déjà servi : demandez un nouveau code à l’animation.",
            "This code was already used: ask the facilitators for a new one.",
        )
    participant = await session.get(ParticipantRow, row.used_by)
    if participant is None or participant.revoked_at is not None:
        raise Forbidden(
            "participant_revoked",
            "Votre accès à cet atelier a été retiré : vous ne pouvez pas le rejoindre à nouveau.",
            "Your access to this atelier was revoked: you cannot join it again.",
        )
    return participant


async def _constitute_if_ready(session: AsyncSession, atelier_row: AtelierRow) -> None:
    """Once enough residents joined and accepted the charter, the atelier is constituted."""
    if atelier_row.status != AtelierStatus.EN_CONSTITUTION.value:
        # Only an atelier still gathering people can change here; reading every participant
        # on each join made a plenary's 5,000th join read 5,000 rows (bench.ballots).
        return
    await session.flush()
    rows = await session.scalars(
        select(ParticipantRow).where(ParticipantRow.atelier_id == atelier_row.id)
    )
    participants = [participant_from_row(r) for r in rows]
    before = atelier_from_row(atelier_row)
    after = constitute_if_ready(before, participants)
    if after.status != before.status:
        atelier_row.status = after.status.value
        atelier_row.updated_at = now()
        atelier_row.listed = True  # constituted: residents carry it, it is shown
        await record(
            session,
            atelier_row.id,
            "atelier_constituted",
            f"L’atelier est constitué : {after.min_residents} habitant·es au moins ont rejoint",
            f"The atelier is constituted: at least {after.min_residents} residents joined",
        )


async def _invitation(session: AsyncSession, raw_code: str) -> Invitation:
    try:
        code = normalize_invitation_code(raw_code)
    except DomainError:
        code = None
    row = await session.get(InvitationRow, code) if code else None
    if row is None:
        raise Forbidden(
            "invitation_invalid",
            "Ce code d’invitation n’est pas valable pour cet atelier.",
            "This invitation code is not valid for this atelier.",
        )
    return invitation_from_row(row)


async def create_invitation(
    engine: AsyncEngine, actor: Actor, atelier_id: str, body: InvitationCreate
) -> InvitationRow:
    require(actor, Action.INVITE_ELEVATED, atelier_id)
    async with transaction(engine) as session:
        atelier = atelier_from_row(await get_atelier(session, atelier_id))
        invitation = issue_invitation(
            atelier,
            body.role,
            created_by=actor.participant_id,
            now=now(),
            rng=_rng,
            valid_for=timedelta(hours=body.valid_hours),
        )
        row = InvitationRow(
            code=invitation.code,
            atelier_id=atelier_id,
            role=invitation.role.value,
            expires_at=invitation.expires_at,
            created_by=invitation.created_by,
        )
        session.add(row)
        audit(session, atelier_id, actor.participant_id, "invitation", row.role, role=row.role)
    return row


async def revoke(engine: AsyncEngine, actor: Actor, participant_id: str) -> ParticipantRow:
    async with transaction(engine) as session:
        row = await session.get(ParticipantRow, participant_id)
        if row is None:
            raise Problem(
                404, "participant_not_found", "Participant·e introuvable.", "Participant not found."
            )
        require(actor, Action.REVOKE_PARTICIPANT, row.atelier_id)
        if row.id == actor.participant_id:
            raise Problem(
                409,
                "cannot_revoke_self",
                "Vous ne pouvez pas vous retirer vous-même.",
                "You cannot revoke yourself.",
            )
        if row.revoked_at is None:
            row.revoked_at = now()
            audit(session, row.atelier_id, actor.participant_id, "revoke", row.id, role=row.role)
    return row


async def list_participants(
    engine: AsyncEngine, actor: Actor, atelier_id: str
) -> list[ParticipantRow]:
    require(actor, Action.READ_ATELIER, atelier_id)
    async with reading(engine) as session:
        rows = await session.scalars(
            select(ParticipantRow)
            .where(ParticipantRow.atelier_id == atelier_id)
            .order_by(ParticipantRow.joined_at)
        )
        return list(rows)


async def audit_log(engine: AsyncEngine, actor: Actor, atelier_id: str) -> list[AuditRow]:
    require(actor, Action.MANAGE_ATELIER, atelier_id)
    async with reading(engine) as session:
        rows = await session.scalars(
            select(AuditRow)
            .where(AuditRow.atelier_id == atelier_id)
            .order_by(AuditRow.id.desc())
            .limit(500)
        )
        return list(rows)


# --- attendance ----------------------------------------------------------------------------


async def check_in(engine: AsyncEngine, actor: Actor, session_id: str) -> AttendanceRow:
    """The actor marks themself present at a séance of their atelier (idempotent). Nobody is
    checked in, nor out, in a closed atelier: its attendance stays as it was when it closed
    (409 ``atelier_closed``), like everything else it wrote."""
    async with transaction(engine) as session:
        seance = await get_seance(session, session_id)
        require(actor, Action.READ_ATELIER, seance.atelier_id)
        await refuse_if_atelier_closed(session, seance.atelier_id)
        _no_arrival_if_cancelled(seance)
        return await _present(session, session_id, actor.participant_id)


async def _present(session: AsyncSession, session_id: str, participant_id: str) -> AttendanceRow:
    """Mark someone present at a séance (idempotent; back in after a check-out)."""
    row = (
        await session.execute(
            select(AttendanceRow).where(
                AttendanceRow.session_id == session_id,
                AttendanceRow.participant_id == participant_id,
            )
        )
    ).scalar()
    if row is None:
        row = AttendanceRow(
            session_id=session_id, participant_id=participant_id, checked_in_at=now()
        )
        session.add(row)
    else:
        row.checked_out_at = None
    return row


async def check_in_for(
    engine: AsyncEngine, actor: Actor, session_id: str, participant_id: str
) -> ParticipantRow:
    """At the door: the facilitator checks in a registered participant (idempotent); in a
    closed atelier, 409 ``atelier_closed`` (:func:`check_in`)."""
    async with transaction(engine) as session:
        seance = await get_seance(session, session_id)
        require(actor, Action.MANAGE_SESSION, seance.atelier_id)
        await refuse_if_atelier_closed(session, seance.atelier_id)
        _no_arrival_if_cancelled(seance)
        person = await session.get(ParticipantRow, participant_id)
        if person is None or person.atelier_id != seance.atelier_id or person.revoked_at:
            raise Problem(
                404, "participant_not_found", "Participant·e introuvable.", "Participant not found."
            )
        await _present(session, session_id, participant_id)
    return person


async def add_walk_in(
    engine: AsyncEngine, actor: Actor, session_id: str, body: WalkInCreate
) -> tuple[ParticipantRow, str]:
    """At the door, someone without a phone: the facilitator registers them (name, role; the
    charter read to them and accepted), checks them in, and gets the code of a slip to hand
    them, with which they may later join from a device as that same participant."""
    stamp = now()
    async with transaction(engine) as session:
        seance = await get_seance(session, session_id)
        require(actor, Action.MANAGE_SESSION, seance.atelier_id)
        atelier_row = await get_atelier(session, seance.atelier_id)
        refuse_if_closed(atelier_from_row(atelier_row))  # it takes no one in
        person = ParticipantRow(
            id=new_id(),
            atelier_id=atelier_row.id,
            display_name=normalize_display_name(body.display_name),
            role=body.role,
            charter_version=atelier_row.charter_version,
            show_name_in_minutes=body.show_name_in_minutes,
            joined_at=stamp,
        )
        session.add(person)
        await session.flush()
        await _present(session, session_id, person.id)
        code = generate_invitation_code(_rng)
        session.add(
            InvitationRow(
                code=code,
                atelier_id=atelier_row.id,
                role=body.role,
                expires_at=stamp + timedelta(days=90),
                created_by=actor.participant_id,
                used_by=person.id,  # a slip: claimed by joining with it (_claim_slip)
            )
        )
        audit(session, atelier_row.id, actor.participant_id, "walk_in", person.id, role=body.role)
        await record(
            session,
            atelier_row.id,
            "participant_joined",
            f"Une personne a rejoint l’atelier à l’accueil ({Role(body.role).label_fr})",
            f"Someone joined the atelier at the door ({Role(body.role).label_en})",
        )
        await _constitute_if_ready(session, atelier_row)
    return person, code


async def change_role(
    engine: AsyncEngine, actor: Actor, participant_id: str, role: str
) -> ParticipantRow:
    """The facilitator changes a participant's role (never their own: a facilitator could
    otherwise leave an atelier without any)."""
    async with transaction(engine) as session:
        row = await session.get(ParticipantRow, participant_id)
        if row is None:
            raise Problem(
                404, "participant_not_found", "Participant·e introuvable.", "Participant not found."
            )
        require(actor, Action.REVOKE_PARTICIPANT, row.atelier_id)
        if row.id == actor.participant_id:
            raise Problem(
                409,
                "cannot_change_own_role",
                "Vous ne pouvez pas changer votre propre rôle.",
                "You cannot change your own role.",
            )
        if row.role != role:
            audit(
                session,
                row.atelier_id,
                actor.participant_id,
                "role",
                row.id,
                role=role,
                before=row.role,
            )
            row.role = role
    return row


async def sign_in_sheet(engine: AsyncEngine, actor: Actor, session_id: str) -> SignInSheet:
    """What the feuille d'émargement lists: the atelier's participants by role (council
    services excepted: they do not sit in the room), who is already checked in, and the
    facilitator's headcount if recorded. A cancelled séance has none: nobody comes to sign
    it, and its invitation is already the notice to post (409 ``session_cancelled``)."""
    from domain.report import french_date, french_time

    async with reading(engine) as session:
        seance = await get_seance(session, session_id)
        require(actor, Action.MANAGE_SESSION, seance.atelier_id)
        if seance.data.get("cancelled_at") is not None:
            raise Problem(
                409,
                "session_cancelled",
                "La séance est annulée : personne n’y signe. Rétablissez-la pour imprimer sa "
                "feuille d’émargement.",
                "The séance is cancelled: nobody signs in. Restore it to print its sign-in sheet.",
            )
        atelier = await get_atelier(session, seance.atelier_id)
        people = (
            await session.scalars(
                select(ParticipantRow).where(
                    ParticipantRow.atelier_id == seance.atelier_id,
                    ParticipantRow.revoked_at.is_(None),
                    ParticipantRow.role != Role.CONSEIL.value,
                )
            )
        ).all()
        present = set(
            (
                await session.scalars(
                    select(AttendanceRow.participant_id).where(
                        AttendanceRow.session_id == session_id
                    )
                )
            ).all()
        )
    order = {role.value: index for index, role in enumerate(Role)}
    rows = tuple(
        SignInRow(p.display_name, Role(p.role).label_fr, p.id in present)
        for p in sorted(people, key=lambda p: (order[p.role], p.display_name.casefold()))
    )
    data = seance.data
    when = french_date(str(data["date"]))
    if data.get("start_time"):
        when += f" à {french_time(str(data['start_time']))}"
    headcount = data.get("headcount")
    return SignInSheet(
        atelier.title,
        f"Séance {seance.number} — {when}",
        str(data.get("place") or data.get("remote_link") or ""),
        rows,
        headcount if isinstance(headcount, int) else None,
    )


async def check_out(engine: AsyncEngine, actor: Actor, session_id: str) -> None:
    """The actor marks themself gone from a séance of their atelier (idempotent); another
    atelier's séance is refused like ``check_in``, not answered with its attendance; in a
    closed atelier, 409 ``atelier_closed`` (:func:`check_in`)."""
    async with transaction(engine) as session:
        seance = await get_seance(session, session_id)
        require(actor, Action.READ_ATELIER, seance.atelier_id)
        await refuse_if_atelier_closed(session, seance.atelier_id)
        await session.execute(
            update(AttendanceRow)
            .where(
                AttendanceRow.session_id == session_id,
                AttendanceRow.participant_id == actor.participant_id,
            )
            .values(checked_out_at=now())
        )


async def attendance_counts(engine: AsyncEngine, session_id: str) -> dict[str, int]:
    """How many people are in the room, by role: checked in and not gone (what the room's
    screens show). The minutes count everyone who came, those who left included
    (``server.services.proposals``, ``server.services.door``)."""
    async with reading(engine) as session:
        rows = await session.execute(
            select(ParticipantRow.role, func.count())
            .join(AttendanceRow, AttendanceRow.participant_id == ParticipantRow.id)
            .where(AttendanceRow.session_id == session_id, AttendanceRow.checked_out_at.is_(None))
            .group_by(ParticipantRow.role)
        )
        return {role: count for role, count in rows}


# --- proposals -----------------------------------------------------------------------------


async def create_proposal(
    engine: AsyncEngine, actor: Actor, atelier_id: str, body: ProposalCreate
) -> ProposalRow:
    require(actor, Action.MANAGE_SESSION, atelier_id)
    proposal_id = new_id()
    row = ProposalRow(
        id=proposal_id,
        atelier_id=atelier_id,
        session_id=body.session_id,
        kind=body.kind,
        title=body.title.strip(),
        doc_id=f"prop-{proposal_id}",
        created_at=now(),
        status=ProposalStatus.BROUILLON.value,  # set here: the answer shows it before a reload
        locked=False,
    )
    async with transaction(engine) as session:
        await get_atelier(session, atelier_id)
        await refuse_if_atelier_closed(session, atelier_id)
        if body.session_id is not None:
            seance = await session.get(SessionRow, body.session_id)
            if seance is None or seance.atelier_id != atelier_id:
                raise Problem(
                    422,
                    "session_not_in_atelier",
                    "Cette séance n’appartient pas à l’atelier.",
                    "This session does not belong to the atelier.",
                )
        session.add(row)
        await record(
            session,
            atelier_id,
            "proposal_created",
            f"Nouvelle proposition : « {row.title} »",
            f"New proposal: “{row.title}”",
        )
    return row


async def list_proposals(engine: AsyncEngine, actor: Actor, atelier_id: str) -> list[ProposalRow]:
    require(actor, Action.READ_ATELIER, atelier_id)
    async with reading(engine) as session:
        rows = await session.scalars(
            select(ProposalRow)
            .where(ProposalRow.atelier_id == atelier_id)
            .order_by(ProposalRow.created_at)
        )
        return list(rows)


async def version_counts(engine: AsyncEngine, atelier_id: str) -> dict[str, int]:
    """How many frozen versions each of the atelier's proposals has (none: absent); the
    console offers to restart from, or copy, any of them."""
    async with reading(engine) as session:
        rows = await session.execute(
            select(ProposalVersionRow.proposal_id, func.count())
            .join(ProposalRow, ProposalRow.id == ProposalVersionRow.proposal_id)
            .where(ProposalRow.atelier_id == atelier_id)
            .group_by(ProposalVersionRow.proposal_id)
        )
        return {proposal_id: int(n) for proposal_id, n in rows.all()}


class DocAccessRefused(Exception):
    def __init__(self, close_code: int, reason: str) -> None:
        super().__init__(reason)
        self.close_code, self.reason = close_code, reason


async def doc_access_for(engine: AsyncEngine, actor: Actor, doc_id: str) -> bool:
    """Whether ``actor`` may open ``doc_id`` read-only (True) or read-write (False); a
    proposal locked (by its freeze or by the facilitator), archived or handed to the council is
    read-only for everyone.

    Raises :class:`DocAccessRefused` (4403) for a document of another atelier, or one their
    role may not read.
    """
    return await read_only_reason(engine, actor, doc_id) is not None


#: Why a document opens read-only: the reader's role, the facilitator's lock, a freeze's lock,
#: or the proposal's archiving (the editor shows each with its own words).
#: ``charter``: the reader has not accepted the atelier's revised charter yet (require_charter).
#: ``amendements``: the proposal is in amendment mode, where only facilitators write (the
#: others propose amendments).
#: ``closed``: the atelier is closed; what it wrote stays readable, nobody changes it.
#: ``transmitted``: the proposal was handed to the council (``transmise`` and every status
#: after it): the council decides on the version it received, and no freeze can follow, so what
#: would be written here could go nowhere.
ReadOnlyReason = Literal[
    "role", "locked", "frozen", "archived", "charter", "amendements", "closed", "transmitted"
]


#: The columns :func:`_read_only_for_everyone` reads (a select's row, its proposal joined to
#: its atelier).
READ_ONLY_COLUMNS = (
    ProposalRow.locked,
    ProposalRow.locked_by,
    ProposalRow.archived_at,
    ProposalRow.status.label("proposal_status"),
    AtelierRow.status,
)


def _read_only_for_everyone(found: Any) -> ReadOnlyReason | None:
    """What makes a document read-only whoever reads it, the widest first."""
    if found.status == AtelierStatus.CLOSE.value:
        return "closed"
    if not leaves_from("freeze", found.proposal_status):
        return "transmitted"  # out of the atelier's hands: transmise, en instruction, decided
    if found.archived_at is not None:
        return "archived"
    if found.locked:
        # ``locked_by`` is "animation" for the facilitator's switch ("freeze" for a freeze).
        return "locked" if found.locked_by == "animation" else "frozen"
    return None


async def read_only_reason(engine: AsyncEngine, actor: Actor, doc_id: str) -> ReadOnlyReason | None:
    """None when ``actor`` may write in ``doc_id``; otherwise why they may only read it. What
    holds for everyone comes first (the atelier closed, the proposal handed to the council,
    archived, then locked), the reader's
    role last: an observer told « verrouillée par l'animation » learns why nobody writes for now.

    Raises :class:`DocAccessRefused` (4403) for a document of another atelier, or one their
    role may not read.
    """
    async with reading(engine) as session:
        found = (
            await session.execute(
                select(ProposalRow.atelier_id, ProposalRow.amendment_mode, *READ_ONLY_COLUMNS)
                .join(AtelierRow, AtelierRow.id == ProposalRow.atelier_id)
                .where(ProposalRow.doc_id == doc_id)
            )
        ).first()
    if found is None or found.atelier_id != actor.atelier_id:
        # Another atelier's document, or a draft a newer one replaced.
        raise DocAccessRefused(4403, "not a current document of your atelier")
    if not can(actor.role, Action.READ_ATELIER):
        raise DocAccessRefused(4403, "your role may not read this document")
    for_everyone = _read_only_for_everyone(found)
    if for_everyone is not None:
        return for_everyone
    if not can(actor.role, Action.EDIT_PROPOSAL):
        return "role"
    if found.amendment_mode and not can(actor.role, Action.MANAGE_SESSION):
        return "amendements"
    if actor.charter_behind is not None:
        return "charter"
    return None


# --- the séance's method steps -------------------------------------------------------------


def session_from_row(row: SessionRow) -> DomainSession:
    data = {**row.data, "id": row.id, "atelier_id": row.atelier_id, "number": row.number}
    return msgspec.convert(data, DomainSession, strict=False)


async def move_step(
    engine: AsyncEngine, actor: Actor, session_id: str, move: str, index: int | None
) -> tuple[SessionRow, Writing | None]:
    """start / next / previous / goto: the domain decides what is possible. With the row, the
    writing mode the step now started sets (``domain.sessions.writing_at``); None when it sets
    none, or when the séance stays at the step it was at (a facilitator's own switch since then
    is not undone by clicking the same step again)."""
    async with transaction(engine) as session:
        row = await get_seance(session, session_id, for_update=True)
        require(actor, Action.MANAGE_SESSION, row.atelier_id)
        current = session_from_row(row)
        if move == "start":
            await _refuse_closed_atelier(session, row.atelier_id)
            moved = start_session(current)
        elif move == "next":
            moved = next_step(current)
        elif move == "previous":
            moved = previous_step(current)
        else:
            moved = go_to_step(current, index if index is not None else -1)
        row.data = {**row.data, "current_step": moved.current_step}
        row.updated_at = now()
    started = moved.current_step != current.current_step
    return row, writing_at(moved, moved.current_step) if started else None


async def run_timer(
    engine: AsyncEngine, actor: Actor, session_id: str, action: str, minutes: int | None
) -> dict[str, Any] | None:
    """The step timer: start (``minutes``, by default the agenda's for the current step),
    pause, resume, add (``minutes``, may be negative) or stop. Returns its published form."""
    async with transaction(engine) as session:
        row = await get_seance(session, session_id, for_update=True)
        require(actor, Action.MANAGE_SESSION, row.atelier_id)
        stamp = now()
        stored = row.data.get("timer")
        current = StepTimer.from_data(stored) if stored else None
        if action == "start":
            step = row.data.get("current_step")
            agenda = row.data.get("agenda") or []
            planned = (
                agenda[step].get("minutes")
                if isinstance(step, int) and step < len(agenda) and isinstance(agenda[step], dict)
                else None
            )
            timer: StepTimer | None = start_timer(step, minutes or planned or 10, stamp)
        elif current is None:
            raise Problem(
                409,
                "no_timer",
                "Aucun minuteur n’est lancé pour cette étape.",
                "No timer is running for this step.",
            )
        elif action == "pause":
            timer = pause_timer(current, stamp)
        elif action == "resume":
            timer = resume_timer(current, stamp)
        elif action == "add":
            timer = add_minutes(current, minutes or 0)
        else:
            timer = None
        row.data = {**row.data, "timer": timer.to_data(stamp) if timer else None}
        row.updated_at = stamp
    return row.data["timer"]  # type: ignore[no-any-return]


def timer_now(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored timer as it stands now (its ``remaining`` recomputed), for a snapshot."""
    return StepTimer.from_data(data).to_data(now()) if data else None


# --- the charter and the image -------------------------------------------------------------


async def change_charter(
    engine: AsyncEngine, actor: Actor, atelier_id: str, text: str
) -> AtelierRow:
    """A new text is a new version; everyone accepts it again at their next visit (old
    acceptances stay on record), but the facilitator who wrote it, who accepts it here."""
    require(actor, Action.MANAGE_ATELIER, atelier_id)
    async with transaction(engine) as session:
        row = await get_atelier(session, atelier_id)
        before = atelier_from_row(row)
        after = revise_charter(before, text)
        if after.charter.version != before.charter.version:
            row.charter_version, row.charter_text = after.charter.version, after.charter.text
            row.updated_at = now()
            author = await session.get(ParticipantRow, actor.participant_id)
            if author is not None:
                author.charter_version = after.charter.version
            session.add(
                CharterVersionRow(
                    atelier_id=atelier_id,
                    version=after.charter.version,
                    text=after.charter.text,
                    created_at=now(),
                )
            )
            await record(
                session,
                atelier_id,
                "charter_revised",
                f"Nouvelle version de la charte (v{after.charter.version})",
                f"New charter version (v{after.charter.version})",
            )
    return row


async def accept_current_charter(
    engine: AsyncEngine, actor: Actor, atelier_id: str, version: int
) -> ParticipantRow:
    require(actor, Action.READ_ATELIER, atelier_id)
    async with transaction(engine) as session:
        atelier_row = await get_atelier(session, atelier_id)
        row = await session.get(ParticipantRow, actor.participant_id)
        assert row is not None
        accepted = accept_charter(participant_from_row(row), atelier_from_row(atelier_row), version)
        row.charter_version = accepted.charter_version
        await _constitute_if_ready(session, atelier_row)
    return row


class CharterStatus(msgspec.Struct):
    """The atelier's charter as one participant stands with it: the current version and text,
    and the version they accepted with its text (to show what changed), ``None`` if none."""

    version: int
    text: str
    accepted_version: int | None
    accepted_text: str | None


async def charter_status(engine: AsyncEngine, actor: Actor, atelier_id: str) -> CharterStatus:
    require(actor, Action.READ_ATELIER, atelier_id)
    async with reading(engine) as session:
        atelier_row = await get_atelier(session, atelier_id)
        row = await session.get(ParticipantRow, actor.participant_id)
        accepted = row.charter_version if row is not None else None
        accepted_text = None
        if accepted is not None:
            kept = await session.get(CharterVersionRow, (atelier_id, accepted))
            accepted_text = kept.text if kept is not None else None
    return CharterStatus(
        atelier_row.charter_version, atelier_row.charter_text, accepted, accepted_text
    )


MAX_IMAGE_BYTES = 2 * 1024 * 1024


async def set_image(
    engine: AsyncEngine, renders: RenderPool, actor: Actor, atelier_id: str, data: bytes
) -> str:
    """Store the atelier's image: decoded, bounded and encoded again in a render worker
    (``server.documents.images``); what was uploaded is never stored or served as it came."""
    require(actor, Action.MANAGE_ATELIER, atelier_id)
    async with reading(engine) as session:
        listed = await session.scalar(select(AtelierRow.listed).where(AtelierRow.id == atelier_id))
    if listed is False:
        raise Problem(
            403,
            "atelier_not_approved",
            "L’image de l’atelier pourra être ajoutée une fois l’atelier approuvé par la Ville "
            "ou constitué.",
            "The atelier's image can be added once the city approves the atelier or it is "
            "constituted.",
        )
    if len(data) > MAX_IMAGE_BYTES:
        raise Problem(
            413,
            "image_too_large",
            "Image trop lourde (2 Mo au plus).",
            "Image too large (2 MB at most).",
        )
    data, media_type = await normalize_upload(renders, data)
    async with transaction(engine) as session:
        row = await get_atelier(session, atelier_id)
        image = await session.get(AtelierImageRow, atelier_id)
        if image is None:
            session.add(
                AtelierImageRow(
                    atelier_id=atelier_id, media_type=media_type, data=data, updated_at=now()
                )
            )
        else:
            image.media_type, image.data, image.updated_at = media_type, data, now()
        row.image = f"/api/ateliers/{atelier_id}/image"
    return media_type


async def edit(engine: AsyncEngine, actor: Actor, atelier_id: str, body: AtelierEdit) -> AtelierRow:
    """The facilitator changes the atelier's description; the domain checks it as at its
    creation (a closed atelier refuses). The charter changes through its own versions."""
    require(actor, Action.MANAGE_ATELIER, atelier_id)
    async with transaction(engine) as session:
        row = await get_atelier(session, atelier_id)
        after = edit_atelier(
            atelier_from_row(row),
            title=body.title,
            subject=body.subject,
            scope=body.scope,
            neighbourhood=body.neighbourhood,
            instances=body.instances,
            pilots=body.pilots,
            min_residents=body.min_residents,
        )
        atelier_to_row(after, row)
        row.financing = _financing(row.kind, body.financing)
        row.pilot_service = _pilot_service(row.kind, body.pilot_service)
        row.updated_at = now()
        await record(
            session,
            atelier_id,
            "atelier_edited",
            "Description de l’atelier modifiée",
            "Atelier description edited",
        )
        await _constitute_if_ready(session, row)  # a lower minimum may constitute it now
    return row


async def approve(engine: AsyncEngine, atelier_id: str, staff: str) -> AtelierRow:
    """The city's staff approve an atelier residents started: it is listed from now on."""
    async with transaction(engine) as session:
        row = await get_atelier(session, atelier_id)
        if row.listed and row.approved_by is not None:
            return row
        row.listed = True
        row.approved_by = staff
        row.updated_at = now()
        await record(
            session,
            atelier_id,
            "atelier_approved",
            f"Atelier approuvé par la Ville ({staff})",
            f"Atelier approved by the city ({staff})",
        )
    return row


# --- closing an atelier ----------------------------------------------------------------------

#: The activity entry that records a closing is also where its public reason is kept: it is
#: public already (the atelier's feed), and a closing needs no column of its own.
_CLOSED = "atelier_closed"
_CLOSED_FR, _CLOSED_EN = "Atelier clos", "Atelier closed"
_REASON_FR, _REASON_EN = ". Motif : ", ". Reason: "


class Closing(msgspec.Struct, frozen=True):
    """When an atelier was closed, and the public reason its facilitators gave (or None)."""

    at: datetime
    reason: str | None


async def closing_of(session: AsyncSession, atelier_id: str) -> Closing | None:
    """The latest closing of ``atelier_id`` (None if it never was): what its page, its join
    codes and its facilitators' screen say of it."""
    found = (
        await session.scalars(
            select(ActivityRow)
            .where(ActivityRow.atelier_id == atelier_id, ActivityRow.kind == _CLOSED)
            .order_by(ActivityRow.id.desc())
            .limit(1)
        )
    ).first()
    if found is None:
        return None
    _, said, reason = found.summary_en.partition(_REASON_EN)
    at = found.created_at if found.created_at.tzinfo else found.created_at.replace(tzinfo=UTC)
    return Closing(at, reason if said else None)


async def _refuse_closed_atelier(session: AsyncSession, atelier_id: str) -> None:
    """A séance of a closed atelier is neither scheduled, moved, started nor cancelled: 409
    ``atelier_closed`` (« Cet atelier est clos : il ne peut plus être modifié »)."""
    refuse_if_closed(atelier_from_row(await get_atelier(session, atelier_id)))


async def refuse_if_atelier_closed(session: AsyncSession, atelier_id: str) -> None:
    """Nothing changes in a closed atelier: its comments, amendments, polls, ballots and
    proposals neither (409 ``atelier_closed``, « Cet atelier est clos : il ne peut plus être
    modifié. »), checked before anything is written; what it wrote stays readable."""
    status = await session.scalar(select(AtelierRow.status).where(AtelierRow.id == atelier_id))
    if status == AtelierStatus.CLOSE.value:
        refuse_if_closed(atelier_from_row(await get_atelier(session, atelier_id)))


async def atelier_is_closed(session: AsyncSession, atelier_id: str) -> bool:
    """Whether the atelier is closed (what its screens say instead of offering a change)."""
    status = await session.scalar(select(AtelierRow.status).where(AtelierRow.id == atelier_id))
    return status == AtelierStatus.CLOSE.value


async def close_atelier(
    engine: AsyncEngine, actor: Actor, atelier_id: str, body: AtelierClose, today: date
) -> tuple[AtelierRow, Closing, list[SessionRow]]:
    """« Clore l'atelier »: its facilitators (those who edit it) end it, with an optional
    public reason. Nothing is deleted: its documents, versions and séances stay readable; it
    changes no more, its séances neither, and its join codes let no one in (410
    ``atelier_closed``). Its séances still ahead (``today`` is the city's) and not started are
    cancelled with the same reason, so that its page and calendars announce no meeting that
    will not happen; they are returned, for their open screens to hear it. Its documents are
    read-only from now on (:func:`read_only_reason`). Its subscribers are told, once. 409
    ``atelier_already_closed``."""
    require(actor, Action.MANAGE_ATELIER, atelier_id)
    reason = normalize_line(body.reason) if body.reason is not None else ""
    async with transaction(engine) as session:
        row = await session.get(AtelierRow, atelier_id, with_for_update=True)
        if row is None:
            raise Problem(404, "atelier_not_found", "Atelier introuvable.", "Atelier not found.")
        if row.status == AtelierStatus.CLOSE.value:
            raise Conflict(
                "atelier_already_closed",
                "Cet atelier est déjà clos.",
                "This atelier is already closed.",
            )
        row.status = close(atelier_from_row(row)).status.value
        stamp = row.updated_at = now()
        seances = await session.scalars(
            select(SessionRow).where(SessionRow.atelier_id == atelier_id).with_for_update()
        )
        cancelled: list[SessionRow] = []
        for seance in seances:
            planned = session_from_row(seance)
            if planned.cancelled or planned.started or planned.date < today:
                continue
            # The reason its page and calendars show: the closing's, as typed (French first).
            why = _CLOSED_FR + (f" : {reason}" if reason else "")
            seance.data = _revised(seance.data, cancelled_at=stamp.isoformat(), cancel_reason=why)
            seance.updated_at = stamp
            cancelled.append(seance)
        await record(
            session,
            atelier_id,
            _CLOSED,
            _CLOSED_FR + (_REASON_FR + reason if reason else ""),
            _CLOSED_EN + (_REASON_EN + reason if reason else ""),
        )
        audit(session, atelier_id, actor.participant_id, _CLOSED, atelier_id, reason=reason)
        if row.listed:
            body_fr = f"L’atelier « {row.title} » est clos : ses séances n’ont plus lieu, "
            body_fr += "ce qu’il a écrit reste consultable sur sa page."
            body_en = f"The “{row.title}” atelier is closed: it holds no more séances; what it "
            body_en += "wrote stays on its page."
            if reason:
                body_fr += f"\n\nMotif : {reason}"
                body_en += f"\n\nReason: {reason}"
            await subscriptions.notify(
                session,
                subscriptions.atelier_scopes(row),
                f"{row.title} : l’atelier est clos",
                f"{row.title}: the atelier is closed",
                body_fr,
                f"/decouvrir/ateliers/{row.id}",
                body_en=body_en,
            )
    return row, Closing(stamp, reason or None), cancelled


async def reopen_atelier(engine: AsyncEngine, atelier_id: str, staff: str) -> AtelierRow:
    """The city's staff reopen a closed atelier (closed by mistake, or taken up again): back
    to ``en_constitution``, or ``constituee`` when enough residents accepted its charter.
    Staff only: a closing is public (its page, its followers told), and a facilitator who
    closed it changes nothing of a closed atelier. 409 ``atelier_not_closed``."""
    async with transaction(engine) as session:
        row = await session.get(AtelierRow, atelier_id, with_for_update=True)
        if row is None:
            raise Problem(404, "atelier_not_found", "Atelier introuvable.", "Atelier not found.")
        rows = await session.scalars(
            select(ParticipantRow).where(ParticipantRow.atelier_id == atelier_id)
        )
        after = reopen(atelier_from_row(row), [participant_from_row(r) for r in rows])
        row.status = after.status.value
        row.updated_at = now()
        await record(
            session,
            atelier_id,
            "atelier_reopened",
            f"Atelier rouvert par la Ville ({staff})",
            f"Atelier reopened by the city ({staff})",
        )
        audit(session, atelier_id, f"staff:{staff}"[:64], "atelier_reopened", atelier_id)
    return row


async def unlisted(engine: AsyncEngine) -> list[AtelierRow]:
    """Ateliers waiting for the city's approval, oldest first."""
    async with reading(engine) as session:
        found = await session.scalars(
            select(AtelierRow)
            .where(AtelierRow.listed.is_(False))
            .order_by(AtelierRow.created_at, AtelierRow.id)
        )
        return list(found.all())


async def get_image(engine: AsyncEngine, atelier_id: str) -> AtelierImageRow | None:
    async with reading(engine) as session:
        return await session.get(AtelierImageRow, atelier_id)

"""At the door: who is in the room at a séance, and the facilitator's check-out of a person.

Names are personal data: only those who run the séance (``Action.MANAGE_SESSION``) read the
list; everyone else sees counts by role (``attendance_counts``, the live channel). Checking in
is in ``server.services.ateliers`` (``check_in``, ``check_in_for``, ``add_walk_in``).

Two counts, on purpose: who is *here* (checked in and not gone: what the room's screens show)
and who *came* (everyone who checked in at some point: what the minutes and every frozen
version report, since someone who left at the break still took part).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.errors import Conflict
from domain.roles import Action
from server.actors import Actor
from server.db.models import AttendanceRow, InvitationRow, ParticipantRow
from server.db.writes import reading, transaction
from server.errors import Problem
from server.services.ateliers import get_seance, now, refuse_if_atelier_closed, require

__all__ = ["Attendee", "DoorList", "attendance_list", "check_out_for"]


@dataclass(frozen=True)
class Attendee:
    participant_id: str
    display_name: str
    role: str
    checked_in_at: datetime
    #: ``None`` while they are here.
    checked_out_at: datetime | None
    #: Registered at the door, without a phone (``add_walk_in``).
    walk_in: bool


@dataclass(frozen=True)
class DoorList:
    #: Everyone who checked in at this séance, gone or not, by name.
    people: list[Attendee]
    #: The facilitator's count of the room, if recorded (``PUT …/headcount``).
    headcount: int | None


# A walk-in's slip (``add_walk_in``) is an invitation made out to them when it is issued:
# ``used_by`` names them before any use (``used_at`` is set later, if they ever join from a
# device with it). An ordinary invitation gets ``used_by`` and ``used_at`` at once, the instant
# its holder joins, which is also their ``joined_at`` (``join``).
_WALK_IN = exists(
    select(InvitationRow.code).where(
        InvitationRow.used_by == ParticipantRow.id,
        or_(InvitationRow.used_at.is_(None), InvitationRow.used_at != ParticipantRow.joined_at),
    )
)


async def attendance_list(engine: AsyncEngine, actor: Actor, session_id: str) -> DoorList:
    """Who checked in at the séance, for those who run it (403 for anyone else)."""
    async with reading(engine) as session:
        seance = await get_seance(session, session_id)
        require(actor, Action.MANAGE_SESSION, seance.atelier_id)
        rows = (
            await session.execute(
                select(
                    ParticipantRow.id,
                    ParticipantRow.display_name,
                    ParticipantRow.role,
                    AttendanceRow.checked_in_at,
                    AttendanceRow.checked_out_at,
                    _WALK_IN,
                )
                .join(AttendanceRow, AttendanceRow.participant_id == ParticipantRow.id)
                .where(AttendanceRow.session_id == session_id)
            )
        ).all()
    people = sorted(
        (Attendee(*row) for row in rows), key=lambda a: (a.display_name.casefold(), a.role)
    )
    headcount = seance.data.get("headcount")
    return DoorList(people, headcount if isinstance(headcount, int) else None)


async def check_out_for(
    engine: AsyncEngine, actor: Actor, session_id: str, participant_id: str
) -> ParticipantRow:
    """The facilitator records that someone left the room. Idempotent: someone already gone
    keeps the time they left (a double click is one departure). Someone who never checked in
    at this séance: 409 ``not_checked_in``; unknown here: 404; in a closed atelier, whose
    attendance stays as it was when it closed: 409 ``atelier_closed``."""
    async with transaction(engine) as session:
        seance = await get_seance(session, session_id)
        require(actor, Action.MANAGE_SESSION, seance.atelier_id)
        await refuse_if_atelier_closed(session, seance.atelier_id)
        person = await session.get(ParticipantRow, participant_id)
        if person is None or person.atelier_id != seance.atelier_id:
            raise Problem(
                404, "participant_not_found", "Participant·e introuvable.", "Participant not found."
            )
        row = (
            await session.execute(
                select(AttendanceRow)
                .where(
                    AttendanceRow.session_id == session_id,
                    AttendanceRow.participant_id == participant_id,
                )
                .with_for_update()
            )
        ).scalar()
        if row is None:
            raise Conflict(
                "not_checked_in",
                f"{person.display_name} n’a pas été pointé·e présent·e à cette séance.",
                f"{person.display_name} was not checked in at this séance.",
            )
        if row.checked_out_at is None:
            row.checked_out_at = now()
    return person

"""At the door, for those who run the séance: who is checked in, and checking someone out.

Checking in stays where it was (``POST /api/sessions/{id}/attendance``, ``…/walk-ins``, and a
participant's own ``…/check-in`` and ``…/check-out`` in ``server.routes.ateliers``). Every change
publishes ``attendance_changed`` with the counts by role of who is here, so the room's screens
and a second facilitator's console follow; the names go only to those who run the séance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, delete
from litestar.di import Provide

from domain.roles import Role
from server.actors import Actor, current_actor
from server.live import AttendanceChanged
from server.services import ateliers as svc
from server.services import door
from server.state import AppServices

__all__ = ["AttendanceRead", "AttendeeRead", "DoorController", "read_attendance"]


class AttendeeRead(msgspec.Struct):
    participant_id: str
    display_name: str
    role: str
    role_label_fr: str
    checked_in_at: datetime
    #: When they left; ``null`` while they are here.
    checked_out_at: datetime | None
    #: Registered at the door, without a phone (they got a slip).
    walk_in: bool


class AttendanceRead(msgspec.Struct):
    session_id: str
    #: Checked in and not gone: what the room's screens count.
    here: int
    #: Everyone who checked in, gone or not: what the minutes count.
    came: int
    here_by_role: dict[str, int]
    #: The facilitator's count of the room, people without a phone included, if recorded.
    headcount: int | None
    #: By name; those who left too, with the time they left.
    people: list[AttendeeRead]


def attendance_read(session_id: str, listed: door.DoorList) -> AttendanceRead:
    people = [
        AttendeeRead(
            a.participant_id,
            a.display_name,
            a.role,
            Role(a.role).label_fr,
            a.checked_in_at,
            a.checked_out_at,
            a.walk_in,
        )
        for a in listed.people
    ]
    here = [p for p in people if p.checked_out_at is None]
    by_role: dict[str, int] = {}
    for person in here:
        by_role[person.role] = by_role.get(person.role, 0) + 1
    return AttendanceRead(session_id, len(here), len(people), by_role, listed.headcount, people)


async def read_attendance(
    request: Request[Any, Any, Any], actor: Actor, session_id: str
) -> AttendanceRead:
    """``GET /api/sessions/{id}/attendance``, declared in ``AtelierController`` beside the
    ``POST`` of the same path (Litestar wants one controller per path)."""
    engine = AppServices.of(request.app).engine
    return attendance_read(session_id, await door.attendance_list(engine, actor, session_id))


#: What ``GET /api/sessions/{id}/attendance`` says in the OpenAPI document.
LIST_DESCRIPTION = (
    "Everyone checked in at the séance, with the time they arrived, the time they left if they "
    "did, and whether they were registered at the door without a phone; the counts of who is "
    "here and of who came. Names are personal data: for those who run the séance only (403 for "
    "anyone else, who sees counts by role on the séance)."
)


class DoorController(Controller):
    path = "/api/sessions"
    tags = ["ateliers"]
    dependencies = {"actor": Provide(current_actor)}

    @delete(
        "/{session_id:str}/attendance/{participant_id:str}",
        summary="Accueil : pointer le départ d’une personne",
        description=(
            "The person leaves the room: the room's counts go down, the minutes still count "
            "them (they came). Idempotent: someone already gone keeps the time they left. "
            "409 `not_checked_in` for someone never checked in at this séance. Answers the list "
            "as `GET /api/sessions/{id}/attendance` does."
        ),
        status_code=200,
    )
    async def check_out(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str, participant_id: str
    ) -> AttendanceRead:
        services = AppServices.of(request.app)
        await door.check_out_for(services.engine, actor, session_id, participant_id)
        counts = await svc.attendance_counts(services.engine, session_id)
        await services.live.publish(session_id, AttendanceChanged(session_id, counts))
        return await read_attendance(request, actor, session_id)

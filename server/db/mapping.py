"""Rows ⇄ domain values: the service hands the domain plain values and stores what it returns."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.ateliers import Atelier, AtelierKind, AtelierStatus, Charter, Instance, Scope
from domain.joining import Invitation
from domain.roles import Role
from domain.sessions import Participant
from server.db.models import AtelierRow, InvitationRow, ParticipantRow

__all__ = [
    "atelier_from_row",
    "atelier_to_row",
    "aware",
    "invitation_from_row",
    "participant_from_row",
    "participant_to_row",
]


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def atelier_from_row(row: AtelierRow) -> Atelier:
    return Atelier(
        id=row.id,
        title=row.title,
        subject=row.subject,
        kind=AtelierKind(row.kind),
        scope=Scope(row.scope),
        neighbourhood=row.neighbourhood,
        instances=tuple(Instance(i) for i in row.instances),
        pilots=tuple(row.pilots),
        image=row.image,
        charter=Charter(version=row.charter_version, text=row.charter_text),
        min_residents=row.min_residents,
        status=AtelierStatus(row.status),
    )


def atelier_to_row(atelier: Atelier, row: AtelierRow | None = None) -> AtelierRow:
    row = row or AtelierRow(id=atelier.id)
    row.title, row.subject = atelier.title, atelier.subject
    row.kind, row.scope, row.neighbourhood = (
        atelier.kind.value,
        atelier.scope.value,
        atelier.neighbourhood,
    )
    row.instances = [i.value for i in atelier.instances]
    row.pilots = list(atelier.pilots)
    row.image = atelier.image
    row.charter_version, row.charter_text = atelier.charter.version, atelier.charter.text
    row.min_residents, row.status = atelier.min_residents, atelier.status.value
    return row


def invitation_from_row(row: InvitationRow) -> Invitation:
    return Invitation(
        code=row.code,
        atelier_id=row.atelier_id,
        role=Role(row.role),
        expires_at=aware(row.expires_at) or row.expires_at,
        created_by=row.created_by,
        used_at=aware(row.used_at),
        used_by=row.used_by,
    )


def participant_from_row(row: ParticipantRow) -> Participant:
    return Participant(
        id=row.id,
        atelier_id=row.atelier_id,
        display_name=row.display_name,
        role=Role(row.role),
        charter_version=row.charter_version,
        joined_at=aware(row.joined_at) or row.joined_at,
        revoked_at=aware(row.revoked_at),
        show_name_in_minutes=row.show_name_in_minutes,
    )


def participant_to_row(participant: Participant) -> ParticipantRow:
    return ParticipantRow(
        id=participant.id,
        atelier_id=participant.atelier_id,
        display_name=participant.display_name,
        role=participant.role.value,
        charter_version=participant.charter_version,
        show_name_in_minutes=participant.show_name_in_minutes,
        joined_at=participant.joined_at,
        revoked_at=participant.revoked_at,
    )

"""A person's data (RGPD): what is held about a participant, erasing their name, retention.

*Access* (:func:`personal_data`): the participant's row, their check-ins, the sections they
wrote in, invitations, the polls they voted in and their public ballots, the audit entries and
proposal steps that name them, the frozen versions that name them, and their comments. Never a
secret ballot's content: nothing links it to its voter (``server.db.models.BallotRow``), so
there is nothing to give — the answer says so.

*Erasure* (:func:`erase`): the name leaves the live data — the participant keeps their row
(their ballots are counted, their check-ins make the headcount) under a pseudonym,
« Participant·e effacé·e n° 7 », with their tokens revoked and their consent to be named
withdrawn; the audit log, which names people by participant id only, then reads the
pseudonym, and any detail holding the name is rewritten; the proposal steps they took and the
comments they wrote say the pseudonym. In versions of format 2 their name and its salt are
deleted from beside the version: the commitment stays in the hashed content, which still
verifies, and readers see « (nom effacé) ». Versions of format 1 (frozen before names were
committed) hold the name in what is hashed: erasing it there would break the version's hash and
every link after it.
Erasure then refuses (409 ``named_in_frozen_versions``, listing them) unless asked to go on
with ``keep_old_versions``: the live data is erased and those versions, kept unchanged as the
record of what was frozen, are listed in the answer and in the audit entry.

*Retention* (:func:`run_retention`): participants whose last sign of life (joining, a check-in,
a request with their token — noted once a day) is older than the city's
``ATELIER_RETENTION_DAYS_PARTICIPANTS`` are erased as above (format-1 versions kept); audit
entries older than ``ATELIER_RETENTION_DAYS_AUDIT`` are deleted.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain import names as people
from domain.roles import Action, Role, can
from server.db.models import (
    AmendmentRow,
    AtelierRow,
    AttendanceRow,
    AuditRow,
    BallotRow,
    CommentRow,
    ContributionRow,
    InvitationRow,
    ParticipantRow,
    PollRow,
    PollVoterRow,
    ProposalEventRow,
    ProposalRow,
    ProposalVersionRow,
    SessionRow,
    VersionNameRow,
)
from server.db.writes import reading, transaction
from server.errors import Problem
from server.services.ateliers import audit, now

__all__ = [
    "SECRET_BALLOTS_NOTE",
    "check_may_act",
    "erase",
    "personal_data",
    "run_retention",
]

log = logging.getLogger("atelier.people")

SECRET_BALLOTS_NOTE = {
    "fr": (
        "Le contenu de vos bulletins secrets n’est pas lié à vous : la base garde seulement que "
        "vous avez voté, jamais ce que vous avez voté. Il n’y a donc rien à vous communiquer ni "
        "à effacer à ce sujet."
    ),
    "en": (
        "Your secret ballots' content is not linked to you: the database keeps only that you "
        "voted, never what you voted. There is nothing about it to give you or to erase."
    ),
}


def _not_found() -> Problem:
    return Problem(
        404, "participant_not_found", "Participant·e introuvable.", "Participant not found."
    )


def check_may_act(actor: Any, row: ParticipantRow) -> None:
    """The person themself, or a facilitator of their atelier (who manages it); else 403.
    ``actor`` is a :class:`server.actors.Actor`."""
    if actor.participant_id == row.id:
        return
    if actor.atelier_id == row.atelier_id and can(Role(actor.role), Action.MANAGE_ATELIER):
        return
    if actor.atelier_id != row.atelier_id:
        raise _not_found()  # another atelier's people do not exist for this token
    raise Problem(
        403,
        "forbidden",
        "Seules la personne elle-même et l’animation de l’atelier le peuvent.",
        "Only the person themself and the atelier's facilitators may.",
    )


async def participant(engine: AsyncEngine, participant_id: str) -> ParticipantRow:
    async with reading(engine) as session:
        row = await session.get(ParticipantRow, participant_id)
    if row is None:
        raise _not_found()
    return row


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


async def _old_versions_naming(
    session: AsyncSession, atelier_id: str, name: str
) -> list[dict[str, Any]]:
    """Format-1 versions of the atelier whose hashed content holds ``name`` (by name: a
    namesake's versions are listed too — the list says « may name »)."""
    found = []
    rows = await session.scalars(
        select(ProposalVersionRow)
        .join(ProposalRow, ProposalRow.id == ProposalVersionRow.proposal_id)
        .where(ProposalRow.atelier_id == atelier_id, ProposalVersionRow.format == 1)
        .order_by(ProposalVersionRow.proposal_id, ProposalVersionRow.number)
    )
    for version in rows:
        where = people.named_places(version.content, name)
        if version.created_by == name:
            where.insert(0, "created_by")
        if where:
            found.append(
                {
                    "proposal_id": version.proposal_id,
                    "number": version.number,
                    "format": 1,
                    "where": where,
                    "hash": version.hash,
                }
            )
    return found


async def personal_data(engine: AsyncEngine, participant_id: str) -> dict[str, Any]:
    """Everything held about a participant, as JSON-ready data (module docstring)."""
    async with reading(engine) as session:
        row = await session.get(ParticipantRow, participant_id)
        if row is None:
            raise _not_found()
        atelier = await session.get(AtelierRow, row.atelier_id)
        attendance = [
            {
                "session_id": a.session_id,
                "session_number": number,
                "date": (data or {}).get("date"),
                "checked_in_at": _iso(a.checked_in_at),
                "checked_out_at": _iso(a.checked_out_at),
            }
            for a, number, data in (
                await session.execute(
                    select(AttendanceRow, SessionRow.number, SessionRow.data)
                    .join(SessionRow, SessionRow.id == AttendanceRow.session_id)
                    .where(AttendanceRow.participant_id == row.id)
                    .order_by(SessionRow.number)
                )
            ).all()
        ]
        contributions = [
            {"proposal_id": pid, "proposal_title": title, "section": section}
            for pid, title, section in (
                await session.execute(
                    select(ContributionRow.proposal_id, ProposalRow.title, ContributionRow.section)
                    .join(ProposalRow, ProposalRow.id == ContributionRow.proposal_id)
                    .where(ContributionRow.participant_id == row.id)
                    .order_by(ContributionRow.proposal_id, ContributionRow.section)
                )
            ).all()
        ]
        invitations = [
            {
                "code": inv.code,
                "role": inv.role,
                "created_by_them": inv.created_by == row.id,
                "used_by_them": inv.used_by == row.id,
                "expires_at": _iso(inv.expires_at),
                "used_at": _iso(inv.used_at),
            }
            for inv in await session.scalars(
                select(InvitationRow)
                .where(or_(InvitationRow.created_by == row.id, InvitationRow.used_by == row.id))
                .order_by(InvitationRow.expires_at)
            )
        ]
        voted = [
            {"poll_id": poll.id, "title": poll.title, "secret": poll.secret}
            for poll in await session.scalars(
                select(PollRow)
                .join(PollVoterRow, PollVoterRow.poll_id == PollRow.id)
                .where(PollVoterRow.participant_id == row.id)
                .order_by(PollRow.created_at)
            )
        ]
        public_ballots = [
            {"poll_id": b.poll_id, "origin": b.origin, "role": b.role, "content": b.content}
            for b in await session.scalars(
                select(BallotRow)
                .where(BallotRow.participant_id == row.id)
                .order_by(BallotRow.poll_id)
            )
        ]
        audit_rows = await session.scalars(
            select(AuditRow).where(AuditRow.atelier_id == row.atelier_id).order_by(AuditRow.id)
        )
        audit_entries = []
        for entry in audit_rows:
            as_ = []
            if entry.actor_id == row.id:
                as_.append("actor")
            if entry.target == row.id:
                as_.append("target")
            if row.id in (entry.details or {}).values():
                as_.append("details")
            if as_:
                audit_entries.append(
                    {
                        "at": _iso(entry.created_at),
                        "action": entry.action,
                        "target": entry.target,
                        "details": entry.details,
                        "names_them_as": as_,
                    }
                )
        steps = [
            {"proposal_id": e.proposal_id, "step": e.step, "at": _iso(e.at), "by": e.actor}
            for e in await session.scalars(
                select(ProposalEventRow)
                .join(ProposalRow, ProposalRow.id == ProposalEventRow.proposal_id)
                .where(
                    ProposalRow.atelier_id == row.atelier_id,
                    or_(
                        ProposalEventRow.actor_id == row.id,
                        (ProposalEventRow.actor_id.is_(None))
                        & (ProposalEventRow.actor == row.display_name)
                        & (ProposalEventRow.actor_role == row.role),
                    ),
                )
                .order_by(ProposalEventRow.id)
            )
        ]
        versions = []
        for kept, version in (
            await session.execute(
                select(VersionNameRow, ProposalVersionRow)
                .join(
                    ProposalVersionRow,
                    (ProposalVersionRow.proposal_id == VersionNameRow.proposal_id)
                    & (ProposalVersionRow.number == VersionNameRow.number),
                )
                .where(VersionNameRow.participant_id == row.id)
                .order_by(VersionNameRow.proposal_id, VersionNameRow.number)
            )
        ).all():
            where = people.named_places(version.content, kept.commitment)
            if version.created_by == kept.commitment:
                where.insert(0, "created_by")
            versions.append(
                {
                    "proposal_id": version.proposal_id,
                    "number": version.number,
                    "format": version.format,
                    "where": where,
                    "commitment": kept.commitment,
                    "name": kept.name,
                    "salt": kept.salt,
                    "hash": version.hash,
                }
            )
        if row.erased_at is None:
            versions += await _old_versions_naming(session, row.atelier_id, row.display_name)
        comments = [
            {
                "id": c.id,
                "proposal_id": c.proposal_id,
                "thread_id": c.thread_id,
                "section": c.section,
                "author_name": c.author_name,
                "body": c.body,
                "quote": c.quote,
                "created_at": _iso(c.created_at),
                "deleted_at": _iso(c.deleted_at),
            }
            for c in await session.scalars(
                select(CommentRow)
                .where(CommentRow.participant_id == row.id)
                .order_by(CommentRow.created_at, CommentRow.id)
            )
        ]
        amendments = [
            {
                "id": a.id,
                "proposal_id": a.proposal_id,
                "section": a.section,
                "quote": a.quote,
                "replacement": a.replacement,
                "rationale": a.rationale,
                "status": a.status,
                "created_at": _iso(a.created_at),
                "decided_at": _iso(a.decided_at),
            }
            for a in await session.scalars(
                select(AmendmentRow)
                .where(AmendmentRow.participant_id == row.id)
                .order_by(AmendmentRow.created_at, AmendmentRow.id)
            )
        ]
    return {
        "participant": {
            "id": row.id,
            "atelier_id": row.atelier_id,
            "display_name": row.display_name,
            "role": row.role,
            "charter_version": row.charter_version,
            "show_name_in_minutes": row.show_name_in_minutes,
            "joined_at": _iso(row.joined_at),
            "last_seen_at": _iso(row.last_seen_at),
            "revoked_at": _iso(row.revoked_at),
            "erased_at": _iso(row.erased_at),
        },
        "atelier": {"id": atelier.id, "title": atelier.title} if atelier else None,
        "attendance": attendance,
        "contributions": contributions,
        "invitations": invitations,
        "votes": {
            "polls_voted_in": voted,
            "public_ballots": public_ballots,
            "secret_ballots": SECRET_BALLOTS_NOTE,
        },
        "audit": audit_entries,
        "proposal_steps": steps,
        "versions": versions,
        "comments": comments,
        "amendments": amendments,
    }


async def erase(
    engine: AsyncEngine,
    participant_id: str,
    *,
    by: str,
    keep_old_versions: bool = False,
) -> dict[str, Any]:
    """Erase a participant's name (module docstring); ``by`` is who asked (a participant id,
    ``operator`` or ``retention``) for the audit log. Erasing twice changes nothing more."""
    async with transaction(engine) as session:
        row = await session.get(ParticipantRow, participant_id, with_for_update=True)
        if row is None:
            raise _not_found()
        if row.erased_at is not None:
            return {
                "participant_id": row.id,
                "pseudonym": row.display_name,
                "erased_at": _iso(row.erased_at),
                "already_erased": True,
                "version_names_erased": 0,
                "old_versions_kept": [],
            }
        name, stamp = row.display_name, now()
        old = await _old_versions_naming(session, row.atelier_id, name)
        if old and not keep_old_versions:
            raise Problem(
                409,
                "named_in_frozen_versions",
                "Ce nom figure dans des versions figées avant l’effacement des noms "
                "(format 1) : il fait partie de leur empreinte, l’effacer casserait leur "
                "vérification. Confirmez avec keep_old_versions (--keep-old-versions) pour "
                "effacer le reste en gardant ces versions telles quelles.",
                "This name is in versions frozen before names could be erased (format 1): it "
                "is part of their hash, and erasing it would break their verification. "
                "Confirm with keep_old_versions (--keep-old-versions) to erase the rest and "
                "keep those versions as they are.",
                versions=old,
            )
        # One number per erased person of the atelier, in order (the atelier's row is the lock).
        await session.get(AtelierRow, row.atelier_id, with_for_update=True)
        erased_before = await session.scalar(
            select(func.count())
            .select_from(ParticipantRow)
            .where(
                ParticipantRow.atelier_id == row.atelier_id, ParticipantRow.erased_at.is_not(None)
            )
        )
        alias = people.pseudonym(int(erased_before or 0) + 1)
        row.display_name = alias
        row.show_name_in_minutes = False
        row.erased_at = stamp
        if row.revoked_at is None:
            row.revoked_at = stamp  # every token of theirs is refused from now on
        cleared = await session.execute(
            update(VersionNameRow)
            .where(VersionNameRow.participant_id == row.id)
            .values(name=None, salt=None, participant_id=None)
        )
        of_atelier = select(ProposalRow.id).where(ProposalRow.atelier_id == row.atelier_id)
        await session.execute(
            update(ProposalEventRow)
            .where(
                ProposalEventRow.proposal_id.in_(of_atelier),
                or_(
                    ProposalEventRow.actor_id == row.id,
                    (ProposalEventRow.actor_id.is_(None))
                    & (ProposalEventRow.actor == name)
                    & (ProposalEventRow.actor_role == row.role),
                ),
            )
            .values(actor=alias)
        )
        # Their comments stay (what they wrote is the discussion), signed with the pseudonym.
        await session.execute(
            update(CommentRow).where(CommentRow.participant_id == row.id).values(author_name=alias)
        )
        for proposal in await session.scalars(
            select(ProposalRow).where(ProposalRow.atelier_id == row.atelier_id)
        ):
            decision = proposal.decision or {}
            if decision.get("recorded_by") == name:
                proposal.decision = {**decision, "recorded_by": alias}
        for entry in await session.scalars(
            select(AuditRow).where(AuditRow.atelier_id == row.atelier_id)
        ):
            details = entry.details or {}
            if name in details.values():
                entry.details = {k: (alias if v == name else v) for k, v in details.items()}
        kept = [{"proposal_id": v["proposal_id"], "number": v["number"]} for v in old]
        audit(
            session,
            row.atelier_id,
            by,
            "erase",
            row.id,
            pseudonym=alias,
            old_versions_kept=kept,
        )
        return {
            "participant_id": row.id,
            "pseudonym": alias,
            "erased_at": _iso(stamp),
            "already_erased": False,
            "version_names_erased": int(cleared.rowcount or 0),  # type: ignore[attr-defined]
            "old_versions_kept": kept,
        }


async def run_retention(
    engine: AsyncEngine,
    *,
    participant_days: int,
    audit_days: int,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Erase participants inactive for longer than ``participant_days`` and delete audit
    entries older than ``audit_days`` (0: that part is off). Idempotent; any instance may run
    it at any time."""
    moment = at or now()
    erased: list[dict[str, Any]] = []
    purged = 0
    if participant_days > 0:
        cutoff = moment - timedelta(days=participant_days)
        recent_check_in = select(AttendanceRow.participant_id).where(
            AttendanceRow.checked_in_at >= cutoff
        )
        async with reading(engine) as session:
            stale = list(
                await session.scalars(
                    select(ParticipantRow.id)
                    .where(
                        ParticipantRow.erased_at.is_(None),
                        func.coalesce(ParticipantRow.last_seen_at, ParticipantRow.joined_at)
                        < cutoff,
                        ParticipantRow.id.not_in(recent_check_in),
                    )
                    .order_by(ParticipantRow.joined_at)
                )
            )
        for participant_id in stale:
            erased.append(
                await erase(engine, participant_id, by="retention", keep_old_versions=True)
            )
    if audit_days > 0:
        async with transaction(engine) as session:
            result = await session.execute(
                delete(AuditRow).where(AuditRow.created_at < moment - timedelta(days=audit_days))
            )
            purged = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if erased or purged:
        log.info("retention: %d participants erased, %d audit entries deleted", len(erased), purged)
    return {"participants_erased": erased, "audit_entries_deleted": purged}

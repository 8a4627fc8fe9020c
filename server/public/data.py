"""What the public pages and calendars read: listed ateliers, their séances, their published
proposals — and nothing about anyone.

Only ateliers with ``listed`` true exist here (an atelier d'initiative citoyenne stays unlisted
until the city approves it or it is constituted); an unlisted one reads as ``None``, as an
unknown one does. Nothing below reads a participant's name, a ballot or an attendance record:
a séance says where and when; the constitution count is a number.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.ateliers import AtelierKind, AtelierStatus, Instance, Scope
from domain.proposals import ProposalStatus
from domain.roles import Role
from server.db.mapping import aware
from server.db.models import (
    AtelierRow,
    ParticipantRow,
    ProposalRow,
    ProposalVersionRow,
    SessionRow,
)
from server.db.writes import reading
from server.public.seances import PublicSeance
from server.services import projects
from server.services.ateliers import closing_of, session_from_row

__all__ = [
    "CALENDAR_LIMIT",
    "Directory",
    "Filters",
    "PublicAtelier",
    "PublicProposal",
    "PublicSeance",
    "Stage",
    "atelier_page",
    "atelier_seances",
    "directory",
    "instance_ateliers",
    "instance_seances",
]

#: At most this many séances in one calendar feed, the latest dates first.
CALENDAR_LIMIT: Final = 1000


class Stage(StrEnum):
    """Where an atelier stands, as a visitor asks it: forming, working, or over."""

    EN_CONSTITUTION = "en_constitution"
    ACTIF = "actif"
    TERMINE = "termine"

    @classmethod
    def of(cls, status: str) -> Stage:
        if status == AtelierStatus.EN_CONSTITUTION.value:
            return cls.EN_CONSTITUTION
        if status == AtelierStatus.CLOSE.value:
            return cls.TERMINE
        return cls.ACTIF  # constituted or active: it works


@dataclass(frozen=True)
class PublicProposal:
    """A proposal the atelier published (frozen at least, not archived), and where it stands."""

    id: str
    title: str
    kind: str
    status: ProposalStatus
    decision: dict[str, object] | None
    #: Its latest frozen version (its public page), if any.
    latest_version: int | None = None


@dataclass(frozen=True)
class PublicAtelier:
    id: str
    title: str
    subject: str
    kind: AtelierKind
    scope: Scope
    neighbourhood: str | None
    instances: tuple[Instance, ...]
    pilots: tuple[str, ...]
    financing: str | None
    charter_text: str
    min_residents: int
    status: AtelierStatus
    has_image: bool
    updated_at: dt.datetime
    #: The séance to come soonest (today's included) and not cancelled, if any.
    next_seance: PublicSeance | None = None
    #: Filled for the atelier's own page only.
    seances: tuple[PublicSeance, ...] = ()
    proposals: tuple[PublicProposal, ...] = ()
    #: Habitant·es who joined and accepted the current charter (for an AIC's page).
    residents: int | None = None
    #: A closed atelier's closing, the city's day and the public reason (its own page only).
    closing: tuple[dt.date, str | None] | None = None

    @property
    def stage(self) -> Stage:
        if self.kind is AtelierKind.PROJET and self.status is AtelierStatus.EN_CONSTITUTION:
            # The constitution threshold is an AIC's (README « Ce que chaque type permet »): an
            # AP is the city's project, at work from its creation.
            return Stage.ACTIF
        return Stage.of(self.status.value)


@dataclass(frozen=True)
class Filters:
    """The directory's filters; ``None``: any. ``where`` is a neighbourhood's name, or
    ``"ville"`` for the city-wide ateliers."""

    where: str | None = None
    instance: Instance | None = None
    kind: AtelierKind | None = None
    stage: Stage | None = None

    def keep(self, atelier: PublicAtelier) -> bool:
        if self.where == "ville" and atelier.scope is not Scope.VILLE:
            return False
        if self.where not in (None, "ville") and atelier.neighbourhood != self.where:
            return False
        if self.instance is not None and self.instance not in atelier.instances:
            return False
        if self.kind is not None and atelier.kind is not self.kind:
            return False
        return self.stage is None or atelier.stage is self.stage


@dataclass(frozen=True)
class Directory:
    ateliers: tuple[PublicAtelier, ...]
    #: Every neighbourhood a listed atelier names, for the filter (before filtering).
    neighbourhoods: tuple[str, ...] = field(default=())


def _atelier(row: AtelierRow, next_seance: PublicSeance | None = None) -> PublicAtelier:
    return PublicAtelier(
        id=row.id,
        title=row.title,
        subject=row.subject,
        kind=AtelierKind(row.kind),
        scope=Scope(row.scope),
        neighbourhood=row.neighbourhood,
        instances=tuple(Instance(code) for code in row.instances),
        pilots=tuple(row.pilots),
        financing=row.financing,
        charter_text=row.charter_text,
        min_residents=row.min_residents,
        status=AtelierStatus(row.status),
        has_image=row.image is not None,
        updated_at=aware(row.updated_at) or row.updated_at,
        next_seance=next_seance,
    )


def _seance(row: SessionRow, title: str) -> PublicSeance:
    return PublicSeance(
        id=row.id,
        atelier_id=row.atelier_id,
        atelier_title=title,
        number=row.number,
        session=session_from_row(row),
        created_at=aware(row.created_at) or row.created_at,
        updated_at=aware(row.updated_at) or row.updated_at,
        revision=int(str(row.data.get("revision") or 0)),
    )


def _next(seances: Iterable[PublicSeance], today: dt.date) -> PublicSeance | None:
    coming = [s for s in seances if s.session.date >= today and not s.session.cancelled]
    return min(coming, key=_when, default=None)


def _when(seance: PublicSeance) -> tuple[dt.date, dt.time, int]:
    return (seance.session.date, seance.session.start_time or dt.time(0), seance.number)


async def _seances(engine: AsyncEngine, titles: dict[str, str]) -> dict[str, list[PublicSeance]]:
    by_atelier: dict[str, list[PublicSeance]] = {atelier_id: [] for atelier_id in titles}
    if not titles:
        return by_atelier
    async with reading(engine) as session:
        rows = await session.scalars(
            select(SessionRow).where(SessionRow.atelier_id.in_(list(titles)))
        )
        for row in rows:
            by_atelier[row.atelier_id].append(_seance(row, titles[row.atelier_id]))
    for seances in by_atelier.values():
        seances.sort(key=_when)
    return by_atelier


async def directory(engine: AsyncEngine, filters: Filters, today: dt.date) -> Directory:
    """The listed ateliers that pass ``filters``, by title, each with its next séance."""
    async with reading(engine) as session:
        rows = list(await session.scalars(select(AtelierRow).where(AtelierRow.listed.is_(True))))
    seances = await _seances(engine, {row.id: row.title for row in rows})
    ateliers = [_atelier(row, _next(seances[row.id], today)) for row in rows]
    shown = sorted((a for a in ateliers if filters.keep(a)), key=lambda a: a.title.casefold())
    hoods = sorted({a.neighbourhood for a in ateliers if a.neighbourhood}, key=str.casefold)
    return Directory(tuple(shown), tuple(hoods))


#: What a visitor may read of a proposal: frozen at least; a draft is the atelier's own.
_PUBLISHED: Final = tuple(s.value for s in ProposalStatus if s is not ProposalStatus.BROUILLON)


async def atelier_page(
    engine: AsyncEngine, atelier_id: str, today: dt.date, zone: dt.tzinfo = dt.UTC
) -> PublicAtelier | None:
    """A listed atelier with its séances (by date), its published proposals and, for an
    atelier d'initiative citoyenne, how many habitant·es count towards its constitution; a
    closed one's closing (its day in ``zone``, the city's); ``None`` if there is no such
    listed atelier."""
    async with reading(engine) as session:
        row = await session.get(AtelierRow, atelier_id)
        if row is None or not row.listed:
            return None
        proposals = await session.scalars(
            select(ProposalRow)
            .where(
                ProposalRow.atelier_id == atelier_id,
                ProposalRow.status.in_(_PUBLISHED),
                ProposalRow.archived_at.is_(None),
            )
            .order_by(ProposalRow.created_at, ProposalRow.id)
        )
        proposals = list(proposals)
        # A decision's milestones live with its project (server.services.projects).
        steps = await projects.steps_by_proposal(session, [p.id for p in proposals if p.decision])
        latest = dict(
            (
                await session.execute(
                    select(ProposalVersionRow.proposal_id, func.max(ProposalVersionRow.number))
                    .where(ProposalVersionRow.proposal_id.in_([p.id for p in proposals]))
                    .group_by(ProposalVersionRow.proposal_id)
                )
            )
            .tuples()
            .all()
        )
        published = tuple(
            PublicProposal(
                p.id,
                p.title,
                p.kind,
                ProposalStatus(p.status),
                projects.with_steps(p.decision, steps.get(p.id)),
                latest.get(p.id),
            )
            for p in proposals
        )
        residents = None
        if row.kind == AtelierKind.INITIATIVE_CITOYENNE.value:
            # The rule of domain.ateliers.constitution_status, counted in the database: a
            # habitant·e of this atelier, not revoked, who accepted the current charter.
            residents = await session.scalar(
                select(func.count(ParticipantRow.id)).where(
                    ParticipantRow.atelier_id == atelier_id,
                    ParticipantRow.role == Role.HABITANT.value,
                    ParticipantRow.revoked_at.is_(None),
                    ParticipantRow.charter_version == row.charter_version,
                )
            )
        closed = await closing_of(session, atelier_id) if row.status == "close" else None
    seances = (await _seances(engine, {row.id: row.title}))[row.id]
    return replace(
        _atelier(row, _next(seances, today)),
        seances=tuple(seances),
        proposals=published,
        residents=residents,
        closing=(closed.at.astimezone(zone).date(), closed.reason) if closed else None,
    )


async def atelier_seances(
    engine: AsyncEngine, atelier_id: str
) -> tuple[str, Sequence[PublicSeance]] | None:
    """A listed atelier's title and séances, for its calendar; ``None`` if there is no such
    atelier."""
    async with reading(engine) as session:
        row = await session.get(AtelierRow, atelier_id)
    if row is None or not row.listed:
        return None
    seances = (await _seances(engine, {row.id: row.title}))[row.id]
    return row.title, seances[-CALENDAR_LIMIT:]


async def instance_ateliers(engine: AsyncEngine, instance: Instance, today: dt.date) -> Directory:
    """The listed ateliers linked to ``instance``, as the directory shows them."""
    return await directory(engine, Filters(instance=instance), today)


def neighbourhood_key(name: str) -> str:
    """A neighbourhood's name as people type it, case and accents aside (« Neudorf »,
    « neudorf », « Neudörf »): how feeds and calendars of a quartier find its ateliers."""
    decomposed = unicodedata.normalize("NFKD", name.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


async def quartier_seances(engine: AsyncEngine, name: str) -> Sequence[PublicSeance] | None:
    """The séances of every listed atelier of the neighbourhood ``name``, for its calendar;
    None when no listed atelier is there."""
    wanted = neighbourhood_key(name)
    async with reading(engine) as session:
        rows = (
            await session.execute(
                select(AtelierRow.id, AtelierRow.title, AtelierRow.neighbourhood).where(
                    AtelierRow.listed.is_(True)
                )
            )
        ).tuples()
        titles = {
            aid: title for aid, title, hood in rows if hood and neighbourhood_key(hood) == wanted
        }
    if not titles:
        return None
    seances = [s for group in (await _seances(engine, titles)).values() for s in group]
    return sorted(seances, key=_when)[-CALENDAR_LIMIT:]


async def instance_seances(engine: AsyncEngine, instance: Instance) -> Sequence[PublicSeance]:
    """The séances of every listed atelier linked to ``instance``, for its calendar."""
    async with reading(engine) as session:
        rows = (
            await session.execute(
                select(AtelierRow.id, AtelierRow.title, AtelierRow.instances).where(
                    AtelierRow.listed.is_(True)
                )
            )
        ).tuples()
        titles = {aid: title for aid, title, codes in rows if instance.value in codes}
    seances = [s for group in (await _seances(engine, titles)).values() for s in group]
    return sorted(seances, key=_when)[-CALENDAR_LIMIT:]

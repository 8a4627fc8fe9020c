"""Subjects (issue 22, #2): proposed, moderated, supported, then constituted as an atelier
d'initiative citoyenne, taken up by the city as an atelier de projet, or declined.

Privacy: a subject keeps its initiator's display name and quartier (shown only when they chose
to), never an e-mail — the city answers on the subject's public page, which the initiator and
anyone may follow by its feed: an address would be one more personal datum to keep, protect and
erase, for an answer that is public anyway. A support keeps no name at all: keyed hashes
(HMAC with the instance's secret) of the folded name + quartier and of the browser's cookie,
enough to refuse a second support from the same person, useless to anyone reading the table.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.ateliers import AtelierKind, Instance, Scope, new_atelier
from domain.errors import Conflict, InvalidInput
from domain.roles import Role
from domain.subjects import (
    Outcome,
    SubjectDraft,
    SubjectState,
    check_reason,
    identity_key,
    next_state,
    threshold_met,
)
from server.db.mapping import atelier_to_row
from server.db.models import (
    AtelierRow,
    CharterVersionRow,
    ParticipantRow,
    SubjectEventRow,
    SubjectRankingRow,
    SubjectRow,
    SubjectSupportRow,
)
from server.db.writes import reading, transaction
from server.errors import Problem
from server.public.data import neighbourhood_key
from server.services.ateliers import new_id, record
from server.services.subscriptions import subject_news

__all__ = [
    "Decided",
    "PublicSubject",
    "atelier_origin",
    "decide",
    "events",
    "get_public",
    "list_public",
    "propose",
    "ranking",
    "set_ranking",
    "staff_list",
    "support",
]

#: The residents an AIC constituted from a subject needs to join before it is constituted (the
#: atelier's own threshold; the subject's supports were the first one).
AIC_MIN_RESIDENTS = 5
RANKING_MAX = 200


def _now() -> datetime:
    return datetime.now(UTC)


def _not_found() -> Problem:
    return Problem(404, "subject_not_found", "Sujet introuvable.", "Subject not found.")


def keyed(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def _event(
    session: AsyncSession,
    subject: SubjectRow,
    action: str,
    actor: str,
    fr: str,
    en: str,
    *,
    reason: str | None = None,
    public: bool,
) -> None:
    session.add(
        SubjectEventRow(
            subject_id=subject.id,
            action=action,
            actor=actor,
            reason=reason,
            summary_fr=fr,
            summary_en=en,
            public=public,
            created_at=_now(),
        )
    )


async def propose(
    engine: AsyncEngine, draft: SubjectDraft, *, instance: Instance | None, staff: str | None
) -> SubjectRow:
    """A new subject, waiting for moderation. ``instance``: proposed by that instance, through
    the member of the city's staff ``staff`` acting for it."""
    stamp = _now()
    row = SubjectRow(
        id=new_id(),
        title=draft.title,
        why=draft.why,
        neighbourhood=draft.neighbourhood,
        initiator_name=draft.initiator_name,
        initiator_neighbourhood=draft.initiator_neighbourhood,
        show_name=draft.show_name,
        instance=instance.value if instance else None,
        state=SubjectState.EN_MODERATION.value,
        supports=0,
        created_at=stamp,
        updated_at=stamp,
    )
    async with transaction(engine) as session:
        session.add(row)
        await session.flush()
        by = f"{instance.value} ({staff})" if instance else "public"
        _event(
            session,
            row,
            "proposed",
            by,
            f"Sujet proposé : « {row.title} »",
            f"Subject proposed: “{row.title}”",
            public=False,
        )
    return row


@dataclass(frozen=True)
class PublicSubject:
    """What anyone may read of a published subject: never a supporter, never the initiator's
    name unless they chose to show it."""

    id: str
    title: str
    why: str
    neighbourhood: str | None
    initiators: tuple[str, ...]
    instance: Instance | None
    state: SubjectState
    reason: str | None
    supports: int
    minimum: int
    atelier_id: str | None
    atelier_title: str | None
    atelier_kind: AtelierKind | None
    created_at: datetime
    rank: int | None = None

    @property
    def threshold_met(self) -> bool:
        return threshold_met(self.supports, self.minimum)


def _public(
    row: SubjectRow, minimum: int, atelier: AtelierRow | None, rank: int | None = None
) -> PublicSubject:
    return PublicSubject(
        id=row.id,
        title=row.title,
        why=row.why,
        neighbourhood=row.neighbourhood,
        initiators=(row.initiator_name,) if row.show_name else (),
        instance=Instance(row.instance) if row.instance else None,
        state=SubjectState(row.state),
        reason=row.reason,
        supports=row.supports,
        minimum=minimum,
        atelier_id=atelier.id if atelier is not None and atelier.listed else None,
        atelier_title=atelier.title if atelier is not None and atelier.listed else None,
        atelier_kind=AtelierKind(atelier.kind) if atelier is not None else None,
        created_at=row.created_at,
        rank=rank,
    )


_PUBLIC_STATES = [s.value for s in SubjectState if s.public]


async def get_public(engine: AsyncEngine, subject_id: str, minimum: int) -> PublicSubject | None:
    async with reading(engine) as session:
        row = await session.get(SubjectRow, subject_id)
        if row is None or not SubjectState(row.state).public:
            return None
        atelier = await session.get(AtelierRow, row.atelier_id) if row.atelier_id else None
        return _public(row, minimum, atelier)


async def list_public(
    engine: AsyncEngine,
    minimum: int,
    *,
    where: str | None = None,
    state: SubjectState | None = None,
    instance: Instance | None = None,
) -> list[PublicSubject]:
    """Published subjects. ``where``: a neighbourhood's name (any case or accent) or ``ville``.
    Ordered by ``instance``'s ranking when given (ranked first, then the others), else by
    supports, the most supported first."""
    async with reading(engine) as session:
        query = select(SubjectRow).where(SubjectRow.state.in_(_PUBLIC_STATES))
        if state is not None and state.public:
            query = query.where(SubjectRow.state == state.value)
        rows = list((await session.scalars(query)).all())
        ids = [r.atelier_id for r in rows if r.atelier_id]
        ateliers = (
            {
                a.id: a
                for a in await session.scalars(select(AtelierRow).where(AtelierRow.id.in_(ids)))
            }
            if ids
            else {}
        )
        ranks: dict[str, int] = {}
        if instance is not None:
            ranked = await session.execute(
                select(SubjectRankingRow.subject_id, SubjectRankingRow.position).where(
                    SubjectRankingRow.instance == instance.value
                )
            )
            ranks = {sid: position for sid, position in ranked.tuples()}
    if where:
        wanted = neighbourhood_key(where)
        rows = [
            r
            for r in rows
            if (wanted == "ville" and r.neighbourhood is None)
            or (r.neighbourhood is not None and neighbourhood_key(r.neighbourhood) == wanted)
        ]
    found = [
        _public(
            r,
            minimum,
            ateliers.get(r.atelier_id or ""),
            (ranks[r.id] + 1) if r.id in ranks else None,
        )
        for r in rows
    ]
    if instance is not None:
        found.sort(key=lambda s: (s.rank is None, s.rank or 0, -s.supports, s.created_at))
    else:
        found.sort(key=lambda s: (-s.supports, s.created_at))
    return found


async def neighbourhoods(engine: AsyncEngine) -> list[str]:
    """The neighbourhoods of the published subjects, for the list's filter."""
    async with reading(engine) as session:
        names = await session.scalars(
            select(SubjectRow.neighbourhood)
            .where(SubjectRow.state.in_(_PUBLIC_STATES), SubjectRow.neighbourhood.is_not(None))
            .distinct()
        )
        return sorted({n for n in names if n}, key=neighbourhood_key)


async def support(
    engine: AsyncEngine,
    subject_id: str,
    *,
    name: str,
    neighbourhood: str,
    cookie: str | None,
    secret: str,
) -> int:
    """One resident's support; the subject's count after it. The same person again (their name
    and quartier folded, or this browser): 409 ``already_supported``."""
    identity = keyed(secret, identity_key(name, neighbourhood))
    browser = keyed(secret, "cookie\n" + cookie) if cookie else None
    try:
        async with transaction(engine) as session:
            row = await session.get(SubjectRow, subject_id, with_for_update=True)
            if row is None or not SubjectState(row.state).public:
                raise _not_found()
            if row.state != SubjectState.PUBLIE.value:
                raise Conflict(
                    "subject_closed",
                    "Ce sujet ne recueille plus de soutiens : la Ville y a répondu.",
                    "This subject no longer takes support: the city has answered it.",
                )
            clash = [SubjectSupportRow.identity_hash == identity]
            if browser:
                clash.append(SubjectSupportRow.cookie_hash == browser)
            for condition in clash:
                seen = await session.scalar(
                    select(func.count())
                    .select_from(SubjectSupportRow)
                    .where(SubjectSupportRow.subject_id == subject_id, condition)
                )
                if seen:
                    raise _already()
            session.add(
                SubjectSupportRow(
                    subject_id=subject_id,
                    identity_hash=identity,
                    cookie_hash=browser,
                    created_at=_now(),
                )
            )
            row.supports += 1
            row.updated_at = _now()
            return row.supports
    except IntegrityError:  # the same person twice at the same instant
        raise _already() from None


def _already() -> Conflict:
    return Conflict(
        "already_supported",
        "Vous soutenez déjà ce sujet : un soutien par personne.",
        "You already support this subject: one support per person.",
    )


async def staff_list(engine: AsyncEngine) -> list[SubjectRow]:
    """Every subject, those waiting for moderation first, then the most supported."""
    async with reading(engine) as session:
        rows = list((await session.scalars(select(SubjectRow))).all())
    order = {SubjectState.EN_MODERATION.value: 0, SubjectState.PUBLIE.value: 1}
    rows.sort(key=lambda r: (order.get(r.state, 2), -r.supports, r.created_at))
    return rows


@dataclass(frozen=True)
class Decided:
    subject: SubjectRow
    #: The atelier created (AIC or AP) and its first facilitator, the staff member.
    atelier: AtelierRow | None = None
    facilitator: ParticipantRow | None = None


_SUMMARIES = {
    Outcome.PUBLISH: ("Sujet publié : « {t} »", "Subject published: “{t}”"),
    Outcome.REFUSE: ("Sujet refusé : « {t} »", "Subject refused: “{t}”"),
    Outcome.CONSTITUTE_AIC: (
        "« {t} » devient un atelier d’initiative citoyenne en constitution",
        "“{t}” becomes a citizens’ initiative atelier being formed",
    ),
    Outcome.OPEN_AP: (
        "La Ville ouvre un atelier de projet sur « {t} »",
        "The city opens a project atelier on “{t}”",
    ),
    Outcome.DECLINE: ("La Ville décline « {t} »", "The city declines “{t}”"),
}


async def decide(
    engine: AsyncEngine,
    subject_id: str,
    outcome: Outcome,
    *,
    staff: str,
    reason: str | None,
    minimum: int,
    financing: str | None = None,
    pilot_service: str | None = None,
) -> Decided:
    """A member of the city's staff moderates (publish / refuse) or answers (constitute an
    AIC / open an AP / decline) a subject: one transaction for the subject, the atelier it
    becomes and the audit trail's entry (who, when, what, why)."""
    reason = check_reason(outcome, reason)
    async with transaction(engine) as session:
        row = await session.get(SubjectRow, subject_id, with_for_update=True)
        if row is None:
            raise _not_found()
        after = next_state(SubjectState(row.state), outcome, supports=row.supports, minimum=minimum)
        stamp = _now()
        atelier = facilitator = None
        if outcome in (Outcome.CONSTITUTE_AIC, Outcome.OPEN_AP):
            atelier, facilitator = await _atelier_from(
                session, row, outcome, staff, financing=financing, pilot_service=pilot_service
            )
            row.atelier_id = atelier.id
        if outcome.needs_reason:
            row.reason = reason
        row.state = after.value
        row.updated_at = stamp
        fr, en = _SUMMARIES[outcome]
        _event(
            session,
            row,
            outcome.value,
            staff,
            fr.format(t=row.title),
            en.format(t=row.title),
            reason=reason,
            public=after.public,
        )
        await subject_news(session, row, outcome.value)
    return Decided(row, atelier, facilitator)


async def _atelier_from(
    session: AsyncSession,
    subject: SubjectRow,
    outcome: Outcome,
    staff: str,
    *,
    financing: str | None,
    pilot_service: str | None,
) -> tuple[AtelierRow, ParticipantRow]:
    """The atelier a subject becomes: its title, its purpose from « why », its quartier and the
    instance that proposed it. An AIC records its initiators as porteurs (their names where they
    chose to show them) and carries no budget; an AP is the city's, with its budget line and
    pilot service. The staff member is its first facilitator, who invites the porteurs."""
    aic = outcome is Outcome.CONSTITUTE_AIC
    if aic and financing:
        raise Problem(
            422,
            "financing_for_projects",
            "Un atelier d’initiative citoyenne n’a pas de ligne budgétaire : seul un atelier "
            "de projet, ouvert par la ville, en porte une.",
            "An atelier d'initiative citoyenne has no budget line: only an atelier de projet, "
            "opened by the city, carries one.",
            field="financing",
        )
    stamp = _now()
    domain_atelier = new_atelier(
        id=new_id(),
        title=subject.title,
        kind=AtelierKind.INITIATIVE_CITOYENNE if aic else AtelierKind.PROJET,
        scope=Scope.QUARTIER if subject.neighbourhood else Scope.VILLE,
        subject=subject.why,
        neighbourhood=subject.neighbourhood,
        instances=(subject.instance,) if subject.instance else (),
        min_residents=AIC_MIN_RESIDENTS if aic else 1,
    )
    atelier = atelier_to_row(domain_atelier)
    atelier.created_at = atelier.updated_at = stamp
    atelier.listed = True
    atelier.approved_by = staff
    atelier.financing = None if aic else (financing or None)
    atelier.pilot_service = None if aic else (pilot_service or None)
    atelier.porteurs = [subject.initiator_name] if aic and subject.show_name else []
    facilitator = ParticipantRow(
        id=new_id(),
        atelier_id=atelier.id,
        display_name=staff[:80],
        role=Role.ANIMATEUR.value,
        charter_version=1,
        show_name_in_minutes=True,
        joined_at=stamp,
    )
    session.add(atelier)
    await session.flush()
    session.add(facilitator)
    session.add(CharterVersionRow(atelier_id=atelier.id, version=1, text="", created_at=stamp))
    await record(
        session,
        atelier.id,
        "atelier_created",
        f"Atelier créé depuis le sujet « {subject.title} »",
        f"Atelier created from the subject “{subject.title}”",
    )
    return atelier, facilitator


async def events(engine: AsyncEngine, subject_id: str) -> list[SubjectEventRow]:
    """The audit trail of a subject, oldest first (for the city's staff)."""
    async with reading(engine) as session:
        if await session.get(SubjectRow, subject_id) is None:
            raise _not_found()
        found = await session.scalars(
            select(SubjectEventRow)
            .where(SubjectEventRow.subject_id == subject_id)
            .order_by(SubjectEventRow.id)
        )
        return list(found.all())


async def ranking(engine: AsyncEngine, instance: Instance) -> list[str]:
    async with reading(engine) as session:
        found = await session.scalars(
            select(SubjectRankingRow.subject_id)
            .where(SubjectRankingRow.instance == instance.value)
            .order_by(SubjectRankingRow.position)
        )
        return list(found.all())


async def set_ranking(
    engine: AsyncEngine, instance: Instance, subject_ids: Sequence[str], *, staff: str
) -> list[str]:
    """``instance``'s ordering of published subjects, replaced as a whole (audited on each
    subject it names)."""
    if len(set(subject_ids)) != len(subject_ids):
        raise InvalidInput(
            "duplicate_subject",
            "Un même sujet est classé deux fois.",
            "The same subject is ranked twice.",
            field="subject_ids",
        )
    async with transaction(engine) as session:
        rows = (
            {
                r.id: r
                for r in await session.scalars(
                    select(SubjectRow).where(SubjectRow.id.in_(list(subject_ids)))
                )
            }
            if subject_ids
            else {}
        )
        unknown = [
            sid for sid in subject_ids if sid not in rows or rows[sid].state not in _PUBLIC_STATES
        ]
        if unknown:
            raise InvalidInput(
                "subject_not_public",
                "On ne classe que des sujets publiés.",
                "Only published subjects can be ranked.",
                field="subject_ids",
            )
        await session.execute(
            delete(SubjectRankingRow).where(SubjectRankingRow.instance == instance.value)
        )
        for position, sid in enumerate(subject_ids):
            session.add(
                SubjectRankingRow(instance=instance.value, subject_id=sid, position=position)
            )
            _event(
                session,
                rows[sid],
                "ranked",
                staff,
                f"{instance.name_fr} : sujet classé n° {position + 1}",
                f"{instance.name_en}: subject ranked #{position + 1}",
                public=False,
            )
    return list(subject_ids)


@dataclass(frozen=True)
class FeedEntry:
    """A subject's public step, shaped for ``server.routes.feeds``."""

    id: str
    kind: str
    summary_fr: str
    summary_en: str
    created_at: datetime
    path: str
    atelier_id: str = ""


async def feed_entries(
    engine: AsyncEngine, *, instance: Instance | None = None, hood_key: str | None = None
) -> list[FeedEntry]:
    """The public steps (published, became an AIC, an AP, declined) of the subjects an
    instance proposed or ranked, or of one neighbourhood's subjects. Never who acted."""
    async with reading(engine) as session:
        query = select(SubjectRow).where(SubjectRow.state.in_(_PUBLIC_STATES))
        subjects = list((await session.scalars(query)).all())
        if instance is not None:
            ranked = set(
                (
                    await session.scalars(
                        select(SubjectRankingRow.subject_id).where(
                            SubjectRankingRow.instance == instance.value
                        )
                    )
                ).all()
            )
            subjects = [s for s in subjects if s.instance == instance.value or s.id in ranked]
        if hood_key is not None:
            subjects = [
                s
                for s in subjects
                if s.neighbourhood and neighbourhood_key(s.neighbourhood) == hood_key
            ]
        if not subjects:
            return []
        rows = (
            await session.scalars(
                select(SubjectEventRow)
                .where(
                    SubjectEventRow.subject_id.in_([s.id for s in subjects]),
                    SubjectEventRow.public.is_(True),
                )
                .order_by(SubjectEventRow.id.desc())
                .limit(100)
            )
        ).all()
    return [
        FeedEntry(
            id=f"sujet-{r.id}",
            kind=f"subject_{r.action}",
            summary_fr=r.summary_fr + (f" — {r.reason}" if r.reason else ""),
            summary_en=r.summary_en + (f" — {r.reason}" if r.reason else ""),
            created_at=r.created_at,
            path=f"/decouvrir/sujets/{r.subject_id}",
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Origin:
    """Where an atelier comes from: its subject, and what its kind carries (item 6)."""

    kind: AtelierKind
    subject_id: str | None
    subject_title: str | None
    porteurs: tuple[str, ...]
    pilot_service: str | None


async def atelier_origin(engine: AsyncEngine, atelier_id: str) -> Origin | None:
    async with reading(engine) as session:
        atelier = await session.get(AtelierRow, atelier_id)
        if atelier is None or not atelier.listed:
            return None
        subject = await session.scalar(
            select(SubjectRow).where(SubjectRow.atelier_id == atelier_id).limit(1)
        )
    return Origin(
        kind=AtelierKind(atelier.kind),
        subject_id=subject.id if subject is not None else None,
        subject_title=subject.title if subject is not None else None,
        porteurs=tuple(atelier.porteurs or ()),
        pilot_service=atelier.pilot_service,
    )

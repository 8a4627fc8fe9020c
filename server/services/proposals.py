"""Freezing proposals into versions, verifying them, and their way through the council.

A freeze reads each document from the store — the compacted snapshot merged with the update
log — because a room appends an update durably before anyone receives it: the store holds
every update any instance acknowledged, so the version contains all of them, whichever
instance the writers were on. The version's content (sections as blocks, Markdown and HTML,
the séance's votes, attendance, agenda and log) and the exact Yjs state are written once, with
the hash chain of :mod:`domain.proposals`; the database's triggers refuse any later change.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pycrdt import Doc
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from collab.render import section_blocks
from collab.store import DocumentStore, merge
from domain import names as people
from domain import proposals as rules
from domain.ateliers import AtelierKind, AtelierStatus
from domain.errors import check_line, normalize_line
from domain.roles import Action, Role, can
from domain.templates import TEMPLATES
from server.db.models import (
    DB_INT_MAX,
    ActivityRow,
    AtelierImageRow,
    AtelierRow,
    AttendanceRow,
    ContributionRow,
    FrozenImageRow,
    HandoffEventRow,
    ParticipantRow,
    PollRow,
    ProposalEventRow,
    ProposalRow,
    ProposalVersionRow,
    SessionRow,
    VersionImageRow,
    VersionNameRow,
)
from server.db.writes import reading
from server.errors import Problem
from server.services import projects
from server.services.amendments import for_version as amendments_for_version
from server.services.ateliers import (
    audit,
    get_atelier,
    get_seance,
    new_id,
    now,
    record,
    refuse_if_atelier_closed,
    require,
    transaction,
)
from server.services.subscriptions import proposal_step as subscribers_told

__all__ = [
    "Reader",
    "council_list",
    "decide",
    "diff",
    "fork",
    "freeze",
    "frozen_image",
    "get_version",
    "history",
    "instruct",
    "list_versions",
    "milestone",
    "names_of",
    "new_draft",
    "readable",
    "rename",
    "seances_of",
    "set_archived",
    "set_locked",
    "transmit",
    "verify",
]

#: What the council API shows: what was handed over, never work in progress.
HANDED_OVER = frozenset({"transmise", "en_instruction", "adoptee", "ajournee", "rejetee"})

#: ``ProposalRow.locked_by``: who locked the live text, which the editor tells its readers.
LOCKED_BY_FREEZE = "freeze"
LOCKED_BY_FACILITATOR = "animation"


@dataclass(frozen=True)
class Reader:
    """Who reads versions or records decisions: a participant of one atelier, or the city's
    council service (a council credential: every atelier, handed-over proposals only)."""

    name: str
    role: str  # a participant's role; "conseil" for the council service
    atelier_id: str | None  # None: the council service
    participant_id: str | None = None

    @property
    def is_council_service(self) -> bool:
        return self.atelier_id is None


def _who(reader: Reader) -> str:
    return reader.participant_id or f"council:{reader.name}"


def _not_found() -> Problem:
    return Problem(404, "proposal_not_found", "Proposition introuvable.", "Proposal not found.")


def readable(reader: Reader, row: ProposalRow) -> None:
    """Raise unless ``reader`` may read ``row``'s frozen versions (404 rather than 403 for the
    council service, which must not learn that unfinished work exists)."""
    if reader.is_council_service:
        if row.status not in HANDED_OVER:
            raise _not_found()
        return
    require(reader, Action.READ_FROZEN, row.atelier_id)


async def _proposal(session: AsyncSession, proposal_id: str, *, lock: bool = False) -> ProposalRow:
    row = await session.get(ProposalRow, proposal_id, with_for_update=lock, populate_existing=True)
    if row is None:
        raise _not_found()
    return row


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


async def _event(
    session: AsyncSession, row: ProposalRow, step: str, reader: Reader, **details: Any
) -> None:
    session.add(
        ProposalEventRow(
            proposal_id=row.id,
            step=step,
            status=row.status,
            actor=reader.name,
            actor_id=reader.participant_id,
            actor_role=reader.role,
            details=details,
            at=now(),
        )
    )


# --- freezing ---------------------------------------------------------------------------------


async def _state(store: DocumentStore, doc_id: str) -> bytes:
    """The document's exact state: every durable update, merged."""
    updates = await store.load(doc_id)
    return merge(updates) if updates else Doc().get_update()


async def _seance_record(
    session: AsyncSession, seance: SessionRow | None, who: dict[str, str]
) -> dict[str, Any]:
    """The séance around a version: agenda, attendance, the votes' results, the log. Those
    present who agreed to be named are listed by participant id (their names go to ``who``):
    each version seals them as commitments of its own (:func:`domain.names.seal`)."""
    if seance is None:
        return {}
    counts = dict(
        (
            await session.execute(
                select(ParticipantRow.role, func.count())
                .join(AttendanceRow, AttendanceRow.participant_id == ParticipantRow.id)
                .where(AttendanceRow.session_id == seance.id)
                .group_by(ParticipantRow.role)
            )
        ).all()
    )
    named_rows = (
        await session.execute(
            select(ParticipantRow.id, ParticipantRow.display_name)
            .join(AttendanceRow, AttendanceRow.participant_id == ParticipantRow.id)
            .where(
                AttendanceRow.session_id == seance.id,
                ParticipantRow.show_name_in_minutes.is_(True),
            )
            .distinct()
        )
    ).all()
    who.update({pid: name for pid, name in named_rows})
    named = sorted(pid for pid, _ in named_rows)
    polls = []
    for poll in await session.scalars(
        select(PollRow)
        .where(PollRow.session_id == seance.id, PollRow.status.in_(("closed", "published")))
        .order_by(PollRow.created_at)
    ):
        final = poll.final or {}
        public = poll.status == "published" or not poll.hide_results
        polls.append(
            {
                "id": poll.id,
                "title": poll.title,
                "method": poll.method,
                "params": poll.params,
                "options": poll.options,
                "voter_roles": poll.voter_roles,
                "secret": poll.secret,
                "quorum": poll.quorum,
                "turnout": final.get("turnout"),
                "results": final.get("results") if public else None,
                "runoff_of": poll.runoff_of,
            }
        )
    log = [
        {
            "at": row.created_at.isoformat(),
            "kind": row.kind,
            "fr": row.summary_fr,
            "en": row.summary_en,
        }
        for row in await session.scalars(
            select(ActivityRow)
            .where(ActivityRow.atelier_id == seance.atelier_id)
            .order_by(ActivityRow.id)
            .limit(500)
        )
    ]
    data = seance.data
    # The next séance that will take place: a cancelled one is no meeting to announce.
    following = next(
        (
            row
            for row in await session.scalars(
                select(SessionRow)
                .where(
                    SessionRow.atelier_id == seance.atelier_id,
                    SessionRow.number > seance.number,
                )
                .order_by(SessionRow.number)
                .limit(20)
            )
            if row.data.get("cancelled_at") is None
        ),
        None,
    )
    return {
        "session": {
            "id": seance.id,
            "number": seance.number,
            "date": data.get("date"),
            "start_time": data.get("start_time"),
            "end_time": data.get("end_time"),
            "place": data.get("place"),
            "mode": data.get("mode"),
            "objectives": data.get("objectives", []),
            "agenda": data.get("agenda", []),
            "method_steps": data.get("method_steps", []),
            "next_agenda": data.get("next_agenda", []),
            # The facilitator's count of people in the room (devices or not) and the next
            # séance's date and place: the compte-rendu's header is built from the version.
            "headcount": data.get("headcount"),
            "next_session": _when_where(following) if following is not None else None,
        },
        "attendance": {"by_role": counts, "total": sum(counts.values()), "named": named},
        "votes": polls,
        "log": log,
    }


def _when_where(seance: SessionRow) -> dict[str, Any]:
    data = seance.data
    keys = ("date", "start_time", "end_time", "place", "mode")
    return {"number": seance.number, **{key: data.get(key) for key in keys}}


async def _contributors(
    session: AsyncSession, proposal_id: str, who: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Per section: who wrote in it — those who agreed to be named (by participant id, their
    names to ``who``), and counts by role (everyone)."""
    rows = (
        await session.execute(
            select(
                ContributionRow.section,
                ParticipantRow.id,
                ParticipantRow.display_name,
                ParticipantRow.role,
                ParticipantRow.show_name_in_minutes,
            )
            .join(ParticipantRow, ParticipantRow.id == ContributionRow.participant_id)
            .where(ContributionRow.proposal_id == proposal_id)
        )
    ).all()
    found: dict[str, dict[str, Any]] = {}
    for section, pid, name, role, named in rows:
        entry = found.setdefault(section, {"named": [], "by_role": {}})
        entry["by_role"][role] = entry["by_role"].get(role, 0) + 1
        if named:
            entry["named"].append(pid)
            who[pid] = name
    for entry in found.values():
        entry["named"].sort()
    return found


def _content(
    row: ProposalRow,
    atelier: AtelierRow,
    state: bytes,
    seance: dict[str, Any],
    contributors: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    template = TEMPLATES[row.kind]
    doc: Doc[Any] = Doc()
    doc.apply_update(state)
    blocks = section_blocks(doc, template.keys)
    sections = [
        {
            "key": section.key,
            "title_fr": section.title_fr,
            "title_en": section.title_en,
            "blocks": blocks[section.key],
            "text": rules.to_text(blocks[section.key]),
            "markdown": rules.to_markdown(blocks[section.key], heading_offset=2),
            "html": rules.to_html(blocks[section.key], heading_offset=2),
            "contributors": contributors.get(section.key, {"named": [], "by_role": {}}),
        }
        for section in template.sections
    ]
    content = {
        "proposal": {"id": row.id, "title": row.title, "kind": row.kind},
        "atelier": {
            "id": atelier.id,
            "title": atelier.title,
            "kind": atelier.kind,
            "scope": atelier.scope,
            "neighbourhood": atelier.neighbourhood,
            "instances": atelier.instances,
        },
        "sections": sections,
        **seance,
    }
    # Exactly what JSON gives back: the hash is computed over what will be read again.
    return json.loads(rules.canonical(content))


async def _with_amendments(
    session: AsyncSession, proposal_id: str, content: dict[str, Any], who: dict[str, str]
) -> dict[str, Any]:
    """``content`` with the proposal's ``amendments`` (:func:`server.services.amendments.
    for_version`), only when there are some: a version without any hashes as before."""
    if listed := await amendments_for_version(session, proposal_id, who):
        return {**content, "amendments": json.loads(rules.canonical(listed))}
    return content


async def _frozen_image(session: AsyncSession, engine: AsyncEngine, atelier_id: str) -> str | None:
    """The atelier's current image kept as frozen (once per distinct image, whoever freezes at
    the same moment): its SHA-256, or None when the atelier has none."""
    image = await session.get(AtelierImageRow, atelier_id)
    if image is None:
        return None
    digest = hashlib.sha256(image.data).hexdigest()
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    await session.execute(
        dialect.insert(FrozenImageRow)
        .values(atelier_id=atelier_id, sha256=digest, media_type=image.media_type, data=image.data)
        .on_conflict_do_nothing()
    )
    return digest


async def frozen_image(
    engine: AsyncEngine, proposal_id: str, number: int
) -> tuple[str, bytes, str] | None:
    """The image this version was frozen with: SHA-256, bytes, media type; None when it had
    none (or was frozen before images were kept)."""
    async with reading(engine) as session:
        found = (
            await session.execute(
                select(FrozenImageRow.sha256, FrozenImageRow.data, FrozenImageRow.media_type)
                .join(
                    VersionImageRow,
                    (VersionImageRow.atelier_id == FrozenImageRow.atelier_id)
                    & (VersionImageRow.sha256 == FrozenImageRow.sha256),
                )
                .where(VersionImageRow.proposal_id == proposal_id, VersionImageRow.number == number)
            )
        ).first()
    return None if found is None else (found[0], found[1], found[2])


async def freeze(
    engine: AsyncEngine,
    store: DocumentStore,
    reader: Reader,
    *,
    proposal_id: str | None = None,
    session_id: str | None = None,
    lock: bool = False,
) -> list[tuple[ProposalVersionRow, str]]:
    """Version n+1 of one proposal, or of every proposal of a séance, in one transaction; each
    with the id of the live document it froze."""
    async with transaction(engine) as session:
        if session_id is not None:
            seance = await get_seance(session, session_id)
            # Those already handed to the council keep the version it reads; the others go on.
            rows = [
                row
                for row in await session.scalars(
                    select(ProposalRow)
                    .where(ProposalRow.session_id == session_id)
                    .order_by(ProposalRow.created_at)
                )
                if rules.leaves_from("freeze", row.status) and row.archived_at is None
            ]
            if not rows:
                raise Problem(
                    409,
                    "nothing_to_freeze",
                    "Cette séance n’a aucune proposition à figer.",
                    "This séance has no proposal to freeze.",
                )
        else:
            assert proposal_id is not None
            rows = [await _proposal(session, proposal_id)]
            seance = (
                await session.get(SessionRow, rows[0].session_id) if rows[0].session_id else None
            )
        atelier, rows = await _atelier_and_rows(session, store, rows)
        _in_scope(reader, rows[0])
        if proposal_id is not None:
            _not_archived(rows[0])
        who: dict[str, str] = {}
        record_of_seance = await _seance_record(session, seance, who)
        image = await _frozen_image(session, engine, atelier.id)
        versions = []
        for row in rows:
            rules.check_move("freeze", row.status, reader.role)
            state = await _state(store, row.doc_id)
            named_here = dict(who)
            by_ids = _content(
                row,
                atelier,
                state,
                record_of_seance,
                await _contributors(session, row.id, named_here),
            )
            by_ids = await _with_amendments(session, row.id, by_ids, named_here)
            last = await session.scalar(
                select(ProposalVersionRow)
                .where(ProposalVersionRow.proposal_id == row.id)
                .order_by(ProposalVersionRow.number.desc())
                .limit(1)
            )
            number = 1 if last is None else last.number + 1
            prev_hash = rules.GENESIS if last is None else last.hash
            created_at = _stamp()
            # Every name this version holds, as a commitment with a salt of its own; the
            # names and salts go beside the version, where erasing them breaks nothing.
            author_key = reader.participant_id or f"council:{reader.name}"
            named_here[author_key] = reader.name
            sealed = {}
            for pid, name in sorted(named_here.items()):
                salt = secrets.token_hex(32)
                sealed[pid] = rules.commitment(salt, name)
                session.add(
                    VersionNameRow(
                        proposal_id=row.id,
                        number=number,
                        commitment=sealed[pid],
                        participant_id=None if pid.startswith("council:") else pid,
                        name=name,
                        salt=salt,
                    )
                )
            content = people.seal(by_ids, sealed)
            version = ProposalVersionRow(
                proposal_id=row.id,
                number=number,
                created_at=created_at,
                created_by=sealed[author_key],
                session_id=seance.id if seance else None,
                prev_hash=prev_hash,
                content=content,
                state=state,
                format=rules.VERSION_FORMAT,
                hash=rules.version_hash(
                    proposal_id=row.id,
                    number=number,
                    created_at=created_at,
                    created_by=sealed[author_key],
                    prev_hash=prev_hash,
                    content=content,
                    state=state,
                    format=rules.VERSION_FORMAT,
                ),
            )
            session.add(version)
            if image is not None:
                session.add(
                    VersionImageRow(
                        proposal_id=row.id, number=number, atelier_id=atelier.id, sha256=image
                    )
                )
            row.status = rules.ProposalStatus.FIGEE.value
            if lock:  # without, a lock already there (the facilitator's) stays
                row.locked, row.locked_by = True, LOCKED_BY_FREEZE
            await _event(session, row, "freeze", reader, version=number, locked=lock)
            audit(session, row.atelier_id, _who(reader), "freeze", row.id, version=number)
            await record(
                session,
                row.atelier_id,
                "proposal_frozen",
                f"« {row.title} » figée en version {number}",
                f"“{row.title}” frozen as version {number}",
            )
            versions.append((version, row.doc_id))
        try:
            await session.flush()
        except IntegrityError as exc:
            raise Problem(
                409,
                "freeze_conflict",
                "Une autre personne vient de figer cette proposition ; rechargez.",
                "Someone else just froze this proposal; reload.",
            ) from exc
    return versions


async def _atelier_and_rows(
    session: AsyncSession, store: DocumentStore, rows: list[ProposalRow]
) -> tuple[AtelierRow, list[ProposalRow]]:
    """The atelier of ``rows``, and those of them to freeze. A closed atelier's text changes
    no more, but what it wrote between its last freeze and its closing may still be frozen,
    once: the version the council and the memory read. So in a closed atelier only the texts
    whose latest version does not hold them already are frozen; none left: 409
    ``atelier_closed`` (a second version would say nothing new)."""
    atelier = await get_atelier(session, rows[0].atelier_id)
    if atelier.status != AtelierStatus.CLOSE.value:
        return atelier, rows
    left = []
    for row in rows:
        latest = await session.scalar(
            select(ProposalVersionRow.state)
            .where(ProposalVersionRow.proposal_id == row.id)
            .order_by(ProposalVersionRow.number.desc())
            .limit(1)
        )
        if latest is None or bytes(latest) != await _state(store, row.doc_id):
            left.append(row)
    if not left:
        await refuse_if_atelier_closed(session, atelier.id)
    return atelier, left


def _in_scope(reader: Reader, row: ProposalRow) -> None:
    """The council service reaches handed-over proposals (404 otherwise); a participant, their
    own atelier's. What their role may do there is the domain's (``check_move``)."""
    if reader.is_council_service:
        if row.status not in HANDED_OVER:
            raise _not_found()
    elif reader.atelier_id != row.atelier_id:
        raise Problem(
            403,
            "other_atelier",
            "Vous ne participez pas à cet atelier.",
            "You are not a participant of this atelier.",
        )


def _not_archived(row: ProposalRow) -> None:
    """409 for an archived proposal: it is neither frozen, nor handed over, nor restarted
    from a version before it is brought back."""
    if row.archived_at is not None:
        raise Problem(
            409,
            "proposal_archived",
            f"« {row.title} » est archivée : restaurez-la d’abord.",
            f"“{row.title}” is archived: restore it first.",
        )


# --- reading, verifying, comparing ----------------------------------------------------------


async def list_versions(
    engine: AsyncEngine, reader: Reader, proposal_id: str
) -> tuple[ProposalRow, list[ProposalVersionRow]]:
    async with reading(engine) as session:
        row = await _proposal(session, proposal_id)
        readable(reader, row)
        versions = list(
            await session.scalars(
                select(ProposalVersionRow)
                .where(ProposalVersionRow.proposal_id == proposal_id)
                .order_by(ProposalVersionRow.number)
            )
        )
    return row, versions


async def get_version(
    engine: AsyncEngine, reader: Reader, proposal_id: str, number: int
) -> tuple[ProposalRow, ProposalVersionRow]:
    async with reading(engine) as session:
        row = await _proposal(session, proposal_id)
        readable(reader, row)
        # A number no column can hold names no version; sent to the database it raised (500).
        in_range = 1 <= number <= DB_INT_MAX
        version = await session.get(ProposalVersionRow, (proposal_id, number)) if in_range else None
    if version is None:
        raise Problem(
            404,
            "version_not_found",
            f"La version {number} n’existe pas.",
            f"Version {number} does not exist.",
        )
    return row, version


async def verify(engine: AsyncEngine, reader: Reader, proposal_id: str) -> dict[str, Any]:
    """Recompute the chain: ``{"valid", "versions", "first_broken"}``."""
    _, versions = await list_versions(engine, reader, proposal_id)
    broken = rules.verify_chain(
        [
            {
                "proposal_id": v.proposal_id,
                "number": v.number,
                "created_at": v.created_at,
                "created_by": v.created_by,
                "prev_hash": v.prev_hash,
                "content": v.content,
                "state": v.state,
                "hash": v.hash,
                "format": v.format,
            }
            for v in versions
        ]
    )
    return {
        "proposal_id": proposal_id,
        "valid": broken is None,
        "versions": len(versions),
        "first_broken": broken,
        "head": versions[-1].hash if versions else None,
    }


#: A version's names: commitment -> ``{"name", "salt"}``, or None once erased.
Names = dict[str, dict[str, str] | None]


async def names_of(
    engine: AsyncEngine, keys: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], Names]:
    """The names kept beside each of these versions (proposal id, number); empty for format 1,
    whose names are in its content."""
    wanted = set(keys)
    found: dict[tuple[str, int], Names] = {key: {} for key in wanted}
    if not wanted:
        return found
    async with reading(engine) as session:
        rows = await session.scalars(
            select(VersionNameRow).where(
                VersionNameRow.proposal_id.in_(sorted({p for p, _ in wanted}))
            )
        )
        for row in rows:
            key = (row.proposal_id, row.number)
            if key in wanted:
                opened = row.name is not None and row.salt is not None
                found[key][row.commitment] = (
                    {"name": row.name, "salt": row.salt} if opened else None  # type: ignore[dict-item]
                )
    return found


def shown(names: Names) -> dict[str, str | None]:
    """commitment -> the name a reader sees, or None (erased)."""
    return {key: (value or {}).get("name") for key, value in names.items()}


def displayed(version: ProposalVersionRow, names: Names) -> dict[str, Any]:
    """The version's content as a reader sees it: names where they are kept, « (nom effacé) »
    where they were erased (format 1: as frozen)."""
    return people.reveal(version.content, version.format, shown(names))


async def diff(
    engine: AsyncEngine, reader: Reader, proposal_id: str, before: int, after: int
) -> dict[str, Any]:
    _, old = await get_version(engine, reader, proposal_id, before)
    _, new = await get_version(engine, reader, proposal_id, after)
    old_sections = {s["key"]: s for s in old.content["sections"]}  # type: ignore[index,union-attr]
    sections = []
    for section in new.content["sections"]:  # type: ignore[union-attr]
        previous = old_sections.get(section["key"], {"text": ""})
        if "blocks" in section and "blocks" in previous:  # the words with their formatting
            ops = rules.rich_word_diff(previous["blocks"], section["blocks"])
        else:
            ops = rules.word_diff(previous["text"], section["text"])
        sections.append(
            {
                "key": section["key"],
                "title_fr": section["title_fr"],
                "title_en": section["title_en"],
                "changed": any(op["op"] != "equal" for op in ops),
                "ops": ops,
            }
        )
    return {"proposal_id": proposal_id, "from": before, "to": after, "sections": sections}


async def history(engine: AsyncEngine, reader: Reader, proposal_id: str) -> list[dict[str, Any]]:
    async with reading(engine) as session:
        row = await _proposal(session, proposal_id)
        readable(reader, row)
        events = await session.scalars(
            select(ProposalEventRow)
            .where(ProposalEventRow.proposal_id == proposal_id)
            .order_by(ProposalEventRow.id)
        )
        return [
            {
                "step": e.step,
                "status": e.status,
                "by": e.actor,
                "role": e.actor_role,
                "at": e.at.isoformat(),
                **e.details,
            }
            for e in events
        ]


# --- the way through the council ------------------------------------------------------------


async def _handoff(session: AsyncSession, row: ProposalRow, step: str) -> None:
    """The outbox: the back office's event, in the step's own transaction."""
    atelier = await session.get(AtelierRow, row.atelier_id)
    latest = await session.scalar(
        select(ProposalVersionRow)
        .where(ProposalVersionRow.proposal_id == row.id)
        .order_by(ProposalVersionRow.number.desc())
        .limit(1)
    )
    payload = {
        # A status change is named by the status it leads to; a follow-up step, which leaves
        # the status as it was (« adoptée »), by what it is.
        "kind": "proposal.jalon" if step == "milestone" else f"proposal.{row.status}",
        "step": step,
        "occurred_at": _stamp(),
        "proposal": {"id": row.id, "title": row.title, "kind": row.kind, "status": row.status},
        "atelier": {
            "id": row.atelier_id,
            "title": atelier.title if atelier else "",
            "instances": atelier.instances if atelier else [],
        },
        "version": {"number": latest.number, "hash": latest.hash} if latest else None,
        "decision": projects.with_steps(
            row.decision, (await projects.steps_by_proposal(session, [row.id])).get(row.id)
        ),
    }
    session.add(
        HandoffEventRow(
            kind=payload["kind"],
            proposal_id=row.id,
            atelier_id=row.atelier_id,
            payload=json.loads(rules.canonical(payload)),
            created_at=now(),
        )
    )


async def _step(
    engine: AsyncEngine, reader: Reader, proposal_id: str, step: str, **details: Any
) -> ProposalRow:
    async with transaction(engine) as session:
        row = await _proposal(session, proposal_id, lock=True)
        _in_scope(reader, row)
        leads = rules.check_move(
            step, row.status, None if reader.is_council_service else reader.role
        )
        if step == "transmit":
            _not_archived(row)
            await _constituted_if_residents_started_it(session, row.atelier_id)
        if step == "decide":
            leads = rules.check_decision(
                details.get("outcome", ""),
                details.get("answer", ""),
                details.get("deliberation_ref"),
            )
            row.decision = {k: v for k, v in details.items() if v is not None} | {
                "recorded_at": _stamp(),
                "recorded_by": reader.name,
            }
        if step == "milestone":
            # Milestones live with the project (server.services.projects): a done one.
            await projects.add_done_step(
                session,
                row,
                projects.by(reader),
                details["title"],
                details["on"],
                details.get("note"),
            )
        assert leads is not None
        row.status = leads.value
        if step == "decide":
            await projects.create_for_decision(session, row, projects.by(reader))
        await _event(session, row, step, reader, **details)
        await _handoff(session, row, step)
        await subscribers_told(session, row, step)
        audit(session, row.atelier_id, _who(reader), step, row.id, status=row.status)
        await record(
            session,
            row.atelier_id,
            f"proposal_{step}",
            f"« {row.title} » : {leads.label_fr}",
            f"“{row.title}”: {leads.label_en}",
        )
    return row


async def _constituted_if_residents_started_it(session: AsyncSession, atelier_id: str) -> None:
    """What constitution gates (README « Who may create what »): an atelier d'initiative
    citoyenne hands nothing to the council before enough residents carry it."""
    atelier = await get_atelier(session, atelier_id)
    if (
        atelier.kind == AtelierKind.INITIATIVE_CITOYENNE.value
        and atelier.status == AtelierStatus.EN_CONSTITUTION.value
    ):
        raise Problem(
            409,
            "atelier_not_constituted",
            f"L’atelier n’est pas encore constitué ({atelier.min_residents} habitant·es au "
            "moins doivent l’avoir rejoint) : il ne peut rien transmettre au conseil avant.",
            f"The atelier is not constituted yet (at least {atelier.min_residents} residents "
            "must have joined): it cannot hand anything to the council before.",
        )


async def transmit(engine: AsyncEngine, reader: Reader, proposal_id: str) -> ProposalRow:
    return await _step(engine, reader, proposal_id, "transmit")


async def instruct(engine: AsyncEngine, reader: Reader, proposal_id: str) -> ProposalRow:
    return await _step(engine, reader, proposal_id, "instruct")


async def decide(
    engine: AsyncEngine, reader: Reader, proposal_id: str, **decision: Any
) -> ProposalRow:
    return await _step(engine, reader, proposal_id, "decide", **decision)


async def milestone(
    engine: AsyncEngine, reader: Reader, proposal_id: str, **milestone: Any
) -> ProposalRow:
    return await _step(engine, reader, proposal_id, "milestone", **milestone)


async def council_list(
    engine: AsyncEngine,
    reader: Reader,
    *,
    status: str | None,
    instance: str | None,
    atelier_id: str | None,
) -> list[tuple[ProposalRow, AtelierRow, ProposalVersionRow | None]]:
    """Handed-over proposals, newest first, with their atelier and their latest version: one
    query, however many proposals."""
    newest = (
        select(ProposalVersionRow.proposal_id, func.max(ProposalVersionRow.number).label("number"))
        .group_by(ProposalVersionRow.proposal_id)
        .subquery()
    )
    query = (
        select(ProposalRow, AtelierRow, ProposalVersionRow)
        .join(AtelierRow, AtelierRow.id == ProposalRow.atelier_id)
        .outerjoin(newest, newest.c.proposal_id == ProposalRow.id)
        .outerjoin(
            ProposalVersionRow,
            (ProposalVersionRow.proposal_id == ProposalRow.id)
            & (ProposalVersionRow.number == newest.c.number),
        )
        .where(ProposalRow.status.in_(HANDED_OVER))
    )
    if status:
        query = query.where(ProposalRow.status == status)
    if atelier_id:
        query = query.where(ProposalRow.atelier_id == atelier_id)
    if not reader.is_council_service:
        query = query.where(ProposalRow.atelier_id == reader.atelier_id)
    async with reading(engine) as session:
        found = (await session.execute(query.order_by(ProposalRow.created_at.desc()))).all()
        return [
            (row, atelier, latest)
            for row, atelier, latest in found
            if not instance or instance in (atelier.instances or [])
        ]


# --- a new draft from any version -------------------------------------------------------------


def _participant_may(reader: Reader, action: Action) -> None:
    """403 unless ``reader`` is a participant whose role may ``action``."""
    if reader.is_council_service or not can(Role(reader.role), action):
        raise Problem(
            403,
            "forbidden",
            "Votre rôle ne permet pas cette action.",
            "Your role does not allow this action.",
        )


def _title(title: str) -> str:
    """A proposal's title as kept: one trimmed line of 1 to 200 characters, else 422 with the
    words the console's forms use (« Le titre est obligatoire. »)."""
    text = normalize_line(title)
    check_line(text, field="title", label_fr="le titre", label_en="title", max_length=200)
    return text


async def rename(engine: AsyncEngine, reader: Reader, proposal_id: str, title: str) -> ProposalRow:
    """A new title for a proposal still being written (a frozen version keeps the title it
    was frozen with: its content is hashed)."""
    _participant_may(reader, Action.MANAGE_SESSION)
    async with transaction(engine) as session:
        row = await _proposal(session, proposal_id, lock=True)
        if reader.atelier_id != row.atelier_id:
            raise Problem(
                404, "proposal_not_found", "Proposition introuvable.", "Proposal not found."
            )
        await refuse_if_atelier_closed(session, row.atelier_id)
        before, row.title = row.title, _title(title)
        if before != row.title:
            await _event(session, row, "renamed", reader, before=before, title=row.title)
    return row


async def fork(
    engine: AsyncEngine,
    store: DocumentStore,
    reader: Reader,
    proposal_id: str,
    number: int,
    title: str,
) -> ProposalRow:
    """A new proposal of the same atelier whose document starts from version ``number`` of
    this one: two ways forward from one text (the first keeps its own history)."""
    source, version = await get_version(engine, reader, proposal_id, number)
    _participant_may(reader, Action.REOPEN_DRAFT)
    await _open_atelier(engine, source.atelier_id)  # before its document is written
    title = _title(title)
    new = new_id()
    doc_id = f"prop-{new}"
    await store.append(doc_id, [version.state])  # first, as in new_draft
    async with transaction(engine) as session:
        row = ProposalRow(
            id=new,
            atelier_id=source.atelier_id,
            session_id=source.session_id,
            kind=source.kind,
            title=title,
            doc_id=doc_id,
            created_at=now(),
            status=rules.ProposalStatus.BROUILLON.value,
            locked=False,
        )
        session.add(row)
        await session.flush()
        await _event(
            session,
            row,
            "draft",
            reader,
            forked_from=proposal_id,
            from_version=number,
            doc_id=doc_id,
        )
        audit(session, row.atelier_id, _who(reader), "fork", row.id, of=proposal_id)
    return row


async def new_draft(
    engine: AsyncEngine, store: DocumentStore, reader: Reader, proposal_id: str, number: int
) -> ProposalRow:
    """The live document starts again from version ``number``: a new document holding that
    exact state (the old one stays, read by nobody), unlocked, back to « brouillon » unless it
    was already handed over (then the council keeps reading the handed-over versions)."""
    source, version = await get_version(engine, reader, proposal_id, number)
    _participant_may(reader, Action.REOPEN_DRAFT)
    _not_archived(source)
    await _open_atelier(engine, source.atelier_id)  # before its document is written
    async with engine.connect() as connection:
        conn = await connection.execution_options(read_only=True)
        drafts = await conn.scalar(
            select(func.count())
            .select_from(ProposalEventRow)
            .where(ProposalEventRow.proposal_id == proposal_id, ProposalEventRow.step == "draft")
        )
    doc_id = f"prop-{proposal_id}-d{int(drafts or 0) + 1}"
    # The new document first, outside the transaction below (the store writes through its own
    # connection): if that transaction fails, an unused document is left over, never a
    # proposal pointing at an empty one. Two drafts racing write the same state twice: harmless.
    await store.append(doc_id, [version.state])
    async with transaction(engine) as session:
        row = await _proposal(session, proposal_id, lock=True)
        _not_archived(row)
        await refuse_if_atelier_closed(session, row.atelier_id)
        row.doc_id = doc_id
        row.locked, row.locked_by = False, None
        if row.status == rules.ProposalStatus.FIGEE.value:
            row.status = rules.ProposalStatus.BROUILLON.value
        await _event(session, row, "draft", reader, from_version=number, doc_id=doc_id)
        audit(session, row.atelier_id, _who(reader), "new_draft", row.id, from_version=number)
    return row


async def _open_atelier(engine: AsyncEngine, atelier_id: str) -> None:
    """409 ``atelier_closed`` for a closed atelier's proposal, read before anything is written."""
    async with reading(engine) as session:
        await refuse_if_atelier_closed(session, atelier_id)


# --- the facilitator's switches: lock, archive -----------------------------------------------


async def set_locked(
    engine: AsyncEngine, reader: Reader, proposal_id: str, locked: bool
) -> tuple[ProposalRow, bool]:
    """Lock the live text (read-only for everyone, « verrouillée par l'animation ») or unlock
    it — a lock set by a freeze too. Returns the row and whether anything changed: asking twice
    changes it once, and records one event."""
    async with transaction(engine) as session:
        row = await _proposal(session, proposal_id, lock=True)
        _in_scope(reader, row)
        await refuse_if_atelier_closed(session, row.atelier_id)
        if row.locked == locked:
            return row, False
        before = row.locked_by
        row.locked = locked
        row.locked_by = LOCKED_BY_FACILITATOR if locked else None
        step = "locked" if locked else "unlocked"
        await _event(session, row, step, reader, **({} if locked else {"was": before}))
        audit(session, row.atelier_id, _who(reader), step, row.id)
    return row, True


async def set_archived(
    engine: AsyncEngine, reader: Reader, proposal_id: str, archived: bool
) -> tuple[ProposalRow, bool]:
    """Archive a proposal (read-only for everyone, no longer a vote option nor something to
    hand to the council, listed apart) or bring it back as it was. One already handed to the
    council stays where the council reads it (409). Returns the row and whether it changed."""
    async with transaction(engine) as session:
        row = await _proposal(session, proposal_id, lock=True)
        _in_scope(reader, row)
        await refuse_if_atelier_closed(session, row.atelier_id)
        if (row.archived_at is not None) == archived:
            return row, False
        if archived and row.status in HANDED_OVER:
            raise Problem(
                409,
                "proposal_handed_over",
                f"« {row.title} » est transmise au conseil municipal : elle ne s’archive plus.",
                f"“{row.title}” was handed to the council: it can no longer be archived.",
            )
        row.archived_at = now() if archived else None
        step = "archived" if archived else "restored"
        await _event(session, row, step, reader)
        audit(session, row.atelier_id, _who(reader), step, row.id)
        await record(
            session,
            row.atelier_id,
            f"proposal_{step}",
            f"« {row.title} » archivée" if archived else f"« {row.title} » restaurée",
            f"“{row.title}” archived" if archived else f"“{row.title}” restored",
        )
    return row, True


async def doc_ids_of(engine: AsyncEngine, atelier_id: str) -> list[str]:
    """The live documents of the atelier's proposals (their current drafts)."""
    async with reading(engine) as session:
        return list(
            await session.scalars(
                select(ProposalRow.doc_id).where(ProposalRow.atelier_id == atelier_id)
            )
        )


async def seances_of(engine: AsyncEngine, atelier_id: str) -> list[str]:
    """The ids of the atelier's séances: where a change to its proposals is announced."""
    async with reading(engine) as session:
        return list(
            await session.scalars(select(SessionRow.id).where(SessionRow.atelier_id == atelier_id))
        )

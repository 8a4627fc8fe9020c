"""Amendments to a proposal (issue 20, #4): propose, withdraw, accept, reject, vote on them.

Who: proposing is a contribution like commenting (``Action.COMMENT``: residents, elected
members, agents, facilitators; never observers, who are told their role does not allow them
« de proposer un amendement »), with the atelier's current charter accepted;
the author is the token's participant. Deciding (accept, reject, put to the vote, switching
the proposal's amendment mode) belongs to the facilitators (``Action.MANAGE_SESSION``);
withdrawing to the author, while nobody decided it.

Fates and concurrency. Every change of fate is a conditional update (``… WHERE status = the
status read``), so two facilitators deciding at once decide once: the second gets 409
``amendment_decided`` with the fate the first gave. Accepting writes ``applying`` first (one
transaction), then edits the live document through the room (``RoomRegistry.edit``: durable,
sent to every client, relayed), then writes ``acceptee`` with how the text went in. A failed
edit puts it back to ``proposee``; a crash between the two writes leaves it ``applying``: after
:data:`STUCK_AFTER` a facilitator may accept it again or reject it. Accepting again never
applies the edit twice (:func:`collab.amend.apply_once`): the document's receipt for the
amendment, written with the edit, or — for one cut short before receipts — a passage that
already reads as the replacement, marks it ``acceptee`` without editing.

A vote in one action creates the poll with « Garder le texte actuel » and one option per
amendment and opens it; its close (:func:`settle`) applies the winner, rejects the others, or
— a tie, no ballot, no quorum — puts them all back to ``proposee`` with the result noted. A
winner whose text stopped changing during the vote (locked, archived, handed to the council,
the atelier closed) is noted ``not_applied`` and stays ``proposee``: nothing writes into a text
that no longer changes. Proposing on a text handed to the council is refused (409
``proposal_transmitted``); withdrawing one's own stays allowed, it changes no text.
"""

from __future__ import annotations

import base64
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from collab.amend import Applied, apply_once, detached, locate
from collab.rooms import RoomRegistry
from collab.store import DocumentStore, merge
from domain import amendments as rules
from domain import comments as anchors
from domain import proposals as proposal_rules
from domain.amendments import Fate
from domain.roles import Action
from domain.roles import require as require_role
from server.actors import Actor
from server.db.models import (
    AmendmentRow,
    AtelierRow,
    ParticipantRow,
    PollRow,
    ProposalRow,
    SessionRow,
)
from server.db.writes import reading, transaction
from server.documents.rendering import RenderPool, render
from server.errors import Problem
from server.schemas import (
    AmendmentAuthor,
    AmendmentCreate,
    AmendmentRead,
    AmendmentVote,
    PollCreate,
    PollOptionIn,
)
from server.services import polls
from server.services.ateliers import (
    READ_ONLY_COLUMNS,
    _read_only_for_everyone,
    atelier_is_closed,
    audit,
    new_id,
    now,
    refuse_if_atelier_closed,
    require_charter,
)
from server.services.comments import Changed, check_section
from server.services.comments import _names as names_of
from server.services.comments import _proposal as proposal_of

__all__ = [
    "STUCK_AFTER",
    "accept",
    "follow_step",
    "for_version",
    "list_amendments",
    "propose",
    "put_to_vote",
    "reject",
    "set_mode",
    "settle",
    "withdraw",
]

log = logging.getLogger("atelier.amendments")

#: An amendment still ``applying`` this long after it was accepted was cut short (a crash):
#: a facilitator may accept (or reject) it again.
STUCK_AFTER = timedelta(seconds=60)

#: What a vote's option says of an amendment, at most (a poll option is 200 characters).
_LABEL = 200


def _not_found() -> Problem:
    return Problem(404, "amendment_not_found", "Amendement introuvable.", "Amendment not found.")


_FATES_FR = {
    "proposee": "proposé",
    "au_vote": "au vote",
    "applying": "en cours d’application",
    "acceptee": "accepté",
    "rejetee": "rejeté",
    "retiree": "retiré",
}


def _decided(row: AmendmentRow) -> Problem:
    return Problem(
        409,
        "amendment_decided",
        f"Cet amendement est déjà {_FATES_FR.get(row.status, row.status)} : rechargez.",
        f"This amendment is already {row.status}: reload.",
    )


def _facilitator(actor: Actor) -> None:
    require_role(actor.role, Action.MANAGE_SESSION)
    require_charter(actor)


def _not_transmitted(proposal: ProposalRow) -> None:
    """409 ``proposal_transmitted`` once it was handed to the council (``transmise`` and after):
    its live document is read-only for everyone and no freeze follows, so an amendment there —
    proposed, accepted or voted — could only edit it behind the editors' backs or go nowhere."""
    if not proposal_rules.leaves_from("freeze", proposal.status):
        raise Problem(
            409,
            "proposal_transmitted",
            f"« {proposal.title} » est transmise au conseil : son texte ne change plus.",
            f"“{proposal.title}” was handed to the council: its text no longer changes.",
        )


def _writable(proposal: ProposalRow) -> None:
    """The text may still change: neither handed to the council (:func:`_not_transmitted`), nor
    locked (by a freeze or the facilitator) nor archived (409)."""
    _not_transmitted(proposal)
    if proposal.archived_at is not None or proposal.locked:
        raise Problem(
            409,
            "proposal_locked",
            f"« {proposal.title} » est verrouillée ou archivée : son texte ne change plus.",
            f"“{proposal.title}” is locked or archived: its text no longer changes.",
        )


async def _amendment(session: AsyncSession, actor: Actor, amendment_id: str) -> AmendmentRow:
    row = await session.get(AmendmentRow, amendment_id, populate_existing=True)
    if row is None or row.atelier_id != actor.atelier_id:
        raise _not_found()
    require_role(actor.role, Action.READ_ATELIER)
    return row


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _read(
    row: AmendmentRow, actor: Actor, names: dict[str, str], gone: bool = False
) -> AmendmentRead:
    return AmendmentRead(
        id=row.id,
        proposal_id=row.proposal_id,
        section=row.section,
        anchor_start=_b64(row.anchor_start),
        anchor_end=_b64(row.anchor_end),
        quote=row.quote,
        replacement=row.replacement,
        rationale=row.rationale,
        author=AmendmentAuthor(row.participant_id, names.get(row.participant_id), row.author_role),
        mine=row.participant_id == actor.participant_id,
        status=row.status,
        poll_id=row.poll_id,
        created_at=row.created_at,
        decided_at=row.decided_at,
        decided_by=names.get(row.decided_by) if row.decided_by else None,
        result=dict(row.result) if row.result is not None else None,
        detached=gone,
        applied=row.applied,
    )


async def _reads(
    session: AsyncSession, actor: Actor, rows: Sequence[AmendmentRow], gone: Sequence[bool] = ()
) -> list[AmendmentRead]:
    names = await names_of(session, [r.participant_id for r in rows] + [r.decided_by for r in rows])
    flags = list(gone) or [False] * len(rows)
    return [_read(row, actor, names, flag) for row, flag in zip(rows, flags, strict=True)]


async def _state(store: DocumentStore, doc_id: str) -> bytes:
    updates = await store.load(doc_id)
    return merge(updates) if updates else b""


async def _one(engine: AsyncEngine, actor: Actor, amendment_id: str) -> AmendmentRead:
    async with reading(engine) as session:
        row = await _amendment(session, actor, amendment_id)
        (read,) = await _reads(session, actor, [row])
    return read


# --- reading ----------------------------------------------------------------------------------


async def list_amendments(
    engine: AsyncEngine, store: DocumentStore, pool: RenderPool, actor: Actor, proposal_id: str
) -> list[AmendmentRead]:
    """Every amendment of the proposal, oldest first; the open ones say whether their passage
    is still in the live text (``detached``), worked out in a render worker."""
    async with reading(engine) as session:
        proposal = await proposal_of(session, actor, proposal_id)
        rows = list(
            await session.scalars(
                select(AmendmentRow)
                .where(AmendmentRow.proposal_id == proposal.id)
                .order_by(AmendmentRow.created_at, AmendmentRow.id)
            )
        )
        gone = [False] * len(rows)
        open_ones = [i for i, row in enumerate(rows) if row.status in rules.OPEN]
        if open_ones:
            state = await _state(store, proposal.doc_id)
            if state:
                found = await render(
                    pool,
                    detached,
                    state,
                    [
                        (rows[i].section, rows[i].anchor_start, rows[i].anchor_end)
                        for i in open_ones
                    ],
                )
                for i, flag in zip(open_ones, found, strict=True):
                    gone[i] = flag
        return await _reads(session, actor, rows, gone)


# --- the mode -----------------------------------------------------------------------------------


async def set_mode(
    engine: AsyncEngine, actor: Actor, proposal_id: str, enabled: bool
) -> tuple[ProposalRow, bool]:
    """« Amendements » (True) or « écriture libre » (False); whether it changed."""
    _facilitator(actor)
    async with transaction(engine) as session:
        row = await proposal_of(session, actor, proposal_id)
        await refuse_if_atelier_closed(session, row.atelier_id)
        changed = await session.execute(
            update(ProposalRow)
            .where(ProposalRow.id == row.id, ProposalRow.amendment_mode != enabled)
            .values(amendment_mode=enabled)
        )
        moved = bool(changed.rowcount)  # type: ignore[attr-defined]
        if moved:
            audit(
                session,
                row.atelier_id,
                actor.participant_id,
                "amendment_mode_on" if enabled else "amendment_mode_off",
                row.id,
            )
        row = await proposal_of(session, actor, proposal_id)
        await session.refresh(row)
    return row, moved


#: A proposal a séance's step switches: still in the atelier's hands (a draft, or frozen but
#: going on: ``domain.proposals.leaves_from("freeze")``), neither archived nor locked by a
#: freeze. The facilitator's own lock does not matter: the mode is there when it is lifted.
def _follows_steps(row: ProposalRow) -> bool:
    return (
        proposal_rules.leaves_from("freeze", row.status)
        and row.archived_at is None
        and row.locked_by != "freeze"
    )


async def follow_step(
    engine: AsyncEngine, actor: Actor, session_id: str, amendments: bool
) -> list[ProposalRow]:
    """A séance's step started whose agenda item sets a writing mode: :func:`set_mode` on each
    of the atelier's proposals the séance works on (the same switch, one transaction each, as
    the facilitator's by hand, which stays free to flip one back). The proposals it changed."""
    _facilitator(actor)
    async with reading(engine) as session:
        seance = await session.get(SessionRow, session_id)
        if seance is None or seance.atelier_id != actor.atelier_id:
            return []
        if await atelier_is_closed(session, seance.atelier_id):
            return []  # its texts change no more: no step switches their mode
        rows = await session.scalars(
            select(ProposalRow)
            .where(ProposalRow.atelier_id == seance.atelier_id)
            .order_by(ProposalRow.created_at)
        )
        ids = [row.id for row in rows if _follows_steps(row)]
    changed = []
    for proposal_id in ids:
        row, moved = await set_mode(engine, actor, proposal_id, amendments)
        if moved:
            changed.append(row)
    return changed


# --- proposing, withdrawing ---------------------------------------------------------------------


async def propose(
    engine: AsyncEngine,
    store: DocumentStore,
    pool: RenderPool,
    actor: Actor,
    proposal_id: str,
    data: AmendmentCreate,
) -> tuple[AmendmentRead, Changed]:
    # « Votre rôle (…) ne permet pas de proposer un amendement. », not « de commenter ».
    require_role(actor.role, Action.COMMENT, doing=rules.PROPOSING)
    require_charter(actor)
    async with reading(engine) as session:
        proposal = await proposal_of(session, actor, proposal_id)
        await refuse_if_atelier_closed(session, proposal.atelier_id)
    # Locked (by the facilitator or a freeze) stays open to proposals, like comments: a lock
    # is lifted, and what was proposed meanwhile is decided then. A transmitted text is not.
    _not_transmitted(proposal)
    if proposal.archived_at is not None:
        raise Problem(
            409,
            "proposal_archived",
            f"« {proposal.title} » est archivée : restaurez-la pour l’amender.",
            f"“{proposal.title}” is archived: restore it to amend it.",
        )
    check_section(proposal, data.section)
    start = anchors.anchor(data.anchor_start, "anchor_start")
    end = anchors.anchor(data.anchor_end, "anchor_end")
    rules.relative_position(start, "anchor_start")
    rules.relative_position(end, "anchor_end")
    quote = anchors.quote(data.quote)
    replacement = rules.replacement(data.replacement)
    rationale = rules.rationale(data.rationale)
    state = await _state(store, proposal.doc_id)
    where = await render(pool, locate, state, data.section, start, end) if state else None
    if where is not None and where.spans_blocks:
        raise Problem(
            422,
            "amendment_spans_blocks",
            "Un amendement porte sur un passage d’un seul paragraphe : "
            "choisissez un passage qui ne déborde pas sur le suivant.",
            "An amendment replaces a passage within one paragraph: choose a passage that does "
            "not run into the next one.",
        )
    if where is None or where.text is None or where.end <= where.start:
        raise Problem(
            422,
            "invalid_anchor",
            "Ce passage n’est pas dans cette partie du texte (ou il est vide) : "
            "sélectionnez-le de nouveau.",
            "This passage is not in this section of the text (or it is empty): select it again.",
        )
    amendment_id = new_id()
    async with transaction(engine) as session:
        # The proposal's row first: the count of open amendments cannot be raced past.
        await session.execute(
            select(ProposalRow.id).where(ProposalRow.id == proposal.id).with_for_update()
        )
        opened = await session.scalar(
            select(func.count())
            .select_from(AmendmentRow)
            .where(AmendmentRow.proposal_id == proposal.id, AmendmentRow.status.in_(rules.OPEN))
        )
        if (opened or 0) >= rules.MAX_OPEN:
            raise Problem(
                422,
                "too_many_amendments",
                f"Cette proposition a déjà {rules.MAX_OPEN} amendements en attente : "
                "décidez-en d’abord.",
                f"This proposal already has {rules.MAX_OPEN} open amendments: decide some first.",
            )
        session.add(
            AmendmentRow(
                id=amendment_id,
                atelier_id=proposal.atelier_id,
                proposal_id=proposal.id,
                section=data.section,
                participant_id=actor.participant_id,
                author_role=actor.role,
                anchor_start=start,
                anchor_end=end,
                quote=quote,
                replacement=replacement,
                rationale=rationale,
                status=Fate.PROPOSEE.value,
                created_at=now(),
            )
        )
        audit(
            session,
            proposal.atelier_id,
            actor.participant_id,
            "amendment",
            amendment_id,
            proposal=proposal.id,
            section=data.section,
        )
    return await _one(engine, actor, amendment_id), Changed(proposal.atelier_id, proposal.id)


async def _move(
    session: AsyncSession,
    row: AmendmentRow,
    to: Fate,
    *,
    who: str | None,
    **values: Any,
) -> None:
    """``row`` from the status it was read in to ``to``, once (409 for whoever comes second)."""
    changed = await session.execute(
        update(AmendmentRow)
        .where(AmendmentRow.id == row.id, AmendmentRow.status == row.status)
        .values({"status": to.value, "decided_by": who, "decided_at": now(), **values})
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(row)
        raise _decided(row)


async def withdraw(
    engine: AsyncEngine, actor: Actor, amendment_id: str
) -> tuple[AmendmentRead, Changed]:
    """Its author takes it back, while nobody decided it nor put it to the vote."""
    async with transaction(engine) as session:
        row = await _amendment(session, actor, amendment_id)
        await refuse_if_atelier_closed(session, row.atelier_id)
        if row.participant_id != actor.participant_id:
            raise Problem(
                403,
                "forbidden",
                "Seule la personne qui l’a proposé retire un amendement.",
                "Only the person who proposed it withdraws an amendment.",
            )
        if not rules.withdrawable(row.status):
            raise _decided(row)
        await _move(session, row, Fate.RETIREE, who=actor.participant_id)
        audit(session, row.atelier_id, actor.participant_id, "amendment_withdrawn", row.id)
    return await _one(engine, actor, amendment_id), Changed(row.atelier_id, row.proposal_id)


# --- deciding -----------------------------------------------------------------------------------


def _stuck(row: AmendmentRow) -> bool:
    return (
        row.status == Fate.APPLYING.value
        and row.decided_at is not None
        and now() - row.decided_at > STUCK_AFTER
    )


async def reject(
    engine: AsyncEngine, actor: Actor, amendment_id: str, reason: str | None
) -> tuple[AmendmentRead, Changed]:
    _facilitator(actor)
    why = rules.rationale(reason)
    async with transaction(engine) as session:
        row = await _amendment(session, actor, amendment_id)
        await refuse_if_atelier_closed(session, row.atelier_id)
        if not (rules.decidable(row.status) or _stuck(row)):
            raise _decided(row)
        await _move(
            session,
            row,
            Fate.REJETEE,
            who=actor.participant_id,
            result={"reason": why} if why else None,
        )
        audit(session, row.atelier_id, actor.participant_id, "amendment_rejected", row.id)
    return await _one(engine, actor, amendment_id), Changed(row.atelier_id, row.proposal_id)


async def _apply(registry: RoomRegistry, doc_id: str, row: AmendmentRow, retry: bool) -> Applied:
    aid, section, start, end = row.id, row.section, row.anchor_start, row.anchor_end
    text = row.replacement
    how, edited = await registry.edit(
        doc_id, lambda doc: apply_once(doc, aid, section, start, end, text, check_text=retry)
    )
    if not edited:
        log.warning("amendment %s was already in the text: accepted without editing it", aid)
    return how


async def _applied(
    engine: AsyncEngine,
    registry: RoomRegistry,
    row: AmendmentRow,
    doc_id: str,
    *,
    retry: bool = False,
) -> None:
    """``row`` is ``applying`` (committed): edit the text (once: ``retry`` when a first
    attempt was cut short), then ``acceptee``; back to ``proposee`` if the edit fails."""
    try:
        how = await _apply(registry, doc_id, row, retry)
    except Exception as exc:
        log.exception("amendment %s: the live text could not be edited", row.id)
        async with transaction(engine) as session:
            await session.execute(
                update(AmendmentRow)
                .where(AmendmentRow.id == row.id, AmendmentRow.status == Fate.APPLYING.value)
                .values(status=Fate.PROPOSEE.value, decided_by=None, decided_at=None)
            )
        raise Problem(
            503,
            "amendment_not_applied",
            "Le texte n’a pas pu être modifié : l’amendement reste proposé ; réessayez.",
            "The text could not be changed: the amendment stays proposed; try again.",
            headers={"retry-after": "5"},
        ) from exc
    async with transaction(engine) as session:
        await session.execute(
            update(AmendmentRow)
            .where(AmendmentRow.id == row.id, AmendmentRow.status == Fate.APPLYING.value)
            .values(status=Fate.ACCEPTEE.value, applied=how)
        )


async def accept(
    engine: AsyncEngine, registry: RoomRegistry, actor: Actor, amendment_id: str
) -> tuple[AmendmentRead, Changed]:
    """Apply it to the live text (see the module's docstring for the order of the writes)."""
    _facilitator(actor)
    async with transaction(engine) as session:
        row = await _amendment(session, actor, amendment_id)
        await refuse_if_atelier_closed(session, row.atelier_id)
        proposal = await proposal_of(session, actor, row.proposal_id)
        if not (rules.decidable(row.status) or _stuck(row)):
            raise _decided(row)
        _writable(proposal)
        # Stuck in ``applying``: the first attempt may have edited the text before the crash.
        retry = row.status == Fate.APPLYING.value
        await _move(session, row, Fate.APPLYING, who=actor.participant_id)
        audit(session, row.atelier_id, actor.participant_id, "amendment_accepted", row.id)
        doc_id = proposal.doc_id
    await _applied(engine, registry, row, doc_id, retry=retry)
    return await _one(engine, actor, amendment_id), Changed(row.atelier_id, row.proposal_id)


# --- the vote -----------------------------------------------------------------------------------


async def _named(session: AsyncSession, ids: Sequence[str]) -> dict[str, str]:
    """The names of those of ``ids`` who agreed to be named (``show_name_in_minutes``)."""
    rows = await session.execute(
        select(ParticipantRow.id, ParticipantRow.display_name).where(
            ParticipantRow.id.in_(sorted(set(ids))),
            ParticipantRow.show_name_in_minutes.is_(True),
        )
    )
    return {pid: name for pid, name in rows.all()}


def _option_label(row: AmendmentRow, names: dict[str, str]) -> str:
    who = names.get(row.participant_id, "")
    change = (
        f"« {row.quote} » → « {row.replacement} »"
        if row.replacement
        else f"« {row.quote} » supprimé"
    )
    label = f"{who} : {change}" if who else change
    return label if len(label) <= _LABEL else label[: _LABEL - 1] + "…"


async def put_to_vote(
    engine: AsyncEngine, actor: Actor, proposal_id: str, data: AmendmentVote
) -> tuple[PollRow, list[AmendmentRead], Changed]:
    """A poll in the séance: « Garder le texte actuel », then one option per amendment in the
    order given; created and opened at once. The amendments go ``au_vote`` first (409 if one
    of them was decided meanwhile); a poll that cannot be created puts them back."""
    _facilitator(actor)
    wanted = list(dict.fromkeys(data.amendment_ids))
    async with transaction(engine) as session:
        proposal = await proposal_of(session, actor, proposal_id)
        await refuse_if_atelier_closed(session, proposal.atelier_id)
        _writable(proposal)
        rows = list(
            await session.scalars(
                select(AmendmentRow).where(
                    AmendmentRow.id.in_(wanted), AmendmentRow.proposal_id == proposal.id
                )
            )
        )
        by_id = {row.id: row for row in rows}
        if missing := [aid for aid in wanted if aid not in by_id]:
            raise Problem(
                422,
                "unknown_amendment",
                f"Amendement inconnu sur cette proposition : {missing[0]}.",
                f"No such amendment on this proposal: {missing[0]}.",
            )
        rows = [by_id[aid] for aid in wanted]
        # An option's label goes into the poll, the séance's results and every version frozen
        # after: it names the author only when they agreed to be named, as a version does.
        names = await _named(session, [row.participant_id for row in rows])
        for index, row in enumerate(rows):
            if not rules.decidable(row.status):
                raise _decided(row)
            await _move(
                session,
                row,
                Fate.AU_VOTE,
                who=None,
                decided_at=None,
                result={"option": f"o{index + 2}"},
            )
        labels: list[str] = []
        for row in rows:  # two identical amendments stay two options (a poll refuses twins)
            label = _option_label(row, names)
            twin = sum(1 for kept in labels if kept.startswith(label[:190]))
            labels.append(f"{label[:190]} ({twin + 1})" if twin else label)
        title = data.title or (
            f"Amendement à « {proposal.title} »"
            if len(rows) == 1
            else f"Amendements à « {proposal.title} »"
        )
    title = title if len(title) <= _LABEL else title[: _LABEL - 1] + "…"
    method = data.method or rules.default_method(len(rows) + 1)
    body = PollCreate(
        title=title,
        method=method,
        options=[PollOptionIn(rules.KEEP_LABEL), *(PollOptionIn(label) for label in labels)],
        params={"dots_per_voter": 3} if method == "dots" else {},
    )
    try:
        poll = await polls.create_poll(engine, actor, data.session_id, body)
        poll = await polls.open_poll(engine, actor, poll.id)
    except Exception:
        async with transaction(engine) as session:
            await session.execute(
                update(AmendmentRow)
                .where(AmendmentRow.id.in_(wanted), AmendmentRow.status == Fate.AU_VOTE.value)
                .values(status=Fate.PROPOSEE.value, result=None, poll_id=None)
            )
        raise
    async with transaction(engine) as session:
        await session.execute(
            update(AmendmentRow).where(AmendmentRow.id.in_(wanted)).values(poll_id=poll.id)
        )
        audit(
            session,
            proposal.atelier_id,
            actor.participant_id,
            "amendments_to_vote",
            poll.id,
            proposal=proposal.id,
            amendments=wanted,
        )
    async with reading(engine) as session:
        fresh = list(await session.scalars(select(AmendmentRow).where(AmendmentRow.id.in_(wanted))))
        order = {aid: i for i, aid in enumerate(wanted)}
        fresh.sort(key=lambda row: order[row.id])
        reads = await _reads(session, actor, fresh)
    return poll, reads, Changed(proposal.atelier_id, proposal.id)


def _summary(poll: PollRow) -> dict[str, Any]:
    """What an amendment keeps of the vote: method, winner (an option's label or None),
    counts by label, ballots, tie."""
    final = poll.final or {}
    total = (final.get("results") or {}).get("total") or {}
    labels = {str(o["id"]): str(o["label"]) for o in poll.options}
    winner = total.get("winner")
    ranking = total.get("ranking") or []
    return {
        "poll_id": poll.id,
        "method": poll.method,
        "winner": labels.get(winner) if winner else None,
        "winner_option": winner,
        "counts": {labels.get(k, k): v for k, v in (total.get("scores") or {}).items()},
        "ballots": total.get("ballots_counted", 0),
        "tie": winner is None and bool(ranking) and len(ranking[0]) > 1,
        "quorum_reached": (final.get("results") or {}).get("quorum_reached", True),
    }


async def _settled(session: AsyncSession, proposal_id: str) -> tuple[str, str | None]:
    """The proposal's live document, and why nobody may change its text now (the editor's
    reasons that hold for everyone: ``closed``, ``transmitted``, ``archived``, ``locked``,
    ``frozen``), or None while it may change."""
    found = (
        await session.execute(
            select(ProposalRow.doc_id, *READ_ONLY_COLUMNS)
            .join(AtelierRow, AtelierRow.id == ProposalRow.atelier_id)
            .where(ProposalRow.id == proposal_id)
        )
    ).one_or_none()
    if found is None:
        return "", None
    return found.doc_id, _read_only_for_everyone(found)


async def settle(engine: AsyncEngine, registry: RoomRegistry, poll_id: str) -> Changed | None:
    """After a poll closed: if it was born from amendments, apply the winner, reject the
    others; no winner (a tie, no ballot, quorum missed): all back to ``proposee``, the result
    noted — the facilitator decides. None when the poll was not about amendments.

    A winner whose text stopped changing while it was voted on (the proposal locked, frozen with
    its lock, archived, handed to the council, or its atelier closed) is not applied: it goes
    back to ``proposee`` with the vote noted and ``not_applied`` (why, one of the editor's
    reasons), the others rejected as voted. The facilitator may accept it once the text may
    change again; a transmitted text never does, and it stays proposed like the amendments still
    pending when it was handed over."""
    async with transaction(engine) as session:
        poll = await session.get(PollRow, poll_id, populate_existing=True)
        rows = list(
            await session.scalars(
                select(AmendmentRow).where(
                    AmendmentRow.poll_id == poll_id, AmendmentRow.status == Fate.AU_VOTE.value
                )
            )
        )
        if poll is None or not rows or poll.final is None:
            return None
        summary = _summary(poll)
        winner = summary["winner_option"] if summary["quorum_reached"] is not False else None
        # One proposal per vote (put_to_vote): is its text still one that changes?
        doc_id, settled = await _settled(session, rows[0].proposal_id)
        chosen: AmendmentRow | None = None
        held_back: str | None = None  # why the winner was not applied
        for row in rows:
            option = (row.result or {}).get("option")
            if winner is None:
                await _move(session, row, Fate.PROPOSEE, who=None, decided_at=None, result=summary)
            elif option != winner:
                await _move(session, row, Fate.REJETEE, who=None, result=summary)
            elif settled is not None:
                held_back = settled
                noted = {**summary, "not_applied": settled}
                await _move(session, row, Fate.PROPOSEE, who=None, decided_at=None, result=noted)
            else:
                chosen = row
                await _move(session, row, Fate.APPLYING, who=None, result=summary)
        audit(
            session,
            rows[0].atelier_id,
            f"poll:{poll_id}",
            "amendments_voted",
            poll_id,
            winner=winner,
            not_applied=held_back,
        )
        changed = Changed(rows[0].atelier_id, rows[0].proposal_id)
    if chosen is not None and doc_id:
        # The poll is closed whatever happens here: a winner that cannot be applied stays
        # proposed (logged), for the facilitator to accept again.
        with contextlib.suppress(Problem):
            await _applied(engine, registry, chosen, doc_id)
    return changed


# --- the frozen version ---------------------------------------------------------------------------


async def for_version(
    session: AsyncSession, proposal_id: str, who: dict[str, str]
) -> list[dict[str, Any]]:
    """The proposal's amendments as a frozen version lists them: section, quote, replacement,
    rationale, fate, when decided, the vote's summary; the author and the facilitator who
    decided by participant id when they agreed to be named (their names to ``who``, sealed
    like every name of a version), else by role only."""
    rows = list(
        await session.scalars(
            select(AmendmentRow)
            .where(AmendmentRow.proposal_id == proposal_id)
            .order_by(AmendmentRow.created_at, AmendmentRow.id)
        )
    )
    if not rows:
        return []
    people = {r.participant_id for r in rows} | {r.decided_by for r in rows if r.decided_by}
    found = (
        await session.execute(
            select(
                ParticipantRow.id,
                ParticipantRow.display_name,
                ParticipantRow.role,
                ParticipantRow.show_name_in_minutes,
            ).where(ParticipantRow.id.in_(sorted(people)))
        )
    ).all()
    shown = {pid: name for pid, name, _, named in found if named}
    roles = {pid: role for pid, _, role, _ in found}

    def person(pid: str | None, role: str | None) -> dict[str, Any] | None:
        if pid is None:
            return None
        if pid in shown:
            who[pid] = shown[pid]
        return {"named": [pid] if pid in shown else [], "role": role or roles.get(pid)}

    listed = []
    for row in rows:
        result = dict(row.result) if row.result else None
        vote = None
        if result and "poll_id" in result:
            vote = {
                k: result[k] for k in ("poll_id", "method", "winner", "counts", "ballots", "tie")
            }
        listed.append(
            {
                "id": row.id,
                "section": row.section,
                "quote": row.quote,
                "replacement": row.replacement,
                "rationale": row.rationale,
                "author": person(row.participant_id, row.author_role),
                "fate": row.status,
                "created_at": row.created_at.isoformat(),
                "decided_at": row.decided_at.isoformat() if row.decided_at else None,
                "decided_by": person(row.decided_by, None),
                "applied": row.applied,
                "reason": (result or {}).get("reason"),
                "vote": vote,
            }
        )
    return listed

"""Comments on a proposal, in threads: read, start a thread, reply, resolve, delete.

A comment is written by a participant of the proposal's atelier whose role may comment
(``Action.COMMENT``) and who accepted the atelier's current charter; the author is the token's
participant, never something the client says. A locked or frozen text can still be commented
(commenting is not editing); an archived proposal cannot until it is restored, and nothing is
said any more in a closed atelier (409 ``atelier_closed``). The rules and
bounds are :mod:`domain.comments`; each change is audited (without the comment's text).

A comment's id may be chosen by the client: the same comment sent twice (a retry after a lost
answer, a double click) is created once, and the second call answers it as it is.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass

import msgspec
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain import comments as rules
from domain.roles import Action, can
from domain.roles import require as require_role
from domain.templates import TEMPLATES
from server.actors import Actor
from server.db.models import CommentRow, ParticipantRow, ProposalRow
from server.db.writes import reading, transaction
from server.errors import Problem
from server.schemas import (
    CommentCreate,
    CommentDeleted,
    CommentRead,
    CommentsRead,
    ReplyCreate,
    ThreadRead,
)
from server.services.ateliers import (
    atelier_is_closed,
    audit,
    new_id,
    now,
    refuse_if_atelier_closed,
    require_charter,
)

__all__ = ["Changed", "delete_comment", "list_comments", "reply", "resolve", "start_thread"]


@dataclass(frozen=True)
class Changed:
    """Where a change happened: the séances of ``atelier_id`` are told about ``proposal_id``."""

    atelier_id: str
    proposal_id: str


def _proposal_not_found() -> Problem:
    return Problem(404, "proposal_not_found", "Proposition introuvable.", "Proposal not found.")


def _comment_not_found() -> Problem:
    return Problem(404, "comment_not_found", "Commentaire introuvable.", "Comment not found.")


async def _proposal(session: AsyncSession, actor: Actor, proposal_id: str) -> ProposalRow:
    """The proposal, if the actor may read its atelier (403 for another atelier's)."""
    row = await session.get(ProposalRow, proposal_id)
    if row is None:
        raise _proposal_not_found()
    if row.atelier_id != actor.atelier_id:
        raise Problem(
            403,
            "other_atelier",
            "Vous ne participez pas à cet atelier.",
            "You are not a participant of this atelier.",
        )
    require_role(actor.role, Action.READ_ATELIER)
    return row


async def _comment(session: AsyncSession, actor: Actor, comment_id: str) -> CommentRow:
    """A comment of the actor's atelier (404 for any other: its id says nothing to them)."""
    row = await session.get(CommentRow, comment_id, populate_existing=True)
    if row is None or row.atelier_id != actor.atelier_id:
        raise _comment_not_found()
    require_role(actor.role, Action.READ_ATELIER)
    return row


def _why_not(actor: Actor, proposal: ProposalRow, closed: bool) -> str | None:
    """Why the actor may not comment on ``proposal`` now, or None when they may: its atelier
    closed first (it holds for everyone), then the role, the charter, the archive."""
    if closed:
        return "closed"
    if not can(actor.role, Action.COMMENT):
        return "role"
    if actor.charter_behind is not None:
        return "charter"
    if proposal.archived_at is not None:
        return "archived"
    return None


def _may_write(actor: Actor, proposal: ProposalRow) -> None:
    """403 with the reason (the role, the revised charter), or 409 for an archived proposal."""
    require_role(actor.role, Action.COMMENT)  # « Votre rôle (…) ne permet pas de commenter. »
    require_charter(actor)
    if proposal.archived_at is not None:
        raise Problem(
            409,
            "proposal_archived",
            f"« {proposal.title} » est archivée : restaurez-la pour la commenter.",
            f"“{proposal.title}” is archived: restore it to comment on it.",
        )


def check_section(proposal: ProposalRow, section: str) -> None:
    """422 ``unknown_section`` unless ``section`` is one of the proposal's template's sections
    (comments and amendments are anchored to one)."""
    if section not in TEMPLATES[proposal.kind].keys:
        raise Problem(
            422,
            "unknown_section",
            f"Cette proposition n’a pas de partie « {section} ».",
            f"This proposal has no section “{section}”.",
        )


def _moderates(actor: Actor) -> None:
    """Resolving and deleting change the discussion: the charter accepted first."""
    require_charter(actor)


# --- reading ----------------------------------------------------------------------------------


def _comment_read(row: CommentRow, actor: Actor) -> CommentRead:
    mine = row.participant_id == actor.participant_id
    return CommentRead(
        id=row.id,
        thread_id=row.thread_id,
        section=row.section,
        # Deleted: neither its words nor who wrote them stay on show.
        author_name="" if row.deleted_at is not None else row.author_name,
        author_role=row.author_role,
        body="" if row.deleted_at is not None else row.body,
        created_at=row.created_at,
        deleted=row.deleted_at is not None,
        mine=mine,
        may_delete=row.deleted_at is None
        and actor.charter_behind is None
        and rules.may_delete(actor.role, author=mine),
    )


def _b64(raw: bytes | None) -> str | None:
    return base64.b64encode(raw).decode() if raw is not None else None


def _thread_read(
    row: CommentRow, replies: list[CommentRow], actor: Actor, names: dict[str, str]
) -> ThreadRead:
    base = _comment_read(row, actor)
    return ThreadRead(
        id=base.id,
        thread_id=None,
        section=base.section,
        author_name=base.author_name,
        author_role=base.author_role,
        body=base.body,
        created_at=base.created_at,
        deleted=base.deleted,
        mine=base.mine,
        may_delete=base.may_delete,
        anchor_start=_b64(row.anchor_start),
        anchor_end=_b64(row.anchor_end),
        quote=row.quote,
        resolved_at=row.resolved_at,
        resolved_by=names.get(row.resolved_by) if row.resolved_by else None,
        may_resolve=actor.charter_behind is None
        and rules.may_resolve(actor.role, author=base.mine),
        replies=[_comment_read(reply, actor) for reply in replies],
    )


async def _names(session: AsyncSession, ids: Iterable[str | None]) -> dict[str, str]:
    """Participants' names as they stand (a pseudonym once erased)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = await session.execute(
        select(ParticipantRow.id, ParticipantRow.display_name).where(ParticipantRow.id.in_(wanted))
    )
    return {pid: name for pid, name in rows.all()}


async def _threads(
    session: AsyncSession, actor: Actor, proposal_id: str, only: str | None = None
) -> list[ThreadRead]:
    """The proposal's threads, oldest first, each with its replies; ``only``: that thread."""
    query = select(CommentRow).where(CommentRow.proposal_id == proposal_id)
    if only is not None:
        query = query.where((CommentRow.id == only) | (CommentRow.thread_id == only))
    rows = list(await session.scalars(query.order_by(CommentRow.created_at, CommentRow.id)))
    replies: dict[str, list[CommentRow]] = {}
    for row in rows:
        if row.thread_id is not None:
            replies.setdefault(row.thread_id, []).append(row)
    names = await _names(session, (row.resolved_by for row in rows))
    return [
        _thread_read(row, replies.get(row.id, []), actor, names)
        for row in rows
        if row.thread_id is None
    ]


async def list_comments(engine: AsyncEngine, actor: Actor, proposal_id: str) -> CommentsRead:
    """Every thread of the proposal, for anyone of its atelier who may read it."""
    async with reading(engine) as session:
        proposal = await _proposal(session, actor, proposal_id)
        threads = await _threads(session, actor, proposal.id)
        closed = await atelier_is_closed(session, proposal.atelier_id)
    reason = _why_not(actor, proposal, closed)
    if closed:  # nothing is resolved nor deleted any more: no button offers it
        threads = [
            msgspec.structs.replace(
                thread,
                may_resolve=False,
                may_delete=False,
                replies=[msgspec.structs.replace(r, may_delete=False) for r in thread.replies],
            )
            for thread in threads
        ]
    return CommentsRead(proposal.id, reason is None, reason, threads)


# --- writing ----------------------------------------------------------------------------------


def _anchor(data: CommentCreate) -> tuple[bytes | None, bytes | None, str | None]:
    """The passage's two positions and its quote, all three or none (the whole section)."""
    given = [data.anchor_start is not None, data.anchor_end is not None]
    if not any(given) and not (data.quote or "").strip():
        return None, None, None
    if not all(given):
        raise Problem(
            422,
            "incomplete_anchor",
            "Le passage commenté a besoin de son début et de sa fin.",
            "The commented passage needs both its start and its end.",
        )
    assert data.anchor_start is not None
    assert data.anchor_end is not None
    return (
        rules.anchor(data.anchor_start, "anchor_start"),
        rules.anchor(data.anchor_end, "anchor_end"),
        rules.quote(data.quote or ""),
    )


async def _again(
    engine: AsyncEngine, actor: Actor, comment_id: str, proposal_id: str, thread_id: str | None
) -> CommentRow | None:
    """The comment of that id if it is this same one sent again (same author, same place);
    None if there is none; 409 if the id is someone else's."""
    async with reading(engine) as session:
        row = await session.get(CommentRow, comment_id)
    if row is None:
        return None
    if (row.participant_id, row.proposal_id, row.thread_id) != (
        actor.participant_id,
        proposal_id,
        thread_id,
    ):
        raise Problem(
            409,
            "comment_id_taken",
            "Cet identifiant de commentaire est déjà pris.",
            "This comment id is already taken.",
        )
    return row


async def start_thread(
    engine: AsyncEngine, actor: Actor, proposal_id: str, data: CommentCreate
) -> tuple[ThreadRead, Changed]:
    """A new thread on a section of the proposal, on a passage or on the whole section."""
    async with reading(engine) as session:
        proposal = await _proposal(session, actor, proposal_id)
        await refuse_if_atelier_closed(session, proposal.atelier_id)
    _may_write(actor, proposal)
    check_section(proposal, data.section)
    text = rules.body(data.body)
    start, end, quoted = _anchor(data)
    changed = Changed(proposal.atelier_id, proposal.id)
    comment_id = data.id or new_id()
    if data.id is not None and await _again(engine, actor, data.id, proposal.id, None):
        return await _thread(engine, actor, data.id), changed
    try:
        async with transaction(engine) as session:
            session.add(
                CommentRow(
                    id=comment_id,
                    atelier_id=proposal.atelier_id,
                    proposal_id=proposal.id,
                    thread_id=None,
                    section=data.section,
                    participant_id=actor.participant_id,
                    author_name=actor.display_name,
                    author_role=actor.role,
                    body=text,
                    anchor_start=start,
                    anchor_end=end,
                    quote=quoted,
                    created_at=now(),
                )
            )
            audit(
                session,
                proposal.atelier_id,
                actor.participant_id,
                "comment",
                comment_id,
                proposal=proposal.id,
                section=data.section,
            )
    except IntegrityError:
        # The same id sent twice at once: one row is written, both get it.
        if not await _again(engine, actor, comment_id, proposal.id, None):
            raise
    return await _thread(engine, actor, comment_id), changed


async def _thread(engine: AsyncEngine, actor: Actor, thread_id: str) -> ThreadRead:
    async with reading(engine) as session:
        root = await _comment(session, actor, thread_id)
        (thread,) = await _threads(session, actor, root.proposal_id, only=root.id)
    return thread


async def reply(
    engine: AsyncEngine, actor: Actor, comment_id: str, data: ReplyCreate
) -> tuple[CommentRead, Changed]:
    """A reply in the thread of ``comment_id`` (a reply's id answers in its thread too)."""
    async with reading(engine) as session:
        target = await _comment(session, actor, comment_id)
        thread_id = target.thread_id or target.id
        proposal = await _proposal(session, actor, target.proposal_id)
        await refuse_if_atelier_closed(session, proposal.atelier_id)
    _may_write(actor, proposal)
    text = rules.body(data.body)
    changed = Changed(proposal.atelier_id, proposal.id)
    reply_id = data.id or new_id()
    again = data.id is not None and await _again(engine, actor, data.id, proposal.id, thread_id)
    if not again:
        try:
            async with transaction(engine) as session:
                root = await session.get(CommentRow, thread_id, with_for_update=True)
                if root is None:  # deleted in the meantime, with its last reply
                    raise _comment_not_found()
                session.add(
                    CommentRow(
                        id=reply_id,
                        atelier_id=proposal.atelier_id,
                        proposal_id=proposal.id,
                        thread_id=thread_id,
                        section=root.section,
                        participant_id=actor.participant_id,
                        author_name=actor.display_name,
                        author_role=actor.role,
                        body=text,
                        created_at=now(),
                    )
                )
                audit(
                    session,
                    proposal.atelier_id,
                    actor.participant_id,
                    "comment_reply",
                    reply_id,
                    proposal=proposal.id,
                    thread=thread_id,
                )
        except IntegrityError:
            if not await _again(engine, actor, reply_id, proposal.id, thread_id):
                raise
    async with reading(engine) as session:
        row = await _comment(session, actor, reply_id)
        return _comment_read(row, actor), changed


async def resolve(
    engine: AsyncEngine, actor: Actor, comment_id: str, resolved: bool
) -> tuple[ThreadRead, Changed | None]:
    """Resolve a thread (it is shown folded) or reopen it: its author or a facilitator.
    Asking twice changes it once (``None``: nothing changed)."""
    _moderates(actor)
    async with transaction(engine) as session:
        root = await _comment(session, actor, comment_id)
        await refuse_if_atelier_closed(session, root.atelier_id)
        if root.thread_id is not None:
            raise Problem(
                422,
                "not_a_thread",
                "Une réponse ne se résout pas : c’est le fil entier qui se résout.",
                "A reply is not resolved on its own: the whole thread is.",
            )
        if not rules.may_resolve(actor.role, author=root.participant_id == actor.participant_id):
            raise Problem(
                403,
                "forbidden",
                "Seules la personne qui a ouvert ce fil et l’animation le résolvent.",
                "Only the person who started this thread and the facilitators resolve it.",
            )
        changed: Changed | None = None
        if (root.resolved_at is not None) != resolved:
            root.resolved_at = now() if resolved else None
            root.resolved_by = actor.participant_id if resolved else None
            audit(
                session,
                root.atelier_id,
                actor.participant_id,
                "comment_resolved" if resolved else "comment_reopened",
                root.id,
                proposal=root.proposal_id,
            )
            changed = Changed(root.atelier_id, root.proposal_id)
    return await _thread(engine, actor, comment_id), changed


async def delete_comment(
    engine: AsyncEngine, actor: Actor, comment_id: str
) -> tuple[CommentDeleted, Changed]:
    """Delete a comment: its author, or a facilitator. A thread's first comment that has
    replies keeps its row without its text, so the replies stay in their thread; a thread left
    with no comment at all goes."""
    _moderates(actor)
    async with transaction(engine) as session:
        row = await _comment(session, actor, comment_id)
        await refuse_if_atelier_closed(session, row.atelier_id)
        author = row.participant_id == actor.participant_id
        if not rules.may_delete(actor.role, author=author):
            raise Problem(
                403,
                "forbidden",
                "Seules la personne qui l’a écrit et l’animation suppriment un commentaire.",
                "Only its author and the facilitators delete a comment.",
            )
        changed = Changed(row.atelier_id, row.proposal_id)
        if row.deleted_at is not None:  # asked twice: it is already as deleted as it gets
            return CommentDeleted(row.id, row.thread_id, True), changed
        details: dict[str, object] = {"proposal": row.proposal_id}
        if not author:
            details["author"] = row.participant_id  # moderation: whose comment it was
        audit(session, row.atelier_id, actor.participant_id, "comment_deleted", row.id, **details)
        if row.thread_id is None:
            replies = await session.scalar(
                select(func.count()).select_from(CommentRow).where(CommentRow.thread_id == row.id)
            )
            if replies:
                row.deleted_at = now()
                row.body = ""
                return CommentDeleted(row.id, None, True), changed
            await session.delete(row)
            return CommentDeleted(row.id, None, False), changed
        thread_id = row.thread_id
        await session.delete(row)
        await session.flush()
        # The last reply of a thread whose first comment was deleted: nothing is left of it.
        root = await session.get(CommentRow, thread_id)
        if root is not None and root.deleted_at is not None:
            left = await session.scalar(
                select(func.count())
                .select_from(CommentRow)
                .where(CommentRow.thread_id == thread_id)
            )
            if not left:
                await session.execute(delete(CommentRow).where(CommentRow.id == thread_id))
        return CommentDeleted(row.id, thread_id, False), changed

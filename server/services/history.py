"""A proposal's history (issue 20, #5): its revisions, a past state with who wrote what, and
restoring a section to a past state — a new edit, so the history keeps going forward.

The rows come from the store (:meth:`collab.store.DocumentStore.history`: what compaction folded
is kept); the replays run in the render workers (:mod:`collab.history`). Authors are the
participants recorded for each Yjs client id (``document_authors``, written by
``server.contributions``), numbered per proposal in their order of first appearance (stable: the
history only grows), and named only when they chose to be named (``show_name_in_minutes``, and
not erased); otherwise the client shows « Participant·e 3 ».
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from collab import history as replay
from collab.store import DocumentStore, HistoryEntry
from domain.proposals import leaves_from
from domain.roles import Action
from domain.templates import TEMPLATES
from server.actors import Actor
from server.contributions import record_authors
from server.db.models import DocumentAuthorRow, ParticipantRow, ProposalRow
from server.db.writes import reading
from server.documents.rendering import render
from server.documents.workers import RenderPool
from server.errors import Problem
from server.services.ateliers import refuse_if_atelier_closed, require, require_charter

__all__ = ["History", "load", "restore", "revision", "revisions"]


def _not_found() -> Problem:
    return Problem(404, "proposal_not_found", "Proposition introuvable.", "Proposal not found.")


@dataclass(frozen=True)
class History:
    """What a reader of the history needs, read once per request."""

    proposal: ProposalRow
    entries: list[HistoryEntry]
    revisions: list[replay.Revision]
    numbers: dict[str, int]  # participant id -> author number (1, 2, …)
    names: dict[str, str | None]  # participant id -> name shown, or None

    def authors(self, keys: tuple[str, ...]) -> list[dict[str, Any]]:
        return [
            {"n": self.numbers[key], "name": self.names.get(key)}
            for key in keys
            if key in self.numbers
        ]


async def _proposal(engine: AsyncEngine, proposal_id: str) -> ProposalRow:
    async with reading(engine) as session:
        row = await session.get(ProposalRow, proposal_id)
    if row is None:
        raise _not_found()
    return row


async def load(
    engine: AsyncEngine,
    store: DocumentStore,
    pool: RenderPool,
    actor: Actor,
    proposal_id: str,
) -> History:
    """The proposal's live document's history, for a participant of its atelier (403
    otherwise, 404 for no such proposal)."""
    row = await _proposal(engine, proposal_id)
    require(actor, Action.READ_ATELIER, row.atelier_id)
    entries = await store.history(row.doc_id)
    async with reading(engine) as session:
        found = (
            await session.execute(
                select(
                    DocumentAuthorRow.client_id,
                    DocumentAuthorRow.participant_id,
                    ParticipantRow.display_name,
                    ParticipantRow.show_name_in_minutes,
                    ParticipantRow.erased_at,
                )
                .join(ParticipantRow, ParticipantRow.id == DocumentAuthorRow.participant_id)
                .where(DocumentAuthorRow.document_id == row.doc_id)
            )
        ).all()
    author_of = {r.client_id: r.participant_id for r in found}
    names = {
        r.participant_id: (
            r.display_name if r.show_name_in_minutes and r.erased_at is None else None
        )
        for r in found
    }
    revisions = (
        await render(
            pool,
            replay.list_revisions,
            [e.at for e in entries],
            [e.data for e in entries],
            author_of,
        )
        if entries
        else []
    )
    numbers: dict[str, int] = {}
    for rev in revisions:
        for key in rev.authors:
            if key and key not in numbers:
                numbers[key] = len(numbers) + 1
    return History(row, entries, revisions, numbers, names)


def _summary(history: History, rev: replay.Revision) -> dict[str, Any]:
    return {
        "n": rev.n,
        "at": rev.at.isoformat().replace("+00:00", "Z"),
        "authors": history.authors(rev.authors),
        "size": rev.size,
    }


def revisions(history: History) -> dict[str, Any]:
    return {
        "proposal_id": history.proposal.id,
        "title": history.proposal.title,
        "revisions": [_summary(history, rev) for rev in history.revisions],
        "authors": [{"n": n, "name": history.names.get(key)} for key, n in history.numbers.items()],
    }


def _revision(history: History, n: int) -> replay.Revision:
    if not 1 <= n <= len(history.revisions):
        raise Problem(
            404,
            "revision_not_found",
            f"Pas de révision {n} : l’historique en compte {len(history.revisions)}.",
            f"No revision {n}: the history has {len(history.revisions)}.",
        )
    return history.revisions[n - 1]


def _keys(row: ProposalRow) -> tuple[str, ...]:
    template = TEMPLATES.get(row.kind)
    return tuple(template.keys) if template is not None else ()


async def revision(history: History, pool: RenderPool, n: int) -> dict[str, Any]:
    """The document's sections at revision ``n``: blocks whose runs are ``[text, marks,
    author]`` (author: a number of ``authors``, or 0 when no one is known — the template's
    text, an edit no one claimed)."""
    rev = _revision(history, n)
    # Each revision's text goes to its first known author (a batch of rows may hold several).
    owners = [
        next((history.numbers[k] for k in r.authors if k in history.numbers), 0)
        for r in history.revisions
    ]
    keys = _keys(history.proposal)
    sections = await render(
        pool,
        replay.revision_sections,
        [e.data for e in history.entries[: rev.end]],
        [r.end for r in history.revisions[:n]],
        owners[:n],
        n - 1,
        list(keys),
    )
    template = TEMPLATES.get(history.proposal.kind)
    titles = {s.key: s for s in template.sections} if template is not None else {}
    return {
        **_summary(history, rev),
        "count": len(history.revisions),
        "sampled": n > replay.ATTRIBUTION_STEPS,
        "sections": [
            {
                "key": key,
                "title_fr": titles[key].title_fr if key in titles else key,
                "title_en": titles[key].title_en if key in titles else key,
                "blocks": sections[key],
            }
            for key in keys
        ],
    }


def _writable(actor: Actor, row: ProposalRow) -> None:
    """The same refusals as the live editor's: 403 for a role that does not write, 409 for an
    archived, frozen-and-locked or locked proposal, or one handed to the council."""
    require(actor, Action.EDIT_PROPOSAL, row.atelier_id)
    require_charter(actor)
    if not leaves_from("freeze", row.status):
        raise Problem(
            409,
            "proposal_transmitted",
            f"« {row.title} » est transmise au conseil : son texte ne change plus.",
            f"“{row.title}” was handed to the council: its text no longer changes.",
        )
    if row.archived_at is not None:
        raise Problem(
            409,
            "proposal_archived",
            f"« {row.title} » est archivée : restaurez-la d’abord.",
            f"“{row.title}” is archived: restore it first.",
        )
    if row.locked:
        if row.locked_by == "animation":
            raise Problem(
                409,
                "proposal_locked",
                "Le texte est verrouillé par l’animation : il ne peut pas être modifié.",
                "The text is locked by the facilitators: it cannot be changed.",
            )
        raise Problem(
            409,
            "proposal_frozen",
            "Le texte est figé et verrouillé : démarrez un nouveau brouillon pour le modifier.",
            "The text is frozen and locked: start a new draft to change it.",
        )


async def restore(
    engine: AsyncEngine,
    registry: Any,
    pool: RenderPool,
    history: History,
    actor: Actor,
    n: int,
    section: str,
) -> dict[str, Any]:
    """Section ``section``'s content at revision ``n`` becomes the live content, by a new edit
    made through the room (durable, then sent to every editor, here and on other instances)."""
    row = history.proposal
    async with reading(engine) as session:
        await refuse_if_atelier_closed(session, row.atelier_id)
    _writable(actor, row)
    if section not in _keys(row):
        raise Problem(
            422,
            "unknown_section",
            f"Cette proposition n’a pas de section « {section[:64]} ».",
            f"This proposal has no section “{section[:64]}”.",
        )
    rev = _revision(history, n)
    nodes = await render(
        pool, replay.section_nodes, [e.data for e in history.entries[: rev.end]], rev.end, section
    )

    def change(doc: Any) -> int:
        replay.put_section(doc, section, nodes)
        return int(doc.client_id)

    client_id = await registry.edit(row.doc_id, change)
    await record_authors(engine, row.doc_id, {client_id: actor.participant_id})
    return {"restored": section, "revision": n}

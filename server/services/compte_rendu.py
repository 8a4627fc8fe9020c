"""What a séance's compte-rendu is built from: the newest frozen version of each of its
documents (fiche-actions and synthesis), read under the same rules as the versions themselves,
and the atelier's image for the printed copy, as the newest of them was frozen with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.compte_rendu import not_frozen
from domain.roles import Action
from server.db.models import ProposalRow, ProposalVersionRow
from server.db.writes import reading
from server.errors import Problem
from server.services.ateliers import get_seance, require
from server.services.proposals import HANDED_OVER, Reader, displayed, frozen_image, names_of

__all__ = ["SeanceRecord", "seance_record"]


@dataclass(frozen=True)
class SeanceRecord:
    session_id: str
    number: int
    versions: list[dict[str, Any]]  # number, created_at, hash, content, proposal_id
    image: bytes | None
    image_type: str | None = None  # its media type (PNG or JPEG), for the HTML page


async def seance_record(engine: AsyncEngine, reader: Reader, session_id: str) -> SeanceRecord:
    """The séance's frozen versions, newest of each document, in the documents' order.

    A participant of another atelier: 403; a role that may not read frozen versions: 403; the
    council service sees only documents handed over to it (404 when there is none). Nothing
    frozen yet: 409 ``seance_not_frozen`` (:func:`domain.compte_rendu.not_frozen`)."""
    async with reading(engine) as session:
        seance = await get_seance(session, session_id)
        if not reader.is_council_service:  # which is limited below to what was handed over
            require(reader, Action.READ_FROZEN, seance.atelier_id)
        query = select(ProposalRow).where(ProposalRow.session_id == session_id)
        if reader.is_council_service:
            query = query.where(ProposalRow.status.in_(HANDED_OVER))
        rows = list(await session.scalars(query.order_by(ProposalRow.created_at)))
        if reader.is_council_service and not rows:
            raise Problem(404, "session_not_found", "Séance introuvable.", "Session not found.")
        latest = (
            select(ProposalVersionRow.proposal_id, func.max(ProposalVersionRow.number))
            .where(ProposalVersionRow.proposal_id.in_([row.id for row in rows]))
            .group_by(ProposalVersionRow.proposal_id)
        )
        newest = dict((await session.execute(latest)).all())
        versions: list[ProposalVersionRow] = []
        for row in rows:
            if row.id not in newest:
                continue
            version = await session.get(ProposalVersionRow, (row.id, newest[row.id]))
            assert version is not None
            versions.append(version)
        number = seance.number
    if not versions:
        raise not_frozen()
    # Names where they are kept, « (nom effacé) » where a person asked to be erased.
    names = await names_of(engine, [(v.proposal_id, v.number) for v in versions])
    shown = [
        {
            "proposal_id": v.proposal_id,
            "number": v.number,
            "created_at": v.created_at,
            "hash": v.hash,
            "content": displayed(v, names[(v.proposal_id, v.number)]),
        }
        for v in versions
    ]
    last = max(versions, key=lambda v: v.created_at)  # whose facts the record gives too
    image = await frozen_image(engine, last.proposal_id, last.number)
    if image is None:
        return SeanceRecord(session_id, number, shown, None)
    return SeanceRecord(session_id, number, shown, image[1], image[2])

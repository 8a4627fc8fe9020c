"""What switching a proposal's writing mode does live, whoever switches it: the facilitator by
hand (``PUT /api/proposals/{id}/amendment-mode``) or a séance's step whose agenda item sets a
mode (``POST /api/sessions/{id}/step``). Open editors, on every instance, reconnect (1012) with
their new access; the séances are told (``proposals_changed``, ``amendments_changed``)."""

from __future__ import annotations

from server.db.models import ProposalRow
from server.live import AmendmentsChanged
from server.routes.proposals import announce
from server.services.proposals import seances_of
from server.state import AppServices

__all__ = ["mode_switched"]


async def mode_switched(services: AppServices, row: ProposalRow) -> None:
    """Tell everyone that ``row``'s amendment mode just changed (to ``row.amendment_mode``)."""
    await services.control.close_room(
        row.doc_id, 1012, "amendment mode" if row.amendment_mode else "free writing"
    )
    await announce(services, row.atelier_id, "amendment_mode", row.id)
    for session_id in await seances_of(services.engine, row.atelier_id):
        await services.live.publish(session_id, AmendmentsChanged(session_id, row.id))

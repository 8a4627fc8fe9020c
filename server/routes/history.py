"""A proposal's history (issue 20, #5): its revisions, a past state, and restoring a section.

For the participants of the proposal's atelier; a restore for those who may write it, not
while the text is locked, frozen or archived (409, as the live editor refuses it). Replays run
in the render workers: a long history costs a worker, never the event loop."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.status_codes import HTTP_200_OK

from server.actors import Actor, current_actor
from server.services import history as svc
from server.state import AppServices

__all__ = ["HistoryController"]


class RestoreRequest(msgspec.Struct, forbid_unknown_fields=True):
    #: The revision whose content the section gets back (1 is the first).
    revision: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
    #: The section's key in the proposal's template.
    section: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class HistoryController(Controller):
    path = "/api/proposals/{proposal_id:str}/history"
    tags = ["historique"]
    dependencies = {"actor": Provide(current_actor)}

    @get("/revisions", summary="Les révisions du texte de la proposition")
    async def revisions(
        self, request: Request[Any, Any, Any], actor: Actor, proposal_id: str
    ) -> dict[str, Any]:
        """Consecutive edits of the same authors, each within a minute of the last, as one
        revision: ``{n, at, authors: [{n, name}], size}`` (``name`` null: not shown)."""
        services = AppServices.of(request.app)
        history = await svc.load(
            services.engine, services.store, services.renders, actor, proposal_id
        )
        return svc.revisions(history)

    @get("/revisions/{n:int}", summary="Le texte tel qu'il était à une révision")
    async def revision(
        self, request: Request[Any, Any, Any], actor: Actor, proposal_id: str, n: int
    ) -> dict[str, Any]:
        """Each section's blocks at revision ``n``, runs as ``[text, marks, author]``."""
        services = AppServices.of(request.app)
        history = await svc.load(
            services.engine, services.store, services.renders, actor, proposal_id
        )
        return await svc.revision(history, services.renders, n)

    @post("/restore", summary="Rétablir une section telle qu'elle était", status_code=HTTP_200_OK)
    async def restore(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        proposal_id: str,
        data: RestoreRequest,
    ) -> dict[str, Any]:
        """The section's content at that revision becomes the live content by a new edit:
        every open editor shows it at once, and the history gains a revision."""
        services = AppServices.of(request.app)
        history = await svc.load(
            services.engine, services.store, services.renders, actor, proposal_id
        )
        return await svc.restore(
            services.engine,
            services.registry,
            services.renders,
            history,
            actor,
            data.revision,
            data.section,
        )

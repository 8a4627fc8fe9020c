"""Comments on a proposal (issue 20, #3): threads anchored to a passage, replies, resolve,
delete. Each change is told on the live channel of every séance of the proposal's atelier
(``comments_changed``), so that every open editor reads the comments again."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import Provide
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from server.actors import Actor, current_actor
from server.live import CommentsChanged
from server.schemas import (
    CommentCreate,
    CommentDeleted,
    CommentRead,
    CommentsRead,
    ReplyCreate,
    ResolveRequest,
    ThreadRead,
)
from server.services import comments as svc
from server.services.proposals import seances_of
from server.state import AppServices

__all__ = ["CommentController"]


async def _announce(services: AppServices, changed: svc.Changed | None) -> None:
    if changed is None:
        return
    for session_id in await seances_of(services.engine, changed.atelier_id):
        await services.live.publish(session_id, CommentsChanged(session_id, changed.proposal_id))


def _throttle(services: AppServices, actor: Actor) -> None:
    """Comments and replies per participant and minute (a town hall shares one address)."""
    services.comment_guard.spend(
        actor.participant_id,
        "too_many_comments",
        "Trop de commentaires envoyés d’un coup ; réessayez dans un instant.",
        "Too many comments at once; try again in a moment.",
    )


class CommentController(Controller):
    path = "/api"
    tags = ["commentaires"]
    dependencies = {"actor": Provide(current_actor)}

    @get("/proposals/{proposal_id:str}/comments", summary="Les commentaires de la proposition")
    async def list_comments(
        self, request: Request[Any, Any, Any], actor: Actor, proposal_id: str
    ) -> CommentsRead:
        """Every thread, oldest first, with its replies; for anyone of the atelier. Bodies are
        plain text: show them as text, never as HTML."""
        return await svc.list_comments(AppServices.of(request.app).engine, actor, proposal_id)

    @post(
        "/proposals/{proposal_id:str}/comments",
        summary="Commenter un passage (nouveau fil)",
        status_code=HTTP_201_CREATED,
    )
    async def start_thread(
        self, request: Request[Any, Any, Any], actor: Actor, proposal_id: str, data: CommentCreate
    ) -> ThreadRead:
        """A new thread on `section`: on a passage (`anchor_start`, `anchor_end`: base64 Yjs
        relative positions, 512 bytes each at most; `quote`: the passage, 500 characters at
        most) or on the whole section (none of them). `body`: 1 to 2,000 characters. The
        roles that comment: habitant·e, élu·e, agent, animateur·rice (403 otherwise, saying
        why). An `id` chosen by the client makes a retry create nothing more."""
        services = AppServices.of(request.app)
        _throttle(services, actor)
        thread, changed = await svc.start_thread(services.engine, actor, proposal_id, data)
        await _announce(services, changed)
        return thread

    @post(
        "/comments/{comment_id:str}/replies",
        summary="Répondre dans un fil",
        status_code=HTTP_201_CREATED,
    )
    async def reply(
        self, request: Request[Any, Any, Any], actor: Actor, comment_id: str, data: ReplyCreate
    ) -> CommentRead:
        services = AppServices.of(request.app)
        _throttle(services, actor)
        answer, changed = await svc.reply(services.engine, actor, comment_id, data)
        await _announce(services, changed)
        return answer

    @post(
        "/comments/{comment_id:str}/resolve",
        summary="Résoudre un fil, ou le rouvrir",
        status_code=HTTP_200_OK,
    )
    async def resolve(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        comment_id: str,
        data: ResolveRequest,
    ) -> ThreadRead:
        """The person who started the thread, or a facilitator: `{"resolved": true}` folds it
        away, `false` reopens it. Asking twice changes it once."""
        services = AppServices.of(request.app)
        thread, changed = await svc.resolve(services.engine, actor, comment_id, data.resolved)
        await _announce(services, changed)
        return thread

    @delete("/comments/{comment_id:str}", summary="Supprimer un commentaire", status_code=200)
    async def delete_comment(
        self, request: Request[Any, Any, Any], actor: Actor, comment_id: str
    ) -> CommentDeleted:
        """Its author, or a facilitator. A thread's first comment with replies stays, without
        its text and its author's name (« commentaire supprimé »), so that the replies keep
        their thread."""
        services = AppServices.of(request.app)
        deleted, changed = await svc.delete_comment(services.engine, actor, comment_id)
        await _announce(services, changed)
        return deleted

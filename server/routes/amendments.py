"""Amendments (issue 20, #4): a proposal's amendment mode, proposing, withdrawing, accepting,
rejecting, and putting amendments to a vote in one action. Each change is told on the live
channel of every séance of the proposal's atelier (``amendments_changed``); switching the mode
also closes the open editors (1012), which come back read-only or writable."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import Provide
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from server.actors import Actor, current_actor
from server.db.writes import reading
from server.live import AmendmentsChanged, PollOpened
from server.routes.ateliers import proposal_read
from server.routes.writing_mode import mode_switched
from server.schemas import (
    AmendmentCreate,
    AmendmentModeChange,
    AmendmentModeRead,
    AmendmentRead,
    AmendmentReject,
    AmendmentVote,
    AmendmentVoteRead,
    ProposalRead,
)
from server.services import amendments as svc
from server.services.ateliers import version_counts
from server.services.comments import Changed
from server.services.comments import _proposal as proposal_of
from server.services.proposals import seances_of
from server.state import AppServices

__all__ = ["AmendmentController", "settle_poll"]


async def _announce(services: AppServices, changed: Changed | None) -> None:
    if changed is None:
        return
    for session_id in await seances_of(services.engine, changed.atelier_id):
        await services.live.publish(session_id, AmendmentsChanged(session_id, changed.proposal_id))


async def settle_poll(services: AppServices, poll_id: str) -> None:
    """After a poll closed: apply what a vote on amendments decided, and tell the séances."""
    await _announce(services, await svc.settle(services.engine, services.registry, poll_id))


def _throttle(services: AppServices, actor: Actor) -> None:
    """Amendments count with comments, per participant and minute."""
    services.comment_guard.spend(
        actor.participant_id,
        "too_many_amendments_at_once",
        "Trop de contributions envoyées d’un coup ; réessayez dans un instant.",
        "Too many contributions at once; try again in a moment.",
    )


class AmendmentController(Controller):
    path = "/api"
    tags = ["amendements"]
    dependencies = {"actor": Provide(current_actor)}

    @get("/proposals/{proposal_id:str}", summary="Une proposition (avec son mode d’écriture)")
    async def proposal(
        self, request: Request[Any, Any, Any], actor: Actor, proposal_id: str
    ) -> ProposalRead:
        """For anyone of its atelier: title, sections, status, lock, and `amendment_mode`
        (true: « amendements », participants propose instead of writing)."""
        engine = AppServices.of(request.app).engine
        async with reading(engine) as session:
            row = await proposal_of(session, actor, proposal_id)
        versions = await version_counts(engine, row.atelier_id)
        return proposal_read(row, versions.get(row.id, 0))

    @put(
        "/proposals/{proposal_id:str}/amendment-mode",
        summary="Écriture libre ou amendements",
        status_code=HTTP_200_OK,
    )
    async def mode(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        proposal_id: str,
        data: AmendmentModeChange,
    ) -> AmendmentModeRead:
        """Facilitators: `{"enabled": true}` makes the live text read-only for everyone who
        does not facilitate (reason `amendements`: « mode amendements : proposez un
        amendement »), who propose amendments instead; `false` gives the text back to them.
        Open editors, on every instance, reconnect (1012) with their new access."""
        services = AppServices.of(request.app)
        row, changed = await svc.set_mode(services.engine, actor, proposal_id, data.enabled)
        if changed:
            await mode_switched(services, row)
        return AmendmentModeRead(row.id, row.amendment_mode)

    @get("/proposals/{proposal_id:str}/amendments", summary="Les amendements de la proposition")
    async def list_amendments(
        self, request: Request[Any, Any, Any], actor: Actor, proposal_id: str
    ) -> list[AmendmentRead]:
        """Every amendment, oldest first, with its author, fate and vote; `detached`: its
        passage is gone from the live text. Texts are plain: show them as text."""
        services = AppServices.of(request.app)
        return await svc.list_amendments(
            services.engine, services.store, services.renders, actor, proposal_id
        )

    @post(
        "/proposals/{proposal_id:str}/amendments",
        summary="Proposer un amendement",
        status_code=HTTP_201_CREATED,
    )
    async def propose(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        proposal_id: str,
        data: AmendmentCreate,
    ) -> AmendmentRead:
        """A replacement for a passage of ONE paragraph of `section` (`anchor_start`,
        `anchor_end`: base64 Yjs relative positions; `quote`: the passage, 500 characters at
        most); `replacement`: 0 (deletion) to 2,000 characters; `rationale`: 1,000 at most.
        422 `amendment_spans_blocks` for a passage over two paragraphs, `invalid_anchor` for
        one not in the text, `too_many_amendments` past 200 open ones."""
        services = AppServices.of(request.app)
        _throttle(services, actor)
        read, changed = await svc.propose(
            services.engine, services.store, services.renders, actor, proposal_id, data
        )
        await _announce(services, changed)
        return read

    @post(
        "/amendments/{amendment_id:str}/accept",
        summary="Accepter un amendement (appliqué au texte)",
        status_code=HTTP_200_OK,
    )
    async def accept(
        self, request: Request[Any, Any, Any], actor: Actor, amendment_id: str
    ) -> AmendmentRead:
        """Facilitators: the server replaces the passage in the live text (a passage deleted
        meanwhile: the replacement goes where it was, or as a new paragraph at the end of its
        section). 409 `amendment_decided` when it was decided already (by someone else)."""
        services = AppServices.of(request.app)
        read, changed = await svc.accept(services.engine, services.registry, actor, amendment_id)
        await _announce(services, changed)
        return read

    @post(
        "/amendments/{amendment_id:str}/reject",
        summary="Rejeter un amendement",
        status_code=HTTP_200_OK,
    )
    async def reject(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        amendment_id: str,
        data: AmendmentReject | None = None,
    ) -> AmendmentRead:
        services = AppServices.of(request.app)
        reason = data.reason if data is not None else None
        read, changed = await svc.reject(services.engine, actor, amendment_id, reason)
        await _announce(services, changed)
        return read

    @post(
        "/amendments/{amendment_id:str}/withdraw",
        summary="Retirer son amendement",
        status_code=HTTP_200_OK,
    )
    async def withdraw(
        self, request: Request[Any, Any, Any], actor: Actor, amendment_id: str
    ) -> AmendmentRead:
        services = AppServices.of(request.app)
        read, changed = await svc.withdraw(services.engine, actor, amendment_id)
        await _announce(services, changed)
        return read

    @post(
        "/proposals/{proposal_id:str}/amendments/vote",
        summary="Mettre des amendements au vote (en une action)",
        status_code=HTTP_201_CREATED,
    )
    async def vote(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        proposal_id: str,
        data: AmendmentVote,
    ) -> AmendmentVoteRead:
        """Facilitators: a poll in séance `session_id`, opened at once, with « Garder le texte
        actuel » and one option per amendment (competing amendments on one passage together);
        `method` defaults to plurality. When the poll closes, the server applies the winner and
        rejects the others; a tie (or no ballot, or a missed quorum) decides nothing: they are
        proposed again, the result noted, and the facilitator decides."""
        from server.routes.polls import view  # the poll as the séance sees it

        services = AppServices.of(request.app)
        poll, reads, changed = await svc.put_to_vote(services.engine, actor, proposal_id, data)
        await services.live.publish(
            poll.session_id, PollOpened(poll.session_id, await view(services, poll, None))
        )
        await _announce(services, changed)
        return AmendmentVoteRead(poll.id, reads)

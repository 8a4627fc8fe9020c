"""Polls over HTTP: the facilitator runs them, participants vote, everyone follows live.

Every change is announced on the séance's live channel (``/ws/sessions/{id}``): the lifecycle
as ``poll_opened`` / ``poll_closed`` / ``results_published``, ballots as throttled ``tally``
events computed on each node by :class:`server.tallies.TallyBoard`.
"""

from __future__ import annotations

import base64
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import Provide
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from collab.rooms import RoomLoadError
from domain.roles import Role
from server.actors import Actor, current_actor
from server.db.models import PollRow
from server.errors import Problem
from server.live import PollClosed, PollOpened, ResultsPublished
from server.schemas import BallotCast, BallotReceipt, HeadcountBody, PollCreate, ProxyBallotCast
from server.services import polls as svc
from server.state import AppServices

__all__ = ["PollController", "poll_views"]

# Live events go to every follower alike: they show what the least privileged role may see.
EVERYONE = Role.OBSERVATEUR.value


async def view(services: AppServices, row: PollRow, actor: Actor | None) -> dict[str, Any]:
    """The poll as ``actor`` (None: everyone) sees it, with the live count of an open poll."""
    count = None
    if row.status == "open":
        _, count = await services.tallies.live_count(row.id, row.session_id)
    mine = await svc.my_ballot(services.engine, actor, row) if actor is not None else None
    return svc.poll_view(row, actor.role if actor else EVERYONE, count, mine)


async def poll_views(services: AppServices, actor: Actor, session_id: str) -> list[dict[str, Any]]:
    """The séance's polls as ``actor`` sees them (drafts only for those who run polls)."""
    rows = await svc.list_polls(services.engine, actor, session_id)
    return [await view(services, row, actor) for row in rows if _shown(row, actor)]


def _shown(row: PollRow, actor: Actor) -> bool:
    from domain.roles import Action, can

    return row.status != "draft" or can(Role(actor.role), Action.RUN_POLL)


def text_states(services: AppServices) -> svc.TextStates:
    """What a ballot was cast on: each proposal's state vector on this node, base64."""

    async def states(proposal_ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for proposal_id in proposal_ids:
            try:
                vector = await services.registry.state_vector(f"prop-{proposal_id}")
            except RoomLoadError as exc:
                raise Problem(
                    503,
                    "document_unavailable",
                    "Le texte de la proposition est momentanément indisponible ; réessayez.",
                    "The proposal's text is unavailable for a moment; try again.",
                ) from exc
            found[proposal_id] = base64.b64encode(vector).decode()
        return found

    return states


async def _announce(
    services: AppServices,
    row: PollRow,
    event: type[PollOpened | PollClosed | ResultsPublished],
    actor: Actor,
) -> dict[str, Any]:
    """Tell the séance (as everyone may see the poll); answer the actor (as they may)."""
    await services.live.publish(
        row.session_id, event(row.session_id, await view(services, row, None))
    )
    return await view(services, row, actor)


def _throttle(services: AppServices, actor: Actor) -> None:
    """Per participant, not per address: a whole town hall votes through one address."""
    services.ballot_guard.spend(
        actor.participant_id,
        "too_many_ballots",
        "Trop de bulletins envoyés d’un coup ; réessayez dans un instant.",
        "Too many ballots at once; try again in a moment.",
    )


class PollController(Controller):
    path = "/api"
    tags = ["votes"]
    dependencies = {"actor": Provide(current_actor)}

    @post(
        "/sessions/{session_id:str}/polls",
        summary="Préparer un vote (brouillon)",
        status_code=HTTP_201_CREATED,
    )
    async def create(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str, data: PollCreate
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        row = await svc.create_poll(services.engine, actor, session_id, data)
        return await view(services, row, actor)

    @get("/sessions/{session_id:str}/polls", summary="Les votes de la séance")
    async def list_polls(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str
    ) -> list[dict[str, Any]]:
        return await poll_views(AppServices.of(request.app), actor, session_id)

    @get("/polls/{poll_id:str}", summary="Un vote, ses résultats s’ils sont visibles")
    async def read(
        self, request: Request[Any, Any, Any], actor: Actor, poll_id: str
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        row = await svc.get_poll(services.engine, actor, poll_id)
        if not _shown(row, actor):
            raise Problem(404, "poll_not_found", "Vote introuvable.", "Poll not found.")
        return await view(services, row, actor)

    @post("/polls/{poll_id:str}/open", summary="Ouvrir le vote", status_code=HTTP_200_OK)
    async def open(
        self, request: Request[Any, Any, Any], actor: Actor, poll_id: str
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        row = await svc.open_poll(services.engine, actor, poll_id)
        return await _announce(services, row, PollOpened, actor)

    @post("/polls/{poll_id:str}/close", summary="Clore le vote", status_code=HTTP_200_OK)
    async def close(
        self, request: Request[Any, Any, Any], actor: Actor, poll_id: str
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        row = await svc.close_poll(services.engine, actor, poll_id)
        answer = await _announce(services, row, PollClosed, actor)
        # A vote on amendments: the server applies what it decided (issue 20, #4).
        from server.routes.amendments import settle_poll

        await settle_poll(services, row.id)
        return answer

    @post("/polls/{poll_id:str}/publish", summary="Publier les résultats", status_code=HTTP_200_OK)
    async def publish(
        self, request: Request[Any, Any, Any], actor: Actor, poll_id: str
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        row = await svc.publish_poll(services.engine, actor, poll_id)
        return await _announce(services, row, ResultsPublished, actor)

    @post(
        "/polls/{poll_id:str}/runoff",
        summary="Second tour entre les options à égalité (ouvert aussitôt)",
        status_code=HTTP_201_CREATED,
    )
    async def runoff(
        self, request: Request[Any, Any, Any], actor: Actor, poll_id: str
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        row = await svc.runoff(services.engine, actor, poll_id)
        return await _announce(services, row, PollOpened, actor)

    @put("/polls/{poll_id:str}/ballot", summary="Voter, ou changer son bulletin avant la clôture")
    async def ballot(
        self, request: Request[Any, Any, Any], actor: Actor, poll_id: str, data: BallotCast
    ) -> BallotReceipt:
        services = AppServices.of(request.app)
        _throttle(services, actor)
        receipt, delta = await svc.cast_ballot(
            services.engine, actor, poll_id, data.ballot, data.receipt, text_states(services)
        )
        await services.live.ballot_counted(delta)
        return receipt

    @post(
        "/polls/{poll_id:str}/proxy-ballots",
        summary="Saisir le bulletin d’une personne sans appareil (papier, procuration)",
        status_code=HTTP_201_CREATED,
    )
    async def proxy(
        self, request: Request[Any, Any, Any], actor: Actor, poll_id: str, data: ProxyBallotCast
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        delta = await svc.proxy_ballot(services.engine, actor, poll_id, data, text_states(services))
        await services.live.ballot_counted(delta)
        return {"poll_id": poll_id, "origin": data.origin, "role": delta.role, "seq": delta.seq}

    @put(
        "/sessions/{session_id:str}/headcount",
        summary="Compter les personnes présentes (borne les bulletins papier sans nom)",
    )
    async def headcount(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str, data: HeadcountBody
    ) -> dict[str, Any]:
        """The facilitator's count of the room, device or not: the minutes report it, and
        ballots entered for a role only (no name) stay within it."""
        services = AppServices.of(request.app)
        counted = await svc.record_headcount(services.engine, actor, session_id, data.headcount)
        return {"session_id": session_id, "headcount": counted}

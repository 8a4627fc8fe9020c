"""A person's rights over their data (RGPD): access and erasure, by the person themself (their
own token) or by a facilitator of their atelier. The operator does the same from the command
line (``atelier person export|erase``). What is held and what erasure does:
``server.services.people`` and the README (« Personal data »)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide

from server.actors import Actor, current_actor
from server.services import people as svc
from server.state import AppServices

__all__ = ["PersonalDataController"]


class ErasureRequest(msgspec.Struct, forbid_unknown_fields=True):
    #: Go on when versions frozen before names were committed (format 1) hold the name: the
    #: live data is erased, those versions stay as they are (their hash covers the name).
    keep_old_versions: bool = False


class PersonalDataController(Controller):
    path = "/api/participants"
    tags = ["données personnelles"]
    dependencies = {"actor": Provide(current_actor)}

    @get(
        "/{participant_id:str}/personal-data",
        summary="Tout ce qui est gardé sur une personne (elle-même, ou l’animation)",
        description=(
            "The participant's row, check-ins, sections written in, invitations, polls voted "
            "in and public ballots, audit entries and proposal steps naming them, and the "
            "frozen versions that name them. Never a secret ballot's content: nothing links "
            "it to its voter (`votes.secret_ballots` says so)."
        ),
    )
    async def personal_data(
        self, request: Request[Any, Any, Any], actor: Actor, participant_id: str
    ) -> dict[str, Any]:
        engine = AppServices.of(request.app).engine
        svc.check_may_act(actor, await svc.participant(engine, participant_id))
        return await svc.personal_data(engine, participant_id)

    @post(
        "/{participant_id:str}/erase",
        summary="Effacer le nom d’une personne (elle-même, ou l’animation)",
        description=(
            "The name leaves the live data (a pseudonym replaces it), tokens are revoked, the "
            "audit log reads the pseudonym, names beside frozen versions are deleted (their "
            "hashes still verify). 409 `named_in_frozen_versions` when versions frozen before "
            "names were committed hold the name, unless `keep_old_versions`."
        ),
        status_code=200,
    )
    async def erase(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        participant_id: str,
        data: ErasureRequest | None = None,
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        svc.check_may_act(actor, await svc.participant(services.engine, participant_id))
        done = await svc.erase(
            services.engine,
            participant_id,
            by=actor.participant_id,
            keep_old_versions=bool(data and data.keep_old_versions),
        )
        # Their open sockets close at once, on every instance (4401: final for the client).
        await services.control.close_subject(participant_id, 4401, "erased")
        return done

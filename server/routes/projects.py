"""Projects at the council staff's desk (issue 22, #3): read one, move its state, set its service
and budget line, link the atelier de projet the city opened for it, add, edit and complete its
milestones. The council service's credential (cookie or bearer, as the council's other routes);
a participant whose role records decisions reaches only their atelier's projects. Every change is
recorded in the project's history and sent as a webhook (``project.etat``, ``project.jalon``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import Provide
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from server.routes.proposals import _decider, announce, current_reader
from server.schemas import ONE_LINE
from server.services import projects as svc
from server.services.proposals import Reader
from server.state import AppServices

__all__ = ["ProjectController"]

Line = Annotated[str, ONE_LINE, msgspec.Meta(max_length=200)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]


class StateChange(msgspec.Struct, forbid_unknown_fields=True):
    #: a_l_etude, adoptee, en_cours, realisee, abandonnee
    state: Annotated[str, msgspec.Meta(max_length=32)]
    note: Note | None = None


class Details(msgspec.Struct, forbid_unknown_fields=True):
    #: The service in charge, and the budget line; null (or empty): none.
    service: Line | None = None
    budget_line: Line | None = None


class ApLink(msgspec.Struct, forbid_unknown_fields=True):
    #: The atelier de projet (AP) the city opened for this project; null: no link.
    atelier_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None


class MilestoneWrite(msgspec.Struct, forbid_unknown_fields=True):
    label: Line
    planned_on: dt.date | None = None
    done_on: dt.date | None = None
    note: Note | None = None


class MilestoneDone(msgspec.Struct, forbid_unknown_fields=True):
    #: The day it was done; today (the city's time zone) when left out.
    on: dt.date | None = None
    note: Note | None = None


def _scope(reader: Reader) -> str | None:
    _decider(reader)
    return None if reader.is_council_service else reader.atelier_id


async def _changed(request: Request[Any, Any, Any], project_id: str) -> dict[str, Any]:
    """After a change: the back office is told, the atelier's screens refresh, the project."""
    services = AppServices.of(request.app)
    services.webhooks.poke()
    view = await svc.project_view(services.engine, project_id)
    await announce(services, view["atelier_id"], "project", view["proposal_id"])
    return view


class ProjectController(Controller):
    path = "/api/projects"
    tags = ["projets"]
    dependencies = {"reader": Provide(current_reader)}

    @get("/{project_id:str}", summary="Un projet : état, service, jalons, historique")
    async def read(
        self, request: Request[Any, Any, Any], reader: Reader, project_id: str
    ) -> dict[str, Any]:
        engine = AppServices.of(request.app).engine
        return await svc.project_view(engine, project_id, _scope(reader))

    @post("/{project_id:str}/state", summary="Changer l’état du projet", status_code=HTTP_200_OK)
    async def state(
        self, request: Request[Any, Any, Any], reader: Reader, project_id: str, data: StateChange
    ) -> dict[str, Any]:
        engine = AppServices.of(request.app).engine
        await svc.change_state(
            engine, svc.by(reader), _scope(reader), project_id, data.state, data.note
        )
        return await _changed(request, project_id)

    @put("/{project_id:str}/details", summary="Le service en charge et la ligne budgétaire")
    async def details(
        self, request: Request[Any, Any, Any], reader: Reader, project_id: str, data: Details
    ) -> dict[str, Any]:
        engine = AppServices.of(request.app).engine
        await svc.set_details(
            engine,
            svc.by(reader),
            _scope(reader),
            project_id,
            service=data.service,
            budget_line=data.budget_line,
        )
        return await _changed(request, project_id)

    @put("/{project_id:str}/ap", summary="L’atelier de projet ouvert par la Ville pour ce projet")
    async def ap(
        self, request: Request[Any, Any, Any], reader: Reader, project_id: str, data: ApLink
    ) -> dict[str, Any]:
        engine = AppServices.of(request.app).engine
        await svc.link_ap(engine, svc.by(reader), _scope(reader), project_id, data.atelier_id)
        return await _changed(request, project_id)

    @post("/{project_id:str}/milestones", summary="Ajouter un jalon", status_code=HTTP_201_CREATED)
    async def add_milestone(
        self,
        request: Request[Any, Any, Any],
        reader: Reader,
        project_id: str,
        data: MilestoneWrite,
    ) -> dict[str, Any]:
        engine = AppServices.of(request.app).engine
        await svc.add_milestone(
            engine,
            svc.by(reader),
            _scope(reader),
            project_id,
            label=data.label,
            planned_on=data.planned_on,
            done_on=data.done_on,
            note=data.note,
        )
        return await _changed(request, project_id)

    @put("/{project_id:str}/milestones/{milestone_id:str}", summary="Modifier un jalon")
    async def edit_milestone(
        self,
        request: Request[Any, Any, Any],
        reader: Reader,
        project_id: str,
        milestone_id: str,
        data: MilestoneWrite,
    ) -> dict[str, Any]:
        engine = AppServices.of(request.app).engine
        await svc.edit_milestone(
            engine,
            svc.by(reader),
            _scope(reader),
            project_id,
            milestone_id,
            label=data.label,
            planned_on=data.planned_on,
            done_on=data.done_on,
            note=data.note,
        )
        return await _changed(request, project_id)

    @post(
        "/{project_id:str}/milestones/{milestone_id:str}/done",
        summary="Marquer un jalon comme fait",
        status_code=HTTP_200_OK,
    )
    async def complete_milestone(
        self,
        request: Request[Any, Any, Any],
        reader: Reader,
        project_id: str,
        milestone_id: str,
        data: MilestoneDone | None = None,
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        from zoneinfo import ZoneInfo

        today = dt.datetime.now(ZoneInfo(services.settings.time_zone)).date()
        body = data or MilestoneDone()
        await svc.complete_milestone(
            services.engine,
            svc.by(reader),
            _scope(reader),
            project_id,
            milestone_id,
            on=body.on or today,
            note=body.note,
        )
        return await _changed(request, project_id)

"""The city's staff: who they are (a credential the operator issued), the ateliers residents
started that wait for their approval, and the approval itself."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.di import Provide

from server.actors import token_of
from server.auth import InvalidGrant, StaffGrant, verify_grant
from server.errors import Problem
from server.live import AtelierReopened
from server.routes.proposals import reopen_editors
from server.services import ateliers as svc
from server.services import credentials
from server.services.proposals import seances_of
from server.state import AppServices

__all__ = ["StaffController", "current_staff", "optional_staff"]


async def optional_staff(request: ASGIConnection[Any, Any, Any, Any]) -> StaffGrant | None:
    """The staff credential the request carries (``Authorization: Bearer``), if any; a
    revoked one is a 401, never silently a resident."""
    services = AppServices.of(request.app)
    try:
        grant = verify_grant(services.settings.signing_key, token_of(request))
    except InvalidGrant:
        return None
    if not isinstance(grant, StaffGrant):
        return None
    await credentials.check(services.engine, grant)
    return grant


async def current_staff(request: ASGIConnection[Any, Any, Any, Any]) -> StaffGrant:
    """Dependency: a member of the city's staff, or 401."""
    staff = await optional_staff(request)
    if staff is None:
        raise Problem(
            401,
            "staff_required",
            "Réservé aux services de la Ville : connectez-vous avec le lien qu’ils vous ont remis.",
            "For the city's staff only: sign in with the link you were given.",
        )
    return staff


class StaffRead(msgspec.Struct):
    name: str
    expires_at: int  # Unix seconds


class PendingAtelier(msgspec.Struct):
    id: str
    title: str
    subject: str
    scope: str
    neighbourhood: str | None
    status: str
    created_at: str


class StaffController(Controller):
    path = "/api"
    tags = ["staff"]
    dependencies = {"staff": Provide(current_staff)}

    @get("/staff/me", summary="Le membre des services de la Ville que ce lien désigne")
    async def me(self, staff: StaffGrant) -> StaffRead:
        return StaffRead(staff.sub, staff.exp)

    @get(
        "/staff/ateliers",
        summary="Les ateliers d’initiative citoyenne qui attendent l’approbation de la Ville",
    )
    async def pending(
        self, request: Request[Any, Any, Any], staff: StaffGrant
    ) -> list[PendingAtelier]:
        rows = await svc.unlisted(AppServices.of(request.app).engine)
        return [
            PendingAtelier(
                r.id,
                r.title,
                r.subject,
                r.scope,
                r.neighbourhood,
                r.status,
                r.created_at.isoformat(),
            )
            for r in rows
        ]

    @post(
        "/ateliers/{atelier_id:str}/approval",
        summary="Approuver un atelier d’initiative citoyenne (il devient public)",
        status_code=200,
    )
    async def approve(
        self, request: Request[Any, Any, Any], staff: StaffGrant, atelier_id: str
    ) -> dict[str, Any]:
        row = await svc.approve(AppServices.of(request.app).engine, atelier_id, staff.sub)
        return {"id": row.id, "listed": row.listed, "approved_by": row.approved_by}

    @post(
        "/ateliers/{atelier_id:str}/reopen",
        summary="Rouvrir un atelier clos (services de la Ville)",
        description=(
            "A closed atelier back to `en_constitution`, or `constituee` when enough residents "
            "accepted its charter. City staff only: a closing is public and its facilitators "
            "change nothing of a closed atelier. 409 `atelier_not_closed`."
        ),
        status_code=200,
    )
    async def reopen(
        self, request: Request[Any, Any, Any], staff: StaffGrant, atelier_id: str
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        row = await svc.reopen_atelier(services.engine, atelier_id, staff.sub)
        await reopen_editors(services, atelier_id, "atelier reopened")  # they write again
        for session_id in await seances_of(services.engine, atelier_id):  # and the séances' screens
            await services.live.publish(session_id, AtelierReopened(session_id))
        return {"id": row.id, "status": row.status}

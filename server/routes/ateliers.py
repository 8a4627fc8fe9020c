"""HTTP API of ateliers, séances, joining, invitations, attendance and proposals."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy import select

from server import devices
from server.actors import Actor, current_actor, optional_actor, token_of
from server.auth import (
    COOKIE_NAME,
    InvalidGrant,
    ParticipantGrant,
    mint_participant_token,
    verify_grant,
)
from server.db.models import AtelierRow, InvitationRow, ParticipantRow, ProposalRow, SessionRow
from server.documents.jobs import invitation_document, qr_code, sign_in_sheet_pdf
from server.documents.rendering import render
from server.errors import Problem
from server.guards import client_address
from server.live import (
    AtelierClosed,
    AttendanceChanged,
    JoinCodeChanged,
    ParticipantJoined,
    SessionCancelled,
    SessionRestored,
    StepChanged,
    TimerChanged,
)
from server.printing import InvitationSheet, cancelled_sheet, closed_atelier_sheet
from server.routes import door as door_routes
from server.routes.proposals import announce, reopen_editors
from server.routes.staff import optional_staff
from server.routes.writing_mode import mode_switched
from server.schemas import (
    AtelierClose,
    AtelierCreate,
    AtelierEdit,
    CharterAcceptance,
    CharterUpdate,
    CheckInFor,
    InvitationCreate,
    InvitationRead,
    Joined,
    JoinRequest,
    ParticipantRead,
    ProposalCreate,
    ProposalRead,
    RoleChange,
    SessionCancel,
    SessionCreate,
    StepMove,
    TimerAction,
    WalkInCreate,
)
from server.services import amendments as amendment_svc
from server.services import ateliers as svc
from server.services import projects
from server.services.proposals import seances_of
from server.state import AppServices

__all__ = ["AtelierController", "JoinController", "create_atelier"]

PARTICIPANT_TOKEN_TTL = 30 * 24 * 3600  # a month: an atelier meets over weeks


class AtelierRead(msgspec.Struct):
    id: str
    title: str
    subject: str
    kind: str
    scope: str
    neighbourhood: str | None
    instances: list[str]
    pilots: list[str]
    charter_version: int
    charter_text: str
    min_residents: int
    status: str
    #: Shown in directories and feeds; an atelier residents started is not until the city's
    #: staff approve it (``approved_by``) or it is constituted.
    listed: bool = True
    approved_by: str | None = None
    financing: str | None = None
    #: An atelier de projet's pilot service; an AIC's porteurs (names they chose to show).
    pilot_service: str | None = None
    porteurs: list[str] = []
    #: A closed atelier's closing: when (ISO 8601), and the public reason given, if any.
    closed_at: str | None = None
    close_reason: str | None = None


class WalkInRead(msgspec.Struct):
    """A person registered at the door, and the slip to hand them: with this code and the
    séance's join link they may later join from a device as the same participant."""

    participant: ParticipantRead
    slip_code: str
    join_url: str


class SessionRead(msgspec.Struct):
    id: str
    atelier_id: str
    number: int
    join_code: str
    join_url: str
    details: dict[str, Any]
    attendance_by_role: dict[str, int] = {}


class AtelierCreated(msgspec.Struct):
    atelier: AtelierRead
    facilitator: Joined


def atelier_read(row: AtelierRow) -> AtelierRead:
    return AtelierRead(
        row.id,
        row.title,
        row.subject,
        row.kind,
        row.scope,
        row.neighbourhood,
        list(row.instances),
        list(row.pilots),
        row.charter_version,
        row.charter_text,
        row.min_residents,
        row.status,
        row.listed,
        row.approved_by,
        row.financing,
        row.pilot_service,
        list(row.porteurs or ()),
    )


def with_closing(read: AtelierRead, closed: svc.Closing | None) -> AtelierRead:
    """``read`` with its closing, when the atelier is closed."""
    if closed is None:
        return read
    return msgspec.structs.replace(
        read, closed_at=closed.at.isoformat(), close_reason=closed.reason
    )


def participant_read(row: ParticipantRow) -> ParticipantRead:
    from domain.roles import Role

    return ParticipantRead(
        row.id,
        row.atelier_id,
        row.display_name,
        row.role,
        Role(row.role).label_fr,
        row.charter_version,
        row.joined_at,
        row.revoked_at is not None,
    )


def join_url(request: Request[Any, Any, Any], code: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/rejoindre/{code}"


def session_read(
    request: Request[Any, Any, Any], row: SessionRow, counts: dict[str, int] | None = None
) -> SessionRead:
    return SessionRead(
        row.id,
        row.atelier_id,
        row.number,
        row.join_code,
        join_url(request, row.join_code),
        dict(row.data),
        counts or {},
    )


def joined(services: AppServices, participant: ParticipantRow, session_id: str | None) -> Joined:
    token = mint_participant_token(
        services.settings.signing_key,
        participant.atelier_id,
        participant.id,
        participant.role,
        PARTICIPANT_TOKEN_TTL,
    )
    return Joined(participant_read(participant), token, participant.atelier_id, session_id)


def with_cookie(body: Joined, status: int = HTTP_201_CREATED) -> Response[Joined]:
    response = Response(body, status_code=status)
    response.set_cookie(
        COOKIE_NAME,
        body.token,
        max_age=PARTICIPANT_TOKEN_TTL,
        httponly=True,
        samesite="lax",
        path="/",
    )
    return response


@post(
    "/api/ateliers", tags=["ateliers"], summary="Créer un atelier (et en devenir l’animateur·rice)"
)
async def create_atelier(
    request: Request[Any, Any, Any], data: AtelierCreate
) -> Response[AtelierCreated]:
    """The creator becomes its first facilitator. An atelier de projet needs a city staff
    credential (``Authorization: Bearer``, from ``atelier facilitator-invite``); residents
    start ateliers d'initiative citoyenne, unlisted until approved or constituted. Creations
    are limited per hour: per address and per person (README « Qui peut créer quoi »)."""
    services = AppServices.of(request.app)
    staff = await optional_staff(request)
    keys = [f"staff:{staff.jti}"] if staff else [f"address:{client_address(request)}"]
    participant = await optional_actor(request) if staff is None else None
    if participant is not None:
        keys.append(f"participant:{participant.participant_id}")
    limit = services.creation_guard(staff is not None)
    wait = max(limit.blocked(key) for key in keys)
    if wait:
        raise Problem(
            429,
            "too_many_ateliers",
            "Trop d’ateliers créés depuis une heure : réessayez plus tard.",
            "Too many ateliers created within the hour: try again later.",
            headers={"retry-after": str(int(wait) + 1)},
        )
    atelier, facilitator = await svc.create_atelier(
        services.engine, data, staff.sub if staff else None
    )
    for key in keys:
        limit.failed(key)
    body = AtelierCreated(atelier_read(atelier), joined(services, facilitator, None))
    response = Response(body, status_code=HTTP_201_CREATED)
    response.set_cookie(
        COOKIE_NAME,
        body.facilitator.token,
        max_age=PARTICIPANT_TOKEN_TTL,
        httponly=True,
        samesite="lax",
        path="/",
    )
    return response


class AtelierController(Controller):
    path = "/api"
    tags = ["ateliers"]
    dependencies = {"actor": Provide(current_actor)}

    @get("/ateliers/{atelier_id:str}", summary="Un atelier")
    async def get_atelier(
        self, request: Request[Any, Any, Any], actor: Actor, atelier_id: str
    ) -> AtelierRead:
        from domain.roles import Action

        svc.require(actor, Action.READ_ATELIER, atelier_id)
        async with svc.transaction(AppServices.of(request.app).engine) as session:
            row = await svc.get_atelier(session, atelier_id)
            closed = await svc.closing_of(session, atelier_id) if row.status == "close" else None
        return with_closing(atelier_read(row), closed)

    @post(
        "/ateliers/{atelier_id:str}/close",
        summary="Clore l’atelier, avec un motif public facultatif",
        description=(
            "For those who edit the atelier (its facilitators). Nothing is deleted: its "
            "documents and versions stay readable; it and its séances change no more, and its "
            "join codes answer 410 `atelier_closed`. 409 `atelier_already_closed`."
        ),
        status_code=200,
    )
    async def close_atelier(
        self, request: Request[Any, Any, Any], actor: Actor, atelier_id: str, data: AtelierClose
    ) -> AtelierRead:
        services = AppServices.of(request.app)
        today = dt.datetime.now(ZoneInfo(services.settings.time_zone)).date()
        row, closed, cancelled = await svc.close_atelier(
            services.engine, actor, atelier_id, data, today
        )
        # Open screens hear it at once: the séances ahead say « annulée » with the closing's
        # reason (« Atelier clos : … »), and the documents' editors come back read-only.
        for seance in cancelled:
            await services.live.publish(
                seance.id,
                SessionCancelled(
                    seance.id, seance.data["cancelled_at"], seance.data.get("cancel_reason")
                ),
            )
        # Every séance's screens, those held already too, stop offering what it now refuses.
        at = closed.at.isoformat()
        for session_id in await seances_of(services.engine, atelier_id):
            await services.live.publish(session_id, AtelierClosed(session_id, at, closed.reason))
        await reopen_editors(services, atelier_id, "atelier closed")
        return with_closing(atelier_read(row), closed)

    @put("/ateliers/{atelier_id:str}", summary="Modifier la description de l’atelier")
    async def edit_atelier(
        self, request: Request[Any, Any, Any], actor: Actor, atelier_id: str, data: AtelierEdit
    ) -> AtelierRead:
        row = await svc.edit(AppServices.of(request.app).engine, actor, atelier_id, data)
        return atelier_read(row)

    @put("/ateliers/{atelier_id:str}/charter", summary="Réviser la charte (nouvelle version)")
    async def charter(
        self, request: Request[Any, Any, Any], actor: Actor, atelier_id: str, data: CharterUpdate
    ) -> AtelierRead:
        engine = AppServices.of(request.app).engine
        return atelier_read(await svc.change_charter(engine, actor, atelier_id, data.text))

    @get(
        "/ateliers/{atelier_id:str}/charter",
        summary="La charte, et la version que j’ai acceptée",
        description=(
            "The current version and text, and the version this participant accepted with its "
            "text. A participant behind the current version reads but may not write in the "
            "documents nor vote (403 `charter_not_accepted`) until they accept it."
        ),
    )
    async def charter_status(
        self, request: Request[Any, Any, Any], actor: Actor, atelier_id: str
    ) -> svc.CharterStatus:
        return await svc.charter_status(AppServices.of(request.app).engine, actor, atelier_id)

    @post(
        "/ateliers/{atelier_id:str}/charter/accept", summary="J’accepte la charte", status_code=200
    )
    async def accept_charter(
        self,
        request: Request[Any, Any, Any],
        actor: Actor,
        atelier_id: str,
        data: CharterAcceptance,
    ) -> ParticipantRead:
        engine = AppServices.of(request.app).engine
        row = await svc.accept_current_charter(engine, actor, atelier_id, data.version)
        return participant_read(row)

    @put(
        "/ateliers/{atelier_id:str}/image",
        summary="Image ou logo de l’atelier (PNG, JPEG)",
        request_max_body_size=svc.MAX_IMAGE_BYTES + 1024,
    )
    async def set_image(
        self, request: Request[Any, Any, Any], actor: Actor, atelier_id: str
    ) -> dict[str, str]:
        body = await request.body()
        services = AppServices.of(request.app)
        media_type = await svc.set_image(services.engine, services.renders, actor, atelier_id, body)
        return {"image": f"/api/ateliers/{atelier_id}/image", "media_type": media_type}

    @get("/ateliers/{atelier_id:str}/image", summary="Image de l’atelier (publique)")
    async def image(self, request: Request[Any, Any, Any], atelier_id: str) -> Response[bytes]:
        # No `actor` parameter: the controller's dependency is not resolved, the image is public
        # (it is printed on invitations anyway).
        image = await svc.get_image(AppServices.of(request.app).engine, atelier_id)
        if image is None:
            raise Problem(
                404, "no_image", "Cet atelier n’a pas d’image.", "This atelier has no image."
            )
        return Response(
            image.data,
            media_type=image.media_type,
            headers={"cache-control": "public, max-age=300"},
        )

    @post("/ateliers/{atelier_id:str}/sessions", summary="Programmer une séance")
    async def create_session(
        self, request: Request[Any, Any, Any], actor: Actor, atelier_id: str, data: SessionCreate
    ) -> SessionRead:
        row = await svc.create_session(AppServices.of(request.app).engine, actor, atelier_id, data)
        return session_read(request, row)

    @get("/ateliers/{atelier_id:str}/sessions", summary="Les séances de l’atelier")
    async def sessions(
        self, request: Request[Any, Any, Any], actor: Actor, atelier_id: str
    ) -> list[SessionRead]:
        from domain.roles import Action

        svc.require(actor, Action.READ_ATELIER, atelier_id)
        async with svc.transaction(AppServices.of(request.app).engine) as session:
            rows = await session.scalars(
                select(svc.SessionRow)
                .where(svc.SessionRow.atelier_id == atelier_id)
                .order_by(svc.SessionRow.number)
            )
            return [session_read(request, row) for row in rows]

    @get("/sessions/{session_id:str}", summary="Une séance, avec les présences par rôle")
    async def get_session(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str
    ) -> SessionRead:
        from domain.roles import Action

        engine = AppServices.of(request.app).engine
        async with svc.transaction(engine) as session:
            row = await svc.get_seance(session, session_id)
        svc.require(actor, Action.READ_ATELIER, row.atelier_id)
        return session_read(request, row, await svc.attendance_counts(engine, session_id))

    @put("/sessions/{session_id:str}", summary="Modifier une séance (avant son début)")
    async def edit_session(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str, data: SessionCreate
    ) -> SessionRead:
        row = await svc.edit_session(AppServices.of(request.app).engine, actor, session_id, data)
        return session_read(request, row)

    @post(
        "/sessions/{session_id:str}/cancel",
        summary="Annuler une séance (avant son début), avec un motif public facultatif",
        status_code=200,
    )
    async def cancel_session(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str, data: SessionCancel
    ) -> SessionRead:
        services = AppServices.of(request.app)
        row = await svc.cancel_seance(services.engine, actor, session_id, data.reason)
        # Open consoles and participants' screens say so at once (no reload).
        cancelled = SessionCancelled(
            session_id, row.data["cancelled_at"], row.data.get("cancel_reason")
        )
        await services.live.publish(session_id, cancelled)
        return session_read(request, row)

    @post(
        "/sessions/{session_id:str}/restore",
        summary="Rétablir une séance annulée, tant que sa date n’est pas passée",
        status_code=200,
    )
    async def restore_session(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str
    ) -> SessionRead:
        services = AppServices.of(request.app)
        today = dt.datetime.now(ZoneInfo(services.settings.time_zone)).date()
        row = await svc.restore_seance(services.engine, actor, session_id, today)
        await services.live.publish(session_id, SessionRestored(session_id))
        return session_read(request, row)

    @post(
        "/sessions/{session_id:str}/join-code",
        summary="Nouveau code de séance (l’ancien ne marche plus)",
        status_code=200,
    )
    async def new_join_code(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str
    ) -> SessionRead:
        services = AppServices.of(request.app)
        row = await svc.new_join_code(services.engine, actor, session_id)
        link = join_url(request, row.join_code)
        await services.live.publish(session_id, JoinCodeChanged(session_id, row.join_code, link))
        return session_read(request, row)

    @post(
        "/sessions/{session_id:str}/next",
        summary="Programmer la séance suivante, à partir de son ordre du jour",
    )
    async def next_session(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str, data: SessionCreate
    ) -> SessionRead:
        row = await svc.next_session(AppServices.of(request.app).engine, actor, session_id, data)
        return session_read(request, row)

    @post("/sessions/{session_id:str}/step", summary="Avancer dans le déroulé", status_code=200)
    async def step(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str, data: StepMove
    ) -> SessionRead:
        services = AppServices.of(request.app)
        row, writing = await svc.move_step(
            services.engine, actor, session_id, data.move, data.index
        )
        steps = row.data.get("method_steps", [])
        current = row.data.get("current_step")
        title = steps[current] if current is not None and current < len(steps) else None
        await services.live.publish(session_id, StepChanged(session_id, current, title))
        if writing is not None:
            # The step's agenda item sets the writing mode: the facilitator's own switch on
            # each proposal, with the same live effect (issue 20, #4).
            for proposal in await amendment_svc.follow_step(
                services.engine, actor, session_id, writing.amendments
            ):
                await mode_switched(services, proposal)
        return session_read(request, row)

    @post(
        "/sessions/{session_id:str}/timer",
        summary="Le minuteur de l’étape : lancer, mettre en pause, reprendre, ajouter, arrêter",
        status_code=200,
    )
    async def timer(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str, data: TimerAction
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        timer = await svc.run_timer(services.engine, actor, session_id, data.action, data.minutes)
        await services.live.publish(session_id, TimerChanged(session_id, timer))
        return {"timer": timer}

    @post(
        "/sessions/{session_id:str}/attendance",
        summary="Accueil : pointer la présence d’une personne inscrite",
        status_code=200,
    )
    async def check_in_for(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str, data: CheckInFor
    ) -> ParticipantRead:
        services = AppServices.of(request.app)
        person = await svc.check_in_for(services.engine, actor, session_id, data.participant_id)
        counts = await svc.attendance_counts(services.engine, session_id)
        await services.live.publish(session_id, AttendanceChanged(session_id, counts))
        return participant_read(person)

    @get(
        "/sessions/{session_id:str}/attendance",
        summary="Accueil : qui est pointé·e présent·e (pour l’animation)",
        description=door_routes.LIST_DESCRIPTION,
    )
    async def attendance(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str
    ) -> door_routes.AttendanceRead:
        return await door_routes.read_attendance(request, actor, session_id)

    @post(
        "/sessions/{session_id:str}/walk-ins",
        summary="Accueil : inscrire et pointer une personne sans téléphone",
    )
    async def walk_in(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str, data: WalkInCreate
    ) -> WalkInRead:
        services = AppServices.of(request.app)
        person, code = await svc.add_walk_in(services.engine, actor, session_id, data)
        counts = await svc.attendance_counts(services.engine, session_id)
        await services.live.publish(session_id, AttendanceChanged(session_id, counts))
        async with svc.transaction(services.engine) as session:
            seance = await svc.get_seance(session, session_id)
        return WalkInRead(
            participant_read(person),
            _grouped(code),
            join_url(request, seance.join_code),
        )

    @get(
        "/sessions/{session_id:str}/emargement.pdf",
        summary="Feuille d’émargement à imprimer, par rôle",
        description="A cancelled séance has none: 409 `session_cancelled` (restore it first).",
        media_type="application/pdf",
    )
    async def sign_in_sheet(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str
    ) -> Response[bytes]:
        services = AppServices.of(request.app)
        sheet = await svc.sign_in_sheet(services.engine, actor, session_id)
        return Response(
            await render(services.renders, sign_in_sheet_pdf, sheet),
            media_type="application/pdf",
            headers={"content-disposition": 'inline; filename="emargement.pdf"'},
        )

    @post("/sessions/{session_id:str}/check-in", summary="Je suis présent·e", status_code=200)
    async def check_in(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str
    ) -> dict[str, int]:
        services = AppServices.of(request.app)
        await svc.check_in(services.engine, actor, session_id)
        counts = await svc.attendance_counts(services.engine, session_id)
        await services.live.publish(session_id, AttendanceChanged(session_id, counts))
        return counts

    @post("/sessions/{session_id:str}/check-out", summary="Je quitte la séance", status_code=200)
    async def check_out(
        self, request: Request[Any, Any, Any], actor: Actor, session_id: str
    ) -> dict[str, int]:
        services = AppServices.of(request.app)
        await svc.check_out(services.engine, actor, session_id)
        counts = await svc.attendance_counts(services.engine, session_id)
        await services.live.publish(session_id, AttendanceChanged(session_id, counts))
        return counts

    @get("/ateliers/{atelier_id:str}/participants", summary="Qui participe, par rôle")
    async def participants(
        self, request: Request[Any, Any, Any], actor: Actor, atelier_id: str
    ) -> list[ParticipantRead]:
        rows = await svc.list_participants(AppServices.of(request.app).engine, actor, atelier_id)
        return [participant_read(r) for r in rows]

    @get(
        "/ateliers/{atelier_id:str}/audit",
        summary="Journal des actions sensibles (animation)",
    )
    async def audit(
        self, request: Request[Any, Any, Any], actor: Actor, atelier_id: str
    ) -> list[dict[str, Any]]:
        engine = AppServices.of(request.app).engine
        rows = await svc.audit_log(engine, actor, atelier_id)
        names = {
            p.id: p.display_name for p in await svc.list_participants(engine, actor, atelier_id)
        }
        return [
            {
                "at": row.created_at.isoformat(),
                "by": names.get(row.actor_id, row.actor_id.removeprefix("council:")),
                "action": row.action,
                "target": row.target,
                "details": row.details,
            }
            for row in rows
        ]

    @post("/ateliers/{atelier_id:str}/invitations", summary="Code d’invitation pour un rôle invité")
    async def invite(
        self, request: Request[Any, Any, Any], actor: Actor, atelier_id: str, data: InvitationCreate
    ) -> InvitationRead:
        row: InvitationRow = await svc.create_invitation(
            AppServices.of(request.app).engine, actor, atelier_id, data
        )
        return InvitationRead(row.code, row.atelier_id, row.role, row.expires_at)

    @post(
        "/participants/{participant_id:str}/role",
        summary="Changer le rôle d’un·e participant·e",
        status_code=200,
    )
    async def change_role(
        self, request: Request[Any, Any, Any], actor: Actor, participant_id: str, data: RoleChange
    ) -> ParticipantRead:
        row = await svc.change_role(
            AppServices.of(request.app).engine, actor, participant_id, data.role
        )
        return participant_read(row)

    @post("/participants/{participant_id:str}/revoke", summary="Retirer l’accès", status_code=200)
    async def revoke(
        self, request: Request[Any, Any, Any], actor: Actor, participant_id: str
    ) -> ParticipantRead:
        row = await svc.revoke(AppServices.of(request.app).engine, actor, participant_id)
        # Open documents close at once (4401: final for the client), not at the next reconnect.
        services = AppServices.of(request.app)
        await services.control.close_subject(row.id, 4401, "access revoked")  # every instance
        return participant_read(row)

    @post("/ateliers/{atelier_id:str}/proposals", summary="Nouvelle proposition (fiche-action)")
    async def create_proposal(
        self, request: Request[Any, Any, Any], actor: Actor, atelier_id: str, data: ProposalCreate
    ) -> ProposalRead:
        services = AppServices.of(request.app)
        row = await svc.create_proposal(services.engine, actor, atelier_id, data)
        await announce(services, row.atelier_id, "created", row.id)
        return proposal_read(row)

    @get("/ateliers/{atelier_id:str}/proposals", summary="Les propositions de l’atelier")
    async def proposals(
        self, request: Request[Any, Any, Any], actor: Actor, atelier_id: str
    ) -> list[ProposalRead]:
        engine = AppServices.of(request.app).engine
        rows = await svc.list_proposals(engine, actor, atelier_id)
        versions = await svc.version_counts(engine, atelier_id)
        # The decisions with their project's milestones (server.services.projects).
        decisions = await projects.decisions_with_steps(engine, rows)
        return [
            msgspec.structs.replace(
                proposal_read(r, versions.get(r.id, 0)), decision=decisions[r.id]
            )
            for r in rows
        ]

    @get("/proposals/{proposal_id:str}/token", summary="Jeton d’accès au document en direct")
    async def proposal_doc(
        self, request: Request[Any, Any, Any], actor: Actor, proposal_id: str
    ) -> dict[str, str | bool | int | None]:
        """``read_only`` and, when it is, ``reason``: ``role`` (the reader's role only reads),
        ``locked`` (the facilitator's switch), ``frozen`` (locked by a freeze), ``archived``,
        ``charter`` (the reader has not accepted the revised charter yet), ``amendements``,
        ``closed`` (the atelier) or ``transmitted`` (handed to the council, with ``version``:
        the number of the version it received); null when the reader may write."""
        engine = AppServices.of(request.app).engine
        async with svc.transaction(engine) as session:
            row = await session.get(ProposalRow, proposal_id)
        if row is None:
            raise Problem(
                404, "proposal_not_found", "Proposition introuvable.", "Proposal not found."
            )
        try:
            reason = await svc.read_only_reason(engine, actor, row.doc_id)
        except svc.DocAccessRefused as exc:
            raise Problem(
                403,
                "forbidden",
                "Vous n’avez pas accès à ce document.",
                "You have no access to this document.",
            ) from exc
        answer: dict[str, str | bool | int | None] = {
            "doc_id": row.doc_id,
            "read_only": reason is not None,
            "reason": reason,
        }
        if reason == "transmitted":
            # No freeze follows a hand-over: its latest version is the one the council got.
            answer["version"] = (await svc.version_counts(engine, row.atelier_id)).get(row.id)
        return answer


def proposal_read(row: ProposalRow, versions: int = 0) -> ProposalRead:
    from domain.templates import TEMPLATES

    sections = [
        {
            "key": s.key,
            "title_fr": s.title_fr,
            "title_en": s.title_en,
            "hint_fr": s.hint_fr,
            "hint_en": s.hint_en,
        }
        for s in TEMPLATES[row.kind].sections
    ]
    return ProposalRead(
        row.id,
        row.atelier_id,
        row.kind,
        row.title,
        row.doc_id,
        row.session_id,
        sections,
        row.created_at,
        row.status,
        row.locked,
        row.locked_by,
        row.archived_at,
        versions,
        row.decision,
        amendment_mode=row.amendment_mode,
    )


class JoinController(Controller):
    """Public endpoints reached with a join code: what a phone scanning the QR code calls."""

    path = "/api/join"
    tags = ["joining"]

    @get("/{code:str}", summary="Ce que le code ouvre : l’atelier, la séance, la charte")
    async def info(self, request: Request[Any, Any, Any], code: str) -> dict[str, Any]:
        async with svc.transaction(AppServices.of(request.app).engine) as session:
            seance = await _guarded_lookup(request, session, code)
            atelier = await svc.get_atelier(session, seance.atelier_id)
            await svc.refuse_closed(session, atelier)  # 410, said on the join screen
        svc.refuse_cancelled(seance, atelier)  # 410, said on the join screen
        from domain.roles import INVITED_ROLES, Role

        return {
            "atelier": msgspec.to_builtins(atelier_read(atelier)),
            "session": {"id": seance.id, "number": seance.number, **seance.data},
            "roles": [
                {
                    "role": r.value,
                    "label_fr": r.label_fr,
                    "label_en": r.label_en,
                    "needs_invitation": r in INVITED_ROLES,
                }
                for r in Role
            ],
        }

    @post(
        "/{code:str}",
        summary="Rejoindre sans compte",
        description=(
            "201 with a new participant; 200 with the participant this browser already is in "
            "the atelier (its token, or the same name and role from the same device), never a "
            "second one. A cancelled séance's code lets no one in (410 `session_cancelled`), nor "
            "a closed atelier's (410 `atelier_closed`)."
        ),
        responses={200: ResponseSpec(Joined, description="Already a participant: joined again")},
    )
    async def join(
        self, request: Request[Any, Any, Any], code: str, data: JoinRequest
    ) -> Response[Joined]:
        services = AppServices.of(request.app)
        key = services.settings.signing_key
        async with svc.transaction(services.engine) as session:
            found = await _guarded_lookup(request, session, code)
        device = devices.read(key, request.cookies.get(devices.DEVICE_COOKIE))
        participant, seance, new = await svc.join(
            services.engine, found.id, data, holder=_holder(key, token_of(request)), device=device
        )
        if new:
            await services.live.publish(seance.id, ParticipantJoined(seance.id, participant.role))
        response = with_cookie(
            joined(services, participant, seance.id), HTTP_201_CREATED if new else HTTP_200_OK
        )
        response.set_cookie(
            devices.DEVICE_COOKIE,
            devices.write(key, device, participant.id),
            max_age=devices.DEVICE_TTL,
            httponly=True,
            samesite="lax",
            path=devices.DEVICE_COOKIE_PATH,
        )
        return response

    @get(
        "/{code:str}/qr.svg",
        summary="QR code du lien (SVG)",
        description=(
            "A cancelled séance's code has none: 410 `session_cancelled`; nor has a closed "
            "atelier's: 410 `atelier_closed`."
        ),
        media_type="image/svg+xml",
    )
    async def qr_svg(self, request: Request[Any, Any, Any], code: str) -> Response[bytes]:
        seance = await _open_seance(request, code)
        body = await _qr_code(request, join_url(request, seance.join_code), "svg")
        return Response(body, media_type="image/svg+xml")

    @get(
        "/{code:str}/qr.png",
        summary="QR code du lien (PNG)",
        description=(
            "A cancelled séance's code has none: 410 `session_cancelled`; nor has a closed "
            "atelier's: 410 `atelier_closed`."
        ),
        media_type="image/png",
    )
    async def qr_png(self, request: Request[Any, Any, Any], code: str) -> Response[bytes]:
        seance = await _open_seance(request, code)
        body = await _qr_code(request, join_url(request, seance.join_code), "png")
        return Response(body, media_type="image/png")

    @get(
        "/{code:str}/invitation.pdf",
        summary="Invitation à imprimer (A4 ou A5), ou affiche (A3)",
        description=(
            "For a cancelled séance, a notice to post instead: « Séance annulée », which séance, "
            "when and where it was planned, and the public reason; no join code nor QR code. "
            "For a closed atelier's séance, the same notice says « Atelier clos » and gives the "
            "closing's reason."
        ),
        media_type="application/pdf",
    )
    async def invitation(
        self,
        request: Request[Any, Any, Any],
        code: str,
        paper: Annotated[Literal["A4", "A5", "A3"], Parameter(query="format")] = "A4",
    ) -> Response[bytes]:
        async with svc.transaction(AppServices.of(request.app).engine) as session:
            seance = await _guarded_lookup(request, session, code)
            atelier = await svc.get_atelier(session, seance.atelier_id)
            closing = (
                await svc.closing_of(session, atelier.id) if atelier.status == "close" else None
            )
        data = seance.data
        when = _french_date(data["date"], data.get("start_time"))
        where = data.get("place") or data.get("remote_link") or ""
        image = await svc.get_image(AppServices.of(request.app).engine, atelier.id)
        picture = image.data if image is not None else None
        subtitle = f"Séance {seance.number}"
        if atelier.status == "close":
            # The atelier's closing, with its reason, rather than each séance's cancellation.
            reason = closing.reason if closing is not None else None
            sheet = closed_atelier_sheet(atelier.title, subtitle, when, where, reason, picture)
            filename = f"seance-{seance.number}-atelier-clos.pdf"
        elif data.get("cancelled_at") is not None:
            # Served rather than refused: a facilitator who reprints gets the notice to post
            # over the invitations already up, and whoever opens an old link reads why.
            sheet = cancelled_sheet(
                atelier.title, subtitle, when, where, data.get("cancel_reason"), picture
            )
            filename = f"seance-{seance.number}-annulee.pdf"
        else:
            link = join_url(request, seance.join_code)
            sheet = InvitationSheet(
                atelier.title, subtitle, when, where, _grouped(seance.join_code), link, picture
            )
            filename = f"invitation-{seance.join_code}.pdf"
        services = AppServices.of(request.app)
        return Response(
            await render(services.renders, invitation_document, sheet, paper),
            media_type="application/pdf",
            headers={"content-disposition": f'inline; filename="{filename}"'},
        )


def _holder(key: str, token: str | None) -> str | None:
    """The participant a request's token names (bearer or cookie), if it is a valid one."""
    try:
        grant = verify_grant(key, token)
    except InvalidGrant:
        return None
    return grant.pid if isinstance(grant, ParticipantGrant) else None


async def _guarded_lookup(request: Request[Any, Any, Any], session: Any, code: str) -> SessionRow:
    """Find the séance of a join code, refusing addresses that keep typing unknown codes."""
    guard = AppServices.of(request.app).join_guard
    address = client_address(request)
    wait = guard.blocked(address)
    if wait:
        seconds = int(wait) + 1
        raise Problem(
            429,
            "too_many_attempts",
            f"Trop de codes erronés : réessayez dans {seconds} s.",
            f"Too many wrong codes: try again in {seconds} s.",
            headers={"Retry-After": str(seconds)},
        )
    try:
        return await svc.session_by_code(session, code)
    except Problem as exc:
        if exc.code == "unknown_join_code":
            guard.failed(address)
        raise


async def _open_seance(request: Request[Any, Any, Any], code: str) -> SessionRow:
    """The séance of a join code that opens it: 410 ``atelier_closed`` once its atelier is
    closed, ``session_cancelled`` once it is cancelled (as joining says)."""
    async with svc.transaction(AppServices.of(request.app).engine) as session:
        seance = await _guarded_lookup(request, session, code)
        atelier = await svc.get_atelier(session, seance.atelier_id)
        await svc.refuse_closed(session, atelier)
        svc.refuse_cancelled(seance, atelier)
    return seance


#: QR codes drawn, by kind and link: every projector and phone of a séance asks for the same one.
_QR_CODES: dict[tuple[str, str], bytes] = {}
_QR_CODES_KEPT = 256


async def _qr_code(
    request: Request[Any, Any, Any], link: str, kind: Literal["svg", "png"]
) -> bytes:
    """The QR code of a join link, drawn in a render worker (segno is pure Python: about 15 ms
    a code), then kept: a code's link does not change, and a code that no longer opens anything
    is refused before this is asked (:func:`_open_seance`)."""
    key = (kind, link)
    body = _QR_CODES.get(key)
    if body is None:
        pool = AppServices.of(request.app).renders
        body = await render(pool, qr_code, link, kind, "Rejoindre la séance")
        if len(_QR_CODES) >= _QR_CODES_KEPT:
            del _QR_CODES[next(iter(_QR_CODES))]
        _QR_CODES[key] = body
    return body


def _french_date(iso_date: str, iso_time: str | None) -> str:
    """« mardi 12 décembre 2017 à 18 h 30 », as the invitation prints it."""
    from domain.report import french_date, french_time

    return french_date(iso_date) + (f" à {french_time(iso_time)}" if iso_time else "")


def _grouped(code: str) -> str:
    from domain.joining import format_code

    return format_code(code)

"""Subjects over JSON (issue 22, #2), for integrations and the staff screen.

Public: ``POST /api/subjects`` (propose; a staff credential may propose for an instance),
``GET /api/subjects`` and ``GET /api/subjects/{id}`` (published ones),
``POST /api/subjects/{id}/supports`` (support with a name and a quartier). Proposals and
supports are limited per client address and hour (429 past it).

City staff: ``GET /api/staff/subjects`` (the moderation queue and every subject),
``POST /api/subjects/{id}/decision`` (publish, refuse, constitute an AIC, open an AP, decline),
``GET /api/subjects/{id}/audit``, ``GET``/``PUT /api/instances/{code}/subject-ranking``.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import Provide
from litestar.handlers import BaseRouteHandler
from litestar.status_codes import HTTP_201_CREATED

from domain.ateliers import Instance
from domain.subjects import Outcome, new_subject
from server.auth import StaffGrant
from server.errors import Problem
from server.guards import FailureLimiter, client_address
from server.routes.ateliers import Joined, joined
from server.routes.staff import current_staff, optional_staff
from server.schemas import Name, Short, Title
from server.services import subjects as svc
from server.state import AppServices

__all__ = ["SUPPORT_COOKIE", "guards", "subject_routes", "support_cookie"]

#: A random token this browser keeps, so that it supports a subject once (its hash is stored).
SUPPORT_COOKIE = "atelier_soutien"
WHY_MAX = 4_000
Why = Annotated[str, msgspec.Meta(min_length=1, max_length=WHY_MAX)]
Reason = Annotated[str, msgspec.Meta(max_length=2_000)]


class SubjectGuards:
    def __init__(self, proposals: FailureLimiter, supports: FailureLimiter) -> None:
        self.proposals = proposals
        self.supports = supports


def guards(services: AppServices) -> SubjectGuards:
    """This process's limits on proposals and supports per address (made at first use)."""
    found = getattr(services, "_subject_guards", None)
    if found is None:
        settings = services.settings
        found = SubjectGuards(
            FailureLimiter(settings.subjects_per_hour, 3600.0),
            FailureLimiter(settings.supports_per_hour, 3600.0),
        )
        services._subject_guards = found  # type: ignore[attr-defined]
    return found


def too_many_subjects(wait: float) -> Problem:
    return Problem(
        429,
        "too_many_subjects",
        "Trop de sujets proposés depuis cette adresse en une heure : réessayez plus tard.",
        "Too many subjects proposed from this address within the hour: try again later.",
        headers={"retry-after": str(int(wait) + 1)},
    )


def too_many_supports(wait: float) -> Problem:
    return Problem(
        429,
        "too_many_supports",
        "Trop de soutiens donnés depuis cette adresse en une heure : réessayez plus tard.",
        "Too many supports given from this address within the hour: try again later.",
        headers={"retry-after": str(int(wait) + 1)},
    )


def support_cookie(request: Request[Any, Any, Any]) -> tuple[str, bool]:
    """This browser's support token, and whether it is new (to be set on the answer)."""
    value = request.cookies.get(SUPPORT_COOKIE) or ""
    if 20 <= len(value) <= 64 and value.isalnum():
        return value, False
    return secrets.token_hex(16), True


def set_support_cookie(response: Response[Any], value: str) -> None:
    response.set_cookie(
        SUPPORT_COOKIE,
        value,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        path="/",
    )


class SubjectCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    why: Why
    #: The initiator's display name and their quartier.
    name: Name
    #: The subject's quartier; none: the whole city.
    neighbourhood: Short | None = None
    home_neighbourhood: Short | None = None
    #: Show the initiator's name on the subject's public page.
    show_name: bool = False
    #: Proposed by an instance (CQ…): only with a city staff credential.
    instance: Literal["CQ", "CC", "CRE", "CDJ", "CD", "ATP"] | None = None


class SubjectRead(msgspec.Struct, kw_only=True):
    id: str
    title: str
    why: str
    neighbourhood: str | None
    initiators: list[str]
    instance: str | None
    state: str
    reason: str | None
    supports: int
    minimum: int
    threshold_met: bool
    atelier_id: str | None
    url: str


class SubjectProposed(msgspec.Struct, kw_only=True):
    id: str
    state: str


class SupportCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    neighbourhood: Short


class SupportRead(msgspec.Struct, kw_only=True):
    supports: int
    minimum: int
    threshold_met: bool


def _read(s: svc.PublicSubject) -> SubjectRead:
    return SubjectRead(
        id=s.id,
        title=s.title,
        why=s.why,
        neighbourhood=s.neighbourhood,
        initiators=list(s.initiators),
        instance=s.instance.value if s.instance else None,
        state=s.state.value,
        reason=s.reason,
        supports=s.supports,
        minimum=s.minimum,
        threshold_met=s.threshold_met,
        atelier_id=s.atelier_id,
        url=f"/decouvrir/sujets/{s.id}",
    )


def _minimum(request: Request[Any, Any, Any]) -> int:
    return AppServices.of(request.app).settings.subject_min_supports


@post(
    "/api/subjects",
    tags=["subjects"],
    summary="Proposer un sujet (habitant·e, ou instance par les services de la Ville)",
    status_code=HTTP_201_CREATED,
)
async def propose_subject(request: Request[Any, Any, Any], data: SubjectCreate) -> SubjectProposed:
    """Waits for the city's moderation before it is public. Limited per address and hour."""
    services = AppServices.of(request.app)
    staff = await optional_staff(request)
    if data.instance is not None and staff is None:
        raise Problem(
            403,
            "staff_required",
            "Seuls les services de la Ville proposent un sujet au nom d’une instance.",
            "Only the city's staff propose a subject on behalf of a body.",
        )
    limit = guards(services).proposals
    key = f"staff:{staff.jti}" if staff else f"address:{client_address(request)}"
    if staff is None and (wait := limit.blocked(key)):
        raise too_many_subjects(wait)
    draft = new_subject(
        title=data.title,
        why=data.why,
        neighbourhood=data.neighbourhood,
        initiator_name=data.name,
        initiator_neighbourhood=data.home_neighbourhood,
        show_name=data.show_name,
    )
    row = await svc.propose(
        services.engine,
        draft,
        instance=Instance(data.instance) if data.instance else None,
        staff=staff.sub if staff else None,
    )
    if staff is None:
        limit.failed(key)
    return SubjectProposed(id=row.id, state=row.state)


@get("/api/subjects", tags=["subjects"], summary="Les sujets publiés, les plus soutenus d’abord")
async def list_subjects(request: Request[Any, Any, Any]) -> list[SubjectRead]:
    services = AppServices.of(request.app)
    found = await svc.list_public(services.engine, _minimum(request))
    return [_read(s) for s in found]


@get("/api/subjects/{subject_id:str}", tags=["subjects"], summary="Un sujet publié")
async def get_subject(request: Request[Any, Any, Any], subject_id: str) -> SubjectRead:
    found = await svc.get_public(AppServices.of(request.app).engine, subject_id, _minimum(request))
    if found is None:
        raise Problem(404, "subject_not_found", "Sujet introuvable.", "Subject not found.")
    return _read(found)


async def give_support(
    request: Request[Any, Any, Any], subject_id: str, name: str, neighbourhood: str, cookie: str
) -> int:
    """The support, limited per address (what the form and the API share)."""
    services = AppServices.of(request.app)
    limit = guards(services).supports
    key = f"address:{client_address(request)}"
    if wait := limit.blocked(key):
        raise too_many_supports(wait)
    count = await svc.support(
        services.engine,
        subject_id,
        name=name,
        neighbourhood=neighbourhood,
        cookie=cookie,
        secret=services.settings.signing_key,
    )
    limit.failed(key)
    return count


@post(
    "/api/subjects/{subject_id:str}/supports",
    tags=["subjects"],
    summary="Soutenir un sujet publié (nom et quartier : un soutien par personne)",
    status_code=HTTP_201_CREATED,
)
async def support_subject(
    request: Request[Any, Any, Any], subject_id: str, data: SupportCreate
) -> Response[SupportRead]:
    """The supporter's name is never stored nor shown: only a keyed hash of it with their
    quartier, to refuse a second support (409 ``already_supported``)."""
    cookie, new = support_cookie(request)
    count = await give_support(request, subject_id, data.name, data.neighbourhood, cookie)
    minimum = _minimum(request)
    response = Response(
        SupportRead(supports=count, minimum=minimum, threshold_met=count >= minimum),
        status_code=HTTP_201_CREATED,
    )
    if new:
        set_support_cookie(response, cookie)
    return response


# --- the city's staff -------------------------------------------------------------------------


class StaffSubjectRead(msgspec.Struct, kw_only=True):
    id: str
    title: str
    why: str
    neighbourhood: str | None
    initiator_name: str
    initiator_neighbourhood: str | None
    show_name: bool
    instance: str | None
    state: str
    reason: str | None
    supports: int
    minimum: int
    threshold_met: bool
    atelier_id: str | None
    created_at: str


class DecisionCreate(msgspec.Struct, forbid_unknown_fields=True):
    outcome: Literal["publish", "refuse", "constitute_aic", "open_ap", "decline"]
    #: Public; required to refuse or decline.
    reason: Reason | None = None
    #: Opening an AP: its budget line and pilot service.
    financing: Short | None = None
    pilot_service: Short | None = None


class DecisionRead(msgspec.Struct, kw_only=True):
    subject: StaffSubjectRead
    #: The atelier created (AIC or AP): the staff member is its first facilitator.
    atelier_id: str | None = None
    facilitator: Joined | None = None


class AuditEntry(msgspec.Struct, kw_only=True):
    action: str
    actor: str
    reason: str | None
    summary_fr: str
    created_at: str


class RankingBody(msgspec.Struct, forbid_unknown_fields=True):
    subject_ids: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=svc.RANKING_MAX)
    ]


class RankingRead(msgspec.Struct, kw_only=True):
    instance: str
    subject_ids: list[str]


def _staff_read(row: Any, minimum: int) -> StaffSubjectRead:
    return StaffSubjectRead(
        id=row.id,
        title=row.title,
        why=row.why,
        neighbourhood=row.neighbourhood,
        initiator_name=row.initiator_name,
        initiator_neighbourhood=row.initiator_neighbourhood,
        show_name=row.show_name,
        instance=row.instance,
        state=row.state,
        reason=row.reason,
        supports=row.supports,
        minimum=minimum,
        threshold_met=row.supports >= minimum,
        atelier_id=row.atelier_id,
        created_at=row.created_at.isoformat(),
    )


def _instance(code: str) -> Instance:
    if code.upper() not in Instance.__members__:
        raise Problem(404, "unknown_instance", "Instance inconnue.", "Unknown body.")
    return Instance(code.upper())


class StaffSubjectController(Controller):
    path = "/api"
    tags = ["staff"]
    dependencies = {"staff": Provide(current_staff)}

    @get("/staff/subjects", summary="Les sujets : à modérer d’abord, puis les plus soutenus")
    async def queue(
        self, request: Request[Any, Any, Any], staff: StaffGrant
    ) -> list[StaffSubjectRead]:
        rows = await svc.staff_list(AppServices.of(request.app).engine)
        minimum = _minimum(request)
        return [_staff_read(r, minimum) for r in rows]

    @post(
        "/subjects/{subject_id:str}/decision",
        summary="Modérer un sujet ou y répondre (publier, refuser, AIC, AP, décliner)",
        status_code=200,
    )
    async def decide(
        self,
        request: Request[Any, Any, Any],
        staff: StaffGrant,
        subject_id: str,
        data: DecisionCreate,
    ) -> DecisionRead:
        services = AppServices.of(request.app)
        minimum = _minimum(request)
        done = await svc.decide(
            services.engine,
            subject_id,
            Outcome(data.outcome),
            staff=staff.sub,
            reason=data.reason,
            minimum=minimum,
            financing=data.financing,
            pilot_service=data.pilot_service,
        )
        return DecisionRead(
            subject=_staff_read(done.subject, minimum),
            atelier_id=done.atelier.id if done.atelier else None,
            facilitator=joined(services, done.facilitator, None) if done.facilitator else None,
        )

    @get("/subjects/{subject_id:str}/audit", summary="L’historique d’un sujet : qui, quand, quoi")
    async def audit(
        self, request: Request[Any, Any, Any], staff: StaffGrant, subject_id: str
    ) -> list[AuditEntry]:
        rows = await svc.events(AppServices.of(request.app).engine, subject_id)
        return [
            AuditEntry(
                action=r.action,
                actor=r.actor,
                reason=r.reason,
                summary_fr=r.summary_fr,
                created_at=r.created_at.isoformat(),
            )
            for r in rows
        ]

    @get(
        "/instances/{code:str}/subject-ranking",
        summary="Le classement des sujets par une instance (priorisation)",
    )
    async def get_ranking(
        self, request: Request[Any, Any, Any], staff: StaffGrant, code: str
    ) -> RankingRead:
        instance = _instance(code)
        ids = await svc.ranking(AppServices.of(request.app).engine, instance)
        return RankingRead(instance=instance.value, subject_ids=ids)

    @put(
        "/instances/{code:str}/subject-ranking",
        summary="Classer les sujets publiés, pour une instance (le premier d’abord)",
    )
    async def put_ranking(
        self, request: Request[Any, Any, Any], staff: StaffGrant, code: str, data: RankingBody
    ) -> RankingRead:
        instance = _instance(code)
        ids = await svc.set_ranking(
            AppServices.of(request.app).engine, instance, data.subject_ids, staff=staff.sub
        )
        return RankingRead(instance=instance.value, subject_ids=ids)


def subject_routes() -> list[type[Controller] | BaseRouteHandler]:
    return [
        propose_subject,
        list_subjects,
        get_subject,
        support_subject,
        StaffSubjectController,
    ]

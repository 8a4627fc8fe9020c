"""Frozen versions and the council: freeze, read (JSON, Markdown, HTML), compare, verify,
transmit, decide, follow up. The council service uses the same routes with its own credential
(``atelier council-token``), and only ever sees what was handed over."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from domain.dossier import version_report
from domain.names import author
from domain.report import Report, report_html, report_markdown
from domain.roles import Action, Role, can
from server.actors import Refused, actor_from_token, token_of
from server.auth import CouncilGrant, InvalidGrant, verify_grant
from server.db.models import DB_INT_MAX, ProposalRow, ProposalVersionRow
from server.documents.jobs import report_document, report_odt_document
from server.documents.rendering import render
from server.errors import Problem
from server.live import ProposalsChanged
from server.routes.council_session import council_cookie_token
from server.schemas import ONE_LINE
from server.services import credentials, projects
from server.services import proposals as svc
from server.state import AppServices

__all__ = ["CouncilController", "ProposalVersionController", "announce", "reopen_editors"]

ODT = "application/vnd.oasis.opendocument.text"


async def current_reader(request: ASGIConnection[Any, Any, Any, Any]) -> svc.Reader:
    """A participant, or the council service; 401 otherwise."""
    services = AppServices.of(request.app)
    # A council screen reads with the cookie its sign-in set (routes/council_session.py).
    token = council_cookie_token(request) or token_of(request)
    try:
        grant = verify_grant(services.settings.signing_key, token)
    except InvalidGrant:
        grant = None
    if isinstance(grant, CouncilGrant):
        await credentials.check(services.engine, grant)
        return svc.Reader(grant.sub, Role.CONSEIL.value, None)
    try:
        actor = await actor_from_token(services.engine, services.settings.signing_key, token)
    except Refused as exc:
        raise Problem(401, exc.code, exc.fr, exc.en) from exc
    return svc.Reader(actor.display_name, actor.role, actor.atelier_id, actor.participant_id)


def _facilitator(reader: svc.Reader, action: Action) -> None:
    if reader.is_council_service or not can(Role(reader.role), action):
        raise Problem(
            403,
            "forbidden",
            "Votre rôle ne permet pas cette action.",
            "Your role does not allow this action.",
        )


def _decider(reader: svc.Reader) -> None:
    if not reader.is_council_service and not can(Role(reader.role), Action.RECORD_DECISION):
        raise Problem(
            403,
            "forbidden",
            "Seuls les services du conseil municipal enregistrent une décision.",
            "Only the council's services record a decision.",
        )


class TitleChange(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, ONE_LINE, msgspec.Meta(min_length=1, max_length=200)]


class LockRequest(msgspec.Struct, forbid_unknown_fields=True):
    #: True: the live text turns read-only for everyone; False: editable again.
    locked: bool


class ArchiveRequest(msgspec.Struct, forbid_unknown_fields=True):
    #: True: archived (read-only, listed apart); False: brought back.
    archived: bool


class FreezeRequest(msgspec.Struct, forbid_unknown_fields=True):
    #: True: the live document becomes read-only until a new draft is started.
    lock: bool = False


Outcome = Literal["adoptee", "ajournee", "rejetee"]
Short = Annotated[str, ONE_LINE, msgspec.Meta(max_length=200)]
Day = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}(?!\n)$")]


class DecisionRequest(msgspec.Struct, forbid_unknown_fields=True):
    outcome: Outcome
    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
    deliberation_ref: Short | None = None
    decided_on: Day | None = None
    budget_line: Short | None = None  # an adopted AP: its line in the budget


class MilestoneRequest(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, ONE_LINE, msgspec.Meta(min_length=1, max_length=200)]
    on: Day
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


def proposal_status(
    row: ProposalRow, decisions: dict[str, dict[str, Any] | None] | None = None
) -> dict[str, Any]:
    """``decisions``: each decision with its project's milestones
    (``projects.decisions_with_steps``); without it, the decision as stored."""
    return {
        "id": row.id,
        "atelier_id": row.atelier_id,
        "title": row.title,
        "kind": row.kind,
        "status": row.status,
        "locked": row.locked,
        "locked_by": row.locked_by,
        "archived_at": row.archived_at,
        "doc_id": row.doc_id,
        "decision": (decisions or {}).get(row.id, row.decision),
    }


def version_summary(version: ProposalVersionRow, names: svc.Names) -> dict[str, Any]:
    """``created_by`` as hashed (format 2: a commitment), ``author`` as a reader sees it (the
    name, or « (nom effacé) »)."""
    return {
        "proposal_id": version.proposal_id,
        "number": version.number,
        "format": version.format,
        "created_at": version.created_at,
        "created_by": version.created_by,
        "author": author(version.created_by, version.format, svc.shown(names)),
        "session_id": version.session_id,
        "prev_hash": version.prev_hash,
        "hash": version.hash,
    }


async def _names(
    services: AppServices, versions: list[ProposalVersionRow]
) -> list[tuple[ProposalVersionRow, svc.Names]]:
    found = await svc.names_of(services.engine, [(v.proposal_id, v.number) for v in versions])
    return [(v, found[(v.proposal_id, v.number)]) for v in versions]


async def _frozen(
    services: AppServices, reader: svc.Reader, proposal_id: str, number: int
) -> tuple[ProposalVersionRow, Report, tuple[str, bytes, str] | None]:
    """A version, the one report every render of it prints (Markdown, HTML, PDF), and the
    image it was frozen with (SHA-256, bytes, media type)."""
    _, v = await svc.get_version(services.engine, reader, proposal_id, number)
    ((_, names),) = await _names(services, [v])
    image = await svc.frozen_image(services.engine, v.proposal_id, v.number)
    report = version_report(
        svc.displayed(v, names),
        v.number,
        v.hash,
        v.created_at,
        services.settings.time_zone,
        image[0] if image is not None else None,
    )
    return v, report, image


async def _close_editors(services: AppServices, doc_id: str, reason: str) -> None:
    """Editors of a document that just changed hands, on every instance, reconnect (1012) and
    get what they may have now: read-only when locked, a refusal when replaced by a draft."""
    await services.control.close_room(doc_id, 1012, reason)


async def reopen_editors(services: AppServices, atelier_id: str, reason: str) -> None:
    """Editors of any of the atelier's documents, on every instance, reconnect (1012) and get
    what they may have now: the atelier closed, read-only; reopened, what they had before."""
    for doc_id in await svc.doc_ids_of(services.engine, atelier_id):
        await _close_editors(services, doc_id, reason)


async def announce(services: AppServices, atelier_id: str, change: str, *ids: str) -> None:
    """Tell every séance of the atelier (their consoles and atelier pages list its proposals)
    that these proposals changed: ``proposals_changed`` on their live channels."""
    for session_id in await svc.seances_of(services.engine, atelier_id):
        for proposal_id in ids:
            await services.live.publish(
                session_id, ProposalsChanged(session_id, proposal_id, change)
            )


async def _freeze(
    request: Request[Any, Any, Any],
    reader: svc.Reader,
    data: FreezeRequest | None,
    **target: str,
) -> list[ProposalVersionRow]:
    """Freeze ``proposal_id`` or ``session_id``; a lock sends the editors back read-only."""
    _facilitator(reader, Action.FREEZE)
    services = AppServices.of(request.app)
    lock = bool(data and data.lock)
    await services.contributions.settle()  # who wrote what, up to now
    frozen = await svc.freeze(services.engine, services.store, reader, lock=lock, **target)
    if lock:
        for _, doc_id in frozen:
            await _close_editors(services, doc_id, "document locked by its freeze")
    if reader.atelier_id is not None:
        await announce(services, reader.atelier_id, "frozen", *(v.proposal_id for v, _ in frozen))
    return [version for version, _ in frozen]


async def _handed_on(services: AppServices, row: ProposalRow, change: str) -> dict[str, Any]:
    """After a step on the way to the council: tell the back office, and the atelier's screens
    (the council's answer reaches the participants as it is recorded), answer with the status."""
    services.webhooks.poke()
    await announce(services, row.atelier_id, change, row.id)
    return proposal_status(row, await projects.decisions_with_steps(services.engine, [row]))


class ProposalVersionController(Controller):
    path = "/api"
    tags = ["versions"]
    dependencies = {"reader": Provide(current_reader)}

    @post(
        "/proposals/{proposal_id:str}/freeze",
        summary="Figer la proposition : version n+1",
        status_code=HTTP_201_CREATED,
    )
    async def freeze(
        self,
        request: Request[Any, Any, Any],
        reader: svc.Reader,
        proposal_id: str,
        data: FreezeRequest | None = None,
    ) -> dict[str, Any]:
        (version,) = await _freeze(request, reader, data, proposal_id=proposal_id)
        ((_, names),) = await _names(AppServices.of(request.app), [version])
        return version_summary(version, names)

    @post(
        "/sessions/{session_id:str}/freeze",
        summary="Figer toutes les propositions de la séance",
        status_code=HTTP_201_CREATED,
    )
    async def freeze_seance(
        self,
        request: Request[Any, Any, Any],
        reader: svc.Reader,
        session_id: str,
        data: FreezeRequest | None = None,
    ) -> list[dict[str, Any]]:
        versions = await _freeze(request, reader, data, session_id=session_id)
        named = await _names(AppServices.of(request.app), versions)
        return [version_summary(v, names) for v, names in named]

    @get("/proposals/{proposal_id:str}/versions", summary="Les versions figées")
    async def versions(
        self, request: Request[Any, Any, Any], reader: svc.Reader, proposal_id: str
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        row, versions = await svc.list_versions(services.engine, reader, proposal_id)
        named = await _names(services, versions)
        decisions = await projects.decisions_with_steps(services.engine, [row])
        return {
            **proposal_status(row, decisions),
            "versions": [version_summary(v, n) for v, n in named],
        }

    @get(
        "/proposals/{proposal_id:str}/versions/{number:int}",
        summary="Une version : contenu, empreinte, état Yjs (base64), noms à côté",
        description=(
            "`content` and `created_by` exactly as hashed (README « Frozen versions »). From "
            "`format` 2 on, names in them are salted commitments; `names` maps each commitment "
            "to `{name, salt}` (check: sha256(salt + name) == commitment), or to null once the "
            "person's name was erased."
        ),
    )
    async def version(
        self, request: Request[Any, Any, Any], reader: svc.Reader, proposal_id: str, number: int
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        _, version = await svc.get_version(services.engine, reader, proposal_id, number)
        ((_, names),) = await _names(services, [version])
        image = await svc.frozen_image(services.engine, proposal_id, version.number)
        return {
            **version_summary(version, names),
            "content": version.content,
            "names": names,
            "state": base64.b64encode(version.state).decode(),
            # The atelier's image as frozen with this version, beside it (outside the hash).
            "image": None if image is None else {"sha256": image[0], "media_type": image[2]},
        }

    @get(
        "/proposals/{proposal_id:str}/versions/{number:int}/markdown",
        summary="Une version en Markdown",
        media_type="text/markdown",  # Litestar adds « ; charset=utf-8 » to every text/*
    )
    async def version_md(
        self, request: Request[Any, Any, Any], reader: svc.Reader, proposal_id: str, number: int
    ) -> str:
        _, report, _ = await _frozen(AppServices.of(request.app), reader, proposal_id, number)
        return report_markdown(report)

    @get(
        "/proposals/{proposal_id:str}/versions/{number:int}/html",
        summary="Une version en HTML",
        media_type="text/html",
    )
    async def version_page(
        self, request: Request[Any, Any, Any], reader: svc.Reader, proposal_id: str, number: int
    ) -> Response[str]:
        _, report, image = await _frozen(AppServices.of(request.app), reader, proposal_id, number)
        return Response(
            report_html(report, (image[1], image[2]) if image is not None else None),
            media_type="text/html",
            headers={
                "content-security-policy": (
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
                )
            },
        )

    @get(
        "/proposals/{proposal_id:str}/versions/{number:int}/pdf",
        summary="Une version en PDF (A4), avec son empreinte en pied de page",
        media_type="application/pdf",
    )
    async def version_pdf(
        self, request: Request[Any, Any, Any], reader: svc.Reader, proposal_id: str, number: int
    ) -> Response[bytes]:
        services = AppServices.of(request.app)
        _, report, image = await _frozen(services, reader, proposal_id, number)
        pdf = await render(
            services.renders, report_document, report, image[1] if image is not None else None
        )
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "content-disposition": f'inline; filename="proposition-{proposal_id}-v{number}.pdf"'
            },
        )

    @get(
        "/proposals/{proposal_id:str}/versions/{number:int}/odt",
        summary="Une version en texte OpenDocument (ODT), pour la suite bureautique",
        media_type=ODT,
    )
    async def version_odt(
        self, request: Request[Any, Any, Any], reader: svc.Reader, proposal_id: str, number: int
    ) -> Response[bytes]:
        services = AppServices.of(request.app)
        _, report, image = await _frozen(services, reader, proposal_id, number)
        odt = await render(
            services.renders, report_odt_document, report, image[1] if image is not None else None
        )
        name = f"proposition-{proposal_id}-v{number}.odt"
        return Response(
            odt, media_type=ODT, headers={"content-disposition": f'attachment; filename="{name}"'}
        )

    @get("/proposals/{proposal_id:str}/diff", summary="Ce qui a changé entre deux versions")
    async def diff(
        self,
        request: Request[Any, Any, Any],
        reader: svc.Reader,
        proposal_id: str,
        before: Annotated[int, Parameter(query="from", ge=1, le=DB_INT_MAX)],
        after: Annotated[int, Parameter(query="to", ge=1, le=DB_INT_MAX)],
    ) -> dict[str, Any]:
        return await svc.diff(
            AppServices.of(request.app).engine, reader, proposal_id, before, after
        )

    @get("/proposals/{proposal_id:str}/verify", summary="Vérifier la chaîne des empreintes")
    async def verify(
        self, request: Request[Any, Any, Any], reader: svc.Reader, proposal_id: str
    ) -> dict[str, Any]:
        return await svc.verify(AppServices.of(request.app).engine, reader, proposal_id)

    @get("/proposals/{proposal_id:str}/history", summary="Le parcours de la proposition")
    async def history(
        self, request: Request[Any, Any, Any], reader: svc.Reader, proposal_id: str
    ) -> list[dict[str, Any]]:
        return await svc.history(AppServices.of(request.app).engine, reader, proposal_id)

    @post(
        "/proposals/{proposal_id:str}/versions/{number:int}/draft",
        summary="Repartir de cette version : nouveau brouillon",
        status_code=HTTP_201_CREATED,
    )
    async def new_draft(
        self, request: Request[Any, Any, Any], reader: svc.Reader, proposal_id: str, number: int
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        async with svc.transaction(services.engine) as session:
            previous = await session.get(ProposalRow, proposal_id)
        row = await svc.new_draft(services.engine, services.store, reader, proposal_id, number)
        if previous is not None:
            await _close_editors(services, previous.doc_id, "replaced by a new draft")
        await announce(services, row.atelier_id, "draft", row.id)
        return proposal_status(row)

    @put("/proposals/{proposal_id:str}/title", summary="Renommer la proposition")
    async def rename(
        self,
        request: Request[Any, Any, Any],
        reader: svc.Reader,
        proposal_id: str,
        data: TitleChange,
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        row = await svc.rename(services.engine, reader, proposal_id, data.title)
        await announce(services, row.atelier_id, "renamed", row.id)
        return proposal_status(row)

    @post(
        "/proposals/{proposal_id:str}/versions/{number:int}/fork",
        summary="Partir de cette version dans une nouvelle proposition",
        status_code=HTTP_201_CREATED,
    )
    async def fork(
        self,
        request: Request[Any, Any, Any],
        reader: svc.Reader,
        proposal_id: str,
        number: int,
        data: TitleChange,
    ) -> dict[str, Any]:
        services = AppServices.of(request.app)
        row = await svc.fork(
            services.engine, services.store, reader, proposal_id, number, data.title
        )
        await announce(services, row.atelier_id, "forked", row.id)
        return proposal_status(row)

    @post(
        "/proposals/{proposal_id:str}/lock",
        summary="Verrouiller ou déverrouiller le texte en direct",
        status_code=HTTP_200_OK,
    )
    async def lock(
        self,
        request: Request[Any, Any, Any],
        reader: svc.Reader,
        proposal_id: str,
        data: LockRequest,
    ) -> dict[str, Any]:
        """Facilitator of the proposal's atelier: `{"locked": true}` turns the live text
        read-only for everyone (the editor says « verrouillée par l'animation »), `false`
        makes it editable again — a proposal locked by a freeze with `lock` is unlocked the
        same way. Open editors, on every instance, are closed (1012) and come back with their
        new access. Asking twice changes nothing more (one event, one reconnection)."""
        _facilitator(reader, Action.FREEZE)
        services = AppServices.of(request.app)
        row, changed = await svc.set_locked(services.engine, reader, proposal_id, data.locked)
        if changed:
            await _close_editors(
                services, row.doc_id, "locked by the facilitator" if data.locked else "unlocked"
            )
            await announce(
                services, row.atelier_id, "locked" if data.locked else "unlocked", row.id
            )
        return proposal_status(row)

    @post(
        "/proposals/{proposal_id:str}/archive",
        summary="Archiver la proposition, ou la restaurer",
        status_code=HTTP_200_OK,
    )
    async def archive(
        self,
        request: Request[Any, Any, Any],
        reader: svc.Reader,
        proposal_id: str,
        data: ArchiveRequest,
    ) -> dict[str, Any]:
        """Facilitator of the proposal's atelier: `{"archived": true}` archives it — read-only
        for everyone (open editors are closed, 1012, and come back read-only), no longer
        offered as a vote option, neither frozen with its séance nor handed to the council,
        listed apart (`archived_at`); `false` brings it back as it was. A proposal already
        handed to the council is not archived (409). Asking twice changes nothing more."""
        _facilitator(reader, Action.MANAGE_SESSION)
        services = AppServices.of(request.app)
        row, changed = await svc.set_archived(services.engine, reader, proposal_id, data.archived)
        if changed:
            await _close_editors(services, row.doc_id, "archived" if data.archived else "restored")
            await announce(
                services, row.atelier_id, "archived" if data.archived else "restored", row.id
            )
        return proposal_status(row)

    @post(
        "/proposals/{proposal_id:str}/transmit",
        summary="Transmettre au conseil municipal",
        status_code=HTTP_200_OK,
    )
    async def transmit(
        self, request: Request[Any, Any, Any], reader: svc.Reader, proposal_id: str
    ) -> dict[str, Any]:
        _facilitator(reader, Action.TRANSMIT_TO_COUNCIL)
        services = AppServices.of(request.app)
        row = await svc.transmit(services.engine, reader, proposal_id)
        # The council decides on the version it received: the live text changes no more, and
        # its open editors come back read-only at once (« transmitted »).
        await _close_editors(services, row.doc_id, "handed to the council")
        return await _handed_on(services, row, "transmitted")

    @post(
        "/proposals/{proposal_id:str}/instruct",
        summary="Prendre en instruction",
        status_code=HTTP_200_OK,
    )
    async def instruct(
        self, request: Request[Any, Any, Any], reader: svc.Reader, proposal_id: str
    ) -> dict[str, Any]:
        _decider(reader)
        services = AppServices.of(request.app)
        row = await svc.instruct(services.engine, reader, proposal_id)
        return await _handed_on(services, row, "instructed")

    @post(
        "/proposals/{proposal_id:str}/decision",
        summary="Enregistrer la décision du conseil municipal",
        status_code=HTTP_200_OK,
    )
    async def decision(
        self,
        request: Request[Any, Any, Any],
        reader: svc.Reader,
        proposal_id: str,
        data: DecisionRequest,
    ) -> dict[str, Any]:
        _decider(reader)
        services = AppServices.of(request.app)
        row = await svc.decide(services.engine, reader, proposal_id, **msgspec.to_builtins(data))
        return await _handed_on(services, row, "decided")

    @post(
        "/proposals/{proposal_id:str}/milestones",
        summary="Suivi : une étape de mise en œuvre",
        status_code=HTTP_201_CREATED,
    )
    async def milestone(
        self,
        request: Request[Any, Any, Any],
        reader: svc.Reader,
        proposal_id: str,
        data: MilestoneRequest,
    ) -> dict[str, Any]:
        _decider(reader)
        services = AppServices.of(request.app)
        row = await svc.milestone(services.engine, reader, proposal_id, **msgspec.to_builtins(data))
        return await _handed_on(services, row, "milestone")


class CouncilController(Controller):
    path = "/api/council"
    tags = ["conseil municipal"]
    dependencies = {"reader": Provide(current_reader)}

    @get("/proposals", summary="Ce que les ateliers ont transmis, par statut, instance, atelier")
    async def proposals(
        self,
        request: Request[Any, Any, Any],
        reader: svc.Reader,
        status: str | None = None,
        instance: str | None = None,
        atelier: str | None = None,
    ) -> list[dict[str, Any]]:
        _decider(reader)
        services = AppServices.of(request.app)
        found = await svc.council_list(
            services.engine,
            reader,
            status=status,
            instance=instance,
            atelier_id=atelier,
        )
        names = await svc.names_of(
            services.engine, [(v.proposal_id, v.number) for _, _, v in found if v is not None]
        )
        decisions = await projects.decisions_with_steps(services.engine, [r for r, _, _ in found])
        return [
            {
                **proposal_status(row, decisions),
                "atelier": {"id": at.id, "title": at.title, "instances": at.instances},
                "latest_version": (
                    version_summary(latest, names[(latest.proposal_id, latest.number)])
                    if latest
                    else None
                ),
            }
            for row, at, latest in found
        ]

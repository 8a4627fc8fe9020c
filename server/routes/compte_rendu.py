"""The compte-rendu of a séance, from its frozen versions: Markdown, HTML or PDF."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get
from litestar.di import Provide
from litestar.params import Parameter

from domain.compte_rendu import compte_rendu
from domain.report import report_html, report_markdown
from server.documents.jobs import report_document, report_odt_document
from server.documents.rendering import render
from server.routes.proposals import ODT, current_reader
from server.services import proposals as svc
from server.services.compte_rendu import seance_record
from server.state import AppServices

__all__ = ["CompteRenduController"]

Format = Literal["markdown", "html", "pdf", "odt"]


class CompteRenduController(Controller):
    path = "/api/sessions"
    tags = ["versions"]
    dependencies = {"reader": Provide(current_reader)}

    @get(
        "/{session_id:str}/compte-rendu",
        summary="Compte-rendu de la séance (Markdown, HTML, PDF ou ODT), établi à partir des "
        "versions figées",
        description=(
            "In the seed's structure: date, time and place; people present; objectives and "
            "agenda; method; synthesis of the exchanges; votes; the next séance's agenda. "
            "409 `seance_not_frozen` until the séance has been frozen."
        ),
        media_type="text/markdown",  # Litestar adds « ; charset=utf-8 » to every text/*
    )
    async def compte_rendu(
        self,
        request: Request[Any, Any, Any],
        reader: svc.Reader,
        session_id: str,
        output: Annotated[Format, Parameter(query="format")] = "markdown",
    ) -> Response[Any]:
        services = AppServices.of(request.app)
        record = await seance_record(services.engine, reader, session_id)
        report = compte_rendu(record.versions, services.settings.time_zone)
        name = f"compte-rendu-seance-{record.number}"
        if output == "pdf":
            return Response(
                await render(services.renders, report_document, report, record.image),
                media_type="application/pdf",
                headers={"content-disposition": f'inline; filename="{name}.pdf"'},
            )
        if output == "odt":  # for the office suite: headings and lists as its own
            return Response(
                await render(services.renders, report_odt_document, report, record.image),
                media_type=ODT,
                headers={"content-disposition": f'attachment; filename="{name}.odt"'},
            )
        if output == "html":  # the same facts as the PDF, the atelier's image included
            image = (
                (record.image, record.image_type) if record.image and record.image_type else None
            )
            return Response(
                report_html(report, image),
                media_type="text/html",
                headers={
                    "content-security-policy": (
                        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
                    )
                },
            )
        return Response(
            report_markdown(report),
            media_type="text/markdown",
            headers={"content-disposition": f'inline; filename="{name}.md"'},
        )

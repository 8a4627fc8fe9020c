"""Activity feeds, so that a neighbourhood council (or anyone) follows the ateliers linked to it:
the seed wants instances to be "porte d'entrée, relais d'information, mémoire".

Atom (RFC 4287) and JSON Feed 1.1, per atelier and per instance. Entries never name people.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get
from sqlalchemy import select

from domain.ateliers import Instance
from server.db.mapping import aware
from server.db.models import ActivityRow, AtelierRow, HandoffEventRow
from server.db.writes import reading
from server.errors import Problem
from server.public.data import neighbourhood_key
from server.services import subjects
from server.state import AppServices

__all__ = ["atelier_feed", "handoff_feed", "instance_feed", "quartier_feed"]

LIMIT = 100
ATOM = "http://www.w3.org/2005/Atom"


async def _entries(
    request: Request[Any, Any, Any], atelier_ids: list[str]
) -> list[tuple[ActivityRow, str]]:
    async with reading(AppServices.of(request.app).engine) as session:
        found = await session.execute(
            select(AtelierRow.id, AtelierRow.title).where(AtelierRow.id.in_(atelier_ids))
        )
        titles = {atelier_id: title for atelier_id, title in found.tuples()}
        rows = (
            await session.scalars(
                select(ActivityRow)
                .where(ActivityRow.atelier_id.in_(atelier_ids))
                .order_by(ActivityRow.id.desc())
                .limit(LIMIT)
            )
        ).all()
    return [(row, titles.get(row.atelier_id, "")) for row in rows]


def _path(row: ActivityRow | _HandoffEntry) -> str:
    """Where an entry leads: its atelier's public page (server/public), which anyone reading a
    feed may open; a proposal's step to the list of its published proposals there; a subject's
    step to the subject's page."""
    if isinstance(getattr(row, "path", None), str):
        return str(row.path)  # type: ignore[union-attr]
    page = f"/decouvrir/ateliers/{quote(row.atelier_id)}"
    return f"{page}#proposals-title" if isinstance(row, _HandoffEntry) else page


def _render(
    request: Request[Any, Any, Any],
    fmt: str,
    feed_id: str,
    title: str,
    entries: list[tuple[ActivityRow, str]] | list[tuple[_HandoffEntry, str]],
) -> Response[Any]:
    base = str(request.base_url).rstrip("/")
    self_url = f"{base}{request.url.path}"
    if fmt == "json":
        return Response(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": title,
                "feed_url": self_url,
                "language": "fr",
                "items": [
                    {
                        "id": f"{feed_id}:{row.id}",
                        "title": f"{atelier} — {row.summary_fr}" if atelier else row.summary_fr,
                        "url": base + _path(row),
                        "content_text": _content(row),
                        "date_published": (aware(row.created_at) or row.created_at).isoformat(),
                        "_atelier": {
                            "id": row.atelier_id,
                            "kind": row.kind,
                            "summary_en": row.summary_en,
                        },
                    }
                    for row, atelier in entries
                ],
            },
            media_type="application/feed+json",
        )
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": "fr"})
    ET.SubElement(feed, "id").text = f"urn:atelier:{feed_id}"
    ET.SubElement(feed, "title").text = title
    ET.SubElement(feed, "link", {"rel": "self", "href": self_url})
    updated = entries[0][0].created_at if entries else None
    ET.SubElement(feed, "updated").text = (
        aware(updated).isoformat() if updated else "1970-01-01T00:00:00+00:00"
    )  # type: ignore[union-attr]
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = "Atelier"
    for row, atelier in entries:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "id").text = f"urn:atelier:{feed_id}:{row.id}"
        ET.SubElement(entry, "title").text = (
            f"{atelier} — {row.summary_fr}" if atelier else row.summary_fr
        )
        stamp = (aware(row.created_at) or row.created_at).isoformat()
        ET.SubElement(entry, "updated").text = stamp
        ET.SubElement(
            entry, "link", {"rel": "alternate", "type": "text/html", "href": base + _path(row)}
        )
        ET.SubElement(entry, "summary").text = _content(row)
        ET.SubElement(entry, "category", {"term": row.kind})
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")
    return Response(body, media_type="application/atom+xml")


def _with_subjects(
    entries: list[tuple[ActivityRow, str]], steps: list[subjects.FeedEntry]
) -> list[tuple[ActivityRow, str]]:
    """The ateliers' entries and the subjects' public steps (published, became an AIC or an
    AP, declined: each links to the subject's page), the newest first."""
    if not steps:
        return entries
    merged: list[tuple[Any, str]] = [*entries, *((step, "") for step in steps)]
    merged.sort(key=lambda pair: aware(pair[0].created_at) or pair[0].created_at, reverse=True)
    return merged[:LIMIT]


def _content(row: ActivityRow | _HandoffEntry) -> str:
    """An entry's text: its summary, and for the council's decision its official answer."""
    answer = row.answer_fr if isinstance(row, _HandoffEntry) else ""
    return f"{row.summary_fr}\n\n{answer}" if answer else row.summary_fr


def _format(request: Request[Any, Any, Any]) -> str:
    return request.url.path.rsplit(".", 1)[-1]


@get(
    [
        "/api/ateliers/{atelier_id:str}/activity.atom",
        "/api/ateliers/{atelier_id:str}/activity.json",
    ],
    tags=["feeds"],
    summary="Fil d’activité d’un atelier (Atom ou JSON Feed)",
)
async def atelier_feed(request: Request[Any, Any, Any], atelier_id: str) -> Response[Any]:
    async with reading(AppServices.of(request.app).engine) as session:
        atelier = await session.get(AtelierRow, atelier_id)
    if atelier is None or not atelier.listed:  # not public until approved or constituted
        raise Problem(404, "atelier_not_found", "Atelier introuvable.", "Atelier not found.")
    entries = await _entries(request, [atelier_id])
    title = f"Atelier « {atelier.title} »"
    return _render(request, _format(request), f"atelier:{atelier_id}", title, entries)


@get(
    ["/api/instances/{code:str}/activity.atom", "/api/instances/{code:str}/activity.json"],
    tags=["feeds"],
    summary="Fil d’activité des ateliers reliés à une instance (CQ, CC, CRE, CDJ, CD, ATP)",
)
async def instance_feed(request: Request[Any, Any, Any], code: str) -> Response[Any]:
    try:
        instance = Instance(code.upper())
    except ValueError:
        raise Problem(404, "unknown_instance", "Instance inconnue.", "Unknown body.") from None
    engine = AppServices.of(request.app).engine
    async with reading(engine) as session:
        ateliers = (
            await session.execute(
                select(AtelierRow.id, AtelierRow.instances).where(AtelierRow.listed.is_(True))
            )
        ).tuples()
        linked = [atelier_id for atelier_id, instances in ateliers if instance.value in instances]
    entries = await _entries(request, linked) if linked else []
    entries = _with_subjects(entries, await subjects.feed_entries(engine, instance=instance))
    title = f"{instance.name_fr} — activité des ateliers"
    return _render(request, _format(request), f"instance:{instance.value}", title, entries)


@get(
    ["/api/quartiers/{name:str}/activity.atom", "/api/quartiers/{name:str}/activity.json"],
    tags=["feeds"],
    summary="Fil d’activité des ateliers d’un quartier",
)
async def quartier_feed(request: Request[Any, Any, Any], name: str) -> Response[Any]:
    """The listed ateliers of one neighbourhood (as their page names it, any case or accent
    typed the same: « Neudorf », « neudorf »), for a resident who follows what happens near them."""
    wanted = neighbourhood_key(name)
    async with reading(AppServices.of(request.app).engine) as session:
        ateliers = (
            await session.execute(
                select(AtelierRow.id, AtelierRow.neighbourhood).where(AtelierRow.listed.is_(True))
            )
        ).tuples()
        found = [
            (aid, hood) for aid, hood in ateliers if hood and neighbourhood_key(hood) == wanted
        ]
    steps = await subjects.feed_entries(AppServices.of(request.app).engine, hood_key=wanted)
    if not found and not steps:
        raise Problem(
            404,
            "unknown_quartier",
            "Aucun atelier public dans ce quartier.",
            "No public atelier in this neighbourhood.",
        )
    entries = await _entries(request, [aid for aid, _ in found]) if found else []
    entries = _with_subjects(entries, steps)
    title = f"Quartier {found[0][1] if found else name.strip()} — activité des ateliers"
    return _render(request, _format(request), f"quartier:{wanted}", title, entries)


@dataclass(frozen=True)
class _HandoffEntry:
    """A hand-off event, shaped like an activity entry for the feed renderer."""

    id: int
    atelier_id: str
    kind: str
    summary_fr: str
    summary_en: str
    created_at: datetime
    proposal_id: str = ""
    #: The council's official answer, on the entry of its decision.
    answer_fr: str = ""


def _handoff_entry(row: HandoffEventRow) -> _HandoffEntry:
    from domain.proposals import ProposalStatus

    proposal = row.payload.get("proposal", {})
    status = ProposalStatus(str(proposal.get("status", "transmise")))
    title = str(proposal.get("title", ""))
    version = row.payload.get("version") or {}
    decision = row.payload.get("decision") or {}
    suffix = f" (version {version['number']})" if version else ""
    summary_fr = f"« {title} » : {status.label_fr}{suffix}"
    summary_en = f"“{title}”: {status.label_en}{suffix}"
    answer = ""
    if row.payload.get("step") == "decide":
        summary_fr = f"« {title} » : décision du conseil municipal — {status.label_fr}"
        summary_en = f"“{title}”: decision of the city council — {status.label_en}"
        answer = str(decision.get("answer", ""))
    elif row.payload.get("step") == "milestone" and decision.get("milestones"):
        last = decision["milestones"][-1]
        summary_fr = f"« {title} » : mise en œuvre — {last.get('title', '')} ({last.get('on', '')})"
        summary_en = f"“{title}”: implementation — {last.get('title', '')} ({last.get('on', '')})"
    return _HandoffEntry(
        id=row.id,
        atelier_id=row.atelier_id,
        kind=row.kind,
        summary_fr=summary_fr,
        summary_en=summary_en,
        created_at=row.created_at,
        proposal_id=str(proposal.get("id", "")),
        answer_fr=answer,
    )


@get(
    ["/api/instances/{code:str}/handoffs.atom", "/api/instances/{code:str}/handoffs.json"],
    tags=["feeds"],
    summary="Transmissions au conseil et décisions, pour les ateliers d’une instance",
)
async def handoff_feed(request: Request[Any, Any, Any], code: str) -> Response[Any]:
    try:
        instance = Instance(code.upper())
    except ValueError:
        raise Problem(404, "unknown_instance", "Instance inconnue.", "Unknown body.") from None
    async with reading(AppServices.of(request.app).engine) as session:
        ateliers = (
            await session.execute(
                select(AtelierRow.id, AtelierRow.title, AtelierRow.instances).where(
                    AtelierRow.listed.is_(True)
                )
            )
        ).tuples()
        titles = {aid: title for aid, title, instances in ateliers if instance.value in instances}
        rows = (
            await session.scalars(
                select(HandoffEventRow)
                .where(
                    HandoffEventRow.atelier_id.in_(list(titles)),
                    # A project's changes have their feed, per project (server.public.projects).
                    HandoffEventRow.kind.not_like("project.%"),
                )
                .order_by(HandoffEventRow.id.desc())
                .limit(LIMIT)
            )
        ).all()
    entries = [(_handoff_entry(row), titles[row.atelier_id]) for row in rows]
    title = f"{instance.name_fr} — propositions transmises et décisions"
    return _render(request, _format(request), f"handoffs:{instance.value}", title, entries)

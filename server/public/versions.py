"""A frozen version on the public door: the text a séance fixed, and how anyone checks it.

* ``GET /decouvrir/propositions/{id}/versions/{n}``: version n of a published proposal — its
  frozen text section by section, its fingerprint (SHA-256) and the previous version's (the
  hash chain, each a link), the séance that froze it, the amendments it lists with their fate,
  and how to verify the fingerprint; the project's timeline links here.
* ``GET /api/proposals/{id}/versions/{n}/public``: the same version as JSON, with ``hashed``:
  exactly what its fingerprint is the SHA-256 of (README « Frozen versions »), the Yjs state
  entering by its own SHA-256 as it does in the hash. Anyone recomputes ``hash`` from it.

Public as the atelier's page is: a listed atelier's proposal, frozen at least and not archived;
anything else is a 404 like an unknown one. Names as the version keeps them: only those who
agreed to be named (format 2 commitments opened with the names kept beside the version, « (nom
effacé) » once erased), never who froze it (a facilitator's name, sealed without asking), never
a ballot (a version holds results only, and those only where the séance made them public).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get
from litestar.handlers import BaseRouteHandler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import proposals as rules
from domain.proposals import GENESIS, ProposalStatus
from domain.roles import Role
from server.db.models import (
    DB_INT_MAX,
    AtelierRow,
    ProjectRow,
    ProposalRow,
    ProposalVersionRow,
    SessionRow,
)
from server.db.writes import reading
from server.errors import Problem
from server.public import pages
from server.public.pages import DIRECTORY, ROOT, Lang, Page, e, version_path
from server.services.proposals import displayed, names_of
from server.state import AppServices

__all__ = ["PublicVersion", "public_version", "record_path", "version_routes"]

_TEXTS: Final[Mapping[str, tuple[str, str]]] = {
    "title": ("« {title} » — version {n}", "“{title}” — version {n}"),
    "lead": (
        "Le texte tel que l’atelier l’a figé, qui ne change plus, et son empreinte.",
        "The text as the atelier froze it, which no longer changes, and its fingerprint.",
    ),
    "back": ("L’atelier « {title} »", "The atelier “{title}”"),
    "project": ("Le projet qui en est issu", "The project it led to"),
    "facts": ("En bref", "At a glance"),
    "frozen_on": ("Figée le", "Frozen on"),
    "seance": ("Séance", "Séance"),
    "seance_n": ("séance {n} du {date}", "séance {n} on {date}"),
    "fingerprint": ("Empreinte (SHA-256)", "Fingerprint (SHA-256)"),
    "previous": ("Empreinte de la version précédente", "Previous version’s fingerprint"),
    "genesis": (
        "aucune : c’est la première version (64 zéros dans le calcul)",
        "none: this is the first version (64 zeros in the computation)",
    ),
    "previous_link": ("version {n}", "version {n}"),
    "next": ("Version suivante", "Next version"),
    "text": ("Le texte figé", "The frozen text"),
    "empty": ("(partie vide)", "(empty section)"),
    "amendments": ("Les amendements", "The amendments"),
    "amendments_lead": (
        "Les amendements proposés sur cette proposition jusqu’à cette version, et leur sort.",
        "The amendments proposed on this proposal up to this version, and what became of them.",
    ),
    "in_section": ("Dans « {section} »", "In “{section}”"),
    "deleted": ("supprimé", "deleted"),
    "by": ("Proposé par : {who}", "Proposed by: {who}"),
    "rationale": ("Pourquoi : {text}", "Why: {text}"),
    "reason": ("Motif du rejet : {text}", "Reason for rejection: {text}"),
    "voted": ("Décidé par un vote : {n} bulletins", "Decided by a vote: {n} ballots"),
    "voted_one": ("Décidé par un vote : 1 bulletin", "Decided by a vote: 1 ballot"),
    "tie": ("égalité", "tie"),
    "verify": ("Vérifier l’empreinte", "Check the fingerprint"),
    "verify_text": (
        "L’empreinte est le SHA-256 de l’enregistrement « hashed » que donne le lien ci-dessous, "
        "écrit en JSON aux clés triées, sans espaces, en UTF-8. Cet enregistrement contient le "
        "texte figé, l’empreinte de la version précédente et celle de l’état exact du document "
        "(« state_sha256 ») : changer une version après coup change son empreinte et casse "
        "toutes les suivantes. Les noms y sont des engagements salés, jamais les noms eux-mêmes.",
        "The fingerprint is the SHA-256 of the “hashed” record the link below gives, written as "
        "JSON with sorted keys, no spaces, in UTF-8. That record holds the frozen text, the "
        "previous version’s fingerprint and the SHA-256 of the document’s exact state "
        "(“state_sha256”): changing a version afterwards changes its fingerprint and breaks "
        "every later one. Names in it are salted commitments, never the names themselves.",
    ),
    "record": ("L’enregistrement à vérifier (JSON)", "The record to check (JSON)"),
    "recipe": (
        "Par exemple, dans un terminal (Python 3) ; « True » : l’empreinte est juste.",
        "For instance, in a terminal (Python 3); “True”: the fingerprint is right.",
    ),
    "not_found": ("Version introuvable", "Version not found"),
    "not_found_text": (
        "Cette version n’existe pas, ou sa proposition n’est pas publique.",
        "This version does not exist, or its proposal is not public.",
    ),
}

_FATES: Final[Mapping[str, tuple[str, str]]] = {
    "proposee": ("proposé, pas encore décidé", "proposed, not decided yet"),
    "au_vote": ("au vote", "put to the vote"),
    "applying": ("en cours d’application", "being applied"),
    "acceptee": ("accepté", "accepted"),
    "rejetee": ("rejeté", "rejected"),
    "retiree": ("retiré par son auteur·rice", "withdrawn by its author"),
}

#: A proposal anyone may read: frozen at least (the atelier's page lists the same ones).
_PUBLISHED: Final = tuple(s.value for s in ProposalStatus if s is not ProposalStatus.BROUILLON)


def tr(lang: Lang, key: str, **params: object) -> str:
    text = _TEXTS[key][0 if lang == "fr" else 1]
    return text.format(**params) if params else text


def record_path(proposal_id: str, number: int) -> str:
    return f"/api/proposals/{quote(proposal_id)}/versions/{number}/public"


# --- data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicVersion:
    proposal_id: str
    proposal_title: str
    atelier_id: str
    atelier_title: str
    number: int
    hash: str
    prev_hash: str
    created_at: str
    #: The content as a reader sees it: names where they are kept (those who agreed).
    content: Mapping[str, Any]
    #: Exactly what ``hash`` is the SHA-256 of (``domain.proposals.hashed_fields``).
    hashed: Mapping[str, Any]
    seance: tuple[int, dt.date | None] | None
    latest: int
    project_id: str | None


async def public_version(
    engine: AsyncEngine, proposal_id: str, number: int
) -> PublicVersion | None:
    """Version ``number`` of a published proposal of a listed atelier; None otherwise."""
    if not 1 <= number <= DB_INT_MAX:
        return None
    async with reading(engine) as session:
        proposal = await session.get(ProposalRow, proposal_id)
        if (
            proposal is None
            or proposal.status not in _PUBLISHED
            or proposal.archived_at is not None
        ):
            return None
        atelier = await session.get(AtelierRow, proposal.atelier_id)
        version = await session.get(ProposalVersionRow, (proposal_id, number))
        if atelier is None or not atelier.listed or version is None:
            return None
        latest = await session.scalar(
            select(func.max(ProposalVersionRow.number)).where(
                ProposalVersionRow.proposal_id == proposal_id
            )
        )
        seance = None
        if version.session_id is not None:
            row = await session.get(SessionRow, version.session_id)
            if row is not None:
                try:
                    day: dt.date | None = dt.date.fromisoformat(str(row.data.get("date")))
                except ValueError:
                    day = None
                seance = (row.number, day)
        project_id = await session.scalar(
            select(ProjectRow.id).where(ProjectRow.proposal_id == proposal_id)
        )
    names = (await names_of(engine, [(proposal_id, number)]))[(proposal_id, number)]
    return PublicVersion(
        proposal_id=proposal_id,
        proposal_title=proposal.title,
        atelier_id=atelier.id,
        atelier_title=atelier.title,
        number=version.number,
        hash=version.hash,
        prev_hash=version.prev_hash,
        created_at=version.created_at,
        content=displayed(version, names),
        hashed=rules.hashed_fields(
            proposal_id=version.proposal_id,
            number=version.number,
            created_at=version.created_at,
            created_by=version.created_by,
            prev_hash=version.prev_hash,
            content=version.content,
            state=version.state,
            format=version.format,
        ),
        seance=seance,
        latest=int(latest or version.number),
        project_id=project_id,
    )


# --- the page ---------------------------------------------------------------------------------


def _frozen_on(lang: Lang, stamp: str, zone: ZoneInfo) -> str:
    try:
        moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(zone)
    except ValueError:
        return stamp
    at = " à " if lang == "fr" else ", "
    minute = moment.time().replace(second=0, microsecond=0)
    return pages._date(lang, moment.date()) + at + pages._time(lang, minute)


def _section_html(lang: Lang, section: Mapping[str, Any]) -> str:
    blocks = section.get("blocks")
    if isinstance(blocks, list):
        html = rules.to_html(blocks, heading_offset=2)
    else:  # frozen before blocks were kept: its plain text
        html = "".join(
            f"<p>{e(p)}</p>" for p in str(section.get("text") or "").split("\n\n") if p.strip()
        )
    return html or f'<p class="muted">{e(tr(lang, "empty"))}</p>'


def _who(lang: Lang, person: Any) -> str:
    if not isinstance(person, Mapping):
        return ""
    named = [str(n) for n in person.get("named") or [] if n]
    if named:
        return ", ".join(named)
    try:
        role = Role(str(person.get("role")))
    except ValueError:
        return ""
    return role.label_fr if lang == "fr" else role.label_en


def _amendment(lang: Lang, item: Mapping[str, Any], titles: Mapping[str, str]) -> str:
    section = titles.get(str(item.get("section")), str(item.get("section") or ""))
    replacement = str(item.get("replacement") or "")
    change = (
        f"« {e(item.get('quote'))} » → « {e(replacement)} »"
        if replacement
        else f"« {e(item.get('quote'))} » {e(tr(lang, 'deleted'))}"
    )
    fate = _FATES.get(str(item.get("fate")), (str(item.get("fate")),) * 2)[0 if lang == "fr" else 1]
    parts = [
        f'<p><span class="label">{e(tr(lang, "in_section", section=section))}</span> — '
        f"{change}</p>",
        f"<p><strong>{e(fate)}</strong></p>",
    ]
    if who := _who(lang, item.get("author")):
        parts.append(f"<p>{e(tr(lang, 'by', who=who))}</p>")
    if item.get("rationale"):
        parts.append(f'<p class="muted">{e(tr(lang, "rationale", text=item["rationale"]))}</p>')
    if item.get("reason"):
        parts.append(f"<p>{e(tr(lang, 'reason', text=item['reason']))}</p>")
    vote = item.get("vote")
    if isinstance(vote, Mapping) and isinstance(vote.get("ballots"), int):
        n = vote["ballots"]
        line = tr(lang, "voted_one") if n == 1 else tr(lang, "voted", n=n)
        if vote.get("tie"):
            line += f" ({tr(lang, 'tie')})"
        parts.append(f"<p>{e(line)}</p>")
    return f'<li class="card">{"".join(parts)}</li>'


def _recipe(url: str) -> str:
    return (
        f"curl -s '{url}' | python3 -c 'import hashlib, json, sys; r = json.load(sys.stdin); "
        'print(hashlib.sha256(json.dumps(r["hashed"], sort_keys=True, separators=(",", ":"), '
        'ensure_ascii=False).encode()).hexdigest() == r["hash"])\''
    )


def version_page(page: Page, v: PublicVersion, zone: ZoneInfo) -> str:
    lang = page.lang
    title = tr(lang, "title", title=v.proposal_title, n=v.number)
    sections = [s for s in v.content.get("sections") or [] if isinstance(s, Mapping)]
    titles = {
        str(s.get("key")): str(s.get("title_fr" if lang == "fr" else "title_en")) for s in sections
    }
    if v.prev_hash == GENESIS:
        previous = e(tr(lang, "genesis"))
    else:
        href = page.href(version_path(v.proposal_id, v.number - 1))
        previous = (
            f'<code class="fingerprint">{e(v.prev_hash)}</code> '
            f'(<a href="{e(href)}">{e(tr(lang, "previous_link", n=v.number - 1))}</a>)'
        )
    facts = [
        (tr(lang, "frozen_on"), e(_frozen_on(lang, v.created_at, zone))),
        (tr(lang, "fingerprint"), f'<code class="fingerprint">{e(v.hash)}</code>'),
        (tr(lang, "previous"), previous),
    ]
    if v.seance is not None:
        n, day = v.seance
        facts.insert(
            1,
            (
                tr(lang, "seance"),
                e(tr(lang, "seance_n", n=n, date=pages._date(lang, day) if day else "—")),
            ),
        )
    if v.number < v.latest:
        href = page.href(version_path(v.proposal_id, v.number + 1))
        facts.append(
            (
                tr(lang, "next"),
                f'<a href="{e(href)}">{e(tr(lang, "previous_link", n=v.number + 1))}</a>',
            )
        )
    dl = "".join(f"<div><dt>{e(term)}</dt><dd>{value}</dd></div>" for term, value in facts)
    text = "".join(
        f'<h3>{e(titles[str(s.get("key"))])}</h3><div class="frozen-text">'
        f"{_section_html(lang, s)}</div>"
        for s in sections
    )
    amendments = [a for a in v.content.get("amendments") or [] if isinstance(a, Mapping)]
    amended = (
        '<section aria-labelledby="amendments-title">'
        f'<h2 id="amendments-title">{e(tr(lang, "amendments"))}</h2>'
        f"<p>{e(tr(lang, 'amendments_lead'))}</p>"
        '<ul class="cards">' + "".join(_amendment(lang, a, titles) for a in amendments) + "</ul>"
        "</section>"
        if amendments
        else ""
    )
    record = page.absolute(record_path(v.proposal_id, v.number))
    links = [
        f'<a href="{e(page.href(f"{DIRECTORY}/{quote(v.atelier_id)}"))}">← '
        f"{e(tr(lang, 'back', title=v.atelier_title))}</a>"
    ]
    if v.project_id is not None:
        links.append(
            f'<a href="{e(page.href(f"{ROOT}/projets/{quote(v.project_id)}"))}">'
            f"{e(tr(lang, 'project'))}</a>"
        )
    body = (
        f'<p class="breadcrumb">{" · ".join(links)}</p>'
        f"<h1>{e(title)}</h1>"
        f'<p class="lead">{e(tr(lang, "lead"))}</p>'
        f'<section aria-labelledby="facts-title"><h2 id="facts-title">{e(tr(lang, "facts"))}'
        f'</h2><dl class="facts">{dl}</dl></section>'
        f'<section aria-labelledby="text-title"><h2 id="text-title">{e(tr(lang, "text"))}</h2>'
        f"{text}</section>"
        + amended
        + f'<section class="card" aria-labelledby="verify-title"><h2 id="verify-title">'
        f"{e(tr(lang, 'verify'))}</h2><p>{e(tr(lang, 'verify_text'))}</p>"
        f'<p><a href="{e(record)}">{e(tr(lang, "record"))}</a></p>'
        f"<p>{e(tr(lang, 'recipe'))}</p>"
        f'<pre class="recipe"><code>{e(_recipe(record))}</code></pre></section>'
    )
    return pages._layout(page, title=title, description=tr(lang, "lead"), body=body)


# --- routes ------------------------------------------------------------------------------------


class VersionRecord(msgspec.Struct, kw_only=True):
    """A frozen version as anyone may check it: ``sha256`` of ``hashed`` written as JSON with
    sorted keys, no spaces, UTF-8 as is, equals ``hash``; ``hashed.prev_hash`` is the previous
    version's ``hash`` (64 zeros for version 1)."""

    proposal_id: str
    number: int
    hash: str
    prev_hash: str
    created_at: str
    #: The version's page, the previous and next versions' records (null: none).
    url: str
    previous: str | None
    next: str | None
    #: Exactly what ``hash`` is the SHA-256 of: the content with names as salted commitments.
    hashed: dict[str, Any]


@get(
    f"{ROOT}/propositions/{{proposal_id:str}}/versions/{{number:int}}",
    include_in_schema=False,
    name="public-version",
)
async def version(request: Request[Any, Any, Any], proposal_id: str, number: int) -> Response[str]:
    from server.public.routes import _html, _page

    page = _page(request)
    services = AppServices.of(request.app)
    found = await public_version(services.engine, proposal_id, number)
    if found is None:
        body = (
            f"<h1>{e(tr(page.lang, 'not_found'))}</h1>"
            f"<p>{e(tr(page.lang, 'not_found_text'))}</p>"
            f'<p><a href="{e(page.href(DIRECTORY))}">{e(pages.t(page.lang, "back"))}</a></p>'
        )
        html = pages._layout(page, title=tr(page.lang, "not_found"), description="", body=body)
        return _html(html, status=404)
    return _html(version_page(page, found, ZoneInfo(services.settings.time_zone)))


@get(
    "/api/proposals/{proposal_id:str}/versions/{number:int}/public",
    tags=["ateliers"],
    summary="Une version figée publiée, et de quoi vérifier son empreinte (sans jeton)",
    description=(
        "Pour toute proposition publiée d’un atelier public. `hashed` est exactement ce dont "
        "`hash` est le SHA-256 (JSON, clés triées, sans espaces, UTF-8) ; l’état Yjs y entre "
        "par son propre SHA-256. The version of a published proposal, and `hashed`: exactly "
        "what `hash` is the SHA-256 of."
    ),
)
async def version_record(
    request: Request[Any, Any, Any], proposal_id: str, number: int
) -> VersionRecord:
    found = await public_version(AppServices.of(request.app).engine, proposal_id, number)
    if found is None:
        raise Problem(404, "version_not_found", "Version introuvable.", "Version not found.")
    base = str(request.base_url).rstrip("/")
    return VersionRecord(
        proposal_id=found.proposal_id,
        number=found.number,
        hash=found.hash,
        prev_hash=found.prev_hash,
        created_at=found.created_at,
        url=base + version_path(found.proposal_id, found.number),
        previous=(
            base + record_path(found.proposal_id, found.number - 1) if found.number > 1 else None
        ),
        next=(
            base + record_path(found.proposal_id, found.number + 1)
            if found.number < found.latest
            else None
        ),
        hashed=dict(found.hashed),
    )


def version_routes() -> list[BaseRouteHandler]:
    return [version, version_record]

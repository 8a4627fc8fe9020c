"""The memory of projects on the public door (issue 22, #3 and #5): what became of each
proposal the city council adopted.

* ``GET /decouvrir/projets``: every project, filtered by plain GET parameters ``quartier`` (a
  neighbourhood's name, or ``ville``) and ``etat`` (``a_l_etude``, ``adoptee``, ``en_cours``,
  ``realisee``, ``abandonnee``); an unknown value filters nothing.
* ``GET /decouvrir/projets/{id}``: a project's page — its facts and its whole path as one
  timeline: the subject it came from (when the atelier was born of one), the atelier, its
  séances, the proposal's frozen versions (number, fingerprint, date; each a link to its page,
  ``server.public.versions``), the votes' results
  (never a ballot, and only results the séance made public), the council's decision and answer,
  the milestones and the state changes.
* ``GET /api/projects/{id}/feed.atom``: the project's changes as an Atom feed, every entry a
  link to the project's page.
* ``GET /api/projects``: every project as JSON, for the city's integrations, with the same facts
  as its page (and the same filters as the list, ``quartier`` and ``etat``).

Only projects of listed ateliers are shown. No person's name: the history says what changed and
when, not who (the city's staff are recorded by service name in the API's history, not here).
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import msgspec
from litestar import Request, Response, get
from litestar.handlers import BaseRouteHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.projects import ProjectState
from domain.proposals import ProposalStatus
from server.db.mapping import aware
from server.db.models import (
    AtelierRow,
    Base,
    ProjectEventRow,
    ProjectMilestoneRow,
    ProjectRow,
    ProposalRow,
    ProposalVersionRow,
    SessionRow,
)
from server.db.writes import reading
from server.errors import Problem
from server.public import pages, subscribe_form
from server.public.data import neighbourhood_key
from server.public.pages import DIRECTORY, ROOT, Lang, Page, e, version_path
from server.public.versions import record_path
from server.state import AppServices

__all__ = [
    "PROJECTS",
    "ProjectPublic",
    "atelier_projects_section",
    "project_routes",
    "projects_of_atelier",
]

PROJECTS: Final = f"{ROOT}/projets"

_TEXTS: Final[Mapping[str, tuple[str, str]]] = {
    "list_title": ("Les projets", "Projects"),
    "list_lead": (
        "Ce que sont devenues les propositions adoptées par le conseil municipal : leur état, "
        "leurs jalons, le service qui les porte, et tout leur parcours depuis l’atelier.",
        "What became of the proposals the city council adopted: their state, their "
        "milestones, the service in charge, and their whole path from the atelier.",
    ),
    "filters": ("Filtrer les projets", "Filter the projects"),
    "f_where": ("Quartier", "Neighbourhood"),
    "f_where_all": ("Tous les quartiers et la ville", "All neighbourhoods and the city"),
    "f_where_city": ("Toute la ville", "The whole city"),
    "f_state": ("État", "State"),
    "f_state_all": ("Tous les états", "All states"),
    "f_submit": ("Filtrer", "Filter"),
    "f_reset": ("Tout afficher", "Show all"),
    "count_one": ("1 projet", "1 project"),
    "count_many": ("{n} projets", "{n} projects"),
    "count_none": (
        "Aucun projet ne correspond à ces filtres.",
        "No project matches these filters.",
    ),
    "state": ("État : {state}", "State: {state}"),
    "of_atelier": ("Issu de l’atelier « {title} »", "From the atelier “{title}”"),
    "city": ("toute la ville", "the whole city"),
    "quartier": ("quartier {name}", "{name} neighbourhood"),
    "next_milestone": (
        "Prochain jalon : {label}, prévu le {date}",
        "Next: {label}, planned {date}",
    ),
    "facts": ("En bref", "At a glance"),
    "fact_state": ("État", "State"),
    "fact_scope": ("Échelle", "Scale"),
    "fact_service": ("Service en charge", "Service in charge"),
    "fact_budget": ("Ligne budgétaire", "Budget line"),
    "fact_atelier": ("Atelier d’origine", "Atelier it came from"),
    "fact_ap": ("Atelier de projet ouvert par la Ville", "Project atelier the city opened"),
    "fact_subject": ("Sujet d’origine", "Subject it came from"),
    "none": ("non renseigné", "not given"),
    "milestones": ("Jalons", "Milestones"),
    "milestones_none": ("Aucun jalon pour l’instant.", "No milestone yet."),
    "m_label": ("Jalon", "Milestone"),
    "m_planned": ("Prévu", "Planned"),
    "m_done": ("Fait", "Done"),
    "m_note": ("Note", "Note"),
    "m_not_yet": ("pas encore", "not yet"),
    "timeline": ("Le parcours", "The path"),
    "t_subject": ("Sujet proposé : « {title} »", "Subject proposed: “{title}”"),
    "t_atelier": ("L’atelier « {title} » est ouvert", "The atelier “{title}” opens"),
    "t_seance": ("Séance {n} de l’atelier", "Séance {n} of the atelier"),
    "t_version": (
        "Proposition figée : version {n} (empreinte {hash})",
        "Proposal frozen: version {n} (fingerprint {hash})",
    ),
    "t_vote": ("Vote « {title} »", "Vote “{title}”"),
    "t_turnout": ("{n} votant·es", "{n} voters"),
    "t_hidden": ("résultats non publiés", "results not published"),
    "t_decision": (
        "Décision du conseil municipal : {outcome}",
        "City council’s decision: {outcome}",
    ),
    "t_deliberation": ("Délibération : {ref}", "Deliberation: {ref}"),
    "t_answer": ("Réponse officielle", "Official answer"),
    "ev_created": ("Projet créé : {state}", "Project created: {state}"),
    "ev_state": ("Nouvel état : {state}", "New state: {state}"),
    "ev_details": ("Service en charge ou ligne budgétaire précisés", "Service or budget line set"),
    "ev_link": ("Atelier de projet relié", "Project atelier linked"),
    "ev_milestone_added": ("Jalon ajouté : {label}", "Milestone added: {label}"),
    "ev_milestone_edited": ("Jalon modifié : {label}", "Milestone changed: {label}"),
    "ev_milestone_done": ("Jalon atteint : {label}", "Milestone reached: {label}"),
    "feed": ("Suivre le projet (Atom)", "Follow the project (Atom)"),
    "follow": ("Suivre le projet", "Follow the project"),
    "back": ("Tous les projets", "All projects"),
    "not_found": ("Projet introuvable", "Project not found"),
    "not_found_text": (
        "Ce projet n’existe pas ou son atelier n’est pas public.",
        "This project does not exist or its atelier is not public.",
    ),
    "section": ("Projets", "Projects"),
    "section_from": ("Issu de cet atelier", "From this atelier"),
    "section_ap": ("Cet atelier de projet réalise", "This project atelier carries out"),
    "see_all": ("Tous les projets", "All projects"),
}


def tr(lang: Lang, key: str, **params: object) -> str:
    text = _TEXTS[key][0 if lang == "fr" else 1]
    return text.format(**params) if params else text


def state_label(lang: Lang, state: str) -> str:
    try:
        found = ProjectState(state)
    except ValueError:
        return state
    return found.label_fr if lang == "fr" else found.label_en


# --- data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Milestone:
    id: str
    label: str
    planned_on: dt.date | None
    done_on: dt.date | None
    note: str | None


@dataclass(frozen=True)
class ProjectCard:
    id: str
    title: str
    state: str
    neighbourhood: str | None
    atelier_id: str
    atelier_title: str
    service: str | None
    next_milestone: Milestone | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class Step:
    """One item of the timeline: when, what (escaped HTML built here), an anchor."""

    day: dt.date
    order: int
    html: str
    anchor: str = ""


@dataclass(frozen=True)
class ProjectPage:
    card: ProjectCard
    budget_line: str | None
    ap: tuple[str, str] | None
    subject: tuple[str, str] | None
    milestones: tuple[Milestone, ...]
    events: tuple[ProjectEventRow, ...]
    seances: tuple[tuple[int, dt.date], ...]
    versions: tuple[ProposalVersionRow, ...]
    decision: Mapping[str, Any]
    votes: tuple[Mapping[str, Any], ...]
    created_at: dt.datetime


def _milestone(m: ProjectMilestoneRow) -> Milestone:
    return Milestone(m.id, m.label, m.planned_on, m.done_on, m.note)


def _next(milestones: Sequence[Milestone]) -> Milestone | None:
    open_ = [m for m in milestones if m.done_on is None]
    return min(open_, key=lambda m: m.planned_on or dt.date.max) if open_ else None


async def project_cards(
    engine: AsyncEngine, *, where: str | None = None, state: str | None = None
) -> list[ProjectCard]:
    """Every project of a listed atelier, the last changed first."""
    query = (
        select(ProjectRow, AtelierRow.title)
        .join(AtelierRow, AtelierRow.id == ProjectRow.atelier_id)
        .where(AtelierRow.listed.is_(True))
        .order_by(ProjectRow.updated_at.desc(), ProjectRow.id)
    )
    if state:
        query = query.where(ProjectRow.state == state)
    async with reading(engine) as session:
        rows = (await session.execute(query)).all()
        ids = [p.id for p, _ in rows]
        milestones: dict[str, list[Milestone]] = {}
        if ids:
            for m in await session.scalars(
                select(ProjectMilestoneRow)
                .where(ProjectMilestoneRow.project_id.in_(ids))
                .order_by(ProjectMilestoneRow.position)
            ):
                milestones.setdefault(m.project_id, []).append(_milestone(m))
    cards = []
    for p, title in rows:
        if where == "ville" and p.neighbourhood:
            continue
        if (
            where
            and where != "ville"
            and (
                not p.neighbourhood
                or neighbourhood_key(p.neighbourhood) != neighbourhood_key(where)
            )
        ):
            continue
        cards.append(_card(p, title, milestones.get(p.id, [])))
    return cards


def _card(p: ProjectRow, atelier_title: str, milestones: Sequence[Milestone]) -> ProjectCard:
    return ProjectCard(
        p.id,
        p.title,
        p.state,
        p.neighbourhood,
        p.atelier_id,
        atelier_title,
        p.service,
        _next(milestones),
        p.updated_at,
    )


async def _subject(session: Any, atelier_id: str) -> tuple[str, str] | None:
    """The public subject the atelier was born of, when subjects exist (issue 22, #2)."""
    subjects = Base.metadata.tables.get("subjects")
    if subjects is None or "atelier_id" not in subjects.c:
        return None
    found = (
        await session.execute(
            select(subjects.c.id, subjects.c.title, subjects.c.state).where(
                subjects.c.atelier_id == atelier_id
            )
        )
    ).first()
    if found is None or found[2] in ("en_moderation", "refuse"):
        return None
    return str(found[0]), str(found[1])


async def project_page(engine: AsyncEngine, project_id: str) -> ProjectPage | None:
    async with reading(engine) as session:
        project = await session.get(ProjectRow, project_id)
        if project is None:
            return None
        atelier = await session.get(AtelierRow, project.atelier_id)
        if atelier is None or not atelier.listed:
            return None
        proposal = await session.get(ProposalRow, project.proposal_id)
        milestones = tuple(
            _milestone(m)
            for m in await session.scalars(
                select(ProjectMilestoneRow)
                .where(ProjectMilestoneRow.project_id == project.id)
                .order_by(ProjectMilestoneRow.position)
            )
        )
        events = tuple(
            await session.scalars(
                select(ProjectEventRow)
                .where(ProjectEventRow.project_id == project.id)
                .order_by(ProjectEventRow.id)
            )
        )
        versions = tuple(
            await session.scalars(
                select(ProposalVersionRow)
                .where(ProposalVersionRow.proposal_id == project.proposal_id)
                .order_by(ProposalVersionRow.number)
            )
        )
        seances = []
        for number, data in (
            await session.execute(
                select(SessionRow.number, SessionRow.data)
                .where(SessionRow.atelier_id == atelier.id)
                .order_by(SessionRow.number)
            )
        ).all():
            try:
                seances.append((int(number), dt.date.fromisoformat(str(data.get("date")))))
            except ValueError:
                continue
        ap = None
        if project.ap_atelier_id:
            ap_row = await session.get(AtelierRow, project.ap_atelier_id)
            if ap_row is not None and ap_row.listed:
                ap = (ap_row.id, ap_row.title)
        subject = await _subject(session, atelier.id)
    # The votes as the last version recorded them: results only where they were public.
    votes: tuple[Mapping[str, Any], ...] = ()
    if versions:
        content = versions[-1].content
        raw_votes = content.get("votes") if isinstance(content, dict) else None
        if isinstance(raw_votes, list):
            votes = tuple(v for v in raw_votes if isinstance(v, dict))
    return ProjectPage(
        card=_card(project, atelier.title, milestones),
        budget_line=project.budget_line,
        ap=ap,
        subject=subject,
        milestones=milestones,
        events=events,
        seances=tuple(seances),
        versions=versions,
        decision=dict(proposal.decision or {}) if proposal is not None else {},
        votes=votes,
        created_at=project.created_at,
    )


async def projects_of_atelier(
    engine: AsyncEngine, atelier_id: str
) -> tuple[list[ProjectCard], list[ProjectCard]]:
    """The projects born of this atelier, and those it carries out as an atelier de projet."""
    async with reading(engine) as session:
        rows = (
            await session.execute(
                select(ProjectRow, AtelierRow.title, AtelierRow.listed)
                .join(AtelierRow, AtelierRow.id == ProjectRow.atelier_id)
                .where(
                    (ProjectRow.atelier_id == atelier_id) | (ProjectRow.ap_atelier_id == atelier_id)
                )
                .order_by(ProjectRow.created_at)
            )
        ).all()
    born = [_card(p, t, ()) for p, t, listed in rows if p.atelier_id == atelier_id]
    carried = [_card(p, t, ()) for p, t, listed in rows if p.ap_atelier_id == atelier_id and listed]
    return born, carried


# --- pages ----------------------------------------------------------------------------------------


def _day(lang: Lang, day: dt.date | None) -> str:
    if day is None:
        return tr(lang, "m_not_yet")
    return pages._date(lang, day)


def _time(day: dt.date | None, lang: Lang) -> str:
    if day is None:
        return e(tr(lang, "m_not_yet"))
    return f'<time datetime="{e(day.isoformat())}">{e(_day(lang, day))}</time>'


def _scope(lang: Lang, neighbourhood: str | None) -> str:
    return tr(lang, "quartier", name=neighbourhood) if neighbourhood else tr(lang, "city")


def _badge(lang: Lang, state: str) -> str:
    return f'<span class="stage project-{e(state)}">{e(state_label(lang, state))}</span>'


def _project_card(page: Page, card: ProjectCard, level: int = 3) -> str:
    lang = page.lang
    href = page.href(f"{PROJECTS}/{quote(card.id)}")
    lines = [
        f'<h{level}><a href="{e(href)}">{e(card.title)}</a></h{level}>',
        f"<p>{_badge(lang, card.state)} · {e(_scope(lang, card.neighbourhood))}</p>",
        f'<p class="muted">{e(tr(lang, "of_atelier", title=card.atelier_title))}</p>',
    ]
    if card.next_milestone is not None and card.next_milestone.planned_on is not None:
        text = tr(
            lang,
            "next_milestone",
            label=card.next_milestone.label,
            date=_day(lang, card.next_milestone.planned_on),
        )
        lines.append(f"<p>{e(text)}</p>")
    return f'<li class="card project">{"".join(lines)}</li>'


def _select(name: str, label: str, options: Sequence[tuple[str, str]], chosen: str) -> str:
    ident = f"f-{name}"
    items = "".join(
        f'<option value="{e(v)}"{" selected" if v == chosen else ""}>{e(text)}</option>'
        for v, text in options
    )
    return (
        f'<div class="field"><label for="{ident}">{e(label)}</label>'
        f'<select id="{ident}" name="{e(name)}">{items}</select></div>'
    )


def list_page(
    page: Page, cards: Sequence[ProjectCard], hoods: Sequence[str], where: str, state: str
) -> str:
    lang = page.lang
    states = [("", tr(lang, "f_state_all"))] + [
        (s.value, state_label(lang, s)) for s in ProjectState
    ]
    places = [("", tr(lang, "f_where_all")), ("ville", tr(lang, "f_where_city"))] + [
        (h, h) for h in hoods
    ]
    hidden = f'<input type="hidden" name="lang" value="{lang}">' if page.explicit else ""
    form = (
        f'<form class="filters" method="get" action="{e(PROJECTS)}" '
        f'aria-label="{e(tr(lang, "filters"))}">'
        + _select("quartier", tr(lang, "f_where"), places, where)
        + _select("etat", tr(lang, "f_state"), states, state)
        + hidden
        + f'<p class="actions"><button type="submit">{e(tr(lang, "f_submit"))}</button> '
        f'<a href="{e(page.href(PROJECTS))}">{e(tr(lang, "f_reset"))}</a></p></form>'
    )
    if cards:
        count = tr(lang, "count_one") if len(cards) == 1 else tr(lang, "count_many", n=len(cards))
        found = (
            f'<p class="count" role="status">{e(count)}</p><ul class="cards">'
            + "".join(_project_card(page, c, 2) for c in cards)
            + "</ul>"
        )
    else:
        found = f'<p class="count muted" role="status">{e(tr(lang, "count_none"))}</p>'
    body = (
        f'<h1>{e(tr(lang, "list_title"))}</h1><p class="lead">{e(tr(lang, "list_lead"))}</p>'
        + form
        + found
    )
    return pages._layout(
        page, title=tr(lang, "list_title"), description=tr(lang, "list_lead"), body=body
    )


def _vote(lang: Lang, vote: Mapping[str, Any]) -> str:
    parts = [e(tr(lang, "t_vote", title=vote.get("title", "")))]
    turnout = vote.get("turnout")
    if isinstance(turnout, dict) and isinstance(turnout.get("total"), int):
        parts.append(e(tr(lang, "t_turnout", n=turnout["total"])))
    results = vote.get("results")
    if not isinstance(results, dict):
        return " — ".join(parts) + f' <span class="muted">({e(tr(lang, "t_hidden"))})</span>'
    total = results.get("total")
    summary = _result_summary(vote, total)
    if summary:
        parts.append(e(summary))
    return " — ".join(parts)


#: Methods whose scores are totals of votes (elsewhere they are ranks or grade indexes).
_TOTALS: Final = frozenset({"plurality", "approval", "dots", "score", "borda"})


def _result_summary(vote: Mapping[str, Any], total: Any) -> str:
    """The result in one line: the ranking, best first (« = » joins a tie), each option with its
    total where the method counts totals."""
    if not isinstance(total, dict):
        return ""
    names = {}
    for option in vote.get("options") or []:
        if isinstance(option, dict):
            names[str(option.get("id"))] = str(option.get("label") or option.get("id") or "")
    scores = total.get("scores") if vote.get("method") in _TOTALS else None
    scores = scores if isinstance(scores, dict) else {}

    def named(option: object) -> str:
        key = str(option)
        label = names.get(key, key)
        return f"{label} ({scores[key]})" if key in scores else label

    ranking = total.get("ranking")
    if isinstance(ranking, list) and ranking:
        return " > ".join(
            " = ".join(named(o) for o in tier) if isinstance(tier, list) else named(tier)
            for tier in ranking
        )
    return ""


def _event_text(lang: Lang, ev: ProjectEventRow) -> str:
    milestone = ev.details.get("milestone") if isinstance(ev.details, dict) else None
    label = milestone.get("label", "") if isinstance(milestone, dict) else ""
    key = f"ev_{ev.kind}"
    if key not in _TEXTS:
        return ev.kind
    return tr(lang, key, state=state_label(lang, ev.state), label=label)


def _timeline(page: Page, p: ProjectPage) -> list[Step]:
    lang = page.lang
    steps: list[Step] = []
    card = p.card
    if p.subject is not None:
        subject_id, title = p.subject
        steps.append(
            Step(
                dt.date.min,
                0,
                f'<a href="{e(page.href(f"{ROOT}/sujets/{quote(subject_id)}"))}">'
                f"{e(tr(lang, 't_subject', title=title))}</a>",
            )
        )
    first = p.seances[0][1] if p.seances else None
    steps.append(
        Step(
            first or (_when(p.versions[0].created_at) if p.versions else dt.date.min),
            1,
            f'<a href="{e(page.href(f"{DIRECTORY}/{quote(card.atelier_id)}"))}">'
            f"{e(tr(lang, 't_atelier', title=card.atelier_title))}</a>",
        )
    )
    for number, day in p.seances:
        steps.append(Step(day, 2, e(tr(lang, "t_seance", n=number))))
    for v in p.versions:
        text = (
            f'<a href="{e(page.href(version_path(v.proposal_id, v.number)))}">'
            f"{e(tr(lang, 't_version', n=v.number, hash=v.hash[:12]))}</a>"
        )
        steps.append(Step(_when(v.created_at), 3, text, f"version-{v.number}"))
    if p.votes and p.versions:
        day = _when(p.versions[-1].created_at)
        for vote in p.votes:
            steps.append(Step(day, 4, _vote(lang, vote)))
    d = p.decision
    if d.get("outcome"):
        day = _iso_day(d.get("decided_on")) or _when(str(d.get("recorded_at") or "")) or dt.date.min
        outcome = ProposalStatus(str(d["outcome"]))
        label = outcome.label_fr if lang == "fr" else outcome.label_en
        html = f"<strong>{e(tr(lang, 't_decision', outcome=label))}</strong>"
        if d.get("deliberation_ref"):
            html += f"<br>{e(tr(lang, 't_deliberation', ref=d['deliberation_ref']))}"
        if d.get("answer"):
            html += (
                f'<p class="label">{e(tr(lang, "t_answer"))}</p>'
                f'<blockquote class="official-answer">{e(d["answer"])}</blockquote>'
            )
        steps.append(Step(day, 5, html, "decision"))
    for ev in p.events:
        text = e(_event_text(lang, ev))
        if ev.note:
            text += f'<br><span class="note">{e(ev.note)}</span>'
        at = aware(ev.at) or ev.at
        steps.append(Step(at.date(), 6, text, f"event-{ev.id}"))
    return sorted(steps, key=lambda s: (s.day, s.order))


def _when(stamp: str) -> dt.date:
    try:
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()
    except ValueError:
        return dt.date.min


def _iso_day(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def project_page_html(page: Page, p: ProjectPage) -> str:
    lang = page.lang
    card = p.card
    none = f'<span class="muted">{e(tr(lang, "none"))}</span>'
    facts = [
        (tr(lang, "fact_state"), _badge(lang, card.state)),
        (tr(lang, "fact_scope"), e(_scope(lang, card.neighbourhood))),
        (tr(lang, "fact_service"), e(card.service) if card.service else none),
        (tr(lang, "fact_budget"), e(p.budget_line) if p.budget_line else none),
        (
            tr(lang, "fact_atelier"),
            f'<a href="{e(page.href(f"{DIRECTORY}/{quote(card.atelier_id)}"))}">'
            f"{e(card.atelier_title)}</a>",
        ),
    ]
    if p.ap is not None:
        facts.append(
            (
                tr(lang, "fact_ap"),
                f'<a href="{e(page.href(f"{DIRECTORY}/{quote(p.ap[0])}"))}">{e(p.ap[1])}</a>',
            )
        )
    if p.subject is not None:
        facts.append(
            (
                tr(lang, "fact_subject"),
                f'<a href="{e(page.href(f"{ROOT}/sujets/{quote(p.subject[0])}"))}">'
                f"{e(p.subject[1])}</a>",
            )
        )
    dl = "".join(f"<div><dt>{e(term)}</dt><dd>{value}</dd></div>" for term, value in facts)
    if p.milestones:
        rows = "".join(
            f'<tr class="{"done" if m.done_on else "open"}"><th scope="row">{e(m.label)}'
            + (f'<span class="note">{e(m.note)}</span>' if m.note else "")
            + f"</th><td>{_time(m.planned_on, lang) if m.planned_on else '—'}</td>"
            f"<td>{_time(m.done_on, lang)}</td></tr>"
            for m in p.milestones
        )
        milestones = (
            '<div class="table-wrap"><table class="milestones"><thead><tr>'
            f'<th scope="col">{e(tr(lang, "m_label"))}</th>'
            f'<th scope="col">{e(tr(lang, "m_planned"))}</th>'
            f'<th scope="col">{e(tr(lang, "m_done"))}</th>'
            f"</tr></thead><tbody>{rows}</tbody></table></div>"
        )
    else:
        milestones = f'<p class="muted">{e(tr(lang, "milestones_none"))}</p>'
    items = []
    for step in _timeline(page, p):
        anchor = f' id="{e(step.anchor)}"' if step.anchor else ""
        day = (
            f'<time datetime="{e(step.day.isoformat())}">{e(_day(lang, step.day))}</time> — '
            if step.day != dt.date.min
            else ""
        )
        items.append(f"<li{anchor}>{day}{step.html}</li>")
    feed = f"/api/projects/{quote(card.id)}/feed.atom"
    body = (
        f'<p class="breadcrumb"><a href="{e(page.href(PROJECTS))}">← {e(tr(lang, "back"))}</a></p>'
        f"<h1>{e(card.title)}</h1>"
        f'<section aria-labelledby="facts-title"><h2 id="facts-title">{e(tr(lang, "facts"))}</h2>'
        f'<dl class="facts">{dl}</dl></section>'
        f'<section aria-labelledby="milestones-title"><h2 id="milestones-title">'
        f"{e(tr(lang, 'milestones'))}</h2>{milestones}</section>"
        f'<section aria-labelledby="timeline-title"><h2 id="timeline-title">'
        f'{e(tr(lang, "timeline"))}</h2><ol class="timeline">{"".join(items)}</ol></section>'
        f'<section aria-labelledby="follow-title"><h2 id="follow-title">{e(tr(lang, "follow"))}'
        f'</h2><p><a href="{e(feed)}">{e(tr(lang, "feed"))}</a></p></section>'
        + subscribe_form.form(page, subscribe_form.for_project(card.id, card.title))
    )
    description = (
        f"{state_label(lang, card.state)} — {tr(lang, 'of_atelier', title=card.atelier_title)}"
    )
    return pages._layout(
        page,
        title=card.title,
        description=description,
        body=body,
        feeds=[(tr(lang, "feed"), feed)],
    )


def atelier_projects_section(
    page: Page, born: Sequence[ProjectCard], carried: Sequence[ProjectCard]
) -> str:
    """The section of an atelier's public page that links its projects (empty: none)."""
    if not born and not carried:
        return ""
    lang = page.lang
    parts = [f'<h2 id="projects-title">{e(tr(lang, "section"))}</h2>']
    if born:
        parts.append(f"<h3>{e(tr(lang, 'section_from'))}</h3>")
        parts.append(
            '<ul class="cards">' + "".join(_project_card(page, c, 4) for c in born) + "</ul>"
        )
    if carried:
        parts.append(f"<h3>{e(tr(lang, 'section_ap'))}</h3>")
        parts.append(
            '<ul class="cards">' + "".join(_project_card(page, c, 4) for c in carried) + "</ul>"
        )
    parts.append(f'<p><a href="{e(page.href(PROJECTS))}">{e(tr(lang, "see_all"))}</a></p>')
    return f'<section aria-labelledby="projects-title">{"".join(parts)}</section>'


# --- routes -------------------------------------------------------------------------------------


def _page(request: Request[Any, Any, Any]) -> Page:
    from server.public.routes import _page as page_of

    return page_of(request)


def _html(body: str, status: int = 200) -> Response[str]:
    from server.public.routes import _html as html_of

    return html_of(body, status)


@get(PROJECTS, include_in_schema=False, name="public-projects")
async def projects_list(request: Request[Any, Any, Any]) -> Response[str]:
    engine = AppServices.of(request.app).engine
    where = (request.query_params.get("quartier") or "").strip()
    state = request.query_params.get("etat") or ""
    if state not in ProjectState._value2member_map_:
        state = ""
    everything = await project_cards(engine)
    hoods = sorted({c.neighbourhood for c in everything if c.neighbourhood}, key=neighbourhood_key)
    cards = await project_cards(engine, where=where or None, state=state or None)
    return _html(list_page(_page(request), cards, hoods, where, state))


@get(f"{PROJECTS}/{{project_id:str}}", include_in_schema=False, name="public-project")
async def project(request: Request[Any, Any, Any], project_id: str) -> Response[str]:
    page = _page(request)
    found = await project_page(AppServices.of(request.app).engine, project_id)
    if found is None:
        body = (
            f"<h1>{e(tr(page.lang, 'not_found'))}</h1><p>{e(tr(page.lang, 'not_found_text'))}</p>"
            f'<p><a href="{e(page.href(PROJECTS))}">{e(tr(page.lang, "back"))}</a></p>'
        )
        html = pages._layout(page, title=tr(page.lang, "not_found"), description="", body=body)
        return _html(html, status=404)
    return _html(project_page_html(page, found))


ATOM: Final = "http://www.w3.org/2005/Atom"


@get(
    "/api/projects/{project_id:str}/feed.atom",
    tags=["feeds"],
    summary="Fil d’un projet (Atom) : ses changements d’état et ses jalons",
    media_type="application/atom+xml",
)
async def project_feed(request: Request[Any, Any, Any], project_id: str) -> Response[bytes]:
    found = await project_page(AppServices.of(request.app).engine, project_id)
    if found is None:
        raise Problem(404, "project_not_found", "Projet introuvable.", "Project not found.")
    base = str(request.base_url).rstrip("/")
    page_url = f"{base}{PROJECTS}/{quote(project_id)}"
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": "fr"})
    ET.SubElement(feed, "id").text = f"urn:atelier:project:{project_id}"
    ET.SubElement(feed, "title").text = f"Projet « {found.card.title} »"
    ET.SubElement(feed, "link", {"rel": "self", "href": f"{base}{request.url.path}"})
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": page_url})
    events = list(reversed(found.events))
    updated = aware(events[0].at) if events else aware(found.created_at)
    ET.SubElement(feed, "updated").text = (updated or found.created_at).isoformat()
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = "Atelier"
    for ev in events:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "id").text = f"urn:atelier:project:{project_id}:{ev.id}"
        ET.SubElement(entry, "title").text = f"{found.card.title} — {_event_text('fr', ev)}"
        ET.SubElement(entry, "updated").text = (aware(ev.at) or ev.at).isoformat()
        ET.SubElement(
            entry,
            "link",
            {"rel": "alternate", "type": "text/html", "href": f"{page_url}#event-{ev.id}"},
        )
        summary = f"État : {state_label('fr', ev.state)}"
        if ev.note:
            summary += f"\n\n{ev.note}"
        ET.SubElement(entry, "summary").text = summary
        ET.SubElement(entry, "category", {"term": ev.kind})
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")
    return Response(
        body, media_type="application/atom+xml", headers={"cache-control": "public, max-age=60"}
    )


# --- as JSON, for the city's integrations ----------------------------------------------------


class Link(msgspec.Struct, kw_only=True):
    id: str
    title: str
    #: Its public page (an absolute address).
    url: str


class MilestoneOut(msgspec.Struct, kw_only=True):
    id: str
    label: str
    planned_on: dt.date | None
    done_on: dt.date | None
    note: str | None


class SeanceOut(msgspec.Struct, kw_only=True):
    number: int
    date: dt.date


class VersionOut(msgspec.Struct, kw_only=True):
    """A frozen version of the proposal: ``hash`` chains to ``prev_hash``; ``record`` is what
    anyone checks it against (``server.public.versions``)."""

    number: int
    hash: str
    prev_hash: str
    created_at: str
    url: str
    record: str


class VoteOut(msgspec.Struct, kw_only=True):
    """A vote as the last version recorded it: ``ranking`` is the result in one line, best
    first (« = » a tie), or null when the séance did not publish it; never a ballot."""

    title: str
    method: str | None
    voters: int | None
    ranking: str | None


class DecisionOut(msgspec.Struct, kw_only=True):
    outcome: str
    outcome_fr: str
    outcome_en: str
    decided_on: str | None
    deliberation_ref: str | None
    answer: str | None


class EventOut(msgspec.Struct, kw_only=True):
    at: dt.datetime
    kind: str
    state: str
    text_fr: str
    text_en: str
    note: str | None


class ProjectPublic(msgspec.Struct, kw_only=True):
    """A project as its public page shows it; no person's name."""

    id: str
    title: str
    #: ``a_l_etude``, ``adoptee``, ``en_cours``, ``realisee``, ``abandonnee``.
    state: str
    state_fr: str
    state_en: str
    #: Its neighbourhood; null: the whole city.
    neighbourhood: str | None
    service: str | None
    budget_line: str | None
    atelier: Link
    ap_atelier: Link | None
    subject: Link | None
    next_milestone: MilestoneOut | None
    milestones: list[MilestoneOut]
    seances: list[SeanceOut]
    versions: list[VersionOut]
    votes: list[VoteOut]
    decision: DecisionOut | None
    history: list[EventOut]
    url: str
    feed: str
    created_at: dt.datetime
    updated_at: dt.datetime


def _milestone_out(m: Milestone) -> MilestoneOut:
    return MilestoneOut(
        id=m.id, label=m.label, planned_on=m.planned_on, done_on=m.done_on, note=m.note
    )


def _vote_out(vote: Mapping[str, Any]) -> VoteOut:
    turnout = vote.get("turnout")
    voters = turnout.get("total") if isinstance(turnout, dict) else None
    results = vote.get("results")
    ranking = _result_summary(vote, results.get("total")) if isinstance(results, dict) else None
    return VoteOut(
        title=str(vote.get("title") or ""),
        method=str(vote["method"]) if vote.get("method") else None,
        voters=voters if isinstance(voters, int) else None,
        ranking=ranking or None,
    )


def _decision_out(d: Mapping[str, Any]) -> DecisionOut | None:
    if not d.get("outcome"):
        return None
    outcome = str(d["outcome"])
    try:
        status = ProposalStatus(outcome)
        fr, en = status.label_fr, status.label_en
    except ValueError:
        fr = en = outcome

    def text(key: str) -> str | None:
        return str(d[key]) if d.get(key) else None

    return DecisionOut(
        outcome=outcome,
        outcome_fr=fr,
        outcome_en=en,
        decided_on=text("decided_on"),
        deliberation_ref=text("deliberation_ref"),
        answer=text("answer"),
    )


def project_json(base: str, p: ProjectPage) -> ProjectPublic:
    card = p.card

    def link(path: str, id_: str, title: str) -> Link:
        return Link(id=id_, title=title, url=f"{base}{path}/{quote(id_)}")

    return ProjectPublic(
        id=card.id,
        title=card.title,
        state=card.state,
        state_fr=state_label("fr", card.state),
        state_en=state_label("en", card.state),
        neighbourhood=card.neighbourhood,
        service=card.service,
        budget_line=p.budget_line,
        atelier=link(DIRECTORY, card.atelier_id, card.atelier_title),
        ap_atelier=link(DIRECTORY, *p.ap) if p.ap is not None else None,
        subject=link(f"{ROOT}/sujets", *p.subject) if p.subject is not None else None,
        next_milestone=_milestone_out(card.next_milestone) if card.next_milestone else None,
        milestones=[_milestone_out(m) for m in p.milestones],
        seances=[SeanceOut(number=n, date=day) for n, day in p.seances],
        versions=[
            VersionOut(
                number=v.number,
                hash=v.hash,
                prev_hash=v.prev_hash,
                created_at=v.created_at,
                url=base + version_path(v.proposal_id, v.number),
                record=base + record_path(v.proposal_id, v.number),
            )
            for v in p.versions
        ],
        votes=[_vote_out(vote) for vote in p.votes],
        decision=_decision_out(p.decision),
        history=[
            EventOut(
                at=aware(ev.at) or ev.at,
                kind=ev.kind,
                state=ev.state,
                text_fr=_event_text("fr", ev),
                text_en=_event_text("en", ev),
                note=ev.note,
            )
            for ev in p.events
        ],
        url=f"{base}{PROJECTS}/{quote(card.id)}",
        feed=f"{base}/api/projects/{quote(card.id)}/feed.atom",
        created_at=aware(p.created_at) or p.created_at,
        updated_at=aware(card.updated_at) or card.updated_at,
    )


@get(
    "/api/projects",
    tags=["projets"],
    summary="Les projets publics, avec les faits de leur page (sans jeton)",
    description=(
        "Chaque projet d’un atelier public, le dernier changé d’abord : état, service, ligne "
        "budgétaire, jalons, séances, versions figées (avec leur empreinte et l’enregistrement "
        "qui la vérifie), résultats publiés des votes, décision du conseil, historique ; aucun "
        "nom de personne. `quartier` (un nom de quartier, ou `ville`) et `etat` filtrent ; une "
        "valeur inconnue ne filtre rien. Every public project, with the facts of its page."
    ),
)
async def projects_api(
    request: Request[Any, Any, Any], quartier: str | None = None, etat: str | None = None
) -> list[ProjectPublic]:
    engine = AppServices.of(request.app).engine
    state = etat if etat in ProjectState._value2member_map_ else None
    cards = await project_cards(engine, where=(quartier or "").strip() or None, state=state)
    base = str(request.base_url).rstrip("/")
    found = []
    for card in cards:
        page = await project_page(engine, card.id)
        if page is not None:
            found.append(project_json(base, page))
    return found


def project_routes() -> list[BaseRouteHandler]:
    return [projects_list, project, project_feed, projects_api]

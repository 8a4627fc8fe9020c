"""Projects (issue 22, #3): what a favourable decision becomes, moved by the city's services.

A project is created in the transaction that records the council's adoption of a proposal
(:func:`create_for_decision`, called by ``server.services.proposals``); the proposal's decision
then names it (``decision["project_id"]``). Every change — its state, its service and budget
line, the atelier de projet opened for it, a milestone added, edited or done — is a row of its
history (``project_events``, by the service's name, never a person's) and an event of the
outbox (``handoff_events``: ``project.etat``, ``project.jalon``), in the same transaction.

Milestones live in ``project_milestones`` only. The council's « suivi » steps of an adopted
proposal (``POST /api/proposals/{id}/milestones``) are done milestones there
(:func:`add_done_step`), and the proposal's ``decision.milestones`` that the participants'
screens read is built from them (:func:`steps_by_proposal`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain import projects as rules
from domain import proposals as proposal_rules
from domain.ateliers import AtelierKind
from domain.errors import InvalidInput, InvalidTransition, check_text, normalize_text
from domain.projects import ProjectState
from server.db.models import (
    AtelierRow,
    HandoffEventRow,
    ProjectEventRow,
    ProjectMilestoneRow,
    ProjectRow,
    ProposalRow,
)
from server.db.writes import reading, transaction
from server.errors import Problem
from server.services.ateliers import new_id, now
from server.services.subscriptions import project_news

__all__ = [
    "add_done_step",
    "add_milestone",
    "by",
    "change_state",
    "complete_milestone",
    "create_for_decision",
    "edit_milestone",
    "link_ap",
    "project_view",
    "set_details",
    "steps_by_proposal",
    "with_steps",
]


class _Actor(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def is_council_service(self) -> bool: ...


def by(reader: _Actor) -> str:
    """Who a project's history names: the council service by its name (a service, as its
    credential says), a participant of the council role by that role — never a person's name."""
    return reader.name if reader.is_council_service else f"rôle : {reader.role}"


def _not_found() -> Problem:
    return Problem(404, "project_not_found", "Projet introuvable.", "Project not found.")


def _note(text: str | None) -> str | None:
    if text is None:
        return None
    value = normalize_text(text)
    if not value:
        return None
    check_text(
        value, field="note", label_fr="la note", label_en="note", max_length=2000, multiline=True
    )
    return value


def milestone_view(m: ProjectMilestoneRow) -> dict[str, Any]:
    return {
        "id": m.id,
        "label": m.label,
        "planned_on": m.planned_on.isoformat() if m.planned_on else None,
        "done_on": m.done_on.isoformat() if m.done_on else None,
        "note": m.note,
    }


async def _milestones(session: AsyncSession, project_id: str) -> list[ProjectMilestoneRow]:
    return list(
        await session.scalars(
            select(ProjectMilestoneRow)
            .where(ProjectMilestoneRow.project_id == project_id)
            .order_by(ProjectMilestoneRow.position)
        )
    )


async def _history(
    session: AsyncSession,
    project: ProjectRow,
    kind: str,
    by: str,
    note: str | None = None,
    *,
    webhook: str,
    **details: Any,
) -> None:
    """One change: a row of the project's history and the back office's event."""
    at = now()
    session.add(
        ProjectEventRow(
            project_id=project.id,
            atelier_id=project.atelier_id,
            kind=kind,
            state=project.state,
            by=by,
            note=note,
            details=details,
            at=at,
        )
    )
    project.updated_at = at
    milestones = await _milestones(session, project.id)
    payload = {
        "kind": webhook,
        "step": kind,
        "occurred_at": at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "project": {
            "id": project.id,
            "title": project.title,
            "state": project.state,
            "service": project.service,
            "budget_line": project.budget_line,
            "quartier": project.neighbourhood,
            "ap_atelier_id": project.ap_atelier_id,
            "url": f"/decouvrir/projets/{project.id}",
        },
        "proposal": {"id": project.proposal_id, "title": project.title, "status": "adoptee"},
        "atelier": {"id": project.atelier_id},
        "milestones": [milestone_view(m) for m in milestones],
        "note": note,
        "details": details,
    }
    session.add(
        HandoffEventRow(
            kind=webhook,
            proposal_id=project.proposal_id,
            atelier_id=project.atelier_id,
            payload=json.loads(proposal_rules.canonical(payload)),
            created_at=at,
        )
    )
    await project_news(session, project, kind, note, details)  # e-mail subscribers


# --- born of a decision -----------------------------------------------------------------------


async def create_for_decision(
    session: AsyncSession, proposal: ProposalRow, by: str
) -> ProjectRow | None:
    """The project of a proposal the council just adopted (None for another outcome); its id
    goes into the decision. A proposal has one project, whatever happens later."""
    if proposal.status != proposal_rules.ProposalStatus.ADOPTEE.value:
        return None
    existing = await session.scalar(select(ProjectRow).where(ProjectRow.proposal_id == proposal.id))
    if existing is not None:
        return existing
    atelier = await session.get(AtelierRow, proposal.atelier_id)
    decision = dict(proposal.decision or {})
    at = now()
    project = ProjectRow(
        id=new_id(),
        proposal_id=proposal.id,
        atelier_id=proposal.atelier_id,
        title=proposal.title,
        state=ProjectState.ADOPTEE.value,
        budget_line=decision.get("budget_line") or None,
        service=None,
        neighbourhood=atelier.neighbourhood if atelier is not None else None,
        ap_atelier_id=None,
        created_at=at,
        updated_at=at,
    )
    session.add(project)
    await session.flush()
    proposal.decision = decision | {"project_id": project.id}
    await _history(session, project, "created", by, webhook="project.etat")
    return project


async def add_done_step(
    session: AsyncSession, proposal: ProposalRow, by: str, title: str, on: str, note: str | None
) -> None:
    """A council « suivi » step of an adopted proposal: a milestone done that day."""
    project = await session.scalar(
        select(ProjectRow).where(ProjectRow.proposal_id == proposal.id).with_for_update()
    )
    if project is None:  # adopted before projects existed and not migrated: cannot happen
        project = await create_for_decision(session, proposal, by)
        assert project is not None
    day = dt.date.fromisoformat(on)
    await _insert_milestone(session, project, by, rules.check_label(title), day, day, _note(note))


async def steps_by_proposal(
    session: AsyncSession, proposal_ids: Iterable[str]
) -> dict[str, list[dict[str, Any]]]:
    """For each proposal with a project, its milestones as the decision's « suivi » steps
    (``title``, ``on`` — done, else planned —, ``note``; with ``planned_on``, ``done_on``)."""
    ids = list(proposal_ids)
    if not ids:
        return {}
    rows = (
        await session.execute(
            select(ProjectRow.proposal_id, ProjectMilestoneRow)
            .join(ProjectMilestoneRow, ProjectMilestoneRow.project_id == ProjectRow.id)
            .where(ProjectRow.proposal_id.in_(ids))
            .order_by(ProjectRow.proposal_id, ProjectMilestoneRow.position)
        )
    ).all()
    found: dict[str, list[dict[str, Any]]] = {}
    for proposal_id, m in rows:
        day = m.done_on or m.planned_on
        step: dict[str, Any] = {
            "title": m.label,
            "on": day.isoformat() if day else None,
            "planned_on": m.planned_on.isoformat() if m.planned_on else None,
            "done_on": m.done_on.isoformat() if m.done_on else None,
        }
        if m.note:
            step["note"] = m.note
        found.setdefault(proposal_id, []).append(step)
    return found


def with_steps(
    decision: Mapping[str, Any] | None, steps: list[dict[str, Any]] | None
) -> dict[str, Any] | None:
    """A decision as the API shows it: with its project's milestones as ``milestones``."""
    if decision is None:
        return None
    return {**decision, "milestones": steps} if steps else dict(decision)


async def decisions_with_steps(
    engine: AsyncEngine, rows: Iterable[ProposalRow]
) -> dict[str, dict[str, Any] | None]:
    """Each proposal's decision with its milestones, in one query."""
    rows = list(rows)
    async with reading(engine) as session:
        steps = await steps_by_proposal(session, [r.id for r in rows if r.decision])
    return {r.id: with_steps(r.decision, steps.get(r.id)) for r in rows}


# --- the city's services move it ------------------------------------------------------------


async def _project(session: AsyncSession, project_id: str, atelier_id: str | None) -> ProjectRow:
    """The project, locked; ``atelier_id``: a participant who records decisions sees only
    their atelier's (404 for the others)."""
    row = await session.get(ProjectRow, project_id, with_for_update=True, populate_existing=True)
    if row is None or (atelier_id is not None and row.atelier_id != atelier_id):
        raise _not_found()
    return row


async def change_state(
    engine: AsyncEngine,
    by: str,
    atelier_id: str | None,
    project_id: str,
    state: str,
    note: str | None,
) -> ProjectRow:
    async with transaction(engine) as session:
        project = await _project(session, project_id, atelier_id)
        open_ = sum(1 for m in await _milestones(session, project.id) if m.done_on is None)
        target = rules.check_move(project.state, state, open_)
        before = project.state
        project.state = target.value
        await _history(
            session, project, "state", by, _note(note), webhook="project.etat", before=before
        )
    return project


async def set_details(
    engine: AsyncEngine,
    by: str,
    atelier_id: str | None,
    project_id: str,
    *,
    service: str | None,
    budget_line: str | None,
) -> ProjectRow:
    """The service in charge and the budget line (None: none)."""
    service = rules.check_optional_line(
        service, field="service", label_fr="le service", label_en="service"
    )
    budget_line = rules.check_optional_line(
        budget_line, field="budget_line", label_fr="la ligne budgétaire", label_en="budget line"
    )
    async with transaction(engine) as session:
        project = await _project(session, project_id, atelier_id)
        if (project.service, project.budget_line) == (service, budget_line):
            return project
        project.service, project.budget_line = service, budget_line
        await _history(
            session,
            project,
            "details",
            by,
            webhook="project.etat",
            service=service,
            budget_line=budget_line,
        )
    return project


async def link_ap(
    engine: AsyncEngine, by: str, atelier_id: str | None, project_id: str, ap_id: str | None
) -> ProjectRow:
    """The atelier de projet the city opened for this project (None: no link)."""
    async with transaction(engine) as session:
        project = await _project(session, project_id, atelier_id)
        if ap_id is not None:
            ap = await session.get(AtelierRow, ap_id)
            if ap is None:
                raise InvalidInput(
                    "ap_not_found",
                    "Aucun atelier ne porte cet identifiant.",
                    "No atelier has this id.",
                    field="atelier_id",
                )
            if ap.kind != AtelierKind.PROJET.value:
                raise InvalidInput(
                    "not_an_ap",
                    "Le lien va vers un atelier de projet (AP) ouvert par la Ville.",
                    "The link goes to an atelier de projet (AP) the city opened.",
                    field="atelier_id",
                )
            if ap.id == project.atelier_id:
                raise InvalidInput(
                    "ap_is_origin",
                    "Le projet vient déjà de cet atelier : liez l’atelier de projet ouvert "
                    "ensuite.",
                    "The project already comes from this atelier: link the one opened after.",
                    field="atelier_id",
                )
        if project.ap_atelier_id == ap_id:
            return project
        project.ap_atelier_id = ap_id
        await _history(session, project, "link", by, webhook="project.etat", ap_atelier_id=ap_id)
    return project


async def _insert_milestone(
    session: AsyncSession,
    project: ProjectRow,
    by: str,
    label: str,
    planned: dt.date | None,
    done: dt.date | None,
    note: str | None,
) -> ProjectMilestoneRow:
    rules.check_dates(planned, done)
    _open_project(project)
    position = await session.scalar(
        select(func.coalesce(func.max(ProjectMilestoneRow.position) + 1, 0)).where(
            ProjectMilestoneRow.project_id == project.id
        )
    )
    if int(position or 0) >= 100:
        raise InvalidTransition(
            "too_many_milestones",
            "Un projet a 100 jalons au plus.",
            "A project has at most 100 milestones.",
        )
    milestone = ProjectMilestoneRow(
        id=new_id(),
        project_id=project.id,
        atelier_id=project.atelier_id,
        position=int(position or 0),
        label=label,
        planned_on=planned,
        done_on=done,
        note=note,
        created_at=now(),
    )
    session.add(milestone)
    await session.flush()
    await _history(
        session,
        project,
        "milestone_added",
        by,
        note,
        webhook="project.jalon",
        milestone=milestone_view(milestone),
    )
    return milestone


def _open_project(project: ProjectRow) -> None:
    if project.state in (ProjectState.REALISEE.value, ProjectState.ABANDONNEE.value):
        state = ProjectState(project.state)
        raise InvalidTransition(
            "project_closed",
            f"Le projet est « {state.label_fr} » : ses jalons ne changent plus.",
            f"The project is “{state.label_en}”: its milestones no longer change.",
        )


async def add_milestone(
    engine: AsyncEngine,
    by: str,
    atelier_id: str | None,
    project_id: str,
    *,
    label: str,
    planned_on: dt.date | None,
    done_on: dt.date | None,
    note: str | None,
) -> ProjectMilestoneRow:
    label = rules.check_label(label)
    async with transaction(engine) as session:
        project = await _project(session, project_id, atelier_id)
        return await _insert_milestone(
            session, project, by, label, planned_on, done_on, _note(note)
        )


async def _milestone(
    session: AsyncSession, project: ProjectRow, milestone_id: str
) -> ProjectMilestoneRow:
    row = await session.get(ProjectMilestoneRow, milestone_id, with_for_update=True)
    if row is None or row.project_id != project.id:
        raise Problem(404, "milestone_not_found", "Jalon introuvable.", "Milestone not found.")
    return row


async def edit_milestone(
    engine: AsyncEngine,
    by: str,
    atelier_id: str | None,
    project_id: str,
    milestone_id: str,
    *,
    label: str,
    planned_on: dt.date | None,
    done_on: dt.date | None,
    note: str | None,
) -> ProjectMilestoneRow:
    label = rules.check_label(label)
    rules.check_dates(planned_on, done_on)
    note = _note(note)
    async with transaction(engine) as session:
        project = await _project(session, project_id, atelier_id)
        _open_project(project)
        row = await _milestone(session, project, milestone_id)
        before = milestone_view(row)
        row.label, row.planned_on, row.done_on, row.note = label, planned_on, done_on, note
        await session.flush()
        if milestone_view(row) != before:
            await _history(
                session,
                project,
                "milestone_edited",
                by,
                note,
                webhook="project.jalon",
                milestone=milestone_view(row),
                before=before,
            )
        return row


async def complete_milestone(
    engine: AsyncEngine,
    by: str,
    atelier_id: str | None,
    project_id: str,
    milestone_id: str,
    *,
    on: dt.date,
    note: str | None,
) -> ProjectMilestoneRow:
    note = _note(note)
    async with transaction(engine) as session:
        project = await _project(session, project_id, atelier_id)
        _open_project(project)
        row = await _milestone(session, project, milestone_id)
        if row.done_on is not None:
            raise InvalidTransition(
                "milestone_done",
                f"Le jalon « {row.label} » est déjà fait.",
                f"The milestone “{row.label}” is already done.",
            )
        row.done_on = on
        if note:
            row.note = note
        await session.flush()
        await _history(
            session,
            project,
            "milestone_done",
            by,
            note,
            webhook="project.jalon",
            milestone=milestone_view(row),
        )
        return row


# --- read ---------------------------------------------------------------------------------------


async def project_view(
    engine: AsyncEngine, project_id: str, atelier_id: str | None = None
) -> dict[str, Any]:
    """The project as the city's services read it: with its milestones and history."""
    async with reading(engine) as session:
        project = await session.get(ProjectRow, project_id)
        if project is None or (atelier_id is not None and project.atelier_id != atelier_id):
            raise _not_found()
        milestones = await _milestones(session, project.id)
        events = await session.scalars(
            select(ProjectEventRow)
            .where(ProjectEventRow.project_id == project.id)
            .order_by(ProjectEventRow.id)
        )
        ap = await session.get(AtelierRow, project.ap_atelier_id) if project.ap_atelier_id else None
        return {
            "id": project.id,
            "proposal_id": project.proposal_id,
            "atelier_id": project.atelier_id,
            "title": project.title,
            "state": project.state,
            "service": project.service,
            "budget_line": project.budget_line,
            "quartier": project.neighbourhood,
            "ap": {"id": ap.id, "title": ap.title} if ap is not None else None,
            "url": f"/decouvrir/projets/{project.id}",
            "milestones": [milestone_view(m) for m in milestones],
            "history": [
                {
                    "kind": ev.kind,
                    "state": ev.state,
                    "by": ev.by,
                    "note": ev.note,
                    "at": ev.at.isoformat(),
                    **ev.details,
                }
                for ev in events
            ],
            "created_at": project.created_at.isoformat(),
            "updated_at": project.updated_at.isoformat(),
        }

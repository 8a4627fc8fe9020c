"""Projects: what a favourable decision becomes, with its state and milestones

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

Three tables (``server.db.models``): ``projects`` (one per adopted proposal: state, service,
budget line, quartier, the atelier de projet opened for it), ``project_milestones`` and
``project_events`` (its history). Milestones get one home: every proposal already adopted
becomes a project « adoptée », and the « suivi » steps its decision held
(``proposals.decision["milestones"]``: title, day, note) move to ``project_milestones`` as done
milestones, leaving the decision without them (the API still shows them under
``decision.milestones``, read from the project). The downgrade puts them back.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("proposal_id", sa.String(length=64), nullable=False),
        sa.Column("atelier_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("budget_line", sa.String(length=200), nullable=True),
        sa.Column("service", sa.String(length=200), nullable=True),
        sa.Column("neighbourhood", sa.String(length=200), nullable=True),
        sa.Column("ap_atelier_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["atelier_id"],
            ["ateliers.id"],
            name=op.f("fk_projects_atelier_id_ateliers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_projects_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_projects_proposal_id")),
    )
    op.create_index(op.f("ix_projects_atelier_id"), "projects", ["atelier_id"], unique=False)
    op.create_index(op.f("ix_projects_ap_atelier_id"), "projects", ["ap_atelier_id"], unique=False)
    op.create_table(
        "project_milestones",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("atelier_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_milestones_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_milestones")),
    )
    op.create_index(
        op.f("ix_project_milestones_project_id"),
        "project_milestones",
        ["project_id"],
        unique=False,
    )
    op.create_table(
        "project_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("atelier_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_events_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_events")),
    )
    op.create_index(
        op.f("ix_project_events_project_id"), "project_events", ["project_id"], unique=False
    )
    _projects_of_adopted_proposals()


def _projects_of_adopted_proposals() -> None:
    bind = op.get_bind()
    proposals = sa.table(
        "proposals",
        sa.column("id", sa.String),
        sa.column("atelier_id", sa.String),
        sa.column("title", sa.String),
        sa.column("status", sa.String),
        sa.column("decision", sa.JSON),
    )
    ateliers = sa.table(
        "ateliers", sa.column("id", sa.String), sa.column("neighbourhood", sa.String)
    )
    projects = sa.table(
        "projects",
        *(
            sa.column(name)
            for name in (
                "id",
                "proposal_id",
                "atelier_id",
                "title",
                "state",
                "budget_line",
                "neighbourhood",
            )
        ),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    milestones = sa.table(
        "project_milestones",
        *(
            sa.column(name)
            for name in (
                "id",
                "project_id",
                "atelier_id",
                "position",
                "label",
                "note",
            )
        ),
        sa.column("planned_on", sa.Date),
        sa.column("done_on", sa.Date),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    events = sa.table(
        "project_events",
        *(sa.column(name) for name in ("project_id", "atelier_id", "kind", "state", "by", "note")),
        sa.column("details", sa.JSON),
        sa.column("at", sa.DateTime(timezone=True)),
    )
    now = dt.datetime.now(dt.UTC)
    found = bind.execute(
        sa.select(
            proposals.c.id,
            proposals.c.atelier_id,
            proposals.c.title,
            proposals.c.decision,
            ateliers.c.neighbourhood,
        )
        .join(ateliers, ateliers.c.id == proposals.c.atelier_id)
        .where(proposals.c.status == "adoptee")
    ).all()
    for proposal_id, atelier_id, title, raw, neighbourhood in found:
        decision = dict(_json(raw) or {})
        project_id = secrets.token_hex(8)
        bind.execute(
            projects.insert().values(
                id=project_id,
                proposal_id=proposal_id,
                atelier_id=atelier_id,
                title=title,
                state="adoptee",
                budget_line=decision.get("budget_line"),
                neighbourhood=neighbourhood,
                created_at=now,
                updated_at=now,
            )
        )
        bind.execute(
            events.insert().values(
                project_id=project_id,
                atelier_id=atelier_id,
                kind="created",
                state="adoptee",
                by=str(decision.get("recorded_by") or "conseil municipal"),
                note=None,
                details={},
                at=now,
            )
        )
        for position, step in enumerate(decision.pop("milestones", None) or []):
            day = dt.date.fromisoformat(str(step.get("on")))
            bind.execute(
                milestones.insert().values(
                    id=secrets.token_hex(8),
                    project_id=project_id,
                    atelier_id=atelier_id,
                    position=position,
                    label=str(step.get("title", ""))[:200],
                    planned_on=day,
                    done_on=day,
                    note=step.get("note"),
                    created_at=now,
                )
            )
        decision["project_id"] = project_id
        bind.execute(
            proposals.update().where(proposals.c.id == proposal_id).values(decision=decision)
        )


def _milestones_back_into_decisions() -> None:
    bind = op.get_bind()
    proposals = sa.table("proposals", sa.column("id", sa.String), sa.column("decision", sa.JSON))
    rows = bind.execute(
        sa.text(
            "SELECT p.proposal_id, m.label, m.planned_on, m.done_on, m.note FROM projects p "
            "JOIN project_milestones m ON m.project_id = p.id ORDER BY p.proposal_id, m.position"
        )
    ).all()
    steps: dict[str, list[dict[str, Any]]] = {}
    for proposal_id, label, planned, done, note in rows:
        day = done or planned
        step = {"title": label, "on": str(day)[:10]}
        if note:
            step["note"] = note
        steps.setdefault(proposal_id, []).append(step)
    for (proposal_id,) in bind.execute(sa.text("SELECT proposal_id FROM projects")).all():
        raw = bind.execute(
            sa.select(proposals.c.decision).where(proposals.c.id == proposal_id)
        ).scalar()
        decision = dict(_json(raw) or {})
        decision.pop("project_id", None)
        if steps.get(proposal_id):
            decision["milestones"] = steps[proposal_id]
        bind.execute(
            proposals.update().where(proposals.c.id == proposal_id).values(decision=decision)
        )


def downgrade() -> None:
    _milestones_back_into_decisions()
    op.drop_index(op.f("ix_project_events_project_id"), table_name="project_events")
    op.drop_table("project_events")
    op.drop_index(op.f("ix_project_milestones_project_id"), table_name="project_milestones")
    op.drop_table("project_milestones")
    op.drop_index(op.f("ix_projects_ap_atelier_id"), table_name="projects")
    op.drop_index(op.f("ix_projects_atelier_id"), table_name="projects")
    op.drop_table("projects")

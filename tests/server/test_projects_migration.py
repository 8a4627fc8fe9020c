"""Migration 0017 on a database that already holds an adopted proposal with « suivi » steps: it
becomes a project « adoptée » whose done milestones are those steps, the decision names the
project and no longer holds them; the downgrade puts them back. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from server.db.migrate import downgrade, upgrade
from tests.conftest import postgres_database

T = TypeVar("T")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'atelier.db'}"
    else:
        with postgres_database() as url:
            yield url


def run(url: str, work: Callable[[sa.Connection], T]) -> T:
    """``work`` in one committed transaction of the database's own (async) driver."""

    async def go() -> T:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                return await conn.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def decision_of(conn: sa.Connection) -> dict[str, object]:
    raw = conn.execute(sa.text("SELECT decision FROM proposals WHERE id = 'p1'")).scalar()
    return dict(json.loads(raw) if isinstance(raw, str) else raw)


def test_adopted_proposals_become_projects_and_their_steps_milestones(empty_url: str) -> None:
    upgrade(empty_url, "0016")
    now = datetime(2018, 3, 12, tzinfo=UTC)
    steps = [{"title": "Clôture posée", "on": "2018-05-02", "note": "Par les agents."}]
    decision = {"outcome": "adoptee", "answer": "Adopté.", "budget_line": "AP 2018-17"}

    def fill(conn: sa.Connection) -> None:
        conn.execute(
            sa.text(
                "INSERT INTO ateliers (id, title, subject, kind, scope, neighbourhood, instances,"
                " pilots, charter_version, charter_text, min_residents, status, listed,"
                " created_at, updated_at) VALUES ('a1', 'Jardins', '', 'projet', 'quartier',"
                " 'Neudorf', '[]', '[]', 1, '', 1, 'actif', :yes, :now, :now)"
            ),
            {"now": now, "yes": True},
        )
        for pid, status, extra in (("p1", "adoptee", steps), ("p2", "rejetee", None)):
            body = decision | ({"milestones": extra} if extra else {"outcome": status})
            conn.execute(
                sa.text(
                    "INSERT INTO proposals (id, atelier_id, kind, title, doc_id, status, locked,"
                    " decision, created_at) VALUES (:id, 'a1', 'fiche_action', 'Un jardin',"
                    " :doc, :status, :no, :decision, :now)"
                ),
                {
                    "id": pid,
                    "doc": f"prop-{pid}",
                    "status": status,
                    "no": False,
                    "decision": json.dumps(body),
                    "now": now,
                },
            )

    run(empty_url, fill)
    upgrade(empty_url, "0017")

    def check(conn: sa.Connection) -> dict[str, object]:
        projects = conn.execute(
            sa.text("SELECT id, proposal_id, state, budget_line, neighbourhood FROM projects")
        ).all()
        assert [tuple(p[1:]) for p in projects] == [("p1", "adoptee", "AP 2018-17", "Neudorf")]
        milestones = conn.execute(
            sa.text("SELECT label, planned_on, done_on, note FROM project_milestones")
        ).all()
        assert [(m[0], str(m[1])[:10], str(m[2])[:10], m[3]) for m in milestones] == [
            ("Clôture posée", "2018-05-02", "2018-05-02", "Par les agents.")
        ]
        kinds = conn.execute(sa.text("SELECT kind, state FROM project_events")).all()
        assert [tuple(k) for k in kinds] == [("created", "adoptee")]
        moved = decision_of(conn)
        assert moved["project_id"] == projects[0][0]
        return moved

    assert "milestones" not in run(empty_url, check)
    downgrade(empty_url, "0016")
    back = run(empty_url, decision_of)
    assert back["milestones"] == steps
    assert "project_id" not in back

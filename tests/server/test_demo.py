"""`atelier demo`: the seed's workshop, loaded twice without duplicates, readable live."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pycrdt import Doc

from collab.render import section_texts
from domain.demo import demo
from tests.conftest import ROOT, TEST_SECRET, ServerProcess
from tests.ypy_client import connect

pytestmark = pytest.mark.anyio


def run_demo(database_url: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "ATELIER_DATABASE_URL": database_url, "ATELIER_SECRET_KEY": TEST_SECRET},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


async def counts(database_url: str) -> dict[str, int]:
    from sqlalchemy import text

    from server.state import create_engine

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            tables = ("ateliers", "sessions", "participants", "proposals", "document_updates")
            return {t: int(await conn.scalar(text(f"SELECT count(*) FROM {t}"))) for t in tables}
    finally:
        await engine.dispose()


async def test_the_demo_loads_twice_without_duplicates_and_its_texts_are_live(
    database_url: str, tmp_path: Path
) -> None:
    first = await asyncio.to_thread(run_demo, database_url)
    assert first[0].startswith("Démo chargée")
    after_first = await counts(database_url)
    second = await asyncio.to_thread(run_demo, database_url)
    assert second[0].startswith("Démo déjà présente")
    assert second[1] == first[1]  # the same séance code
    assert await counts(database_url) == after_first
    assert after_first["sessions"] == 2
    assert after_first["proposals"] == 3

    seed = demo()
    proposal = seed.proposals[0]
    token = next(line for line in first if "#token=" in line).split("#token=")[1]
    with ServerProcess(database_url, log_path=tmp_path / "server.log").running() as srv:
        url = f"{srv.ws_base}/prop-{proposal.id}?token={token}"
        async with connect(url) as facilitator:
            doc: Doc = facilitator.doc
            texts = section_texts(doc, [s.key for s in proposal.sections])
    assert texts == {s.key: s.text for s in proposal.sections}

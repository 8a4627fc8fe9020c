"""``atelier serve`` on a database nobody has migrated: the embedded default (a SQLite file in
the current folder) migrates itself and serves documents; PostgreSQL, shared by instances whose
migrations run once before them, stops the start and says which command to run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from server.auth import mint_grant
from server.settings import DEV_SECRET_KEY
from tests.conftest import free_port, postgres_database
from tests.serving import ATELIER, clean_env, serving
from tests.ypy_client import connect

pytestmark = pytest.mark.anyio

DOC = "fiche-action-1"


async def test_serve_in_an_empty_folder_migrates_and_serves_documents(tmp_path: Path) -> None:
    port = free_port()
    # No setting at all, as a newcomer types it: the SQLite file `atelier.db` in this folder.
    with serving([ATELIER, "serve", "--port", str(port)], tmp_path, clean_env(), port):
        assert (tmp_path / "atelier.db").is_file()
        token = mint_grant(DEV_SECRET_KEY, DOC, "rw", "newcomer", 600)
        url = f"ws://127.0.0.1:{port}/ws/docs/{DOC}?token={token}"
        async with connect(url) as writer, connect(url) as reader:
            writer.edit(lambda t: t.insert(0, "Bonjour"))
            # Echoed once stored: the reader sees it only if the documents table took it.
            await reader.wait_for(lambda: str(reader) == "Bonjour")
            await writer.round_trip()
            assert writer.close_code is None
            assert reader.close_code is None


def test_serve_no_migrate_on_an_empty_folder_refuses_and_says_how(tmp_path: Path) -> None:
    port = free_port()
    done = subprocess.run(
        [ATELIER, "serve", "--no-migrate", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "atelier db upgrade" in done.stderr
    assert "n’est pas à jour" in done.stderr  # French first …
    assert "not up to date" in done.stderr  # … then English


@pytest.mark.postgres
def test_serve_on_an_unmigrated_postgresql_refuses_then_starts_once_upgraded(
    tmp_path: Path,
) -> None:
    with postgres_database() as url:
        port = free_port()
        env = clean_env(ATELIER_DATABASE_URL=url)
        command = [ATELIER, "serve", "--port", str(port)]
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode != 0
        assert "atelier db upgrade" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        upgraded = subprocess.run(
            [ATELIER, "db", "upgrade"], cwd=tmp_path, env=env, capture_output=True, check=False
        )
        assert upgraded.returncode == 0, upgraded.stderr
        with serving(command, tmp_path, env, port):
            pass  # healthy

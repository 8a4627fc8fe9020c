"""A person's data (RGPD), on SQLite and PostgreSQL with a real server: what is held about a
participant, their name erased from the live data, the audit log, exports and every render while
the versions that named them still verify by the README's recipe, old-format versions, and the
city's retention."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_backup import cli
from tests.server.test_versions_api import (
    council,
    new_proposal,
    opened,
    paragraph,
    post,
    recompute,
    write,
)
from tests.server.test_versions_api import room as room  # noqa: PLC0414 (the fixture)

NAME = "Zéphyrine Quastrelle"
SURNAME = "Quastrelle"  # what must not be found anywhere once erased


def join(room: Room, name: str, **extra: Any) -> tuple[str, str]:
    """(token, participant id)"""
    joined = room.join(name, **extra)
    assert joined.status_code == 201, joined.text
    return joined.json()["token"], joined.json()["participant"]["id"]


def get(room: Room, path: str, token: str | dict[str, str]) -> Any:
    headers = token if isinstance(token, dict) else room.auth(token)
    return room.http.get(path, headers=headers)


def sql(url: str, statement: str, **params: Any) -> list[Any]:
    async def run() -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(sa.text(statement), params)
                return list(result.all()) if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


def a_writer_in_a_frozen_version(room: Room, server: ServerProcess) -> dict[str, Any]:
    """Zéphyrine joins, agrees to be named, checks in and writes; the séance is frozen."""
    token, pid = join(room, NAME, show_name_in_minutes=True)
    checked = room.http.post(
        f"/api/sessions/{room.session['id']}/check-in", headers=room.auth(token)
    )
    assert checked.status_code == 200, checked.text
    proposal = new_proposal(room, session_id=room.session["id"])
    asyncio.run(write(server, proposal["doc_id"], token, paragraph("constat", "Trop de voitures.")))
    frozen = post(room, f"/api/sessions/{room.session['id']}/freeze")
    assert frozen.status_code == 201, frozen.text
    return {"token": token, "pid": pid, "proposal": proposal}


def test_a_person_reads_what_is_held_about_them_and_so_does_the_facilitator(
    room: Room, server_on: ServerProcess
) -> None:
    world = a_writer_in_a_frozen_version(room, server_on)
    pid, proposal = world["pid"], world["proposal"]
    held = get(room, f"/api/participants/{pid}/personal-data", room.facilitator)
    assert held.status_code == 200, held.text
    data = held.json()
    assert data["participant"]["display_name"] == NAME
    assert data["participant"]["show_name_in_minutes"] is True
    assert [a["session_id"] for a in data["attendance"]] == [room.session["id"]]
    assert data["contributions"] == [
        {"proposal_id": proposal["id"], "proposal_title": proposal["title"], "section": "constat"}
    ]
    (version,) = data["versions"]
    assert (version["proposal_id"], version["number"], version["format"]) == (
        proposal["id"],
        1,
        2,
    )
    assert sorted(version["where"]) == ["attendance", "section:constat"]
    assert version["name"] == NAME
    digest = hashlib.sha256((version["salt"] + NAME).encode()).hexdigest()
    assert digest == version["commitment"]
    assert "secret" in data["votes"]["secret_ballots"]["en"]  # no link exists: it says so
    # The person themself reads the same; another resident may not; nor another atelier.
    assert get(room, f"/api/participants/{pid}/personal-data", world["token"]).json() == data
    other, _ = join(room, "Bruno")
    refused = get(room, f"/api/participants/{pid}/personal-data", other)
    assert refused.status_code == 403, refused.text
    nobody = {"Authorization": "Bearer nope"}
    assert get(room, f"/api/participants/{pid}/personal-data", nobody).status_code == 401
    stranger = Room(room.http)
    assert (
        get(stranger, f"/api/participants/{pid}/personal-data", stranger.facilitator).status_code
        == 404
    )
    # The operator's command prints the same, as JSON.
    printed = cli("person", "export", "--participant", pid, database_url=server_on.database_url)
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout)["contributions"] == data["contributions"]


def test_erasing_a_writer_of_a_frozen_version_removes_their_name_and_the_hash_still_verifies(  # noqa: PLR0915
    room: Room, server_on: ServerProcess, tmp_path: Path
) -> None:
    world = a_writer_in_a_frozen_version(room, server_on)
    pid, proposal, token = world["pid"], world["proposal"], world["token"]
    path = f"/api/proposals/{proposal['id']}/versions/1"
    before = get(room, path, room.facilitator).json()
    assert NAME in get(room, f"{path}/markdown", room.facilitator).text

    erased = post(room, f"/api/participants/{pid}/erase")
    assert erased.status_code == 200, erased.text
    assert erased.json()["pseudonym"] == "Participant·e effacé·e n° 1"
    assert erased.json()["version_names_erased"] == 1
    # Tokens revoked.
    assert get(room, f"/api/participants/{pid}/personal-data", token).status_code == 401

    # The version: same hash, still recomputed by the README's recipe; the name and its salt
    # gone from beside it, the commitment left.
    after = get(room, path, room.facilitator)
    assert SURNAME not in after.text
    version = after.json()
    assert version["hash"] == before["hash"] == recompute(version)
    assert version["content"] == before["content"]
    (gone,) = version["content"]["attendance"]["named"]
    assert opened(version, gone) is None
    verified = get(room, f"/api/proposals/{proposal['id']}/verify", room.facilitator).json()
    assert verified["valid"] is True

    # Renders: « (nom effacé) » where the name stood.
    markdown = get(room, f"{path}/markdown", room.facilitator).text.replace("\xa0", " ")
    assert SURNAME not in markdown
    assert "Écrit par (nom effacé)" in markdown
    assert "ont souhaité être nommé·es : (nom effacé)" in markdown
    page = get(room, f"{path}/html", room.facilitator).text
    assert SURNAME not in page
    assert "(nom effacé)" in page
    pdf = get(room, f"{path}/pdf", room.facilitator)
    assert pdf.status_code == 200
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert SURNAME not in text
    assert "(nom effacé)" in text.replace("\n", " ")
    minutes = get(room, f"/api/sessions/{room.session['id']}/compte-rendu", room.facilitator).text
    assert SURNAME not in minutes
    assert "(nom effacé)" in minutes
    assert post(room, f"/api/proposals/{proposal['id']}/transmit").status_code == 200
    city = council(room)
    assert SURNAME not in get(room, "/api/council/proposals", city).text
    assert SURNAME not in get(room, path, city).text

    # Live data and audit: the pseudonym.
    listed = get(room, f"/api/ateliers/{room.atelier['id']}/participants", room.facilitator)
    assert SURNAME not in listed.text
    assert "Participant·e effacé·e n° 1" in listed.text
    journal = get(room, f"/api/ateliers/{room.atelier['id']}/audit", room.facilitator)
    assert SURNAME not in journal.text
    assert any(e["action"] == "erase" and e["target"] == pid for e in journal.json())

    # What is held now, and the backup archive: no name.
    held = get(room, f"/api/participants/{pid}/personal-data", room.facilitator)
    assert SURNAME not in held.text
    assert held.json()["participant"]["erased_at"] is not None
    archive = tmp_path / "atelier.tar.gz"
    exported = cli(
        "export",
        "--atelier",
        room.atelier["id"],
        "-o",
        str(archive),
        database_url=server_on.database_url,
    )
    assert exported.returncode == 0, exported.stderr
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            body = tar.extractfile(member)
            assert body is not None
            assert SURNAME.encode() not in body.read(), member.name
    # Erasing again changes nothing more.
    again = post(room, f"/api/participants/{pid}/erase")
    assert again.status_code == 200
    assert again.json()["already_erased"] is True


def _format_1_version(url: str, proposal_id: str, name: str) -> None:
    """A version as frozen before names were committed: the name in the hashed content."""
    content = {
        "proposal": {"id": proposal_id, "title": "Ancienne", "kind": "fiche_action"},
        "atelier": {"id": "x", "title": "x"},
        "sections": [],
        "attendance": {"by_role": {"habitant": 1}, "total": 1, "named": [name]},
    }
    state = b"\x00\x00"
    created_at = "2026-11-01T10:00:00.000000Z"
    hashed = {
        "proposal_id": proposal_id,
        "version": 1,
        "created_at": created_at,
        "created_by": "Animation",
        "prev_hash": "0" * 64,
        "state_sha256": hashlib.sha256(state).hexdigest(),
        "content": content,
    }
    canonical = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    sql(
        url,
        "INSERT INTO proposal_versions (proposal_id, number, created_at, created_by, "
        "session_id, prev_hash, hash, content, state, format) VALUES (:p, 1, :at, 'Animation', "
        "NULL, :prev, :hash, :content, :state, 1)",
        p=proposal_id,
        at=created_at,
        prev="0" * 64,
        hash=hashlib.sha256(canonical.encode()).hexdigest(),
        content=json.dumps(content),
        state=state,
    )


def test_a_name_in_a_version_frozen_before_commitments_is_kept_only_when_confirmed(
    room: Room, server_on: ServerProcess
) -> None:
    token, pid = join(room, NAME, show_name_in_minutes=True)
    old = new_proposal(room, title="Ancienne")
    _format_1_version(server_on.database_url, old["id"], NAME)
    version = get(room, f"/api/proposals/{old['id']}/versions/1", room.facilitator).json()
    assert version["format"] == 1
    assert recompute(version) == version["hash"]  # format 1 hashes as it always did

    refused = post(room, f"/api/participants/{pid}/erase", token)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "named_in_frozen_versions"
    assert [(v["proposal_id"], v["number"]) for v in refused.json()["versions"]] == [(old["id"], 1)]
    by_cli = cli("person", "erase", "--participant", pid, database_url=server_on.database_url)
    assert by_cli.returncode != 0
    assert "named_in_frozen_versions" in by_cli.stderr
    assert get(room, f"/api/participants/{pid}/personal-data", token).status_code == 200

    done = cli(
        "person",
        "erase",
        "--participant",
        pid,
        "--keep-old-versions",
        database_url=server_on.database_url,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["old_versions_kept"] == [{"proposal_id": old["id"], "number": 1}]
    listed = get(room, f"/api/ateliers/{room.atelier['id']}/participants", room.facilitator)
    assert SURNAME not in listed.text
    verified = get(room, f"/api/proposals/{old['id']}/verify", room.facilitator).json()
    assert verified["valid"] is True  # the old version is kept as it was frozen


def test_retention_erases_the_inactive_and_purges_old_audit_entries(
    room: Room, server_on: ServerProcess
) -> None:
    _, gone = join(room, NAME)
    _, active = join(room, "Bruno Actif")
    long_ago = datetime.now(UTC) - timedelta(days=400)
    url = server_on.database_url
    invitations = f"/api/ateliers/{room.atelier['id']}/invitations"
    assert post(room, invitations, role="elu").status_code == 201
    sql(url, "UPDATE participants SET joined_at = :t WHERE id = :p", t=long_ago, p=gone)
    sql(url, "UPDATE audit_log SET created_at = :t", t=long_ago)
    assert post(room, invitations, role="elu").status_code == 201
    off = cli("retention", "run", database_url=url)
    assert off.returncode == 0, off.stderr
    assert "0 participant(s) erased" in off.stdout  # off by default

    ran = cli(
        "retention",
        "run",
        database_url=url,
        ATELIER_RETENTION_DAYS_PARTICIPANTS="365",
        ATELIER_RETENTION_DAYS_AUDIT="365",
    )
    assert ran.returncode == 0, ran.stderr
    assert "1 participant(s) erased" in ran.stdout
    names = dict(sql(url, "SELECT id, display_name FROM participants"))
    assert names[gone] == "Participant·e effacé·e n° 1"
    assert names[active] == "Bruno Actif"
    journal = get(room, f"/api/ateliers/{room.atelier['id']}/audit", room.facilitator).json()
    assert journal, "recent entries stay"
    assert all(datetime.fromisoformat(e["at"]) > long_ago + timedelta(days=1) for e in journal)
    assert SURNAME not in json.dumps(journal)


@pytest.mark.parametrize("days", ["-1", "x"])
def test_a_bad_retention_setting_is_refused(days: str, sqlite_url: str) -> None:
    ran = cli("retention", "run", database_url=sqlite_url, ATELIER_RETENTION_DAYS_PARTICIPANTS=days)
    assert ran.returncode != 0
    assert "RETENTION_DAYS_PARTICIPANTS" in ran.stderr

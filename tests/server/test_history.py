"""A proposal's history over HTTP (issue 20, #5): revisions of a document two real Yrs clients
wrote, authors named by the names rules, a past state that compaction did not lose, and a
restore that is a new edit every open editor receives."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pycrdt import XmlFragment
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_versions_api import new_proposal, paragraph, post, write
from tests.ypy_client import connect


@pytest.fixture
def room(server_on: ServerProcess) -> Any:
    with httpx.Client(base_url=server_on.http, timeout=60) as http:
        yield Room(http)


def _compacted(url: str, doc_id: str) -> bool:
    """Whether a compaction folded the document's log (its rows are in the history now)."""

    async def read() -> bool:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                kept = (
                    await conn.execute(
                        sa.text("SELECT count(*) FROM document_history WHERE document_id = :d"),
                        {"d": doc_id},
                    )
                ).scalar_one()
                live = (
                    await conn.execute(
                        sa.text("SELECT count(*) FROM document_updates WHERE document_id = :d"),
                        {"d": doc_id},
                    )
                ).scalar_one()
        finally:
            await engine.dispose()
        return bool(kept) and live == 0

    return asyncio.run(read())


def _wait_compacted(url: str, doc_id: str, timeout: float = 60) -> None:
    # The room unloads one second after its last editor leaves, and compacts as it does.
    deadline = time.monotonic() + timeout
    while not _compacted(url, doc_id):
        assert time.monotonic() < deadline, "the room never compacted"
        time.sleep(0.1)


def _texts(revision: dict[str, Any], key: str = "constat") -> tuple[str, dict[int, str]]:
    """A section's text at a revision, and each author's text in it."""
    (section,) = [s for s in revision["sections"] if s["key"] == key]
    text = ""
    by: dict[int, str] = {}
    for block in section["blocks"]:
        for run_text, _marks, who in block.get("runs", []):
            text += run_text
            by[who] = by.get(who, "") + run_text
        text += "\n"
    return text, by


def test_two_writers_a_past_state_after_compaction_and_a_restore_everyone_sees(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = new_proposal(room, session_id=room.session["id"])
    base = f"/api/proposals/{proposal['id']}/history"
    ana = room.token_of("Ana", show_name_in_minutes=True)
    bob = room.token_of("Bob")  # did not choose to be named
    doc_id = proposal["doc_id"]

    asyncio.run(write(server_on, doc_id, ana, paragraph("constat", "Premier jet d’Ana.")))
    _wait_compacted(server_on.database_url, doc_id)  # Ana's rows folded into the snapshot
    asyncio.run(write(server_on, doc_id, bob, paragraph("constat", "Ajout de Bob.")))

    listed = room.http.get(f"{base}/revisions", headers=room.auth(ana))
    assert listed.status_code == 200, listed.text
    revisions = listed.json()["revisions"]
    # The template's text (no one), then Ana, then Bob: each revision with its authors, named
    # only when they chose to be.
    assert [r["authors"] for r in revisions][-2:] == [
        [{"n": 1, "name": "Ana"}],
        [{"n": 2, "name": None}],
    ]
    assert listed.json()["authors"] == [{"n": 1, "name": "Ana"}, {"n": 2, "name": None}]
    assert [r["n"] for r in revisions] == list(range(1, len(revisions) + 1))
    assert all(r["size"] > 0 and r["at"].endswith("Z") for r in revisions)
    ana_rev, bob_rev = revisions[-2]["n"], revisions[-1]["n"]

    # The state at Ana's revision: compaction did not lose it.
    past = room.http.get(f"{base}/revisions/{ana_rev}", headers=room.auth(bob)).json()
    text, by = _texts(past)
    assert "Premier jet d’Ana." in text
    assert "Bob" not in text
    assert by[1] == "Premier jet d’Ana."
    assert past["count"] == len(revisions)
    latest = room.http.get(f"{base}/revisions/{bob_rev}", headers=room.auth(bob)).json()
    text, by = _texts(latest)
    assert "Premier jet d’Ana." in text
    assert "Ajout de Bob." in text
    assert (by[1], by[2]) == ("Premier jet d’Ana.", "Ajout de Bob.")

    async def restore_while_someone_edits() -> dict[str, Any]:
        async with connect(server_on.doc_url(doc_id, token=bob)) as editor:
            assert "Ajout de Bob." in str(editor.doc.get("constat", type=XmlFragment))
            answer = await asyncio.to_thread(
                post, room, f"{base}/restore", ana, revision=ana_rev, section="constat"
            )
            assert answer.status_code == 200, answer.text
            # The open editor receives the restore as any edit.
            await editor.wait_for(
                lambda: "Bob" not in str(editor.doc.get("constat", type=XmlFragment)), 30
            )
            assert "Premier jet d’Ana." in str(editor.doc.get("constat", type=XmlFragment))
            return dict(answer.json())

    assert asyncio.run(restore_while_someone_edits()) == {
        "restored": "constat",
        "revision": ana_rev,
    }

    # A new revision, by Ana who restored; the old ones are as they were.
    after = room.http.get(f"{base}/revisions", headers=room.auth(ana)).json()["revisions"]
    assert len(after) == len(revisions) + 1
    assert after[-1]["authors"] == [{"n": 1, "name": "Ana"}]
    again = room.http.get(f"{base}/revisions/{bob_rev}", headers=room.auth(ana)).json()
    assert "Ajout de Bob." in _texts(again)[0]
    now = room.http.get(f"{base}/revisions/{after[-1]['n']}", headers=room.auth(ana)).json()
    assert "Bob" not in _texts(now)[0]
    assert "Premier jet d’Ana." in _texts(now)[0]


def test_restore_is_refused_on_a_locked_proposal_and_bad_input_is_a_problem(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = new_proposal(room, session_id=room.session["id"])
    base = f"/api/proposals/{proposal['id']}/history"
    ana = room.token_of("Ana")
    asyncio.run(write(server_on, proposal["doc_id"], ana, paragraph("constat", "Un texte.")))

    def restore(token: str, **body: Any) -> httpx.Response:
        return room.http.post(f"{base}/restore", json=body, headers=room.auth(token))

    observer = room.token_of("Odile", role="observateur")
    assert restore(observer, revision=1, section="constat").status_code == 403
    for body, status, code in [
        ({"revision": 999, "section": "constat"}, 404, "revision_not_found"),
        ({"revision": 1, "section": "nope"}, 422, "unknown_section"),
    ]:
        answer = restore(ana, **body)
        assert answer.status_code == status, answer.text
        assert answer.json()["code"] == code
        assert answer.json()["detail_fr"]
        assert answer.json()["detail_en"]
    assert restore(ana, revision=0, section="constat").status_code == 400
    assert restore(ana, revision="un", section="constat").status_code == 400
    assert restore(ana, section="constat").status_code == 400
    assert room.http.get(f"{base}/revisions/999", headers=room.auth(ana)).status_code == 404
    assert httpx.get(f"{server_on.http}{base}/revisions", timeout=30).status_code == 401
    other = Room(room.http)
    outsider = other.token_of("Zoé")
    assert room.http.get(f"{base}/revisions", headers=room.auth(outsider)).status_code == 403
    assert (
        room.http.get("/api/proposals/nope/history/revisions", headers=room.auth(ana)).status_code
        == 404
    )

    locked = post(room, f"/api/proposals/{proposal['id']}/lock", None, locked=True)
    assert locked.status_code == 200, locked.text
    before = room.http.get(f"{base}/revisions", headers=room.auth(ana)).json()["revisions"]
    answer = restore(ana, revision=1, section="constat")
    assert answer.status_code == 409
    assert answer.json()["code"] == "proposal_locked"
    # Nothing was written.
    assert room.http.get(f"{base}/revisions", headers=room.auth(ana)).json()["revisions"] == before

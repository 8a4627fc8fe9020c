"""The facilitator's switches on a proposal (issue 19, #5), on SQLite and PostgreSQL: a lock
closes the open editors, which come back read-only and are told why; an unlock gives writing
back; an archived proposal is read-only, offered neither to a vote nor to the council, and can
be brought back; asking twice changes things once; bad requests get clear problems."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import websockets
from pycrdt import XmlFragment

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_live_channel import Follower, follow_url
from tests.server.test_polls_api import OPTIONS
from tests.server.test_versions_api import council, new_proposal, paragraph, post
from tests.ypy_client import connect


@pytest.fixture
def room(server_on: ServerProcess) -> Any:
    with httpx.Client(base_url=server_on.http, timeout=20) as http:
        yield Room(http)


def access(room: Room, proposal: dict[str, Any], token: str) -> dict[str, Any]:
    answer = room.http.get(f"/api/proposals/{proposal['id']}/token", headers=room.auth(token))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def steps(room: Room, proposal: dict[str, Any]) -> list[str]:
    history = room.http.get(
        f"/api/proposals/{proposal['id']}/history", headers=room.auth(room.facilitator)
    )
    return [event["step"] for event in history.json()]


def listed(room: Room, proposal: dict[str, Any]) -> dict[str, Any]:
    rows = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/proposals", headers=room.auth(room.facilitator)
    ).json()
    return dict(next(p for p in rows if p["id"] == proposal["id"]))


def section_text(client: Any, key: str = "constat") -> str:
    return str(client.doc.get(key, type=XmlFragment))


def test_a_lock_sends_open_editors_back_read_only_and_an_unlock_gives_writing_back(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = new_proposal(room, session_id=room.session["id"])
    ana = room.token_of("Ana")
    lock = f"/api/proposals/{proposal['id']}/lock"

    async def scenario() -> None:
        seance = await websockets.connect(follow_url(server_on, room.session["id"], ana))
        live = Follower(seance)
        await live.next("snapshot")
        async with connect(server_on.doc_url(proposal["doc_id"], token=ana)) as editor:
            editor.edit_doc(paragraph("constat", "Avant le verrou."))
            await editor.round_trip()
            locked = await asyncio.to_thread(post, room, lock, None, locked=True)
            assert locked.status_code == 200, locked.text
            assert (locked.json()["locked"], locked.json()["locked_by"]) == (True, "animation")
            await editor.closed.wait()
            assert editor.close_code == 1012  # come back: your access changed
        told = await live.next("proposals_changed", proposal_id=proposal["id"])
        assert told["change"] == "locked"
        assert access(room, proposal, ana) | {"doc_id": None} == {
            "doc_id": None,
            "read_only": True,
            "reason": "locked",
        }
        # The editor reconnects: what it writes now goes nowhere.
        async with connect(server_on.doc_url(proposal["doc_id"], token=ana)) as editor:
            assert "Avant le verrou." in section_text(editor)
            editor.edit_doc(paragraph("constat", "Pendant le verrou."))
            await editor.round_trip()
            unlocked = await asyncio.to_thread(post, room, lock, None, locked=False)
            assert (unlocked.json()["locked"], unlocked.json()["locked_by"]) == (False, None)
            await editor.closed.wait()
            assert editor.close_code == 1012
        assert (await live.next("proposals_changed", proposal_id=proposal["id"]))[
            "change"
        ] == "unlocked"
        assert access(room, proposal, ana)["reason"] is None
        async with connect(server_on.doc_url(proposal["doc_id"], token=ana)) as editor:
            editor.edit_doc(paragraph("constat", "Après le verrou."))
            await editor.round_trip()
        async with connect(server_on.doc_url(proposal["doc_id"], token=room.facilitator)) as other:
            text = section_text(other)
            assert "Avant le verrou." in text
            assert "Après le verrou." in text
            assert "Pendant" not in text
        await seance.close()

    asyncio.run(scenario())
    # The history and the audit say who did it, once per change.
    history = room.http.get(
        f"/api/proposals/{proposal['id']}/history", headers=room.auth(room.facilitator)
    ).json()
    assert [(e["step"], e["role"]) for e in history if e["step"].endswith("locked")] == [
        ("locked", "animateur"),
        ("unlocked", "animateur"),
    ]
    # An observer's reason is their role, once nothing else holds the text.
    observer = room.token_of("Odile", role="observateur")
    assert access(room, proposal, observer)["reason"] == "role"
    post(room, lock, None, locked=True)
    assert access(room, proposal, observer)["reason"] == "locked"


def test_asking_twice_at_once_locks_and_archives_once(room: Room, server_on: ServerProcess) -> None:
    proposal = new_proposal(room)

    def twice_at_once(path: str, body: dict[str, bool]) -> list[httpx.Response]:
        url = f"{server_on.http}/api/proposals/{proposal['id']}/{path}"
        headers = room.auth(room.facilitator)
        with ThreadPoolExecutor(2) as pool:
            sent = [
                pool.submit(httpx.post, url, json=body, headers=headers, timeout=20)
                for _ in range(2)
            ]
            return [future.result() for future in sent]

    for path, body in (("lock", {"locked": True}), ("archive", {"archived": True})):
        answers = twice_at_once(path, body)
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        assert answers[0].json() == answers[1].json()
    assert steps(room, proposal).count("locked") == 1
    assert steps(room, proposal).count("archived") == 1
    first = listed(room, proposal)["archived_at"]
    again = post(room, f"/api/proposals/{proposal['id']}/archive", None, archived=True)
    assert again.json()["archived_at"] == first  # not archived anew


def test_a_freeze_lock_says_frozen_and_the_switch_unlocks_it(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = new_proposal(room)
    ana = room.token_of("Ana")
    frozen = post(room, f"/api/proposals/{proposal['id']}/freeze", None, lock=True)
    assert frozen.status_code == 201, frozen.text
    assert (listed(room, proposal)["locked"], listed(room, proposal)["locked_by"]) == (
        True,
        "freeze",
    )
    assert access(room, proposal, ana) | {"doc_id": None} == {
        "doc_id": None,
        "read_only": True,
        "reason": "frozen",
    }
    unlocked = post(room, f"/api/proposals/{proposal['id']}/lock", None, locked=False)
    assert (unlocked.json()["locked"], unlocked.json()["status"]) == (False, "figee")
    assert access(room, proposal, ana)["read_only"] is False

    async def writes() -> None:
        async with connect(server_on.doc_url(proposal["doc_id"], token=ana)) as editor:
            editor.edit_doc(paragraph("constat", "Repris après le gel."))
            await editor.round_trip()

    asyncio.run(writes())
    # The facilitator's lock outlives a freeze that does not lock: the text stays read-only.
    post(room, f"/api/proposals/{proposal['id']}/lock", None, locked=True)
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    assert access(room, proposal, ana)["reason"] == "locked"
    assert listed(room, proposal)["versions"] == 2  # what the console offers to restart from
    version = room.http.get(
        f"/api/proposals/{proposal['id']}/versions/2", headers=room.auth(ana)
    ).json()
    constat = next(s for s in version["content"]["sections"] if s["key"] == "constat")
    assert constat["text"] == "Repris après le gel."


def test_an_archived_proposal_is_read_only_apart_and_never_voted_on_or_handed_over(
    room: Room, server_on: ServerProcess
) -> None:
    session_id = room.session["id"]
    kept = new_proposal(room, title="Des bancs place Kléber", session_id=session_id)
    shelved = new_proposal(room, title="Un kiosque à musique", session_id=session_id)
    ana = room.token_of("Ana")
    archive = f"/api/proposals/{shelved['id']}/archive"

    async def archived_while_open() -> None:
        async with connect(server_on.doc_url(shelved["doc_id"], token=ana)) as editor:
            answer = await asyncio.to_thread(post, room, archive, None, archived=True)
            assert answer.status_code == 200, answer.text
            assert answer.json()["archived_at"] is not None
            await editor.closed.wait()
            assert editor.close_code == 1012
        async with connect(server_on.doc_url(shelved["doc_id"], token=ana)) as editor:
            editor.edit_doc(paragraph("constat", "Écrit dans l’archive."))
            await editor.round_trip()
        async with connect(server_on.doc_url(shelved["doc_id"], token=room.facilitator)) as other:
            assert "archive" not in section_text(other)

    asyncio.run(archived_while_open())
    assert access(room, shelved, ana)["reason"] == "archived"
    assert access(room, shelved, room.facilitator)["reason"] == "archived"
    assert listed(room, shelved)["archived_at"] is not None
    assert listed(room, kept)["archived_at"] is None

    # Not a vote option.
    poll = room.http.post(
        f"/api/sessions/{session_id}/polls",
        json={
            "title": "Laquelle d’abord ?",
            "method": "plurality",
            "options": [
                {"label": shelved["title"], "proposal_id": shelved["id"]},
                {"label": kept["title"], "proposal_id": kept["id"]},
                *OPTIONS[:1],
            ],
        },
        headers=room.auth(room.facilitator),
    )
    assert (poll.status_code, poll.json()["code"]) == (422, "proposal_archived"), poll.text
    assert "archivée" in poll.json()["detail_fr"]

    # The séance's freeze passes over it; frozen alone, or handed over, it is refused.
    versions = post(room, f"/api/sessions/{session_id}/freeze")
    assert [v["proposal_id"] for v in versions.json()] == [kept["id"]]
    refused = post(room, f"/api/proposals/{shelved['id']}/freeze")
    assert (refused.status_code, refused.json()["code"]) == (409, "proposal_archived")
    assert post(room, f"/api/proposals/{kept['id']}/archive", None, archived=True).is_success
    handed = post(room, f"/api/proposals/{kept['id']}/transmit")
    assert (handed.status_code, handed.json()["code"]) == (409, "proposal_archived")
    draft = post(room, f"/api/proposals/{kept['id']}/versions/1/draft")
    assert (draft.status_code, draft.json()["code"]) == (409, "proposal_archived")
    assert room.http.get("/api/council/proposals", headers=council(room)).json() == []

    # Brought back: writable again, and it goes on to the council.
    restored = post(room, f"/api/proposals/{kept['id']}/archive", None, archived=False)
    assert restored.json()["archived_at"] is None
    assert access(room, kept, ana)["read_only"] is False
    assert post(room, f"/api/proposals/{kept['id']}/transmit").json()["status"] == "transmise"
    late = post(room, f"/api/proposals/{kept['id']}/archive", None, archived=True)
    assert (late.status_code, late.json()["code"]) == (409, "proposal_handed_over")
    assert [
        p["id"] for p in room.http.get("/api/council/proposals", headers=council(room)).json()
    ] == [kept["id"]]
    assert steps(room, kept).count("archived") == 1
    assert steps(room, kept).count("restored") == 1


def test_only_the_atelier_s_facilitator_locks_or_archives(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = new_proposal(room)
    other = Room(room.http)
    ana = room.token_of("Ana")
    for path, body in (("lock", {"locked": True}), ("archive", {"archived": True})):
        url = f"/api/proposals/{proposal['id']}/{path}"
        unknown = post(room, f"/api/proposals/nope/{path}", None, **body)
        assert (unknown.status_code, unknown.json()["code"]) == (404, "proposal_not_found")
        elsewhere = post(room, url, other.facilitator, **body)
        assert (elsewhere.status_code, elsewhere.json()["code"]) == (403, "other_atelier")
        resident = post(room, url, ana, **body)
        assert (resident.status_code, resident.json()["code"]) == (403, "forbidden")
        assert post(room, url, council(room), **body).status_code == 403
        nobody = httpx.post(f"{server_on.http}{url}", json=body, timeout=20)
        assert nobody.status_code == 401
        malformed = room.http.post(url, json={"locked": "oui"}, headers=room.auth(room.facilitator))
        assert malformed.status_code == 400
        assert malformed.headers["content-type"].startswith("application/problem+json")
    assert listed(room, proposal)["locked"] is False
    assert listed(room, proposal)["archived_at"] is None


def test_a_new_title_is_one_line_of_1_to_200_characters_said_as_the_console_says_it(
    room: Room,
) -> None:
    proposal = new_proposal(room)
    title = f"/api/proposals/{proposal['id']}/title"
    blank = room.http.put(title, json={"title": "   "}, headers=room.auth(room.facilitator))
    assert (blank.status_code, blank.json()["detail_fr"]) == (422, "Le titre est obligatoire.")
    renamed = room.http.put(
        title, json={"title": "  Un  jardin partagé  "}, headers=room.auth(room.facilitator)
    )
    assert renamed.json()["title"] == "Un jardin partagé"
    fork = post(room, f"/api/proposals/{proposal['id']}/freeze")
    assert fork.status_code == 201
    copy = post(room, f"/api/proposals/{proposal['id']}/versions/1/fork", None, title=" ")
    assert (copy.status_code, copy.json()["detail_fr"]) == (422, "Le titre est obligatoire.")


def test_the_migrations_give_exactly_the_models_tables(database_url: str) -> None:
    """``0011`` (and every revision before it) leaves no difference between the migrated
    database and the models, on SQLite and PostgreSQL."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy.ext.asyncio import create_async_engine

    from server.db.models import Base, in_models

    async def differences() -> list[Any]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"include_name": in_models}),
                        Base.metadata,
                    )
                )
        finally:
            await engine.dispose()

    assert asyncio.run(differences()) == []


def test_handing_over_to_the_council_sends_open_editors_back_read_only_for_good(
    room: Room, server_on: ServerProcess
) -> None:
    """Frozen without its lock, then transmitted: the council decides on the version it got,
    so the live text stops changing at once, for everyone, and says why (H4)."""
    proposal = new_proposal(room, session_id=room.session["id"])
    ana = room.token_of("Ana")
    observer = room.token_of("Odile", role="observateur")
    base = f"/api/proposals/{proposal['id']}"

    async def scenario() -> None:
        async with connect(server_on.doc_url(proposal["doc_id"], token=ana)) as editor:
            editor.edit_doc(paragraph("constat", "Le texte remis."))
            await editor.round_trip()
            frozen = await asyncio.to_thread(post, room, f"{base}/freeze")
            assert frozen.status_code == 201, frozen.text
            assert access(room, proposal, ana)["read_only"] is False  # frozen, not locked
            handed = await asyncio.to_thread(post, room, f"{base}/transmit")
            assert handed.json()["status"] == "transmise", handed.text
            await editor.closed.wait()
            assert editor.close_code == 1012  # come back: your access changed
        # Coming back, it reads the text and may change nothing, the facilitator neither.
        for token in (ana, room.facilitator):
            async with connect(server_on.doc_url(proposal["doc_id"], token=token)) as editor:
                assert "Le texte remis." in section_text(editor)
                editor.edit_doc(paragraph("constat", "Écrit après la remise."))
                await editor.round_trip()
        async with connect(server_on.doc_url(proposal["doc_id"], token=room.facilitator)) as other:
            assert "Écrit après" not in section_text(other)

    asyncio.run(scenario())
    for token in (ana, observer, room.facilitator):  # before the reader's role: it holds for all
        assert access(room, proposal, token) | {"doc_id": None} == {
            "doc_id": None,
            "read_only": True,
            "reason": "transmitted",
            "version": 1,
        }
    # Restoring an earlier revision would write into it too: refused the same way.
    restored = post(room, f"{base}/history/restore", ana, revision=1, section="constat")
    assert (restored.status_code, restored.json()["code"]) == (409, "proposal_transmitted")
    assert restored.json()["detail_fr"]
    # Still so once the council has it under review.
    assert post(room, f"{base}/instruct", council(room)).json()["status"] == "en_instruction"
    assert access(room, proposal, ana)["reason"] == "transmitted"

"""The writing mode follows the séance's agenda (issue 20, #4), on SQLite and PostgreSQL: an
agenda item may say « amendements » or « libre »; when the facilitator starts the step of the
same rank, the atelier's proposals switch as if the facilitator had flipped each by hand — a
participant's open editor is closed (1012) and comes back read-only with the reason
``amendements``; a later step marked « libre » gives the text back; a step that says nothing
changes nothing, and the facilitator's own switch stays free."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import websockets
from pycrdt import XmlFragment
from sqlalchemy.ext.asyncio import create_async_engine

from collab.amend import section_texts
from server.db.models import SessionRow
from tests.conftest import ServerProcess
from tests.server.test_amendments import live_text, start
from tests.server.test_ateliers_api import SEANCE, Room
from tests.server.test_live_channel import Follower, follow_url
from tests.server.test_versions_api import new_proposal, post
from tests.ypy_client import connect

STEPS = ["Accueil", "Lecture de la fiche", "Retour à l’écriture", "Synthèse"]
AGENDA = [
    {"title": "Accueil", "minutes": 10},
    {"title": "Lecture de la fiche", "minutes": 30, "writing": "amendements"},
    {"title": "Retour à l’écriture", "minutes": 20, "writing": "libre"},
    {"title": "Synthèse", "minutes": 10},
]


@pytest.fixture
def room(server_on: ServerProcess) -> Any:
    with httpx.Client(base_url=server_on.http, timeout=30) as http:
        yield Room(http)


def planned(room: Room, agenda: list[dict[str, Any]]) -> dict[str, Any]:
    """The room's séance, edited before it starts to follow ``STEPS`` and ``agenda``."""
    body = {**SEANCE, "method_steps": STEPS, "agenda": agenda}
    edited = room.http.put(
        f"/api/sessions/{room.session['id']}", json=body, headers=room.auth(room.facilitator)
    )
    assert edited.status_code == 200, edited.text
    return dict(edited.json())


def step(room: Room, move: str, index: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"move": move} if index is None else {"move": move, "index": index}
    moved = post(room, f"/api/sessions/{room.session['id']}/step", None, **body)
    assert moved.status_code == 200, moved.text
    return dict(moved.json())


def mode_of(room: Room, proposal: dict[str, Any]) -> bool:
    read = room.http.get(f"/api/proposals/{proposal['id']}", headers=room.auth(room.facilitator))
    assert read.status_code == 200, read.text
    return bool(read.json()["amendment_mode"])


def access_of(room: Room, proposal: dict[str, Any], token: str) -> dict[str, Any]:
    answer = room.http.get(f"/api/proposals/{proposal['id']}/token", headers=room.auth(token))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_starting_a_step_marked_amendements_makes_a_participants_editor_read_only(
    room: Room, server_on: ServerProcess
) -> None:
    seance = planned(room, AGENDA)
    assert seance["details"]["agenda"][1]["writing"] == "amendements"
    assert "writing" not in seance["details"]["agenda"][0]  # stored as before the mode existed
    proposal, _ = start(server_on, room)
    ana = room.token_of("Ana")

    async def scenario() -> None:
        channel = await websockets.connect(follow_url(server_on, room.session["id"], ana))
        live = Follower(channel)
        await live.next("snapshot")
        await asyncio.to_thread(step, room, "start")  # step 1 says nothing: nothing changes
        await live.next("step_changed", current_step=0)
        assert await asyncio.to_thread(mode_of, room, proposal) is False
        async with connect(server_on.doc_url(proposal["doc_id"], token=ana)) as editor:
            moved = await asyncio.to_thread(step, room, "next")
            assert moved["details"]["current_step"] == 1
            await editor.closed.wait()
            assert editor.close_code == 1012
        await live.next("step_changed", current_step=1)
        told = await live.next("proposals_changed", proposal_id=proposal["id"])
        assert told["change"] == "amendment_mode"
        await live.next("amendments_changed", proposal_id=proposal["id"])
        await channel.close()
        assert await asyncio.to_thread(mode_of, room, proposal) is True
        assert (await asyncio.to_thread(access_of, room, proposal, ana))["reason"] == "amendements"
        writable = await asyncio.to_thread(access_of, room, proposal, room.facilitator)
        assert writable["read_only"] is False
        # What Ana's reconnected editor still sends is not taken.
        async with connect(server_on.doc_url(proposal["doc_id"], token=ana)) as editor:

            def write(doc: Any) -> None:
                section_texts(doc.get("proposition", type=XmlFragment))[0].insert(0, "Hop. ")

            editor.edit_doc(write)
            await editor.round_trip()
        assert "Hop." not in await live_text(server_on, proposal)

    asyncio.run(scenario())

    # A later step marked « libre » gives the text back.
    assert step(room, "next")["details"]["current_step"] == 2
    assert mode_of(room, proposal) is False
    assert access_of(room, proposal, ana)["read_only"] is False


def test_the_facilitator_still_flips_by_hand_and_an_unmarked_step_keeps_it(
    room: Room, server_on: ServerProcess
) -> None:
    planned(room, AGENDA)
    proposal = new_proposal(room, session_id=room.session["id"])
    archived = new_proposal(room, title="Une fiche classée")
    assert post(room, f"/api/proposals/{archived['id']}/archive", archived=True).status_code == 200
    step(room, "start")
    step(room, "next")
    assert mode_of(room, proposal) is True
    assert mode_of(room, archived) is False  # archived: left alone
    mode = f"/api/proposals/{proposal['id']}/amendment-mode"
    back = room.http.put(mode, json={"enabled": False}, headers=room.auth(room.facilitator))
    assert (back.status_code, back.json()["amendment_mode"]) == (200, False)
    # Clicking the step it is at again does not undo the facilitator's own switch.
    step(room, "goto", 1)
    assert mode_of(room, proposal) is False
    # Going to the last step (nothing said) keeps what the facilitator chose.
    room.http.put(mode, json={"enabled": True}, headers=room.auth(room.facilitator))
    step(room, "goto", 3)
    assert mode_of(room, proposal) is True
    # Back to step 2 (marked « libre »): free writing again.
    step(room, "previous")
    assert mode_of(room, proposal) is False


def test_old_seances_and_bad_writing_modes(room: Room, server_on: ServerProcess) -> None:
    # A séance written without the field (the room's own) starts and moves as before.
    planned(room, [{"title": "Accueil", "minutes": 10}, {"title": "Lecture", "minutes": None}])
    proposal = new_proposal(room)
    step(room, "start")
    step(room, "next")
    assert mode_of(room, proposal) is False
    # Once started, sending the séance back whole (next agenda only changed) still works.
    body = {
        **SEANCE,
        "method_steps": STEPS,
        "agenda": [{"title": "Accueil", "minutes": 10}, {"title": "Lecture", "minutes": None}],
        "next_agenda": ["Voter la fiche"],
    }
    edited = room.http.put(
        f"/api/sessions/{room.session['id']}", json=body, headers=room.auth(room.facilitator)
    )
    assert edited.status_code == 200, edited.text
    bad = room.http.post(
        f"/api/ateliers/{room.atelier['id']}/sessions",
        json={**SEANCE, "agenda": [{"title": "Lecture", "writing": "suggestions"}]},
        headers=room.auth(room.facilitator),
    )
    assert bad.status_code == 400, bad.text
    problem = bad.json()
    assert problem["code"] == "invalid_request"
    assert "agenda[0].writing" in problem["detail_fr"]
    assert "agenda[0].writing" in problem["detail_en"]


def test_a_seance_stored_with_a_null_writing_mode_is_sent_back_whole_once_started(
    room: Room, server_on: ServerProcess
) -> None:
    # As the demo stored its séances (``"writing": null`` in each agenda item): the form
    # sends the items back without the field, which is the same agenda.
    agenda = [{"title": "Accueil", "minutes": 10}, {"title": "Lecture", "minutes": None}]
    planned(room, agenda)

    async def null_writing() -> None:
        engine = create_async_engine(server_on.database_url)
        try:
            async with engine.begin() as conn:
                data = (
                    await conn.execute(
                        sa.select(SessionRow.data).where(SessionRow.id == room.session["id"])
                    )
                ).scalar_one()
                data = {**data, "agenda": [{**item, "writing": None} for item in agenda]}
                await conn.execute(
                    sa.update(SessionRow)
                    .where(SessionRow.id == room.session["id"])
                    .values(data=data)
                )
        finally:
            await engine.dispose()

    asyncio.run(null_writing())
    step(room, "start")
    body = {**SEANCE, "method_steps": STEPS, "agenda": agenda, "next_agenda": ["Bilan"]}
    edited = room.http.put(
        f"/api/sessions/{room.session['id']}", json=body, headers=room.auth(room.facilitator)
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["details"]["next_agenda"] == ["Bilan"]

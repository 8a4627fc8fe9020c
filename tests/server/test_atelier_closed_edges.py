"""A closed atelier, and a cancelled séance, at their edges (SQLite and PostgreSQL): closing
tells the open screens of the séances it cancels (``session_cancelled``, « Atelier clos : … »)
and sends the documents' editors back read-only (reason ``closed``), reopening gives writing
back but leaves its séances cancelled; a closed atelier's QR codes answer 410
``atelier_closed`` and its invitation is a notice « Atelier clos »; a cancelled séance gets no
new code nor sign-in sheet (409 ``session_cancelled``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets
from pycrdt import XmlFragment

from tests.conftest import RUNNING, ServerProcess
from tests.server.test_atelier_close import REASON, close
from tests.server.test_ateliers_api import ATELIER, Room
from tests.server.test_live_channel import Follower, follow_url
from tests.server.test_seance_cancel_live import pdf_of, seance_ahead
from tests.server.test_versions_api import new_proposal, paragraph
from tests.ypy_client import connect


@pytest.fixture
def http(server_on: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_on.http, timeout=20) as client:
        yield client


def reopen(http: httpx.Client, room: Room) -> None:
    staff = {"authorization": f"Bearer {RUNNING[str(http.base_url).rstrip('/')].staff_token()}"}
    reopened = http.post(f"/api/ateliers/{room.atelier['id']}/reopen", headers=staff)
    assert reopened.status_code == 200, reopened.text


def access(room: Room, proposal: dict[str, Any], token: str) -> dict[str, Any]:
    answer = room.http.get(f"/api/proposals/{proposal['id']}/token", headers=room.auth(token))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def section_text(client: Any) -> str:
    return str(client.doc.get("constat", type=XmlFragment))


def test_closing_tells_the_open_screens_of_the_seances_it_cancels(
    http: httpx.Client, server_on: ServerProcess
) -> None:
    room = Room(http)
    seance = seance_ahead(http, room)
    zoe = room.token_of("Zoé")
    why = f"Atelier clos : {REASON}"

    async def scenario() -> None:
        async with (
            websockets.connect(follow_url(server_on, seance["id"], zoe)) as ws_zoe,
            websockets.connect(follow_url(server_on, seance["id"], room.facilitator)) as ws_con,
        ):
            followers = Follower(ws_zoe), Follower(ws_con)
            for follower in followers:
                await follower.next("snapshot")
            closed = await asyncio.to_thread(close, room)
            assert closed.status_code == 200, closed.text
            for follower in followers:
                event = await follower.next("session_cancelled")
                assert event["session_id"] == seance["id"]
                assert event["cancel_reason"] == why
                assert event["cancelled_at"]

    asyncio.run(scenario())

    # Reopened, the atelier works again, but its séances stay cancelled: their followers were
    # told they will not happen; the facilitators restore those that still do, one by one.
    reopen(http, room)

    async def after() -> dict[str, Any]:
        async with websockets.connect(follow_url(server_on, seance["id"], zoe)) as ws:
            return await Follower(ws).next("snapshot")

    assert asyncio.run(after())["cancel_reason"] == why
    restored = http.post(
        f"/api/sessions/{seance['id']}/restore", headers=room.auth(room.facilitator)
    )
    assert restored.status_code == 200, restored.text


def test_every_seances_screens_hear_the_atelier_close_and_reopen(
    http: httpx.Client, server_on: ServerProcess
) -> None:
    """Not only the séances it cancels: one held already (its console, a participant's card)
    hears ``atelier_closed`` with the public reason, then ``atelier_reopened``; a screen that
    connects meanwhile reads it in its snapshot."""
    room = Room(http)
    held = room.session  # 2017: closing leaves it as it was, cancelled or not
    ahead = seance_ahead(http, room)
    zoe = room.token_of("Zoé")

    async def snapshot_of(session_id: str) -> dict[str, Any]:
        async with websockets.connect(follow_url(server_on, session_id, zoe)) as ws:
            return await Follower(ws).next("snapshot")

    async def scenario() -> None:
        first = await snapshot_of(held["id"])
        assert (first["atelier_closed_at"], first["atelier_close_reason"]) == (None, None)
        async with (
            websockets.connect(follow_url(server_on, held["id"], zoe)) as ws_zoe,
            websockets.connect(follow_url(server_on, held["id"], room.facilitator)) as ws_con,
            websockets.connect(follow_url(server_on, ahead["id"], zoe)) as ws_ahead,
        ):
            on_held = Follower(ws_zoe), Follower(ws_con)
            every = (*on_held, Follower(ws_ahead))
            for follower in every:
                await follower.next("snapshot")
            closed = await asyncio.to_thread(close, room)
            assert closed.status_code == 200, closed.text
            stamp = closed.json()["closed_at"]
            for follower, seance in zip(every, (held, held, ahead), strict=True):
                event = await follower.next("atelier_closed")
                assert event == {
                    "type": "atelier_closed",
                    "session_id": seance["id"],
                    "closed_at": stamp,
                    "close_reason": REASON,
                }
            # A screen that connects now (a phone asleep when it went out) reads it too.
            late = await snapshot_of(held["id"])
            assert late["atelier_closed_at"] is not None
            assert late["atelier_close_reason"] == REASON
            await asyncio.to_thread(reopen, http, room)
            for follower, seance in zip(every, (held, held, ahead), strict=True):
                event = await follower.next("atelier_reopened")
                assert event == {"type": "atelier_reopened", "session_id": seance["id"]}
            after = await snapshot_of(held["id"])
            assert (after["atelier_closed_at"], after["atelier_close_reason"]) == (None, None)

    asyncio.run(scenario())


def test_a_closed_ateliers_documents_are_read_only_for_everyone_and_kept(
    http: httpx.Client, server_on: ServerProcess
) -> None:
    room = Room(http)
    proposal = new_proposal(room, session_id=room.session["id"])
    ana = room.token_of("Ana")
    doc_url = server_on.doc_url

    async def scenario() -> None:
        async with connect(doc_url(proposal["doc_id"], token=ana)) as editor:
            editor.edit_doc(paragraph("constat", "Avant la clôture."))
            await editor.round_trip()
            closed = await asyncio.to_thread(close, room)
            assert closed.status_code == 200, closed.text
            await editor.closed.wait()
            assert editor.close_code == 1012  # come back: your access changed
        for token in (ana, room.facilitator):
            assert access(room, proposal, token)["read_only"] is True
            assert access(room, proposal, token)["reason"] == "closed"
        # Reconnected, everyone reads the text; what they write goes nowhere.
        for token in (ana, room.facilitator):
            async with connect(doc_url(proposal["doc_id"], token=token)) as editor:
                assert "Avant la clôture." in section_text(editor)
                editor.edit_doc(paragraph("constat", "Pendant la clôture."))
                await editor.round_trip()
        async with connect(doc_url(proposal["doc_id"], token=ana)) as editor:
            assert "Pendant" not in section_text(editor)
            # Reopened by the city: open editors come back with writing.
            await asyncio.to_thread(reopen, http, room)
            await editor.closed.wait()
            assert editor.close_code == 1012
        assert access(room, proposal, ana)["reason"] is None
        async with connect(doc_url(proposal["doc_id"], token=ana)) as editor:
            editor.edit_doc(paragraph("constat", "Après la réouverture."))
            await editor.round_trip()
        async with connect(doc_url(proposal["doc_id"], token=room.facilitator)) as reader:
            text = section_text(reader)
            assert "Avant la clôture." in text
            assert "Après la réouverture." in text
            assert "Pendant" not in text

    asyncio.run(scenario())


def test_a_closed_ateliers_qr_codes_are_gone_and_its_invitation_says_atelier_clos(
    http: httpx.Client,
) -> None:
    room = Room(http)
    ahead = seance_ahead(http, room)
    held = room.session  # held in 2017, before the closing: not cancelled
    assert close(room).status_code == 200
    for seance in (held, ahead):
        code = seance["join_code"]
        for kind in ("svg", "png"):
            answer = http.get(f"/api/join/{code}/qr.{kind}")
            assert answer.status_code == 410, answer.text
            assert answer.json()["code"] == "atelier_closed"
            assert answer.json()["close_reason"] == REASON
        english = http.get(f"/api/join/{code}/qr.svg", headers={"Accept-Language": "en"})
        assert english.json()["detail"].startswith(f"The “{ATELIER['title']}” atelier is closed")

        answer = http.get(f"/api/join/{code}/invitation.pdf")
        reader, text = pdf_of(answer)
        number = seance["number"]
        assert answer.headers["content-disposition"] == (
            f'inline; filename="seance-{number}-atelier-clos.pdf"'
        )
        assert text.startswith("Atelier clos")
        assert ATELIER["title"] in text
        assert f"Séance {number}" in text
        assert "L’atelier est clos : il ne tient plus de séance." in text
        assert f"Motif : {REASON}" in text
        assert f"Closed: this atelier holds no more séances. Reason: {REASON}" in text
        assert "Atelier clos : Atelier clos" not in text  # the closing's reason, not the séance's
        assert code not in text
        assert f"{code[:4]}-{code[4:]}" not in text
        assert "/rejoindre" not in text
        assert len(reader.pages[0].images) == 0
        assert str(reader.metadata.title).startswith("Atelier clos — ")


def test_a_cancelled_seance_gets_no_new_code_nor_sign_in_sheet(http: httpx.Client) -> None:
    room = Room(http)
    seance = seance_ahead(http, room)
    facilitator = room.auth(room.facilitator)
    base = f"/api/sessions/{seance['id']}"
    assert http.post(f"{base}/cancel", json={}, headers=facilitator).status_code == 200

    renewed = http.post(f"{base}/join-code", headers=facilitator)
    assert renewed.status_code == 409, renewed.text
    assert renewed.json()["code"] == "session_cancelled"
    assert renewed.json()["detail"] == (
        "La séance est annulée : rétablissez-la avant de la modifier."
    )
    assert http.get(base, headers=facilitator).json()["join_code"] == seance["join_code"]

    sheet = http.get(f"{base}/emargement.pdf", headers=facilitator)
    assert sheet.status_code == 409, sheet.text
    assert sheet.json()["code"] == "session_cancelled"
    assert sheet.json()["detail"] == (
        "La séance est annulée : personne n’y signe. Rétablissez-la pour imprimer sa "
        "feuille d’émargement."
    )
    english = http.get(f"{base}/emargement.pdf", headers={**facilitator, "Accept-Language": "en"})
    assert english.json()["detail"].startswith("The séance is cancelled: nobody signs in.")
    paths = http.get("/schema/openapi.json").json()["paths"]
    assert "409" in paths["/api/sessions/{session_id}/emargement.pdf"]["get"]["responses"]

    # Restored, both are there again.
    assert http.post(f"{base}/restore", headers=facilitator).status_code == 200
    pdf_of(http.get(f"{base}/emargement.pdf", headers=facilitator))
    renewed = http.post(f"{base}/join-code", headers=facilitator)
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["join_code"] != seance["join_code"]

"""A revised charter is accepted again at the next visit (issue 19, item 2), on SQLite and
PostgreSQL: until a participant accepts the new version they read everything, but their
documents open read-only and their ballots are refused (403 ``charter_not_accepted``); the
facilitator who wrote the new version has accepted it; accepting gives writing and voting back;
coming back through the join screen, which shows the current charter, accepts it too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_polls_api import act, new_poll, vote
from tests.server.test_versions_api import new_proposal
from tests.ypy_client import connect

pytestmark = pytest.mark.anyio

REVISED = "Respect, écoute, bienveillance.\nPonctualité : on commence et on finit à l’heure."


@pytest.fixture
def room(server_on: ServerProcess) -> Iterator[Room]:
    with httpx.Client(base_url=server_on.http, timeout=20) as http:
        yield Room(http)


def revise(room: Room, text: str = REVISED) -> dict[str, Any]:
    response = room.http.put(
        f"/api/ateliers/{room.atelier['id']}/charter",
        json={"text": text},
        headers=room.auth(room.facilitator),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def charter(room: Room, token: str) -> dict[str, Any]:
    response = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/charter", headers=room.auth(token)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def accept(room: Room, token: str, version: int) -> httpx.Response:
    return room.http.post(
        f"/api/ateliers/{room.atelier['id']}/charter/accept",
        json={"version": version},
        headers=room.auth(token),
    )


def doc_access(room: Room, proposal: dict[str, Any], token: str) -> dict[str, Any]:
    response = room.http.get(f"/api/proposals/{proposal['id']}/token", headers=room.auth(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_participant_behind_the_charter_reads_but_neither_writes_nor_votes(
    room: Room, server_on: ServerProcess
) -> None:
    ana = room.token_of("Ana")
    proposal = new_proposal(room)
    poll = new_poll(room)
    act(room, poll, "open")
    assert charter(room, ana) == {
        "version": 1,
        "text": "Respect, écoute, bienveillance.",
        "accepted_version": 1,
        "accepted_text": "Respect, écoute, bienveillance.",
    }
    assert doc_access(room, proposal, ana)["read_only"] is False

    assert revise(room)["charter_version"] == 2
    # Ana is asked at her next visit: what she accepted, and the new text beside it.
    assert charter(room, ana) == {
        "version": 2,
        "text": REVISED,
        "accepted_version": 1,
        "accepted_text": "Respect, écoute, bienveillance.",
    }
    # The facilitator wrote version 2: accepted, and still writing.
    assert charter(room, room.facilitator)["accepted_version"] == 2
    assert doc_access(room, proposal, room.facilitator)["read_only"] is False

    # Reading goes on; voting and writing wait for her acceptance.
    assert room.http.get(f"/api/polls/{poll['id']}", headers=room.auth(ana)).status_code == 200
    refused = vote(room, poll, ana, {"dots": {"o1": 1}})
    assert refused.status_code == 403
    assert refused.json()["code"] == "charter_not_accepted"
    assert refused.json()["version"] == 2
    assert "acceptez sa version 2" in refused.json()["detail_fr"]
    assert doc_access(room, proposal, ana) | {"doc_id": None} == {
        "doc_id": None,
        "read_only": True,
        "reason": "charter",
    }
    doc = proposal["doc_id"]
    async with connect(server_on.doc_url(doc, token=room.facilitator)) as claire:
        claire.edit(lambda t: t.insert(0, "Constat"))
        await claire.wait_for(lambda: any(f[:2] == b"\x00\x02" for f in claire.received))
    async with connect(server_on.doc_url(doc, token=ana)) as behind:
        assert str(behind) == "Constat"  # she reads the document
        behind.edit(lambda t: t.insert(0, "X"))
        await behind.round_trip()  # the server has handled (and dropped) her edit
    async with connect(server_on.doc_url(doc, token=room.facilitator)) as claire:
        assert str(claire) == "Constat"

    # An old version is not the one to accept; the current one is.
    stale = accept(room, ana, 1)
    assert (stale.status_code, stale.json()["code"]) == (409, "charter_version_mismatch")
    accepted = accept(room, ana, 2)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["charter_version"] == 2
    assert charter(room, ana)["accepted_version"] == 2
    assert vote(room, poll, ana, {"dots": {"o1": 1}}).status_code == 200
    assert doc_access(room, proposal, ana)["read_only"] is False
    async with connect(server_on.doc_url(doc, token=ana)) as back:
        back.edit(lambda t: t.insert(0, "Ana : "))
        await back.wait_for(lambda: any(f[:2] == b"\x00\x02" for f in back.received))
    async with connect(server_on.doc_url(doc, token=room.facilitator)) as claire:
        assert str(claire) == "Ana : Constat"


def test_an_unchanged_text_is_no_new_version_and_nobody_is_asked_again(room: Room) -> None:
    ana = room.token_of("Ana")
    assert revise(room, "Respect, écoute, bienveillance.")["charter_version"] == 1
    assert charter(room, ana)["accepted_version"] == 1
    poll = new_poll(room)
    act(room, poll, "open")
    assert vote(room, poll, ana, {"dots": {"o1": 1}}).status_code == 200


def test_coming_back_through_the_join_screen_accepts_the_charter_it_shows(room: Room) -> None:
    joined = room.join("Ana")
    assert joined.status_code == 201, joined.text
    revise(room)
    # The same browser (its token as cookie) joins again, having read version 2 there.
    again = room.http.post(
        f"/api/join/{room.code}",
        json={"display_name": "Ana", "role": "habitant", "accept_charter_version": 2},
        headers=room.auth(joined.json()["token"]),
    )
    assert again.status_code == 200, again.text
    assert again.json()["participant"]["id"] == joined.json()["participant"]["id"]
    assert again.json()["participant"]["charter_version"] == 2

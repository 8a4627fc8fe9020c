"""Closing an atelier, on SQLite and PostgreSQL: its facilitators close it with a public reason;
its join codes then let no one in (410 ``atelier_closed``, naming it), not even someone who
joined before with their token; its séances are neither scheduled, moved, started nor
cancelled; its page and the directory say « clos »; what it wrote stays readable; the city's
staff, and only they, reopen it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import RUNNING, ServerProcess
from tests.server.test_ateliers_api import ATELIER, SEANCE, Room
from tests.server.test_public_pages import page
from tests.server.test_seance_cancel import AHEAD

REASON = "Le projet est livré : merci à toutes et à tous"


@pytest.fixture
def http(server_on: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_on.http, timeout=20) as client:
        yield client


def gone(answer: httpx.Response) -> dict[str, Any]:
    """The problem a closed atelier's join code answers."""
    assert answer.status_code == 410, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = answer.json()
    assert problem["code"] == "atelier_closed"
    return problem


def close(room: Room, reason: str | None = REASON, token: str | None = None) -> httpx.Response:
    return room.http.post(
        f"/api/ateliers/{room.atelier['id']}/close",
        json={"reason": reason} if reason is not None else {},
        headers=room.auth(token or room.facilitator),
    )


def participant_ids(room: Room) -> set[str]:
    answer = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/participants", headers=room.auth(room.facilitator)
    )
    assert answer.status_code == 200, answer.text
    return {p["id"] for p in answer.json()}


def test_a_closed_ateliers_code_names_it_and_lets_no_one_in(http: httpx.Client) -> None:
    room = Room(http)
    zoe = room.token_of("Zoé")
    closed = close(room)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "close"
    assert closed.json()["close_reason"] == REASON
    before = participant_ids(room)

    # The first screen, from the code as read aloud: the atelier by name, and why.
    fr = gone(http.get(f"/api/join/{room.code[:4]}-{room.code[4:]}".lower()))
    assert fr["title"] == "Plus disponible"
    assert fr["detail"] == (
        f"L’atelier « {ATELIER['title']} » est clos : il n’accueille plus de "
        f"participant·es. Motif : {REASON}"
    )
    assert fr["close_reason"] == REASON
    assert fr["closed_at"]
    en = gone(http.get(f"/api/join/{room.code}", headers={"Accept-Language": "en"}))
    assert en["detail"] == (
        f"The “{ATELIER['title']}” atelier is closed and no longer takes participants. "
        f"Reason: {REASON}"
    )

    # Joining: someone new, and Zoé with her token (who would get a fresh one), are refused.
    gone(room.join("Ana"))
    body = {"display_name": "Zoé", "role": "habitant", "accept_charter_version": 1}
    again = http.post(f"/api/join/{room.code}", json=body, headers=room.auth(zoe))
    assert "token" not in gone(again)
    assert "set-cookie" not in again.headers
    assert participant_ids(room) == before

    # A room typing the real code is not an address guessing codes.
    for _ in range(25):
        gone(http.get(f"/api/join/{room.code}"))


def test_closing_is_for_its_facilitators_and_happens_once(http: httpx.Client) -> None:
    room = Room(http)
    zoe = room.token_of("Zoé")
    refused = close(room, token=zoe)
    assert refused.status_code == 403, refused.text
    other = Room(http)
    assert close(room, token=other.facilitator).status_code == 403
    assert http.get(f"/api/join/{room.code}").status_code == 200

    assert close(room, reason=None).status_code == 200
    twice = close(room)
    assert twice.status_code == 409, twice.text
    assert twice.json()["code"] == "atelier_already_closed"
    assert twice.json()["detail"] == "Cet atelier est déjà clos."
    # Without a reason, the code says only that it is closed.
    problem = gone(http.get(f"/api/join/{room.code}"))
    assert problem["detail"].endswith("il n’accueille plus de participant·es.")
    assert problem["close_reason"] is None


def test_a_closed_ateliers_seances_change_no_more(http: httpx.Client) -> None:
    room = Room(http)
    facilitator = room.auth(room.facilitator)
    ahead = http.post(
        f"/api/ateliers/{room.atelier['id']}/sessions", json=AHEAD, headers=facilitator
    ).json()
    past = room.session
    assert close(room).status_code == 200

    def refused(answer: httpx.Response) -> None:
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == "atelier_closed"
        assert (
            answer.json()["detail"] == "Cet atelier est clos\u00a0: il ne peut plus être modifié."
        )

    refused(
        http.post(f"/api/ateliers/{room.atelier['id']}/sessions", json=AHEAD, headers=facilitator)
    )
    refused(http.post(f"/api/sessions/{past['id']}/next", json=SEANCE, headers=facilitator))
    refused(
        http.put(
            f"/api/sessions/{past['id']}", json={**SEANCE, "place": "Ailleurs"}, headers=facilitator
        )
    )
    refused(
        http.post(f"/api/sessions/{past['id']}/step", json={"move": "start"}, headers=facilitator)
    )
    refused(http.post(f"/api/sessions/{past['id']}/cancel", json={}, headers=facilitator))
    refused(http.post(f"/api/sessions/{ahead['id']}/restore", headers=facilitator))
    refused(http.post(f"/api/sessions/{past['id']}/join-code", headers=facilitator))

    # The séance still ahead was cancelled with the closing (its page and calendars announce
    # no meeting that will not happen); the one held in 2017 is left as it was.
    seances = {
        s["id"]: s["details"]
        for s in http.get(
            f"/api/ateliers/{room.atelier['id']}/sessions", headers=facilitator
        ).json()
    }
    assert seances[ahead["id"]]["cancel_reason"] == f"Atelier clos : {REASON}"
    assert seances[past["id"]].get("cancelled_at") is None
    assert len(seances) == 2


def test_its_page_and_the_directory_say_clos_and_what_it_wrote_stays(http: httpx.Client) -> None:
    room = Room(http)
    facilitator = room.auth(room.facilitator)
    proposal = http.post(
        f"/api/ateliers/{room.atelier['id']}/proposals",
        json={"title": "Un jardin partagé", "kind": "fiche_action"},
        headers=facilitator,
    )
    assert proposal.status_code == 201, proposal.text
    assert close(room).status_code == 200

    path = f"/decouvrir/ateliers/{room.atelier['id']}"
    assert '<dt>État</dt><dd><span class="stage stage-termine">clos</span>' in http.get(path).text
    words = page(http, path).words
    assert "Cet atelier est clos depuis le " in words
    assert "il n’accueille plus de participant·es" in words
    assert f"Motif : {REASON}" in words.replace("\u00a0", " ")
    assert "Venez à une séance" not in words
    english = page(http, f"/decouvrir/ateliers/{room.atelier['id']}?lang=en").words
    assert "This atelier has been closed since " in english
    directory = http.get("/decouvrir/ateliers?etat=termine").text
    assert ATELIER["title"] in directory
    assert '<span class="stage stage-termine">clos</span>' in directory

    # The facilitator still reads the atelier, its closing and its proposal's document.
    read = http.get(f"/api/ateliers/{room.atelier['id']}", headers=facilitator).json()
    assert (read["status"], read["close_reason"]) == ("close", REASON)
    assert read["closed_at"]
    listed = http.get(f"/api/ateliers/{room.atelier['id']}/proposals", headers=facilitator)
    assert [p["title"] for p in listed.json()] == ["Un jardin partagé"]
    token = http.get(f"/api/proposals/{proposal.json()['id']}/token", headers=facilitator)
    assert token.status_code == 200, token.text


def test_only_the_citys_staff_reopen_it(http: httpx.Client) -> None:
    room = Room(http)
    path = f"/api/ateliers/{room.atelier['id']}/reopen"
    assert http.post(path, headers=room.auth(room.facilitator)).status_code == 401
    staff = {"authorization": f"Bearer {RUNNING[str(http.base_url).rstrip('/')].staff_token()}"}
    not_closed = http.post(path, headers=staff)
    assert not_closed.status_code == 409, not_closed.text
    assert not_closed.json()["code"] == "atelier_not_closed"

    assert close(room).status_code == 200
    assert http.post(path, headers=room.auth(room.facilitator)).status_code == 401
    reopened = http.post(path, headers=staff)
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "en_constitution"  # 3 residents needed, none joined
    assert room.join("Ana").status_code == 201
    # Closed again, the latest reason is the one said.
    assert close(room, reason="Fin").status_code == 200
    assert gone(http.get(f"/api/join/{room.code}"))["close_reason"] == "Fin"

"""The join code of a cancelled séance, on SQLite and PostgreSQL: what it opens, and joining
through it, are a 410 problem (``session_cancelled``) whose detail says, in French or English,
which séance of which atelier is cancelled, on which day, and the public reason; no one is
created, nor let back in; a room opening the code from one address is not held as guessing
codes; restored, the séance's code works again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import ATELIER, Room
from tests.server.test_seance_cancel import AHEAD, REASON


@pytest.fixture
def http(server_on: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_on.http, timeout=20) as client:
        yield client


def refused(answer: httpx.Response) -> dict[str, Any]:
    """The problem a cancelled séance's code answers."""
    assert answer.status_code == 410, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = answer.json()
    assert problem["code"] == "session_cancelled"
    return problem


def test_a_cancelled_seances_code_says_so_and_lets_no_one_in(http: httpx.Client) -> None:
    room = Room(http)
    facilitator = room.auth(room.facilitator)
    participants = f"/api/ateliers/{room.atelier['id']}/participants"
    created = http.post(
        f"/api/ateliers/{room.atelier['id']}/sessions", json=AHEAD, headers=facilitator
    )
    assert created.status_code == 201, created.text
    seance = created.json()
    code = seance["join_code"]
    zoe = room.token_of("Zoé")  # joined through séance 1's code
    cancelled = http.post(
        f"/api/sessions/{seance['id']}/cancel", json={"reason": REASON}, headers=facilitator
    )
    assert cancelled.status_code == 200, cancelled.text
    before = {p["id"] for p in http.get(participants, headers=facilitator).json()}

    # Typed as read aloud (lower case, a dash), the code says what happened, and when.
    typed = f"{code[:4]}-{code[4:]}".lower()
    fr = refused(http.get(f"/api/join/{typed}"))
    assert fr["title"] == "Plus disponible"
    assert fr["detail"] == (
        f"La séance 2 de l’atelier « {ATELIER['title']} », prévue le mardi 4 mars 2031 à 18 h, "
        f"est annulée. Motif : {REASON}"
    )
    assert (fr["date"], fr["cancel_reason"]) == ("2031-03-04", REASON)
    en = refused(http.get(f"/api/join/{code}", headers={"Accept-Language": "en-GB,en;q=0.9"}))
    assert en["title"] == "Gone"
    assert en["detail"] == en["detail_en"]
    assert en["detail"].startswith("Séance 2 of the ")
    assert en["detail"].endswith(f"is cancelled. Reason: {REASON}")
    assert en["detail_fr"] == fr["detail"]

    # No one joins: not someone new, nor someone who joined before (their token).
    body = {"display_name": "Ana", "role": "habitant", "accept_charter_version": 1}
    http.cookies.clear()
    refused(http.post(f"/api/join/{code}", json=body))
    again = {**body, "display_name": "Zoé"}
    refused(http.post(f"/api/join/{code}", json=again, headers=room.auth(zoe)))
    assert {p["id"] for p in http.get(participants, headers=facilitator).json()} == before

    # A room typing the real code is not an address guessing codes (20 wrong ones a minute).
    for _ in range(25):
        refused(http.get(f"/api/join/{code}"))

    # Restored, the code opens the séance again, and people join through it.
    restored = http.post(f"/api/sessions/{seance['id']}/restore", headers=facilitator)
    assert restored.status_code == 200, restored.text
    info = http.get(f"/api/join/{typed}")
    assert info.status_code == 200, info.text
    assert info.json()["session"]["id"] == seance["id"]
    http.cookies.clear()
    joined = http.post(f"/api/join/{code}", json=body)
    assert joined.status_code == 201, joined.text
    assert joined.json()["session_id"] == seance["id"]


def test_without_a_reason_the_code_says_only_that_it_is_cancelled(http: httpx.Client) -> None:
    room = Room(http)
    facilitator = room.auth(room.facilitator)
    past = room.session["id"]  # the Room's séance, in 2017
    assert http.post(f"/api/sessions/{past}/cancel", json={}, headers=facilitator).is_success
    problem = refused(http.get(f"/api/join/{room.code}"))
    assert problem["detail"].endswith("prévue le mardi 12 décembre 2017 à 18 h 30, est annulée.")
    assert "Motif" not in problem["detail"]
    assert problem["cancel_reason"] is None
    assert refused(room.join("Ana"))["detail"] == problem["detail"]

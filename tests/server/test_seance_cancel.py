"""Cancelling a séance, end to end on SQLite and PostgreSQL with a real SMTP server: the
facilitator cancels it with a public reason; its followers are told, with the reason; the
atelier's page and the calendar say « annulée » (same UID, one SEQUENCE further,
STATUS:CANCELLED); it cannot start nor be moved; its agenda is kept; cancelling twice is a 409
problem; « Rétablir » gives it back while its date is ahead, and not after; the minutes of the
séance before announce the next one that takes place."""

from __future__ import annotations

from typing import Any

import httpx
from icalendar import Calendar

from tests.conftest import ServerProcess
from tests.mailbox import Mailbox, mailbox_fixture  # noqa: F401 (the fixture ``mailbox``)
from tests.server.test_ateliers_api import SEANCE, Room
from tests.server.test_subscriptions import CONFIRM, confirm, http_of, started, subscribe

__all__ = ["http_of"]  # the fixture, used by name

AHEAD = {
    **SEANCE,
    "date": "2031-03-04",
    "start_time": "18:00:00",
    "place": "Le Shadok",
    "agenda": [{"title": "Choisir le lieu du jardin", "minutes": 30}],
    "method_steps": ["Accueil", "Échanges"],
}
REASON = "Salle indisponible : travaux"


def events(http: httpx.Client, atelier_id: str) -> dict[str, Any]:
    answer = http.get(f"/api/ateliers/{atelier_id}/seances.ics")
    assert answer.status_code == 200, answer.text
    return {str(e["uid"]): e for e in Calendar.from_ical(answer.content).walk("VEVENT")}


def test_cancel_tell_show_refuse_then_restore(  # noqa: PLR0915 (one story)
    server_factory: type[ServerProcess], database_url: str, mailbox: Mailbox, http_of: Any
) -> None:
    server = started(server_factory, database_url, mailbox)
    http = http_of(server)
    room = Room(http)
    atelier_id = room.atelier["id"]
    facilitator = room.auth(room.facilitator)
    subscribe(http, f"atelier:{atelier_id}", "alice@example.org")
    confirm(http, mailbox.wait_to("alice@example.org", "Confirmez").link(CONFIRM))
    created = http.post(f"/api/ateliers/{atelier_id}/sessions", json=AHEAD, headers=facilitator)
    assert created.status_code == 201, created.text
    seance = created.json()
    mailbox.wait_to("alice@example.org", "séance 2")
    assert "Prochaine séance : mardi 4 mars 2031" in http.get("/decouvrir/ateliers").text
    uid = next(u for u in events(http, atelier_id) if seance["id"] in u)
    before = events(http, atelier_id)[uid]

    # A resident may not cancel; the facilitator may, with a reason everyone may read.
    resident = room.auth(room.token_of("Zoé"))
    url = f"/api/sessions/{seance['id']}/cancel"
    assert http.post(url, json={}, headers=resident).status_code == 403
    cancelled = http.post(url, json={"reason": f"  {REASON} "}, headers=facilitator)
    assert cancelled.status_code == 200, cancelled.text
    details = cancelled.json()["details"]
    assert details["cancel_reason"] == REASON
    assert details["cancelled_at"]
    assert details["agenda"] == AHEAD["agenda"]  # kept

    told = mailbox.wait_to("alice@example.org", "est annulée")
    assert "mardi 4 mars 2031 à 18 h" in told.subject
    assert f"Motif : {REASON}" in told.text
    assert f"Reason: {REASON}" in told.text

    again = http.post(url, json={"reason": "encore"}, headers=facilitator)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["code"] == "session_already_cancelled"

    start = http.post(
        f"/api/sessions/{seance['id']}/step", json={"move": "start"}, headers=facilitator
    )
    assert (start.status_code, start.json()["code"]) == (409, "session_cancelled")
    moved = http.put(f"/api/sessions/{seance['id']}", json=AHEAD, headers=facilitator)
    assert (moved.status_code, moved.json()["code"]) == (409, "session_cancelled")

    shown = http.get(f"/decouvrir/ateliers/{atelier_id}").text
    assert "Cette séance est annulée." in shown
    # The directory's card announces no cancelled séance as the next one.
    assert "Prochaine séance : mardi 4 mars 2031" not in http.get("/decouvrir/ateliers").text
    assert f"Motif : {REASON}" in shown.replace("&#x27;", "'")
    event = events(http, atelier_id)[uid]
    assert str(event["status"]) == "CANCELLED"
    assert int(event["sequence"]) > int(before["sequence"])
    assert str(event["summary"]).startswith("Annulée : ")
    assert REASON in str(event["description"])
    assert event.decoded("dtstart") == before.decoded("dtstart")  # the same event, struck out

    # Rétablir: the séance is planned again, as it was; followers hear it is on after all.
    restored = http.post(f"/api/sessions/{seance['id']}/restore", headers=facilitator)
    assert restored.status_code == 200, restored.text
    assert restored.json()["details"]["cancelled_at"] is None
    assert restored.json()["details"]["cancel_reason"] is None
    mailbox.wait_to("alice@example.org", "est maintenue")
    back = events(http, atelier_id)[uid]
    assert "status" not in back
    assert int(back["sequence"]) > int(event["sequence"])
    assert "Cette séance est annulée." not in http.get(f"/decouvrir/ateliers/{atelier_id}").text
    twice = http.post(f"/api/sessions/{seance['id']}/restore", headers=facilitator)
    assert (twice.status_code, twice.json()["code"]) == (409, "session_not_cancelled")

    # A séance whose date has passed (the Room's, in 2017) is not restored once cancelled.
    past = room.session["id"]
    assert http.post(f"/api/sessions/{past}/cancel", json={}, headers=facilitator).is_success
    late = http.post(f"/api/sessions/{past}/restore", headers=facilitator)
    assert (late.status_code, late.json()["code"]) == (409, "session_past")
    assert late.json()["detail"]


def test_a_started_seance_is_not_cancelled(shared_server: ServerProcess) -> None:
    with httpx.Client(base_url=shared_server.http, timeout=20) as http:
        room = Room(http)
        facilitator = room.auth(room.facilitator)
        created = http.post(
            f"/api/ateliers/{room.atelier['id']}/sessions", json=AHEAD, headers=facilitator
        )
        seance = created.json()
        http.post(f"/api/sessions/{seance['id']}/step", json={"move": "start"}, headers=facilitator)
        refused = http.post(f"/api/sessions/{seance['id']}/cancel", json={}, headers=facilitator)
        assert (refused.status_code, refused.json()["code"]) == (409, "session_already_started")
        long = http.post(
            f"/api/sessions/{seance['id']}/cancel", json={"reason": "x" * 501}, headers=facilitator
        )
        assert long.status_code == 400


def test_minutes_announce_the_next_seance_that_takes_place(shared_server: ServerProcess) -> None:
    with httpx.Client(base_url=shared_server.http, timeout=20) as http:
        room = Room(http)
        facilitator = room.auth(room.facilitator)
        sessions = f"/api/ateliers/{room.atelier['id']}/sessions"
        second = http.post(sessions, json=AHEAD, headers=facilitator).json()
        third = http.post(sessions, json={**AHEAD, "date": "2031-03-11"}, headers=facilitator)
        assert third.status_code == 201, third.text
        cancelled = http.post(f"/api/sessions/{second['id']}/cancel", json={}, headers=facilitator)
        assert cancelled.status_code == 200, cancelled.text
        proposal = http.post(
            f"/api/ateliers/{room.atelier['id']}/proposals",
            json={"title": "Un jardin", "session_id": room.session["id"]},
            headers=facilitator,
        ).json()
        frozen = http.post(f"/api/proposals/{proposal['id']}/freeze", headers=facilitator)
        assert frozen.status_code == 201, frozen.text
        version = http.get(f"/api/proposals/{proposal['id']}/versions/1", headers=facilitator)
        following = version.json()["content"]["session"]["next_session"]
        assert (following["number"], following["date"]) == (3, "2031-03-11")


def test_nobody_checks_in_at_a_cancelled_seance(shared_server: ServerProcess) -> None:
    """Someone who came before the séance was called off may still be marked gone; nobody
    arrives at it any more, by their phone nor at the door."""
    with httpx.Client(base_url=shared_server.http, timeout=20) as http:
        room = Room(http)
        facilitator = room.auth(room.facilitator)
        created = http.post(
            f"/api/ateliers/{room.atelier['id']}/sessions", json=AHEAD, headers=facilitator
        )
        assert created.status_code == 201, created.text
        seance = created.json()["id"]
        zoe = room.auth(room.token_of("Zoé"))
        room.token_of("Yann")
        came = http.post(f"/api/sessions/{seance}/check-in", headers=zoe)
        assert came.status_code == 200, came.text
        cancel = http.post(f"/api/sessions/{seance}/cancel", json={}, headers=facilitator)
        assert cancel.status_code == 200, cancel.text

        again = http.post(f"/api/sessions/{seance}/check-in", headers=zoe)
        assert (again.status_code, again.json()["code"]) == (409, "session_cancelled")
        assert "annulée" in again.json()["detail"]
        people = http.get(f"/api/ateliers/{room.atelier['id']}/participants", headers=facilitator)
        yann = next(p for p in people.json() if p["display_name"] == "Yann")
        door = http.post(
            f"/api/sessions/{seance}/attendance",
            json={"participant_id": yann["id"]},
            headers=facilitator,
        )
        assert (door.status_code, door.json()["code"]) == (409, "session_cancelled")
        left = http.post(f"/api/sessions/{seance}/check-out", headers=zoe)
        assert left.status_code == 200, left.text

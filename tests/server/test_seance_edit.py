"""Editing a séance as the browser's form does (issue 19, item 3), on SQLite and PostgreSQL: the
form sends the séance whole, and once it has started, what is stored for every field but the
next agenda. A séance created from the previous one's next agenda carries points without a
planned duration: sent back as they are, they are taken, before and after the start."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room

#: What the form sends: SessionCreate's fields, taken from the séance as the server gives it.
FIELDS = (
    "date",
    "start_time",
    "end_time",
    "mode",
    "place",
    "remote_link",
    "objectives",
    "agenda",
    "method_steps",
    "next_agenda",
)


@pytest.fixture
def room(server_on: ServerProcess) -> Iterator[Room]:
    with httpx.Client(base_url=server_on.http, timeout=20) as http:
        yield Room(http)


def as_sent(seance: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**{name: seance["details"].get(name) for name in FIELDS}, **changes}


def test_a_seance_carried_from_the_next_agenda_is_sent_back_whole(room: Room) -> None:
    facilitator = room.auth(room.facilitator)
    first = room.session["id"]
    room.http.put(
        f"/api/sessions/{first}",
        json=as_sent(
            room.session,
            method_steps=["Accueil", "Travail en groupes"],
            next_agenda=["Bilan des groupes", "Calendrier"],
        ),
        headers=facilitator,
    ).raise_for_status()
    created = room.http.post(
        f"/api/sessions/{first}/next",
        json={"date": "2018-01-31", "start_time": "18:00:00", "mode": "presentiel", "place": "CA"},
        headers=facilitator,
    )
    assert created.status_code == 201, created.text
    second = created.json()
    assert [item["minutes"] for item in second["details"]["agenda"]] == [None, None]

    # Before the start: the place changes, the points keep having no planned duration.
    moved = room.http.put(
        f"/api/sessions/{second['id']}",
        json=as_sent(second, place="Centre administratif"),
        headers=facilitator,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["details"]["place"] == "Centre administratif"
    assert moved.json()["details"]["agenda"][0] == {"title": "Bilan des groupes", "minutes": None}

    room.http.post(
        f"/api/sessions/{second['id']}/step", json={"move": "start"}, headers=facilitator
    ).raise_for_status()
    started = room.http.get(f"/api/sessions/{second['id']}", headers=facilitator).json()
    # After the start: the next agenda changes, all the rest sent as it is stored.
    next_only = room.http.put(
        f"/api/sessions/{second['id']}",
        json=as_sent(started, next_agenda=["Restitution"]),
        headers=facilitator,
    )
    assert next_only.status_code == 200, next_only.text
    assert next_only.json()["details"]["next_agenda"] == ["Restitution"]
    refused = room.http.put(
        f"/api/sessions/{second['id']}",
        json=as_sent(started, agenda=[{"title": "Bilan des groupes", "minutes": 20}]),
        headers=facilitator,
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "seance_started")
    assert refused.json()["fields"] == ["agenda"]
    assert "seul l’ordre du jour de la séance suivante" in refused.json()["detail_fr"]

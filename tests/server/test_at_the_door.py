"""At the door and between séances (issue 19, items 3, 4 and 7), on a real server: someone
without a phone is registered and checked in and may join later with the slip's code; the
facilitator checks people in, prints the feuille d'émargement, changes a role; a séance is
edited until it starts, and séance n+1 starts from séance n's next agenda."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pypdf
import pytest

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import SEANCE, Room


@pytest.fixture
def room(server_on: ServerProcess) -> Iterator[Room]:
    with httpx.Client(base_url=server_on.http, timeout=30) as http:
        yield Room(http)


def test_someone_without_a_phone_is_checked_in_and_may_join_later_with_the_slip(
    room: Room,
) -> None:
    seance = room.session["id"]
    facilitator = room.auth(room.facilitator)
    added = room.http.post(
        f"/api/sessions/{seance}/walk-ins",
        json={"display_name": "Mme Martin", "role": "habitant"},
        headers=facilitator,
    )
    assert added.status_code == 201, added.text
    slip = added.json()
    groups = slip["slip_code"].split("-")  # read aloud in groups of four: XXXX-XXXX-XXXX
    assert {len(group) for group in groups} == {4}
    assert slip["join_url"].endswith(f"/rejoindre/{room.code}")
    counts = room.http.get(f"/api/sessions/{seance}", headers=facilitator).json()
    assert counts["attendance_by_role"] == {"habitant": 1}
    # Later, on her grandson's phone: the slip's code, lower case and without the dash.
    later = room.join("Martine", invitation_code=slip["slip_code"].replace("-", "").lower())
    assert later.status_code == 200, later.text
    assert later.json()["participant"]["id"] == slip["participant"]["id"]
    again = room.join("Quelqu’un", invitation_code=slip["slip_code"])
    assert (again.status_code, again.json()["code"]) == (409, "invitation_used")
    resident = room.token_of("Ana")
    refused = room.http.post(
        f"/api/sessions/{seance}/walk-ins",
        json={"display_name": "X"},
        headers=room.auth(resident),
    )
    assert refused.status_code == 403


def test_the_facilitator_checks_people_in_prints_the_sheet_and_changes_a_role(
    room: Room,
) -> None:
    seance = room.session["id"]
    facilitator = room.auth(room.facilitator)
    ana = room.join("Ana").json()
    room.join("Bruno")
    room.join("Chloé Élue", role="observateur")
    checked = room.http.post(
        f"/api/sessions/{seance}/attendance",
        json={"participant_id": ana["participant"]["id"]},
        headers=facilitator,
    )
    assert checked.status_code == 200, checked.text
    room.http.post(
        f"/api/sessions/{seance}/walk-ins", json={"display_name": "M. Weber"}, headers=facilitator
    )
    sheet = room.http.get(f"/api/sessions/{seance}/emargement.pdf", headers=facilitator)
    assert sheet.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(sheet.content)).pages)
    for expected in ("Feuille d’émargement", "Ana", "Bruno", "M. Weber", "Chloé Élue"):
        assert expected in text, text
    assert text.index("Ana") < text.index("Chloé Élue")  # residents first, by role
    assert text.count("oui") == 2  # Ana, checked in at the door, and M. Weber
    assert (
        room.http.get(
            f"/api/sessions/{seance}/emargement.pdf", headers=room.auth(ana["token"])
        ).status_code
        == 403
    )

    people = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/participants", headers=facilitator
    ).json()
    chloe = next(p for p in people if p["display_name"] == "Chloé Élue")
    myself = next(p for p in people if p["role"] == "animateur")
    changed = room.http.post(
        f"/api/participants/{chloe['id']}/role", json={"role": "elu"}, headers=facilitator
    )
    assert changed.json()["role"] == "elu"
    own = room.http.post(
        f"/api/participants/{myself['id']}/role", json={"role": "habitant"}, headers=facilitator
    )
    assert (own.status_code, own.json()["code"]) == (409, "cannot_change_own_role")


def test_a_seance_is_edited_until_it_starts_and_the_next_one_starts_from_its_agenda(
    room: Room,
) -> None:
    seance = room.session["id"]
    facilitator = room.auth(room.facilitator)
    planned = {
        **SEANCE,
        "place": "Centre administratif",
        "method_steps": ["Accueil", "Travail en groupes"],
        "next_agenda": ["Bilan des groupes", "Calendrier"],
    }
    edited = room.http.put(f"/api/sessions/{seance}", json=planned, headers=facilitator)
    assert edited.json()["details"]["place"] == "Centre administratif"
    room.http.post(f"/api/sessions/{seance}/step", json={"move": "start"}, headers=facilitator)
    moved = room.http.put(
        f"/api/sessions/{seance}", json={**planned, "place": "Ailleurs"}, headers=facilitator
    )
    assert (moved.status_code, moved.json()["code"]) == (409, "seance_started")
    assert moved.json()["fields"] == ["place"]
    more = {**planned, "next_agenda": [*planned["next_agenda"], "Prochaine étape"]}
    assert room.http.put(f"/api/sessions/{seance}", json=more, headers=facilitator).is_success

    following = room.http.post(
        f"/api/sessions/{seance}/next",
        json={"date": "2018-01-31", "start_time": "18:00:00", "mode": "presentiel", "place": "CA"},
        headers=facilitator,
    )
    assert following.status_code == 201, following.text
    details = following.json()["details"]
    assert following.json()["number"] == 2
    assert details["objectives"] == ["Bilan des groupes", "Calendrier", "Prochaine étape"]
    assert [item["title"] for item in details["agenda"]] == details["objectives"]
    assert details["method_steps"] == ["Accueil", "Travail en groupes"]


def test_a_proposal_is_renamed_and_a_frozen_version_forked_into_a_new_one(
    room: Room, server_on: ServerProcess
) -> None:
    import asyncio

    from tests.server.test_versions_api import new_proposal, paragraph, post, write

    facilitator = room.auth(room.facilitator)
    proposal = new_proposal(room)
    asyncio.run(
        write(server_on, proposal["doc_id"], room.facilitator, paragraph("constat", "Trop chaud."))
    )
    renamed = room.http.put(
        f"/api/proposals/{proposal['id']}/title", json={"title": "Des arbres"}, headers=facilitator
    )
    assert renamed.json()["title"] == "Des arbres"
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    forked = room.http.post(
        f"/api/proposals/{proposal['id']}/versions/1/fork",
        json={"title": "Des fontaines"},
        headers=facilitator,
    )
    assert forked.status_code == 201, forked.text
    assert (forked.json()["title"], forked.json()["status"]) == ("Des fontaines", "brouillon")
    frozen = post(room, f"/api/proposals/{forked.json()['id']}/freeze")
    assert frozen.status_code == 201, frozen.text
    version = room.http.get(
        f"/api/proposals/{forked.json()['id']}/versions/1", headers=facilitator
    ).json()
    sections = {s["key"]: s for s in version["content"]["sections"]}
    assert sections["constat"]["text"] == "Trop chaud."  # the fork starts from version 1
    resident = room.token_of("Ana")
    refused = room.http.put(
        f"/api/proposals/{proposal['id']}/title", json={"title": "X"}, headers=room.auth(resident)
    )
    assert refused.status_code == 403


def test_a_new_join_code_replaces_the_old_one(room: Room) -> None:
    ana = room.join("Ana").json()
    old = room.code
    renewed = room.http.post(
        f"/api/sessions/{room.session['id']}/join-code", headers=room.auth(room.facilitator)
    )
    assert renewed.status_code == 200
    new = renewed.json()["join_code"]
    assert new != old
    assert room.http.get(f"/api/join/{old}").status_code == 404
    assert room.http.get(f"/api/join/{new}").status_code == 200
    # Who joined stays in.
    me = room.http.get(f"/api/ateliers/{room.atelier['id']}", headers=room.auth(ana["token"]))
    assert me.status_code == 200

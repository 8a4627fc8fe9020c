"""At the door and between séances (issue 19, items 3, 4 and 7), on a real server: someone
without a phone is registered and checked in and may join later with the slip's code; the
facilitator checks people in, lists who is here (names for them alone), checks someone out,
prints the feuille d'émargement, changes a role, renews the join code; a séance is edited until
it starts, and séance n+1 starts from séance n's next agenda; the city's time zone is the
browser's to read and the minutes' to say."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pypdf
import pytest
import websockets

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import SEANCE, Room
from tests.server.test_openapi_drift import DATE_TIME
from tests.server.test_versions_api import new_proposal, post


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


# --- who is here (issue 19, #4): the list for those who run the séance, and check-out -------


def follow(server: ServerProcess, session_id: str, token: str) -> Any:
    return websockets.connect(
        f"ws://127.0.0.1:{server.port}/ws/sessions/{session_id}?token={token}"
    )


async def next_event(ws: Any, kind: str) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            event = json.loads(await ws.recv())
            if event["type"] == kind:
                return event  # type: ignore[no-any-return]


def test_the_facilitator_lists_who_is_here_and_checks_someone_out_live(
    room: Room, server_on: ServerProcess
) -> None:
    seance = room.session["id"]
    facilitator = room.auth(room.facilitator)
    ana = room.join("Ana").json()
    bruno = room.join("Bruno").json()
    room.join("Chloé")  # registered, never checked in
    url = f"/api/sessions/{seance}/attendance"
    assert room.http.get(url, headers=facilitator).json()["people"] == []
    room.http.post(url, json={"participant_id": ana["participant"]["id"]}, headers=facilitator)
    room.http.post(f"/api/sessions/{seance}/check-in", headers=room.auth(bruno["token"]))
    weber = room.http.post(
        f"/api/sessions/{seance}/walk-ins",
        json={"display_name": "M. Weber", "role": "elu"},
        headers=facilitator,
    ).json()

    listed = room.http.get(url, headers=facilitator)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [(p["display_name"], p["role"], p["walk_in"]) for p in body["people"]] == [
        ("Ana", "habitant", False),
        ("Bruno", "habitant", False),
        ("M. Weber", "elu", True),
    ]
    assert all(p["checked_out_at"] is None for p in body["people"])
    assert all(DATE_TIME.match(p["checked_in_at"]) for p in body["people"])
    assert (body["here"], body["came"], body["here_by_role"]) == (
        3,
        3,
        {"habitant": 2, "elu": 1},
    )
    assert body["headcount"] is None

    async def check_out_while_following() -> dict[str, Any]:
        async with follow(server_on, seance, bruno["token"]) as ws:
            await next_event(ws, "snapshot")
            gone = await asyncio.to_thread(
                room.http.delete, f"{url}/{ana['participant']['id']}", headers=facilitator
            )
            assert gone.status_code == 200, gone.text
            event = await next_event(ws, "attendance_changed")
            return {"answer": gone.json(), "event": event}

    seen = asyncio.run(check_out_while_following())
    # Everyone following the séance sees the room's counts go down: counts, never names.
    assert seen["event"]["attendance_by_role"] == {"habitant": 1, "elu": 1}
    assert "Ana" not in json.dumps(seen["event"])
    after = seen["answer"]
    assert (after["here"], after["came"], after["here_by_role"]) == (
        2,
        3,
        {"habitant": 1, "elu": 1},
    )
    left = {p["display_name"]: p["checked_out_at"] for p in after["people"]}
    assert DATE_TIME.match(left["Ana"] or "")
    assert left["Bruno"] is None
    read = room.http.get(f"/api/sessions/{seance}", headers=facilitator).json()
    assert read["attendance_by_role"] == {"habitant": 1, "elu": 1}

    # A double click is one departure: the time she left stays.
    again = room.http.delete(f"{url}/{ana['participant']['id']}", headers=facilitator)
    assert again.status_code == 200
    assert {p["display_name"]: p["checked_out_at"] for p in again.json()["people"]} == left
    # Back in at the door: here again, and still one line.
    room.http.post(url, json={"participant_id": ana["participant"]["id"]}, headers=facilitator)
    back = room.http.get(url, headers=facilitator).json()
    assert (back["here"], back["came"]) == (3, 3)

    # A walk-in who later joins from a phone with the slip is still one registered at the door.
    room.join("Weber", role="elu", invitation_code=weber["slip_code"].lower())
    people = room.http.get(url, headers=facilitator).json()["people"]
    assert [p["walk_in"] for p in people if p["display_name"] == "M. Weber"] == [True]

    chloe = next(
        p
        for p in room.http.get(
            f"/api/ateliers/{room.atelier['id']}/participants", headers=facilitator
        ).json()
        if p["display_name"] == "Chloé"
    )
    never = room.http.delete(f"{url}/{chloe['id']}", headers=facilitator)
    assert (never.status_code, never.json()["code"]) == (409, "not_checked_in")
    assert "Chloé" in never.json()["detail"]
    unknown = room.http.delete(f"{url}/nobody", headers=facilitator)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "participant_not_found")


def test_only_those_who_run_the_seance_read_the_names_at_the_door(room: Room) -> None:
    seance = room.session["id"]
    ana = room.join("Ana").json()
    room.http.post(f"/api/sessions/{seance}/check-in", headers=room.auth(ana["token"]))
    url = f"/api/sessions/{seance}/attendance"
    resident = room.http.get(url, headers=room.auth(ana["token"]))
    assert (resident.status_code, resident.json()["code"]) == (403, "forbidden")
    out = room.http.delete(f"{url}/{ana['participant']['id']}", headers=room.auth(ana["token"]))
    assert out.status_code == 403
    elsewhere = Room(room.http)  # another atelier's facilitator
    for answer in (
        room.http.get(url, headers=room.auth(elsewhere.facilitator)),
        room.http.delete(
            f"{url}/{ana['participant']['id']}", headers=room.auth(elsewhere.facilitator)
        ),
    ):
        assert (answer.status_code, answer.json()["code"]) == (403, "other_atelier")
    room.http.cookies.clear()  # nobody's token
    assert room.http.get(url).status_code == 401
    # What a resident reads of the séance: the counts by role, and she is still here.
    counts = room.http.get(f"/api/sessions/{seance}", headers=room.auth(ana["token"])).json()
    assert counts["attendance_by_role"] == {"habitant": 1}


def test_the_minutes_count_who_came_and_the_room_who_is_here(room: Room) -> None:
    seance = room.session["id"]
    facilitator = room.auth(room.facilitator)
    fiche = new_proposal(room, session_id=seance)
    tokens = {name: room.join(name).json() for name in ("Ana", "Bruno", "Chloé")}
    for joined in tokens.values():
        room.http.post(f"/api/sessions/{seance}/check-in", headers=room.auth(joined["token"]))
    room.http.delete(
        f"/api/sessions/{seance}/attendance/{tokens['Bruno']['participant']['id']}",
        headers=facilitator,
    )
    room.http.put(f"/api/sessions/{seance}/headcount", json={"headcount": 35}, headers=facilitator)
    door = room.http.get(f"/api/sessions/{seance}/attendance", headers=facilitator).json()
    assert (door["here"], door["came"], door["headcount"]) == (2, 3, 35)
    assert post(room, f"/api/sessions/{seance}/freeze").status_code == 201
    version = room.http.get(f"/api/proposals/{fiche['id']}/versions/1", headers=facilitator)
    attendance = version.json()["content"]["attendance"]
    assert (attendance["by_role"], attendance["total"]) == ({"habitant": 3}, 3)
    minutes = room.http.get(f"/api/sessions/{seance}/compte-rendu", headers=facilitator).text
    said = " ".join(minutes.split()).replace("\u202f", " ").replace("\xa0", " ")
    # Bruno left at the break: he came, the minutes count him.
    assert "présentes** : 35 (dont 3 enregistrées dans l’atelier : 3 habitant·es)" in said


def test_a_new_join_code_is_told_live_and_typed_in_any_case_with_or_without_its_dash(
    room: Room, server_on: ServerProcess
) -> None:
    ana = room.join("Ana").json()
    old = room.code

    async def renew_while_following() -> tuple[httpx.Response, dict[str, Any]]:
        async with follow(server_on, room.session["id"], ana["token"]) as ws:
            await next_event(ws, "snapshot")
            renewed = await asyncio.to_thread(
                room.http.post,
                f"/api/sessions/{room.session['id']}/join-code",
                headers=room.auth(room.facilitator),
            )
            return renewed, await next_event(ws, "join_code_changed")

    renewed, event = asyncio.run(renew_while_following())
    new = renewed.json()["join_code"]
    assert (event["join_code"], event["join_url"]) == (new, renewed.json()["join_url"])
    assert event["join_url"].endswith(f"/rejoindre/{new}")
    shown = f"{new[:4]}-{new[4:]}"
    for typed in (new, new.lower(), shown, shown.lower(), f" {shown.lower()} "):
        assert room.http.get(f"/api/join/{typed}").status_code == 200, typed
    for typed in (old, old.lower(), f"{old[:4]}-{old[4:]}"):
        refused = room.http.get(f"/api/join/{typed}")
        assert (refused.status_code, refused.json()["code"]) == (404, "unknown_join_code")
    room.code = shown.lower()
    joined = room.join("Bruno")
    assert joined.status_code == 201, joined.text
    # An invitation code too, read aloud in groups and typed in lower case.
    invitation = room.invite("elu")
    grouped = "-".join(invitation[i : i + 4] for i in range(0, len(invitation), 4)).lower()
    elected = room.join("Mme la maire", role="elu", invitation_code=grouped)
    assert elected.status_code == 201, elected.text
    assert elected.json()["participant"]["role"] == "elu"


# --- the city's time zone (issue 19, #3) --------------------------------------------------------


def test_the_citys_time_zone_is_given_to_the_browser_and_said_in_the_minutes(
    database_url: str, server_factory: type[ServerProcess]
) -> None:
    server = server_factory(database_url, env_overrides={"ATELIER_TIME_ZONE": "America/Montreal"})
    server.start()
    with httpx.Client(base_url=server.http, timeout=30) as http:
        city = http.get("/api/city")
        assert city.json() == {"time_zone": "America/Montreal"}
        room = Room(http)
        seance = room.session["id"]
        fiche = new_proposal(room, session_id=seance)
        frozen = post(room, f"/api/sessions/{seance}/freeze")
        assert frozen.status_code == 201, frozen.text
        stamp = frozen.json()[0]["created_at"]
        local = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(
            ZoneInfo("America/Montreal")
        )
        hours = int(-local.utcoffset().total_seconds() // 3600)  # type: ignore[union-attr]
        clock = f"{local.hour} h" + (f" {local.minute:02d}" if local.minute else "")
        said = f"à {clock} (heure de Montreal, UTC\u2212{hours})"
        minutes = http.get(
            f"/api/sessions/{seance}/compte-rendu", headers=room.auth(room.facilitator)
        ).text
        flat = " ".join(minutes.split()).replace("\u202f", " ").replace("\xa0", " ")
        assert said in flat, flat[:600]
        assert "(UTC)" not in flat
        pdf = http.get(
            f"/api/proposals/{fiche['id']}/versions/1/pdf", headers=room.auth(room.facilitator)
        )
        text = "".join(
            page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages
        )
        assert "heure de Montreal" in " ".join(text.split()), text[:400]


def test_a_long_name_wraps_inside_its_column_on_the_sign_in_sheet() -> None:
    """A name may have 80 characters: on the feuille d'émargement it wraps within « Nom » and
    its row grows; it used to run on under « Rôle », printed over the role (H7 walk)."""
    from server.documents.sign_in import _Page, sign_in_sheet_pdf
    from server.printing import SignInRow, SignInSheet

    name = "Marie-Christine Dupont-Lefebvre de la Tour d’Auvergne-Schweitzer"
    rows = (SignInRow(name, "observateur·rice", False), SignInRow("Ana", "habitant·e", True))
    pdf = sign_in_sheet_pdf(SignInSheet("Atelier", "Séance 1", "L’Aubette", rows))
    shown: list[tuple[str, float, float]] = []
    pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text(
        visitor_text=lambda text, cm, tm, font, size: (
            shown.append((text.strip(), tm[4], size)) if text.strip() else None
        )
    )
    table = shown[[text for text, _, _ in shown].index("Nom") : -1]  # the table, no footer
    role_x = next(x for text, x, _ in table if text == "Rôle")
    in_names = [(text, x, size) for text, x, size in table if x < role_x]
    lines = [text for text, _, _ in in_names]
    assert " ".join(lines[1 : lines.index("Ana")]) == name
    measure = _Page("mesure")
    measure.add_page()
    for text, x, size in in_names:
        measure.font(size)
        points = measure.get_string_width(text) * 72 / 25.4
        assert x + points < role_x, f"« {text} » runs into the role column"

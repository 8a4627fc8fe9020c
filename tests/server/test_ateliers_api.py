"""Ateliers, séances and the people in them, end to end over HTTP and WebSocket, on a real
server process (SQLite, then PostgreSQL)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import RUNNING, TEST_SECRET, ServerProcess
from tests.ypy_client import connect

pytestmark = pytest.mark.anyio

ATELIER = {
    "title": "Évolution des instances de démocratie locale",
    "subject": "Étude de faisabilité des ateliers de quartier et des ateliers ville",
    "kind": "projet",
    "scope": "ville",
    "facilitator_name": "Claire",
    "instances": ["CQ", "CC"],
    "charter_text": "Respect, écoute, bienveillance.",
    "min_residents": 3,
}
SEANCE = {
    "date": "2017-12-12",
    "start_time": "18:30:00",
    "mode": "presentiel",
    "place": "L’Aubette",
    "objectives": ["Étude de faisabilité"],
    "agenda": [{"title": "Rappel de la démarche", "minutes": 15}],
}


class Room:
    """An atelier with a séance, created by its facilitator."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        staff = RUNNING[str(http.base_url).rstrip("/")].staff_token()
        created = http.post(
            "/api/ateliers", json=ATELIER, headers={"authorization": f"Bearer {staff}"}
        )
        assert created.status_code == 201, created.text
        self.atelier = created.json()["atelier"]
        self.facilitator = created.json()["facilitator"]["token"]
        seance = http.post(
            f"/api/ateliers/{self.atelier['id']}/sessions",
            json=SEANCE,
            headers=self.auth(self.facilitator),
        )
        assert seance.status_code == 201, seance.text
        self.session = seance.json()
        self.code = self.session["join_code"]

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def join(self, name: str, role: str = "habitant", **extra: Any) -> httpx.Response:
        """Someone joins from their own phone: what this client's earlier answers set (the
        token and device cookies) is not sent, or the server would give back that person."""
        body = {"display_name": name, "role": role, "accept_charter_version": 1, **extra}
        self.http.cookies.clear()
        return self.http.post(f"/api/join/{self.code}", json=body)

    def token_of(self, name: str, role: str = "habitant", **extra: Any) -> str:
        response = self.join(name, role, **extra)
        assert response.status_code == 201, response.text
        return str(response.json()["token"])

    def invite(self, role: str) -> str:
        response = self.http.post(
            f"/api/ateliers/{self.atelier['id']}/invitations",
            json={"role": role},
            headers=self.auth(self.facilitator),
        )
        assert response.status_code == 201, response.text
        return str(response.json()["code"])


@pytest.fixture
def http(server_on: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_on.http, timeout=10) as client:
        yield client


@pytest.fixture
def room(http: httpx.Client) -> Room:
    return Room(http)


def test_a_resident_joins_with_the_code_after_accepting_the_charter(room: Room) -> None:
    info = room.http.get(f"/api/join/{room.code.lower()}")
    assert info.status_code == 200
    assert info.json()["atelier"]["charter_text"] == "Respect, écoute, bienveillance."
    room.http.cookies.clear()  # a phone, not the facilitator's browser
    refused = room.http.post(
        f"/api/join/{room.code}", json={"display_name": "Ana", "role": "habitant"}
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "charter_not_accepted"
    assert "charte" in refused.json()["detail"]
    joined = room.join("Ana")
    assert joined.status_code == 201
    assert joined.json()["participant"]["role_label_fr"] == "habitant·e"
    assert "atelier_token" in joined.cookies


def test_an_unknown_code_is_a_clear_404_in_french_or_english(room: Room) -> None:
    fr = room.http.get("/api/join/XXXXXX")
    assert fr.status_code == 404
    assert fr.headers["content-type"].startswith("application/problem+json")
    assert "code" in fr.json()["detail"].lower()
    en = room.http.get("/api/join/XXXXXX", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert en.json()["detail"].startswith("This code")


def test_elevated_roles_need_a_single_use_invitation_for_their_role(room: Room) -> None:
    assert room.join("Élu sans code", "elu").json()["code"] == "invitation_required"
    code = room.invite("elu")
    assert (
        room.join("Agent", "agent", invitation_code=code).json()["code"] == "invitation_wrong_role"
    )
    assert room.join("M. le maire", "elu", invitation_code=code).status_code == 201
    again = room.join("Usurpateur", "elu", invitation_code=code)
    assert (again.status_code, again.json()["code"]) == (409, "invitation_used")


def test_an_invitation_is_bound_to_its_atelier(room: Room, http: httpx.Client) -> None:
    other = Room(http)
    code = other.invite("agent")
    response = room.join("Agent", "agent", invitation_code=code)
    assert (response.status_code, response.json()["code"]) == (403, "invitation_wrong_atelier")


def test_a_resident_cannot_run_the_seance(room: Room) -> None:
    token = room.token_of("Ana")
    for path, body in (
        (f"/api/ateliers/{room.atelier['id']}/sessions", SEANCE),
        (f"/api/ateliers/{room.atelier['id']}/invitations", {"role": "elu"}),
    ):
        response = room.http.post(path, json=body, headers=room.auth(token))
        assert response.status_code == 403, path
        assert response.json()["detail_en"]


def test_check_in_counts_attendance_by_role(room: Room) -> None:
    session_id = room.session["id"]
    for name, role, extra in (
        ("Ana", "habitant", {}),
        ("Bruno", "habitant", {}),
        ("Mme Adjointe", "elu", {"invitation_code": room.invite("elu")}),
    ):
        token = room.token_of(name, role, **extra)
        assert (
            room.http.post(
                f"/api/sessions/{session_id}/check-in", headers=room.auth(token)
            ).status_code
            == 200
        )
    seance = room.http.get(
        f"/api/sessions/{session_id}", headers=room.auth(room.facilitator)
    ).json()
    assert seance["attendance_by_role"] == {"habitant": 2, "elu": 1}


async def test_a_revoked_participant_is_refused_everywhere_and_disconnected_at_once(
    room: Room, server_on: ServerProcess
) -> None:
    doc = room.http.post(
        f"/api/ateliers/{room.atelier['id']}/proposals",
        json={"title": "Proposition"},
        headers=room.auth(room.facilitator),
    ).json()["doc_id"]
    response = room.join("Troll")
    token, pid = response.json()["token"], response.json()["participant"]["id"]
    async with connect(server_on.doc_url(doc, token=token)) as troll:
        revoked = room.http.post(
            f"/api/participants/{pid}/revoke", headers=room.auth(room.facilitator)
        )
        assert revoked.json()["revoked"] is True, revoked.text
        await troll.closed.wait()
        assert (troll.close_code, troll.close_reason) == (4401, "access revoked")
    after = room.http.get(f"/api/ateliers/{room.atelier['id']}", headers=room.auth(token))
    assert (after.status_code, after.json()["code"]) == (401, "revoked")
    async with connect(server_on.doc_url(doc, token=token), sync=False) as again:
        await again.closed.wait()
        assert again.close_code == 4401


def test_the_qr_code_decodes_to_the_join_link(room: Room, server_on: ServerProcess) -> None:
    import zxingcpp
    from PIL import Image

    png = room.http.get(f"/api/join/{room.code}/qr.png")
    assert png.headers["content-type"] == "image/png"
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))]
    assert decoded == [f"{server_on.http}/rejoindre/{room.code}"]
    svg = room.http.get(f"/api/join/{room.code}/qr.svg")
    assert svg.content.startswith(b"<?xml")
    assert b"<svg" in svg.content


@pytest.mark.parametrize("paper", ["A4", "A5", "A3"])
def test_the_printable_invitation_carries_the_code_and_the_date(room: Room, paper: str) -> None:
    """A letterbox invitation (A4, A5), or a poster (A3) on one page whose code reads from afar."""
    import pypdf

    pdf = room.http.get(f"/api/join/{room.code}/invitation.pdf", params={"format": paper})
    assert pdf.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    text = reader.pages[0].extract_text().replace("\n", " ")
    spaced = f"{room.code[:4]}-{room.code[4:]}"
    assert spaced in text
    assert "12 décembre 2017 à 18 h 30" in text
    assert "Aubette" in text
    width_mm = float(reader.pages[0].mediabox.width) * 25.4 / 72
    assert round(width_mm) == {"A4": 210, "A5": 148, "A3": 297}[paper]
    assert len(reader.pages) == 1


async def test_document_access_follows_the_permission_table(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = room.http.post(
        f"/api/ateliers/{room.atelier['id']}/proposals",
        json={"title": "Créer des ateliers de quartier au service des projets"},
        headers=room.auth(room.facilitator),
    ).json()
    doc = proposal["doc_id"]
    resident = room.token_of("Ana")
    observer = room.token_of("Obs", "observateur")
    stranger = Room(room.http).facilitator
    async with connect(server_on.doc_url(doc, token=resident)) as ana:
        ana.edit(lambda t: t.insert(0, "Constat"))
        await ana.wait_for(lambda: any(f[:2] == b"\x00\x02" for f in ana.received))
    async with connect(server_on.doc_url(doc, token=observer)) as obs:
        assert str(obs) == "Constat"
        obs.edit(lambda t: t.insert(0, "X"))
        await obs.round_trip()  # the server has handled (and dropped) the observer's edit
    async with connect(server_on.doc_url(doc, token=resident)) as ana:
        assert str(ana) == "Constat"
    async with connect(server_on.doc_url(doc, token=stranger), sync=False) as intruder:
        await intruder.closed.wait()
        assert intruder.close_code == 4403


def test_guessing_codes_is_slowed_down_after_twenty_wrong_codes(room: Room) -> None:
    # Twenty joins from one address (a town hall's Wi-Fi) are not limited: only failures are.
    for i in range(20):
        assert room.join(f"Habitant {i}").status_code == 201
    for _ in range(20):
        assert room.http.get("/api/join/ZZZZZZ").status_code == 404
    for path in ("/api/join/ZZZZZZ", f"/api/join/{room.code}"):
        blocked = room.http.get(path)
        assert blocked.status_code == 429
        assert blocked.json()["code"] == "too_many_attempts"
        assert "réessayez" in blocked.json()["detail"]
        assert int(blocked.headers["retry-after"]) > 0


def test_activity_feeds_follow_an_atelier_and_the_instances_it_is_linked_to(room: Room) -> None:
    import xml.etree.ElementTree as ET

    room.join("Ana")
    atelier_id = room.atelier["id"]
    feed = room.http.get(f"/api/ateliers/{atelier_id}/activity.json").json()
    summaries = [item["content_text"] for item in feed["items"]]
    assert summaries[0] == "Une personne a rejoint l’atelier (habitant·e)"  # newest first
    assert any("Atelier créé" in s for s in summaries)
    assert all("Ana" not in s for s in summaries)  # feeds never name people
    atom = room.http.get("/api/instances/cq/activity.atom")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    entries = ET.fromstring(atom.content).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == len(summaries)  # the atelier is linked to the CQ
    unrelated = room.http.get("/api/instances/CDJ/activity.json").json()
    assert unrelated["items"] == []


def test_the_atelier_is_constituted_once_enough_residents_accepted_the_charter(room: Room) -> None:
    def status() -> str:
        response = room.http.get(
            f"/api/ateliers/{room.atelier['id']}", headers=room.auth(room.facilitator)
        )
        return str(response.json()["status"])

    room.join("Observatrice", "observateur")
    room.token_of("Ana")
    room.token_of("Bruno")
    assert status() == "en_constitution"  # two residents of the three required
    room.token_of("Chloé")
    assert status() == "constituee"
    feed = room.http.get(f"/api/ateliers/{room.atelier['id']}/activity.json").json()
    assert feed["items"][0]["content_text"].startswith("L’atelier est constitué")


def test_the_facilitator_leads_the_method_steps_and_impossible_moves_are_explained(
    room: Room,
) -> None:
    session_id = room.session["id"]
    created = room.http.post(
        f"/api/ateliers/{room.atelier['id']}/sessions",
        json={**SEANCE, "method_steps": ["Rappel de la démarche", "Présentation des rôles"]},
        headers=room.auth(room.facilitator),
    ).json()
    session_id = created["id"]

    def move(move: str, token: str | None = None, **extra: Any) -> httpx.Response:
        return room.http.post(
            f"/api/sessions/{session_id}/step",
            json={"move": move, **extra},
            headers=room.auth(token or room.facilitator),
        )

    assert move("next").json()["code"] == "session_not_started"
    assert move("start").json()["details"]["current_step"] == 0
    assert move("next").json()["details"]["current_step"] == 1
    assert move("next").status_code == 409
    assert move("goto", index=0).json()["details"]["current_step"] == 0
    assert move("next", token=room.token_of("Ana")).status_code == 403


def test_a_revised_charter_must_be_accepted_again(room: Room) -> None:
    token = room.token_of("Ana")
    atelier_id = room.atelier["id"]
    revised = room.http.put(
        f"/api/ateliers/{atelier_id}/charter",
        json={"text": "Respect, écoute."},
        headers=room.auth(room.facilitator),
    )
    assert revised.json()["charter_version"] == 2
    stale = room.join("Bruno")  # accepting version 1, which is no longer the charter
    assert stale.status_code in (403, 409)
    assert stale.json()["code"] in ("charter_not_accepted", "charter_version_mismatch")
    accepted = room.http.post(
        f"/api/ateliers/{atelier_id}/charter/accept", json={"version": 2}, headers=room.auth(token)
    )
    assert accepted.json()["charter_version"] == 2
    refused = room.http.put(
        f"/api/ateliers/{atelier_id}/charter", json={"text": "Autre"}, headers=room.auth(token)
    )
    assert refused.status_code == 403


def test_the_atelier_image_is_shown_and_printed_on_invitations(room: Room) -> None:
    import pypdf
    from PIL import Image

    atelier_id = room.atelier["id"]
    picture = io.BytesIO()
    Image.new("RGB", (64, 32), (200, 30, 60)).save(picture, format="PNG")
    uploaded = room.http.put(
        f"/api/ateliers/{atelier_id}/image",
        content=picture.getvalue(),
        headers=room.auth(room.facilitator),
    )
    assert uploaded.status_code == 200, uploaded.text
    shown = room.http.get(f"/api/ateliers/{atelier_id}/image")
    assert shown.headers["content-type"] == "image/png"
    # Decoded and encoded again (server.documents.images): the same picture, maybe other bytes.
    again = Image.open(io.BytesIO(shown.content))
    assert (again.size, again.getpixel((10, 10))) == ((64, 32), (200, 30, 60))
    bad = room.http.put(
        f"/api/ateliers/{atelier_id}/image",
        content=b"<svg onload=alert(1)>",
        headers=room.auth(room.facilitator),
    )
    assert (bad.status_code, bad.json()["code"]) == (415, "image_type")
    pdf = pypdf.PdfReader(
        io.BytesIO(room.http.get(f"/api/join/{room.code}/invitation.pdf").content)
    )
    assert len(pdf.pages[0].images) == 2  # the atelier's image and the QR code


def test_forged_or_expired_tokens_and_unparsable_dates_get_clear_problems(
    room: Room, server_on: ServerProcess
) -> None:
    from server.auth import mint_participant_token

    atelier_id = room.atelier["id"]
    forged = mint_participant_token("x" * 40, atelier_id, "someone", "animateur", 60)
    expired = mint_participant_token(TEST_SECRET, atelier_id, "someone", "animateur", -10)
    for token, code in (
        (forged, "invalid_token"),
        (expired, "token_expired"),
        ("garbage", "invalid_token"),
    ):
        response = room.http.get(f"/api/ateliers/{atelier_id}", headers=room.auth(token))
        assert (response.status_code, response.json()["code"]) == (401, code)
    bad_date = room.http.post(
        f"/api/ateliers/{atelier_id}/sessions",
        json={**SEANCE, "date": "31/02/2018"},
        headers=room.auth(room.facilitator),
    )
    assert bad_date.status_code == 400
    assert "date" in bad_date.json()["detail_en"]


def test_the_seances_of_an_atelier_are_listed_in_order(room: Room) -> None:
    second = room.http.post(
        f"/api/ateliers/{room.atelier['id']}/sessions",
        json={**SEANCE, "date": "2018-01-31"},
        headers=room.auth(room.facilitator),
    )
    assert second.status_code == 201, second.text
    listed = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/sessions", headers=room.auth(room.token_of("Ana"))
    ).json()
    assert [s["number"] for s in listed] == [1, 2]
    assert listed[0]["join_code"] == room.code
    other = Room(room.http)
    refused = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/sessions", headers=room.auth(other.facilitator)
    )
    assert refused.status_code == 403


def test_a_room_joining_all_at_once_is_never_refused(room: Room) -> None:
    """A hall scans the QR code together while the facilitator hands out invitations: every
    join succeeds (SQLite used to refuse, at once, a transaction that read first and wrote after
    another's commit: « database is locked »)."""

    async def crowd() -> list[int]:
        async with httpx.AsyncClient(base_url=str(room.http.base_url), timeout=60) as client:

            async def join(i: int) -> int:
                body = {"display_name": f"Voix {i}", "accept_charter_version": 1}
                if i % 4 == 0:
                    invited = await client.post(
                        f"/api/ateliers/{room.atelier['id']}/invitations",
                        json={"role": "agent"},
                        headers=room.auth(room.facilitator),
                    )
                    if invited.status_code != 201:
                        return invited.status_code
                    body |= {"role": "agent", "invitation_code": invited.json()["code"]}
                else:
                    body["role"] = "habitant"
                client.cookies.clear()  # 80 phones: none sends another's cookies
                response = await client.post(f"/api/join/{room.code}", json=body)
                return response.status_code

            return list(await asyncio.gather(*(join(i) for i in range(80))))

    assert asyncio.run(crowd()) == [201] * 80

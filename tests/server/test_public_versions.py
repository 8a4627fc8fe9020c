"""A frozen version on the public door, and the projects as JSON, on SQLite and PostgreSQL: the
project's timeline links each version; a version's page shows its frozen text, its fingerprint
and the previous one (each a link), the amendments it lists — named only when their author
agreed — and how to check the fingerprint, against a public record from which anyone
recomputes it; nothing of an unlisted atelier, a draft or an unknown version; ``/api/projects``
says what the projects' pages say, and no one's name."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.server.test_amendments import decide, propose, start
from tests.server.test_ateliers_api import Room
from tests.server.test_projects import call, ok
from tests.server.test_public_pages import Page, create
from tests.server.test_versions_api import council, new_proposal, post

HIDDEN = "Anaïs Quatrevingt-Douze"  # proposed an amendment, did not agree to be named
SHOWN = "Bérénice Consentante"  # agreed to be named in the minutes


@pytest.fixture
def room(server_on: ServerProcess) -> Any:
    with httpx.Client(base_url=server_on.http, timeout=30) as http:
        yield Room(http)


def fingerprint(hashed: dict[str, Any]) -> str:
    """The README's recipe: SHA-256 of sorted-key, spaceless, UTF-8 JSON."""
    text = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def adopted_with_two_versions(room: Room, server: ServerProcess) -> tuple[dict[str, Any], str]:
    """A proposal amended (one accepted, one rejected), frozen twice, adopted: (proposal,
    project id)."""
    proposal, (first, second) = start(
        server, room, [("proposition", 0, 19, 25), ("proposition", 1, 4, 10)]
    )
    hidden = room.token_of(HIDDEN)
    shown = room.token_of(SHOWN, show_name_in_minutes=True)
    accepted = propose(room, proposal, hidden, first).json()
    rejected = propose(
        room, proposal, shown, second, quote="stands", replacement="étals", rationale="Plus juste."
    ).json()
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    assert decide(room, accepted, "accept").status_code == 200
    assert (
        post(
            room, f"/api/amendments/{rejected['id']}/reject", None, reason="Le mot est juste."
        ).status_code
        == 200
    )
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    assert post(room, f"/api/proposals/{proposal['id']}/transmit").status_code == 200
    body = {"outcome": "adoptee", "answer": "Adoptée.", "deliberation_ref": "DEL-2018-042"}
    decided = post(room, f"/api/proposals/{proposal['id']}/decision", council(room), **body)
    assert decided.status_code == 200, decided.text
    return proposal, decided.json()["decision"]["project_id"]


def test_a_frozen_version_is_public_linked_from_its_project_and_verifiable(
    room: Room, server_on: ServerProcess
) -> None:
    proposal, project_id = adopted_with_two_versions(room, server_on)
    pid = proposal["id"]
    http = room.http
    versions = http.get(f"/api/proposals/{pid}/versions", headers=council(room)).json()
    v1, v2 = versions["versions"]
    assert v2["prev_hash"] == v1["hash"]

    atelier = Page(http.get(f"/decouvrir/ateliers/{room.atelier['id']}").text)
    assert atelier.links["Lire le texte figé (version 2) et vérifier son empreinte"] == (
        f"/decouvrir/propositions/{pid}/versions/2"
    )
    timeline = Page(http.get(f"/decouvrir/projets/{project_id}").text)
    one, two = (
        f"/decouvrir/propositions/{pid}/versions/1",
        f"/decouvrir/propositions/{pid}/versions/2",
    )
    assert set(timeline.links.values()) >= {one, two}

    answer = http.get(two)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    shown = Page(answer.text)
    words = shown.words
    assert "Le marché ouvre le dimanche matin." in words  # the frozen text, amended
    assert v2["hash"] in words
    assert v1["hash"] in words
    assert shown.links["version 1"] == one
    assert "accepté" in words
    assert "rejeté" in words
    assert "Motif du rejet : Le mot est juste." in words
    assert f"Proposé par : {SHOWN}" in words  # she agreed to be named
    assert "Proposé par : habitant·e" in words  # the other author, by role only
    assert HIDDEN not in answer.text
    assert "Claire" not in answer.text  # the facilitator who froze it
    record_url = next(href for text, href in shown.links.items() if "JSON" in text)
    assert record_url.endswith(f"/api/proposals/{pid}/versions/2/public")
    assert "sort_keys=True" in words  # the recipe, to copy

    first = Page(http.get(one).text)
    assert "c’est la première version" in first.words
    assert first.links["version 2"] == two

    # The record: anyone recomputes the fingerprint, and follows the chain back.
    record = http.get(record_url).json()
    assert (record["number"], record["hash"], record["prev_hash"]) == (2, v2["hash"], v1["hash"])
    assert fingerprint(record["hashed"]) == record["hash"]
    assert record["hashed"]["prev_hash"] == v1["hash"]
    assert record["next"] is None
    previous = http.get(record["previous"]).json()
    assert fingerprint(previous["hashed"]) == previous["hash"] == record["prev_hash"]
    assert previous["previous"] is None
    assert "state" not in record["hashed"]  # its SHA-256 only, as hashed
    assert HIDDEN not in json.dumps(record, ensure_ascii=False)

    # English too.
    english = http.get(two, params={"lang": "en"}).text
    assert "Check the fingerprint" in english
    assert "Proposed by: resident" in english


def test_nothing_unpublished_or_unknown_has_a_version_page(
    room: Room, server_on: ServerProcess
) -> None:
    http = room.http
    draft = new_proposal(room, title="Encore un brouillon")
    assert http.get(f"/decouvrir/propositions/{draft['id']}/versions/1").status_code == 404
    frozen = new_proposal(room, title="Figée")
    assert post(room, f"/api/proposals/{frozen['id']}/freeze").status_code == 201
    assert http.get(f"/decouvrir/propositions/{frozen['id']}/versions/1").status_code == 200
    for number in (0, 2, 99_999_999_999):
        gone = http.get(f"/decouvrir/propositions/{frozen['id']}/versions/{number}")
        assert gone.status_code == 404, number
        assert "Version introuvable" in gone.text
    missing = http.get(f"/api/proposals/{frozen['id']}/versions/2/public")
    assert (missing.status_code, missing.json()["code"]) == (404, "version_not_found")

    # An atelier residents started stays unlisted until approved: its versions are no one's.
    residents = create(http, city=False, title="Atelier pas encore approuvé")
    hidden = http.post(
        f"/api/ateliers/{residents['id']}/proposals",
        json={"title": "Secrète"},
        headers={"authorization": f"Bearer {residents['token']}"},
    ).json()
    frozen_hidden = http.post(
        f"/api/proposals/{hidden['id']}/freeze",
        headers={"authorization": f"Bearer {residents['token']}"},
    )
    assert frozen_hidden.status_code == 201, frozen_hidden.text
    assert http.get(f"/decouvrir/propositions/{hidden['id']}/versions/1").status_code == 404
    assert http.get(f"/api/proposals/{hidden['id']}/versions/1/public").status_code == 404


def test_projects_as_json_say_what_their_pages_say(room: Room, server_on: ServerProcess) -> None:
    proposal, project_id = adopted_with_two_versions(room, server_on)
    ok(call(room, "PUT", f"/api/projects/{project_id}/details", service="Espaces verts"))
    ok(
        call(
            room,
            "POST",
            f"/api/projects/{project_id}/milestones",
            label="Bêchage",
            planned_on="2031-04-01",
        ),
        201,
    )
    answer = room.http.get("/api/projects")
    assert answer.status_code == 200, answer.text
    (project,) = [p for p in answer.json() if p["id"] == project_id]
    assert (project["state"], project["state_fr"]) == ("adoptee", "adoptée")
    assert project["service"] == "Espaces verts"
    assert project["atelier"]["id"] == room.atelier["id"]
    assert project["next_milestone"]["label"] == "Bêchage"
    assert project["decision"]["deliberation_ref"] == "DEL-2018-042"
    assert [v["number"] for v in project["versions"]] == [1, 2]
    second = project["versions"][1]
    assert second["prev_hash"] == project["versions"][0]["hash"]
    assert second["url"].endswith(f"/decouvrir/propositions/{proposal['id']}/versions/2")
    record = room.http.get(second["record"]).json()
    assert fingerprint(record["hashed"]) == second["hash"]
    assert project["url"].endswith(f"/decouvrir/projets/{project_id}")
    assert [h["kind"] for h in project["history"]][:1] == ["created"]
    assert "Direction de la démocratie locale" not in answer.text  # who recorded it: not here
    assert HIDDEN not in answer.text
    assert "Claire" not in answer.text
    assert room.http.get("/api/projects", params={"etat": "realisee"}).json() == []
    assert room.http.get("/api/projects", params={"quartier": "Nulle-part"}).json() == []
    assert any(p["id"] == project_id for p in room.http.get("/api/projects?etat=zzz").json())

"""Who may create what (issue 19, item 1; README « Qui peut créer quoi »): an atelier de projet
only with a city staff credential the operator issued; an atelier d'initiative citoyenne by any
resident, unlisted and without an image until the city approves it or it is constituted;
credentials revocable at once; creations limited per hour — on a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import jwt
import pytest

from tests.conftest import ROOT, TEST_SECRET, ServerProcess
from tests.server.test_ateliers_api import ATELIER, SEANCE

AIC = {
    **ATELIER,
    "title": "Des bancs place du Marché",
    "kind": "initiative_citoyenne",
    "instances": ["CQ"],
    "min_residents": 2,
}


@pytest.fixture
def http(server_on: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_on.http, timeout=30) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def cli(server: ServerProcess, *args: str) -> str:
    """``atelier …`` on the server's database, as its operator runs it."""
    env = {**os.environ, "ATELIER_DATABASE_URL": server.database_url}
    env["ATELIER_SECRET_KEY"] = TEST_SECRET
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def credential_of(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


def test_an_atelier_de_projet_is_created_only_with_a_staff_credential(
    http: httpx.Client, server_on: ServerProcess
) -> None:
    refused = http.post("/api/ateliers", json=ATELIER)
    assert (refused.status_code, refused.json()["code"]) == (403, "staff_required")
    assert "connectez-vous avec le lien" in refused.json()["detail_fr"]
    # A resident's own token is no staff credential either.
    aic = http.post("/api/ateliers", json=AIC).json()
    resident = aic["facilitator"]["token"]
    again = http.post("/api/ateliers", json=ATELIER, headers=bearer(resident))
    assert (again.status_code, again.json()["code"]) == (403, "staff_required")

    link = cli(server_on, "facilitator-invite", "--name", "Claire, démocratie locale")
    assert "/connexion#jeton=" in link
    staff = link.split("#jeton=", 1)[1]
    assert http.get("/api/staff/me", headers=bearer(staff)).json()["name"] == (
        "Claire, démocratie locale"
    )
    created = http.post(
        "/api/ateliers", json={**ATELIER, "financing": "Ligne 6574"}, headers=bearer(staff)
    )
    assert created.status_code == 201, created.text
    atelier = created.json()["atelier"]
    assert (atelier["kind"], atelier["listed"], atelier["financing"]) == (
        "projet",
        True,
        "Ligne 6574",
    )
    assert atelier["approved_by"] == "Claire, démocratie locale"


def test_an_atelier_residents_start_is_unlisted_until_the_city_approves_it(
    http: httpx.Client, server_on: ServerProcess
) -> None:
    # Residents carry their idea; a budget line is the city's (an atelier de projet).
    funded = http.post("/api/ateliers", json={**AIC, "financing": "Ligne 6574"})
    assert (funded.status_code, funded.json()["code"]) == (422, "financing_for_projects")
    created = http.post("/api/ateliers", json=AIC)
    assert created.status_code == 201, created.text
    atelier = created.json()["atelier"]
    porteur = created.json()["facilitator"]["token"]
    assert (atelier["listed"], atelier["approved_by"]) == (False, None)
    # Not public: no feed of its own, not in its instance's feed, no image.
    feed = f"/api/ateliers/{atelier['id']}/activity.json"
    assert http.get(feed).status_code == 404
    instance = http.get("/api/instances/CQ/activity.json").json()
    assert not any(item["_atelier"]["id"] == atelier["id"] for item in instance["items"])

    refused = http.put(
        f"/api/ateliers/{atelier['id']}/image", content=b"\x89PNG", headers=bearer(porteur)
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "atelier_not_approved")

    staff = server_on.staff_token()
    pending = http.get("/api/staff/ateliers", headers=bearer(staff)).json()
    assert [p["id"] for p in pending] == [atelier["id"]]
    assert http.get("/api/staff/ateliers", headers=bearer(porteur)).status_code == 401
    assert http.post(f"/api/ateliers/{atelier['id']}/approval").status_code == 401
    approved = http.post(f"/api/ateliers/{atelier['id']}/approval", headers=bearer(staff))
    assert approved.json() == {
        "id": atelier["id"],
        "listed": True,
        "approved_by": "Démocratie locale",
    }
    assert http.get(feed).status_code == 200
    instance = http.get("/api/instances/CQ/activity.json").json()
    assert any(item["_atelier"]["id"] == atelier["id"] for item in instance["items"])
    assert http.get("/api/staff/ateliers", headers=bearer(staff)).json() == []


def test_an_atelier_residents_start_is_listed_once_constituted(
    http: httpx.Client, server_on: ServerProcess
) -> None:
    created = http.post("/api/ateliers", json=AIC).json()
    atelier_id = created["atelier"]["id"]
    seance = http.post(
        f"/api/ateliers/{atelier_id}/sessions",
        json=SEANCE,
        headers=bearer(created["facilitator"]["token"]),
    )
    assert seance.status_code == 201, seance.text
    for name in ("Ana", "Bruno"):  # two residents, each on their own phone
        with httpx.Client(base_url=server_on.http, timeout=30) as phone:
            joined = phone.post(
                f"/api/join/{seance.json()['join_code']}",
                json={"display_name": name, "role": "habitant", "accept_charter_version": 1},
            )
            assert joined.status_code == 201, joined.text
    atelier = http.get(
        f"/api/ateliers/{atelier_id}", headers=bearer(created["facilitator"]["token"])
    ).json()
    assert (atelier["status"], atelier["listed"]) == ("constituee", True)
    assert http.get(f"/api/ateliers/{atelier_id}/activity.json").status_code == 200


def test_a_revoked_credential_is_refused_at_once(
    http: httpx.Client, server_on: ServerProcess
) -> None:
    staff = cli(server_on, "facilitator-invite", "--name", "Agent X").split("#jeton=", 1)[1]
    council = cli(server_on, "council-token", "--name", "Service des assemblées")
    assert http.get("/api/council/proposals", headers=bearer(council)).status_code == 200
    listed = cli(server_on, "credential", "list")  # the last one: the council's
    assert listed.startswith(credential_of(council))
    assert listed.endswith("active")

    assert cli(server_on, "credential", "revoke", credential_of(staff)).startswith("revoked")
    cli(server_on, "credential", "revoke", credential_of(council))
    for token, path in ((staff, "/api/staff/me"), (council, "/api/council/proposals")):
        refused = http.get(path, headers=bearer(token))
        assert (refused.status_code, refused.json()["code"]) == (401, "credential_revoked")
    refused = http.post("/api/ateliers", json=ATELIER, headers=bearer(staff))
    assert (refused.status_code, refused.json()["code"]) == (401, "credential_revoked")


def test_creations_are_limited_per_address_and_per_person(
    server_factory: type[ServerProcess], sqlite_url: str
) -> None:
    server = server_factory(sqlite_url, env_overrides={"ATELIER_ATELIERS_PER_HOUR": "2"})
    server.start()
    with httpx.Client(base_url=server.http, timeout=30) as http:
        assert http.post("/api/ateliers", json=AIC).status_code == 201
        assert http.post("/api/ateliers", json=AIC).status_code == 201
        third = http.post("/api/ateliers", json=AIC)
        assert (third.status_code, third.json()["code"]) == (429, "too_many_ateliers")
        assert int(third.headers["retry-after"]) > 0
        # The city's staff are counted by their credential, not by the town hall's address.
        staff = bearer(server.staff_token())
        assert http.post("/api/ateliers", json=ATELIER, headers=staff).status_code == 201


def test_the_facilitator_edits_the_atelier_s_description(
    http: httpx.Client, server_on: ServerProcess
) -> None:
    created = http.post("/api/ateliers", json=AIC).json()
    path = f"/api/ateliers/{created['atelier']['id']}"
    porteur = bearer(created["facilitator"]["token"])
    edited = http.put(
        path,
        json={
            "title": "Des bancs et de l’ombre place du Marché",
            "subject": "S’asseoir à l’ombre en été.",
            "scope": "quartier",
            "neighbourhood": "Neudorf",
            "instances": ["CQ", "CC"],
            "min_residents": 3,
        },
        headers=porteur,
    )
    assert edited.status_code == 200, edited.text
    atelier = http.get(path, headers=porteur).json()
    assert (atelier["title"], atelier["neighbourhood"], atelier["instances"]) == (
        "Des bancs et de l’ombre place du Marché",
        "Neudorf",
        ["CQ", "CC"],
    )
    assert atelier["kind"] == "initiative_citoyenne"  # the kind is not the form's to change
    code = http.post(f"{path}/sessions", json=SEANCE, headers=porteur).json()["join_code"]
    with httpx.Client(base_url=server_on.http, timeout=30) as phone:  # Ana's own phone
        resident = phone.post(
            f"/api/join/{code}",
            json={"display_name": "Ana", "role": "habitant", "accept_charter_version": 1},
        ).json()["token"]
    mine = {"title": "x", "subject": "", "scope": "ville"}
    assert http.put(path, json=mine, headers=bearer(resident)).status_code == 403


def test_an_atelier_residents_start_hands_nothing_to_the_council_before_it_is_constituted(
    http: httpx.Client, server_on: ServerProcess
) -> None:
    created = http.post("/api/ateliers", json=AIC).json()
    atelier_id = created["atelier"]["id"]
    porteur = bearer(created["facilitator"]["token"])
    seance = http.post(f"/api/ateliers/{atelier_id}/sessions", json=SEANCE, headers=porteur)
    proposal = http.post(
        f"/api/ateliers/{atelier_id}/proposals", json={"title": "Des bancs"}, headers=porteur
    ).json()
    assert http.post(f"/api/proposals/{proposal['id']}/freeze", headers=porteur).status_code == 201
    early = http.post(f"/api/proposals/{proposal['id']}/transmit", headers=porteur)
    assert (early.status_code, early.json()["code"]) == (409, "atelier_not_constituted")
    assert "2 habitant·es au moins" in early.json()["detail_fr"]
    for name in ("Ana", "Bruno"):
        with httpx.Client(base_url=server_on.http, timeout=30) as phone:
            phone.post(
                f"/api/join/{seance.json()['join_code']}",
                json={"display_name": name, "role": "habitant", "accept_charter_version": 1},
            )
    later = http.post(f"/api/proposals/{proposal['id']}/transmit", headers=porteur)
    assert later.status_code == 200, later.text

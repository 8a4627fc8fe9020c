"""Projects (issue 22, #3 and #5): a favourable decision makes one (a defavourable one does
not); the city's services move it through its milestones to « réalisée »; each change is in its
history, on its public page, in its Atom feed and sent to the back office; bad input is refused
with problem details. SQLite and PostgreSQL (``server_on``)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_polls_api import act, new_poll, vote
from tests.server.test_versions_api import council, new_proposal, post
from tests.server.test_webhooks import SECRET, BackOffice, verify

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def room(server_on: ServerProcess) -> Any:
    with httpx.Client(base_url=server_on.http, timeout=30) as http:
        yield Room(http)


def decided(room: Room, outcome: str, title: str, **extra: Any) -> dict[str, Any]:
    """A proposal frozen, handed over and decided by the council service."""
    proposal = new_proposal(room, title=title)
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    assert post(room, f"/api/proposals/{proposal['id']}/transmit").status_code == 200
    body = {"outcome": outcome, "answer": f"Réponse : {title}.", **extra}
    if outcome == "adoptee":
        body.setdefault("deliberation_ref", "DEL-2018-042")
    answered = post(room, f"/api/proposals/{proposal['id']}/decision", council(room), **body)
    assert answered.status_code == 200, answered.text
    return dict(answered.json())


def call(room: Room, method: str, path: str, **body: Any) -> httpx.Response:
    return room.http.request(method, path, json=body, headers=council(room))


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


def problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_favourable_decision_becomes_a_project_and_a_defavourable_one_does_not(
    room: Room,
) -> None:
    adopted = decided(room, "adoptee", "Un jardin partagé", budget_line="AP 2018-17")
    rejected = decided(room, "rejetee", "Un parking de plus")
    adjourned = decided(room, "ajournee", "Une fontaine")
    assert adopted["status"] == "adoptee"
    project_id = adopted["decision"]["project_id"]
    assert "project_id" not in (rejected["decision"] or {})
    assert "project_id" not in (adjourned["decision"] or {})

    project = ok(room.http.get(f"/api/projects/{project_id}", headers=council(room)))
    assert (project["state"], project["budget_line"]) == ("adoptee", "AP 2018-17")
    assert project["proposal_id"] == adopted["id"]
    assert [h["kind"] for h in project["history"]] == ["created"]
    assert project["history"][0]["by"] == "Direction de la démocratie locale"  # the service

    listed = room.http.get("/decouvrir/projets").text
    assert "Un jardin partagé" in listed
    assert "Un parking de plus" not in listed
    assert "Une fontaine" not in listed

    # A resident reads the project's page, not the staff's API.
    resident = room.token_of("Ana")
    refused = room.http.get(f"/api/projects/{project_id}", headers=room.auth(resident))
    problem(refused, 403, "forbidden")

    # The atelier's page shows the decision's milestones from the project, a planned one said so.
    added = call(
        room,
        "POST",
        f"/api/projects/{project_id}/milestones",
        label="Bêchage",
        planned_on="2018-04-01",
    )
    ok(added, 201)
    atelier_page = room.http.get(f"/decouvrir/ateliers/{room.atelier['id']}").text
    assert "(prévu) — Bêchage" in atelier_page
    assert f'href="/decouvrir/projets/{project_id}"' in atelier_page


def test_staff_move_a_project_through_its_milestones_to_realisee(room: Room) -> None:  # noqa: PLR0915
    adopted = decided(room, "adoptee", "Des bancs place du marché", decided_on="2018-03-12")
    pid = adopted["decision"]["project_id"]
    base = f"/api/projects/{pid}"

    ok(
        call(
            room,
            "PUT",
            f"{base}/details",
            service="Direction des espaces verts",
            budget_line="BP-42",
        )
    )
    first = ok(
        call(
            room, "POST", f"{base}/milestones", label="Commande des bancs", planned_on="2018-04-01"
        ),
        201,
    )
    ok(
        call(
            room,
            "POST",
            f"{base}/milestones",
            label="Pose des bancs",
            planned_on="2018-06-01",
            note="Avec le conseil de quartier.",
        ),
        201,
    )
    bench_order, bench_laying = first["milestones"][0]["id"], None
    problem(call(room, "POST", f"{base}/state", state="realisee"), 409, "project_bad_move")
    ok(call(room, "POST", f"{base}/state", state="en_cours", note="Marché attribué."))
    problem(call(room, "POST", f"{base}/state", state="realisee"), 409, "project_milestones_open")

    done = ok(call(room, "POST", f"{base}/milestones/{bench_order}/done", on="2018-04-03"))
    bench_laying = done["milestones"][1]["id"]
    problem(call(room, "POST", f"{base}/milestones/{bench_order}/done"), 409, "milestone_done")
    edited = ok(
        call(
            room,
            "PUT",
            f"{base}/milestones/{bench_laying}",
            label="Pose des six bancs",
            planned_on="2018-06-15",
            note="Avec le conseil de quartier.",
        )
    )
    assert edited["milestones"][1]["label"] == "Pose des six bancs"
    # The council's « suivi » step (the older route) is a done milestone of the same project.
    step = post(
        room,
        f"/api/proposals/{adopted['id']}/milestones",
        council(room),
        title="Inauguration",
        on="2018-06-20",
    )
    assert step.status_code == 201, step.text
    assert [m["title"] for m in step.json()["decision"]["milestones"]] == [
        "Commande des bancs",
        "Pose des six bancs",
        "Inauguration",
    ]
    ok(call(room, "POST", f"{base}/milestones/{bench_laying}/done", on="2018-06-18"))
    final = ok(call(room, "POST", f"{base}/state", state="realisee", note="Bancs posés."))
    assert final["state"] == "realisee"
    assert [m["done_on"] for m in final["milestones"]] == ["2018-04-03", "2018-06-18", "2018-06-20"]
    assert [h["kind"] for h in final["history"]] == [
        "created",
        "details",
        "milestone_added",
        "milestone_added",
        "state",
        "milestone_done",
        "milestone_edited",
        "milestone_added",
        "milestone_done",
        "state",
    ]
    # Done is done: nothing moves a completed project any more.
    problem(call(room, "POST", f"{base}/state", state="en_cours"), 409, "project_bad_move")
    problem(
        call(room, "POST", f"{base}/milestones", label="Encore", planned_on="2019-01-01"),
        409,
        "project_closed",
    )

    # The participants read the same milestones with the decision.
    resident = room.token_of("Ana", show_name_in_minutes=True)
    listed = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/proposals", headers=room.auth(resident)
    ).json()
    mine = next(p for p in listed if p["id"] == adopted["id"])
    assert [m["title"] for m in mine["decision"]["milestones"]][-1] == "Inauguration"

    # The public page: the facts, the milestones with their dates, the path, no names.
    page = room.http.get(f"/decouvrir/projets/{pid}")
    assert page.status_code == 200
    html = page.text
    for seen in (
        "Des bancs place du marché",
        "réalisée",
        "Direction des espaces verts",
        "BP-42",
        "Commande des bancs",
        "Pose des six bancs",
        "3 avril 2018",
        "18 juin 2018",
        "Proposition figée : version 1",
        "Décision du conseil municipal : adoptée",
        "Réponse : Des bancs place du marché.",
        "Nouvel état : en cours",
        "Marché attribué.",
        "Nouvel état : réalisée",
        "Séance 1 de l’atelier",
        'property="og:title" content="Des bancs place du marché"',
        f"/api/projects/{pid}/feed.atom",
    ):
        assert seen in html, seen
    assert "Ana" not in html
    assert "Claire" not in html
    assert "Direction de la démocratie locale" not in html  # nor who recorded what
    english = room.http.get(f"/decouvrir/projets/{pid}?lang=en").text
    assert "completed" in english
    assert "Milestones" in english

    # Lists and filters; the atelier's page links it, and the decision links it.
    assert "Des bancs place du marché" in room.http.get("/decouvrir/projets?etat=realisee").text
    assert "Des bancs place du marché" not in room.http.get("/decouvrir/projets?etat=en_cours").text
    assert "Des bancs" not in room.http.get("/decouvrir/projets?quartier=Neudorf").text
    assert "Des bancs" in room.http.get("/decouvrir/projets?quartier=ville").text
    atelier_page = room.http.get(f"/decouvrir/ateliers/{room.atelier['id']}").text
    assert f'href="/decouvrir/projets/{pid}"' in atelier_page

    # The Atom feed: one entry per change, each a link to the page.
    feed = room.http.get(f"/api/projects/{pid}/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 10
    titles = [entry.findtext(f"{ATOM}title") for entry in entries]
    assert titles[0] == "Des bancs place du marché — Nouvel état : réalisée"
    assert "Des bancs place du marché — Jalon atteint : Pose des six bancs" in titles
    for entry in entries:
        link = entry.find(f"{ATOM}link")
        assert link is not None
        assert f"/decouvrir/projets/{pid}#event-" in link.attrib["href"]
    anchor = entries[0].find(f"{ATOM}link").attrib["href"].split("#")[1]  # type: ignore[union-attr]
    assert f'id="{anchor}"' in html


def test_bad_input_is_refused_with_problem_details(room: Room) -> None:
    pid = decided(room, "adoptee", "Un composteur")["decision"]["project_id"]
    base = f"/api/projects/{pid}"
    problem(call(room, "POST", f"{base}/state", state="bogus"), 422, "bad_project_state")
    problem(call(room, "POST", f"{base}/state", state="adoptee"), 409, "project_state_unchanged")
    problem(
        call(room, "POST", f"{base}/milestones", label="Sans date"), 422, "milestone_date_required"
    )
    blank = call(room, "POST", f"{base}/milestones", label="   ", planned_on="2018-01-01")
    assert blank.status_code == 422, blank.text
    bad_day = call(room, "POST", f"{base}/milestones", label="Jour", planned_on="2018-02-31")
    assert bad_day.status_code in (400, 422), bad_day.text
    assert bad_day.headers["content-type"].startswith("application/problem+json")
    unknown = call(room, "POST", f"{base}/milestones/nope/done")
    problem(unknown, 404, "milestone_not_found")
    problem(call(room, "GET", "/api/projects/nope"), 404, "project_not_found")
    problem(call(room, "PUT", f"{base}/ap", atelier_id="nope"), 422, "ap_not_found")
    problem(call(room, "PUT", f"{base}/ap", atelier_id=room.atelier["id"]), 422, "ap_is_origin")
    long = call(room, "PUT", f"{base}/details", service="x" * 201, budget_line=None)
    assert long.status_code in (400, 422), long.text
    assert room.http.get("/decouvrir/projets/nope").status_code == 404
    assert room.http.get("/api/projects/nope/feed.atom").status_code == 404
    # Nothing half-written: the refused calls left only the creation in the history.
    history = ok(call(room, "GET", base))["history"]
    assert [h["kind"] for h in history] == ["created"]
    # Unknown filters filter nothing.
    assert "Un composteur" in room.http.get("/decouvrir/projets?etat=bogus").text


def test_an_ap_opened_for_the_project_links_both_ways(room: Room) -> None:
    pid = decided(room, "adoptee", "Une piste cyclable")["decision"]["project_id"]
    opened = Room(room.http)  # the atelier de projet the city opens for it
    linked = ok(call(room, "PUT", f"/api/projects/{pid}/ap", atelier_id=opened.atelier["id"]))
    assert linked["ap"]["id"] == opened.atelier["id"]
    ap_page = room.http.get(f"/decouvrir/ateliers/{opened.atelier['id']}").text
    assert "Cet atelier de projet réalise" in ap_page
    assert f'href="/decouvrir/projets/{pid}"' in ap_page
    project_page = room.http.get(f"/decouvrir/projets/{pid}").text
    assert f'href="/decouvrir/ateliers/{opened.atelier["id"]}"' in project_page
    unlinked = ok(call(room, "PUT", f"/api/projects/{pid}/ap", atelier_id=None))
    assert unlinked["ap"] is None


def test_project_changes_reach_the_back_office(
    server_factory: type[ServerProcess], sqlite_url: str
) -> None:
    office = BackOffice()
    office.accepting = True
    env = {
        "ATELIER_WEBHOOK_URLS": office.url,
        "ATELIER_WEBHOOK_SECRET": SECRET,
        "ATELIER_WEBHOOK_RETRY_SECONDS": "0.05",
    }
    server = server_factory(sqlite_url, env_overrides=env)
    server.start()
    try:
        with httpx.Client(base_url=server.http, timeout=30) as http:
            room = Room(http)
            pid = decided(room, "adoptee", "Un jardin")["decision"]["project_id"]
            milestone = ok(
                call(
                    room,
                    "POST",
                    f"/api/projects/{pid}/milestones",
                    label="Clôture",
                    planned_on="2018-05-02",
                ),
                201,
            )["milestones"][0]
            ok(call(room, "POST", f"/api/projects/{pid}/state", state="en_cours", note="Go."))

            def kinds(got: list[tuple[dict[str, str], bytes, int]]) -> list[str]:
                return [h["x-atelier-event"] for h, _, status in got if status == 200]

            office.wait_for(
                lambda got: kinds(got).count("project.etat") >= 2 and "project.jalon" in kinds(got)
            )
            events = [e for e in office.delivered() if e["kind"].startswith("project.")]
            by_step = {e["step"]: e for e in events}
            assert by_step["created"]["project"]["id"] == pid
            assert by_step["created"]["project"]["state"] == "adoptee"
            assert by_step["milestone_added"]["kind"] == "project.jalon"
            assert by_step["milestone_added"]["details"]["milestone"]["id"] == milestone["id"]
            assert by_step["state"]["kind"] == "project.etat"
            assert (by_step["state"]["project"]["state"], by_step["state"]["note"]) == (
                "en_cours",
                "Go.",
            )
            assert by_step["state"]["details"]["before"] == "adoptee"
            assert all(verify(h, body) for h, body, _ in office.received)
    finally:
        server.stop()
        office.httpd.shutdown()


def test_the_public_page_shows_the_votes_results_and_never_who_voted(room: Room) -> None:
    proposal = new_proposal(room, title="Un jardin et des bancs", session_id=room.session["id"])
    voters = [room.token_of(n, show_name_in_minutes=True) for n in ("Bruno", "Chloé", "Driss")]
    for token in voters:
        room.http.post(f"/api/sessions/{room.session['id']}/check-in", headers=room.auth(token))
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    for token, choice in zip(voters, ("o1", "o1", "o2"), strict=True):
        assert vote(room, poll, token, {"choice": choice}).status_code == 200
    act(room, poll, "close")
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    assert post(room, f"/api/proposals/{proposal['id']}/transmit").status_code == 200
    adopted = post(
        room,
        f"/api/proposals/{proposal['id']}/decision",
        council(room),
        outcome="adoptee",
        answer="Adopté.",
        deliberation_ref="DEL-7",
    ).json()
    html = room.http.get(f"/decouvrir/projets/{adopted['decision']['project_id']}").text
    assert "Vote « Quelles priorités pour le quartier ? »" in html
    assert "3 votant·es" in html
    assert "Jardin partagé (2) &gt; Piste cyclable (1) &gt;" in html
    for name in ("Bruno", "Chloé", "Driss"):
        assert name not in html


def test_a_project_goes_back_to_the_subject_its_atelier_was_opened_for(
    room: Room, server_on: ServerProcess
) -> None:
    staff = room.auth(server_on.staff_token())
    proposed = room.http.post(
        "/api/subjects",
        json={
            "title": "Des arbres rue de la Forêt-Noire",
            "why": "L’été, la rue est un four.",
            "name": "Inès",
            "neighbourhood": "Neudorf",
        },
        headers=staff,
    )
    assert proposed.status_code == 201, proposed.text
    subject_id = proposed.json()["id"]
    base = f"/api/subjects/{subject_id}/decision"
    assert room.http.post(base, json={"outcome": "publish"}, headers=staff).status_code == 200
    opened = room.http.post(
        base,
        json={"outcome": "open_ap", "financing": "BP-ARBRES", "pilot_service": "Espaces verts"},
        headers=staff,
    )
    assert opened.status_code == 200, opened.text
    ap_id, facilitator = opened.json()["atelier_id"], opened.json()["facilitator"]["token"]
    proposal = room.http.post(
        f"/api/ateliers/{ap_id}/proposals",
        json={"title": "Douze tilleuls"},
        headers=room.auth(facilitator),
    ).json()
    for step in ("freeze", "transmit"):
        done = post(room, f"/api/proposals/{proposal['id']}/{step}", facilitator)
        assert done.status_code in (200, 201), done.text
    adopted = post(
        room,
        f"/api/proposals/{proposal['id']}/decision",
        council(room),
        outcome="adoptee",
        answer="Adopté.",
        deliberation_ref="DEL-8",
    ).json()
    html = room.http.get(f"/decouvrir/projets/{adopted['decision']['project_id']}").text
    assert "Sujet proposé : « Des arbres rue de la Forêt-Noire »" in html
    assert f'href="/decouvrir/sujets/{subject_id}"' in html
    assert "Inès" not in html  # the initiator did not choose to show their name

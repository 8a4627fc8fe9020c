"""What an outsider sends to break the API gets a 400 problem detail naming what is wrong, never
a 500 with a traceback, on SQLite and PostgreSQL (issue 23, #10): JSON nested a thousand deep,
numbers past what a database column holds, NUL, control and bidi-override characters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import ATELIER, SEANCE, Room
from tests.server.test_polls_api import act, new_poll, vote
from tests.server.test_versions_api import council, new_proposal, post


@pytest.fixture
def room(server_on: ServerProcess) -> Any:
    with httpx.Client(base_url=server_on.http, timeout=20) as http:
        yield Room(http)


def refused(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    """The problem detail of a refusal, in French with its English beside it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    assert problem["detail_fr"]
    assert problem["detail_en"]
    return dict(problem)


def no_traceback(server: ServerProcess) -> None:
    assert server.log_path is not None
    log = Path(server.log_path).read_text(errors="replace")
    assert "Traceback" not in log, log[log.index("Traceback") :][:2000]


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def test_json_nested_a_thousand_deep_is_a_400_problem_not_a_traceback(
    room: Room, server_on: ServerProcess
) -> None:
    json = {"content-type": "application/json"}
    for body in ("[" * 1000 + "]" * 1000, '{"title":' + nested(1000) + "}"):
        problem = refused(room.http.post("/api/ateliers", content=body, headers=json))
        assert problem["code"] == "json_too_deep"
        assert "32" in problem["detail_fr"]
    # Shallower than Python's limit but deeper than any body of the API: refused as well,
    # where the shape is free (a vote's parameters, a ballot).
    poll_body = (
        '{"title":"Priorités","method":"dots","options":[{"label":"A"},{"label":"B"}],'
        f'"params":{{"dots_per_voter":3,"deep":{nested(100)}}}}}'
    )
    problem = refused(
        room.http.post(
            f"/api/sessions/{room.session['id']}/polls",
            content=poll_body,
            headers={**json, **room.auth(room.facilitator)},
        )
    )
    assert problem["code"] == "json_too_deep"
    # What the API's bodies really hold still passes.
    poll = new_poll(room, method="irv", params={})
    act(room, poll, "open")
    ranking = [o["id"] for o in poll["options"]]
    assert vote(room, poll, room.token_of("Ana"), {"ranking": ranking}).status_code == 200
    no_traceback(server_on)


BIG = [2**31, 2**63, 2**64, -(2**63) - 1]


def test_numbers_past_what_the_database_holds_are_a_404_or_a_400(
    room: Room, server_on: ServerProcess
) -> None:
    proposal = new_proposal(room)
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    facilitator = room.auth(room.facilitator)
    base = f"/api/proposals/{proposal['id']}/versions"
    for number in BIG:
        for suffix in ("", "/markdown", "/html", "/pdf"):
            missing = room.http.get(f"{base}/{number}{suffix}", headers=facilitator)
            assert refused(missing, 404)["code"] == "version_not_found", (number, suffix)
        draft = room.http.post(f"{base}/{number}/draft", headers=facilitator)
        assert refused(draft, 404)["code"] == "version_not_found"
        for query in ({"from": number, "to": 1}, {"from": 1, "to": number}):
            diff = room.http.get(
                f"/api/proposals/{proposal['id']}/diff", params=query, headers=facilitator
            )
            name = "from" if query["from"] == number else "to"
            assert name in refused(diff)["detail_en"], query
        charter = room.http.post(
            f"/api/ateliers/{room.atelier['id']}/charter/accept",
            json={"version": number},
            headers=room.auth(room.token_of(f"Ana {number}")),
        )
        assert "version" in refused(charter)["detail_en"]
        joined = room.join(f"Bruno {number}", accept_charter_version=number)
        assert "accept_charter_version" in refused(joined)["detail_en"]
    no_traceback(server_on)


INVISIBLE = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\u202e", "\u2066", "\u2069"]


def test_nul_control_and_bidi_characters_are_refused_naming_the_field(
    room: Room, server_on: ServerProcess
) -> None:
    atelier = f"/api/ateliers/{room.atelier['id']}"
    facilitator = room.auth(room.facilitator)
    for char in INVISIBLE:
        title = room.http.post(
            f"{atelier}/proposals", json={"title": f"Un jardin{char}"}, headers=facilitator
        )
        problem = refused(title)
        assert (problem["code"], problem["field"]) == ("control_character", "title")
        assert f"U+{ord(char):04X}" in problem["detail_fr"]
        place = room.http.post(
            f"{atelier}/sessions", json={**SEANCE, "place": f"L’Au{char}bette"}, headers=facilitator
        )
        assert refused(place)["field"] == "place"
        agenda = [{"title": "Rappel", "minutes": 15}, {"title": f"Vote{char}", "minutes": 5}]
        item = room.http.post(
            f"{atelier}/sessions", json={**SEANCE, "agenda": agenda}, headers=facilitator
        )
        assert refused(item)["field"] == "agenda[1].title"
        created = room.http.post("/api/ateliers", json={**ATELIER, "subject": f"Un{char}sujet"})
        assert refused(created)["field"] == "subject"

    # Where the shape is free (a ballot, a vote's parameters), the characters are refused too.
    poll = new_poll(
        room, method="majority_judgment", params={"grades": ["Insuffisant", "Bien", "Très bien"]}
    )
    act(room, poll, "open")
    ballot = vote(room, poll, room.token_of("Ana"), {"grades": {"o1": "Bien\x00"}})
    assert refused(ballot)["field"] == "ballot.grades.o1"
    for grade in ("Bi\x00en", "\u202eneiB"):
        grades = room.http.post(
            f"/api/sessions/{room.session['id']}/polls",
            json={
                "title": "Mentions",
                "method": "majority_judgment",
                "options": [{"label": "A"}, {"label": "B"}],
                "params": {"grades": ["Passable", grade]},
            },
            headers=facilitator,
        )
        assert refused(grades)["field"] == "params.grades[1]"

    # A line stays one line; text on several lines keeps its line breaks and tabs.
    broken = room.http.post(
        f"{atelier}/proposals", json={"title": "Un jardin\n"}, headers=facilitator
    )
    assert "title" in refused(broken)["detail_en"]
    several = room.http.post(
        "/api/ateliers",
        json={
            **ATELIER,
            "kind": "initiative_citoyenne",
            "subject": "Premier point.\n\tSecond point.\r\nFin.",
        },
    )
    assert several.status_code == 201, several.text

    # A decision of the council: its answer is multi-line text, and checked the same way.
    proposal = new_proposal(room)
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    assert post(room, f"/api/proposals/{proposal['id']}/transmit").status_code == 200
    city = council(room)
    assert post(room, f"/api/proposals/{proposal['id']}/instruct", city).status_code == 200
    decision = f"/api/proposals/{proposal['id']}/decision"
    spoofed = post(room, decision, city, outcome="rejetee", answer="Rejeté\u202e.")
    assert refused(spoofed)["field"] == "answer"
    decided = post(room, decision, city, outcome="rejetee", answer="Rejeté.\nFaute de budget.")
    assert decided.status_code == 200, decided.text

    # NUL in a path or a query: no lookup is even tried.
    for path in ("/api/proposals/a%00b/versions", "/api/ateliers/a%00b", "/api/join/AB%00CD"):
        answer = room.http.get(path, headers=facilitator)
        assert answer.status_code in (400, 404), (path, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    listed = room.http.get("/api/council/proposals?instance=C%00Q", headers=city)
    assert listed.status_code in (200, 400), listed.text
    no_traceback(server_on)

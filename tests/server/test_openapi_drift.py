"""What the API answers is what its OpenAPI document says, on SQLite and PostgreSQL (issue 23,
#12): a séance's times are times of day, every instant carries its offset, and a text answer
names its charset once."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_versions_api import new_proposal, post

# RFC 3339 ``date-time``: the offset is not optional.
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture
def room(server_on: ServerProcess) -> Any:
    with httpx.Client(base_url=server_on.http, timeout=20) as http:
        yield Room(http)


def test_a_seances_times_are_documented_as_times_of_day(room: Room) -> None:
    schema = room.http.get("/schema/openapi.json").json()
    session = schema["components"]["schemas"]["SessionCreate"]["properties"]
    assert session["start_time"]["type"] == "string"
    assert session["start_time"]["format"] == "time"
    assert {"type": "string", "format": "time"}.items() <= session["end_time"]["oneOf"][0].items()


def test_every_instant_the_api_gives_carries_its_offset(room: Room) -> None:
    schema = room.http.get("/schema/openapi.json").json()["components"]["schemas"]
    documented = {
        (name, prop)
        for name, shape in schema.items()
        for prop, field in shape.get("properties", {}).items()
        if field.get("format") == "date-time"
    }
    assert ("ParticipantRead", "joined_at") in documented

    facilitator = room.auth(room.facilitator)
    participants = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/participants", headers=facilitator
    ).json()
    joined = room.join("Ana").json()
    invitation = room.http.post(
        f"/api/ateliers/{room.atelier['id']}/invitations", json={"role": "elu"}, headers=facilitator
    ).json()
    proposal = new_proposal(room)
    stamps = [p["joined_at"] for p in participants]
    stamps += [joined["participant"]["joined_at"], invitation["expires_at"], proposal["created_at"]]
    for stamp in stamps:
        assert DATE_TIME.match(stamp), stamp
        assert datetime.fromisoformat(stamp.replace("Z", "+00:00")).utcoffset() is not None


def test_markdown_and_html_answers_name_their_charset_once(room: Room) -> None:
    proposal = new_proposal(room)
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    for form, media in (("markdown", "text/markdown"), ("html", "text/html")):
        answer = room.http.get(
            f"/api/proposals/{proposal['id']}/versions/1/{form}",
            headers=room.auth(room.facilitator),
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"] == f"{media}; charset=utf-8"


def test_the_compte_rendu_names_its_charset_once(room: Room) -> None:
    new_proposal(room, session_id=room.session["id"])
    assert post(room, f"/api/sessions/{room.session['id']}/freeze").status_code == 201
    for form, media in (("markdown", "text/markdown"), ("html", "text/html")):
        answer = room.http.get(
            f"/api/sessions/{room.session['id']}/compte-rendu",
            params={"format": form},
            headers=room.auth(room.facilitator),
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == f"{media}; charset=utf-8"
    documented = room.http.get("/schema/openapi.json").json()["paths"]
    compte_rendu = documented["/api/sessions/{session_id}/compte-rendu"]["get"]["responses"]["200"]
    assert list(compte_rendu["content"]) == ["text/markdown", "text/html", "application/pdf"]


def test_every_error_a_route_answers_is_documented_as_a_problem(tmp_path: Any) -> None:
    from server.app import create_app
    from server.settings import load_settings

    settings = load_settings({"ATELIER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/a.db"})
    document = create_app(settings).openapi_schema.to_schema()
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code", "detail_fr", "detail_en"} <= set(
        problem["required"]
    )
    paths = document["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            errors = {s: r for s, r in operation["responses"].items() if s.startswith(("4", "5"))}
            if path != "/health":
                assert "400" in errors, (method, path)
            for status, response in errors.items():
                if path == "/health" and status == "503":
                    continue
                content = response["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
                schema = content["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)

    def statuses(path: str, method: str) -> set[str]:
        return set(paths[path][method]["responses"])

    ballot = statuses("/api/polls/{poll_id}/ballot", "put")
    assert {"401", "403", "404", "409", "413", "422", "429", "503"} <= ballot
    assert {"404", "429"} <= statuses("/api/join/{code}", "get")
    assert "401" not in statuses("/api/join/{code}", "get")  # no token needed
    assert "503" in statuses("/api/proposals/{proposal_id}/versions/{number}/pdf", "get")
    assert "413" not in statuses("/api/proposals/{proposal_id}/versions", "get")  # no body
    assert {"409", "503"} <= statuses("/api/sessions/{session_id}/compte-rendu", "get")


def test_routes_that_answer_in_several_formats_document_each(tmp_path: Any) -> None:
    from server.app import create_app
    from server.settings import load_settings

    settings = load_settings({"ATELIER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/a.db"})
    paths = create_app(settings).openapi_schema.to_schema()["paths"]

    def media(path: str) -> list[str]:
        return list(paths[path]["get"]["responses"]["200"]["content"])

    for feed in ("/api/ateliers/{atelier_id}/activity", "/api/instances/{code}/handoffs"):
        assert media(f"{feed}.atom") == ["application/atom+xml"]
        assert media(f"{feed}.json") == ["application/feed+json"]
    assert media("/api/sessions/{session_id}/compte-rendu") == [
        "text/markdown",
        "text/html",
        "application/pdf",
    ]

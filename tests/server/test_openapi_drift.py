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


def test_routes_name_the_codes_of_a_closed_atelier_and_a_cancelled_seance(tmp_path: Any) -> None:
    """What a closed atelier refuses (409 ``atelier_closed``), what a cancelled séance refuses
    (409 ``session_cancelled``), the join codes of either (410), and what a proposal handed to
    the council refuses (409 ``proposal_transmitted``), each route says."""
    from server.app import create_app
    from server.settings import load_settings

    settings = load_settings({"ATELIER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/a.db"})
    paths = create_app(settings).openapi_schema.to_schema()["paths"]

    def says(path: str, method: str, status: str) -> str:
        return str(paths[path][method]["responses"][status]["description"])

    closed = [
        ("/api/ateliers/{atelier_id}", "put"),
        ("/api/ateliers/{atelier_id}/charter", "put"),
        ("/api/ateliers/{atelier_id}/sessions", "post"),
        ("/api/ateliers/{atelier_id}/proposals", "post"),
        ("/api/sessions/{session_id}", "put"),
        ("/api/sessions/{session_id}/cancel", "post"),
        ("/api/sessions/{session_id}/restore", "post"),
        ("/api/sessions/{session_id}/step", "post"),
        ("/api/sessions/{session_id}/next", "post"),
        ("/api/sessions/{session_id}/walk-ins", "post"),
        ("/api/sessions/{session_id}/join-code", "post"),
        ("/api/sessions/{session_id}/headcount", "put"),
        ("/api/sessions/{session_id}/attendance", "post"),
        ("/api/sessions/{session_id}/attendance/{participant_id}", "delete"),
        ("/api/sessions/{session_id}/check-in", "post"),
        ("/api/sessions/{session_id}/check-out", "post"),
        ("/api/sessions/{session_id}/polls", "post"),
        ("/api/sessions/{session_id}/freeze", "post"),
        ("/api/polls/{poll_id}/open", "post"),
        ("/api/polls/{poll_id}/close", "post"),
        ("/api/polls/{poll_id}/publish", "post"),
        ("/api/polls/{poll_id}/runoff", "post"),
        ("/api/polls/{poll_id}/ballot", "put"),
        ("/api/polls/{poll_id}/proxy-ballots", "post"),
        ("/api/proposals/{proposal_id}/comments", "post"),
        ("/api/comments/{comment_id}/replies", "post"),
        ("/api/comments/{comment_id}/resolve", "post"),
        ("/api/comments/{comment_id}", "delete"),
        ("/api/proposals/{proposal_id}/amendments", "post"),
        ("/api/proposals/{proposal_id}/amendments/vote", "post"),
        ("/api/proposals/{proposal_id}/amendment-mode", "put"),
        ("/api/amendments/{amendment_id}/withdraw", "post"),
        ("/api/amendments/{amendment_id}/accept", "post"),
        ("/api/amendments/{amendment_id}/reject", "post"),
        ("/api/proposals/{proposal_id}/title", "put"),
        ("/api/proposals/{proposal_id}/lock", "post"),
        ("/api/proposals/{proposal_id}/archive", "post"),
        ("/api/proposals/{proposal_id}/freeze", "post"),
        ("/api/proposals/{proposal_id}/history/restore", "post"),
        ("/api/proposals/{proposal_id}/versions/{number}/draft", "post"),
        ("/api/proposals/{proposal_id}/versions/{number}/fork", "post"),
    ]
    for path, method in closed:
        assert "`atelier_closed`" in says(path, method, "409"), (method, path)
    for path, method in (
        ("/api/sessions/{session_id}", "put"),
        ("/api/sessions/{session_id}/join-code", "post"),
        ("/api/sessions/{session_id}/emargement.pdf", "get"),
        ("/api/sessions/{session_id}/check-in", "post"),
        ("/api/sessions/{session_id}/attendance", "post"),
    ):
        assert "`session_cancelled`" in says(path, method, "409"), (method, path)
    for path, method in (
        ("/api/proposals/{proposal_id}/amendments", "post"),
        ("/api/proposals/{proposal_id}/amendments/vote", "post"),
        ("/api/amendments/{amendment_id}/accept", "post"),
        ("/api/proposals/{proposal_id}/history/restore", "post"),
    ):
        assert "`proposal_transmitted`" in says(path, method, "409"), (method, path)
    # Withdrawing one's own pending amendment stays possible on a transmitted proposal.
    assert "proposal_transmitted" not in says(
        "/api/amendments/{amendment_id}/withdraw", "post", "409"
    )
    for path, method in (
        ("/api/join/{code}", "get"),
        ("/api/join/{code}", "post"),
        ("/api/join/{code}/qr.svg", "get"),
        ("/api/join/{code}/qr.png", "get"),
    ):
        gone = says(path, method, "410")
        assert "`atelier_closed`" in gone, (method, path)
        assert "`session_cancelled`" in gone, (method, path)
    assert "`atelier_already_closed`" in says("/api/ateliers/{atelier_id}/close", "post", "409")
    assert "`atelier_not_closed`" in says("/api/ateliers/{atelier_id}/reopen", "post", "409")
    # What a closed atelier still does is not said to be refused: reading, and the council.
    assert "atelier_closed" not in says("/api/proposals/{proposal_id}/transmit", "post", "409")
    assert "Ici" not in says("/api/participants/{participant_id}/role", "post", "409")

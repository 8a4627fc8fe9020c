"""What protects people's work over HTTP: security headers and CSP, cross-site requests
refused, ballots throttled per person (not per address), sensitive actions in an audit log,
`Secure` cookies in production, an OpenAPI page that runs no third-party script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import ATELIER, Room
from tests.server.test_polls_api import act, new_poll, vote


@pytest.fixture
def room(server: ServerProcess) -> Any:
    with httpx.Client(base_url=server.http, timeout=20) as http:
        yield Room(http)


def test_every_response_carries_security_headers_and_a_csp(room: Room) -> None:
    for path in ("/health", f"/api/join/{room.code}", "/api/nowhere"):
        response = room.http.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp


def test_a_cookie_authenticated_change_from_another_site_is_refused(room: Room) -> None:
    cookie = {"cookie": f"atelier_token={room.facilitator}"}
    path = f"/api/ateliers/{room.atelier['id']}/invitations"
    forged = room.http.post(
        path, json={"role": "elu"}, headers={**cookie, "origin": "https://evil.example"}
    )
    assert (forged.status_code, forged.json()["code"]) == (403, "cross_site_request")
    sandboxed = room.http.post(path, json={"role": "elu"}, headers={**cookie, "origin": "null"})
    assert sandboxed.status_code == 403
    referred = room.http.post(
        path, json={"role": "elu"}, headers={**cookie, "referer": "https://evil.example/page"}
    )
    assert referred.status_code == 403
    same_site = room.http.post(
        path,
        json={"role": "elu"},
        headers={**cookie, "origin": str(room.http.base_url).rstrip("/")},
    )
    assert same_site.status_code == 201, same_site.text
    bearer = room.http.post(path, json={"role": "elu"}, headers=room.auth(room.facilitator))
    assert bearer.status_code == 201  # a header a foreign page cannot set: no CSRF possible


def test_ballots_are_throttled_per_participant_not_per_address(room: Room) -> None:
    poll = new_poll(room, method="plurality", params={}, secret=False)
    act(room, poll, "open")
    ana, bruno = room.token_of("Ana"), room.token_of("Bruno")
    codes = [vote(room, poll, ana, {"choice": f"o{1 + i % 2}"}).status_code for i in range(35)]
    assert codes[:30] == [200] * 30
    assert set(codes[30:]) == {429}
    refused = vote(room, poll, ana, {"choice": "o1"})
    assert int(refused.headers["retry-after"]) >= 1
    assert vote(room, poll, bruno, {"choice": "o1"}).status_code == 200  # same address, fine


def test_sensitive_actions_are_in_the_audit_log_without_ballot_contents(room: Room) -> None:
    joined = room.join("Troll").json()
    room.http.post(
        f"/api/participants/{joined['participant']['id']}/revoke",
        headers=room.auth(room.facilitator),
    )
    room.invite("elu")
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    room.http.put(
        f"/api/sessions/{room.session['id']}/headcount",
        json={"headcount": 20},
        headers=room.auth(room.facilitator),
    )
    room.http.post(
        f"/api/polls/{poll['id']}/proxy-ballots",
        json={"ballot": {"choice": "o3"}, "origin": "papier", "role": "habitant"},
        headers=room.auth(room.facilitator),
    )
    log = room.http.get(
        f"/api/ateliers/{room.atelier['id']}/audit", headers=room.auth(room.facilitator)
    ).json()
    actions = [entry["action"] for entry in log]
    assert actions == ["proxy_ballot", "headcount", "invitation", "revoke"]
    assert all(entry["by"] == "Claire" for entry in log)
    assert "o3" not in str(log)  # who entered a paper ballot, never what it says
    resident = room.token_of("Ana")
    denied = room.http.get(f"/api/ateliers/{room.atelier['id']}/audit", headers=room.auth(resident))
    assert denied.status_code == 403


def test_the_schema_runs_no_script_from_elsewhere_and_keeps_the_csp(room: Room) -> None:
    # The API browser at /schema loaded a script from a CDN, without SRI and without a CSP: a
    # compromised CDN ran its code on the instance's origin, next to the `atelier_token` cookie.
    for path in ("/schema", "/schema/openapi.json"):
        response = room.http.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert "<script" not in response.text
        assert response.json()["info"]["title"] == "Atelier"
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
    for ui in ("/schema/scalar", "/schema/swagger", "/schema/redoc", "/schema/elements"):
        assert room.http.get(ui).status_code == 404


def test_the_token_cookie_is_secure_in_production_only(room: Room, tmp_path: Path) -> None:
    def cookies_of(http: httpx.Client, joining: Room) -> list[str]:
        joined = http.post(
            f"/api/join/{joining.code}",
            json={"display_name": "Ana", "role": "habitant", "accept_charter_version": 1},
        )
        assert joined.status_code in (200, 201), joined.text
        return joined.headers.get_list("set-cookie")

    # Development (plain http on a laptop): a Secure cookie would never be sent back.
    assert all("secure" not in c.lower() for c in cookies_of(room.http, room))
    production = ServerProcess(
        f"sqlite+aiosqlite:///{tmp_path / 'production.db'}",  # migrated as it starts
        env_overrides={"ATELIER_ENV": "production"},
        log_path=tmp_path / "production.log",
    )
    with production.running(), httpx.Client(base_url=production.http, timeout=20) as http:
        there = Room(http)
        created = http.post("/api/ateliers", json={**ATELIER, "title": "Autre atelier"})
        cookies = [*cookies_of(http, there), *created.headers.get_list("set-cookie")]
        assert any(c.startswith("atelier_token=") for c in cookies)
        for cookie in cookies:
            parts = [part.strip().lower() for part in cookie.split(";")]
            assert {"secure", "httponly", "samesite=lax"} <= set(parts), cookie

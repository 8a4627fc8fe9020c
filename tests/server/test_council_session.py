"""The council staff stay signed in across tabs (issue 21, #6): the token is handed over once
and kept in an HttpOnly, SameSite=Strict cookie for its life; the cookie counts only for a
request that asks for it by header (no page of another site can send one); revoking the
credential refuses it at once; signing out forgets it."""

from __future__ import annotations

import httpx

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_who_creates import cli, credential_of

AS_COUNCIL = {"x-atelier-council": "1"}


def test_a_council_sign_in_is_kept_by_the_browser_until_revoked_or_signed_out(
    server_on: ServerProcess,
) -> None:
    council = cli(server_on, "council-token", "--name", "Service des assemblées", "--ttl", "3600")
    with httpx.Client(base_url=server_on.http, timeout=10) as http:
        signed = http.post("/api/council/session", json={"token": council})
        assert signed.status_code == 200, signed.text
        assert signed.json()["name"] == "Service des assemblées"
        cookie = signed.headers["set-cookie"]
        assert cookie.startswith("atelier_council=")
        for attribute in ("HttpOnly", "Path=/api", "SameSite=Strict"):
            assert attribute.lower() in cookie.lower(), cookie
        max_age = int(cookie.lower().split("max-age=")[1].split(";")[0])
        assert 3500 < max_age <= 3600  # the token's life, no longer

        # Another tab of the same browser: the cookie, asked for by the header.
        assert http.get("/api/council/session", headers=AS_COUNCIL).json()["name"] == (
            "Service des assemblées"
        )
        assert http.get("/api/council/proposals", headers=AS_COUNCIL).status_code == 200
        # Without the header the cookie is no credential (a form posted from another site).
        assert http.get("/api/council/proposals").status_code == 401
        # A participant's token in the same browser keeps its own identity: the bearer wins.
        room = Room(http)
        mine = http.get(
            "/api/council/proposals", headers={**AS_COUNCIL, **room.auth(room.facilitator)}
        )
        assert mine.status_code == 403

        cli(server_on, "credential", "revoke", credential_of(council))
        refused = http.get("/api/council/proposals", headers=AS_COUNCIL)
        assert (refused.status_code, refused.json()["code"]) == (401, "credential_revoked")
        assert http.get("/api/council/session", headers=AS_COUNCIL).status_code == 401

        other = cli(server_on, "council-token", "--name", "Service des assemblées")
        assert http.post("/api/council/session", json={"token": other}).status_code == 200
        assert http.delete("/api/council/session").status_code == 200
        gone = http.get("/api/council/session", headers=AS_COUNCIL)
        assert (gone.status_code, gone.json()["code"]) == (401, "no_token")


def test_only_a_council_token_signs_in_and_a_bad_one_says_why(server_on: ServerProcess) -> None:
    with httpx.Client(base_url=server_on.http, timeout=10) as http:
        room = Room(http)
        participant = http.post("/api/council/session", json={"token": room.facilitator})
        assert (participant.status_code, participant.json()["code"]) == (403, "not_council")
        junk = http.post("/api/council/session", json={"token": "pas-un-jeton"})
        assert (junk.status_code, junk.json()["code"]) == (401, "invalid_token")
        empty = http.post("/api/council/session", json={"token": ""})
        assert empty.status_code == 400
        assert "set-cookie" not in participant.headers

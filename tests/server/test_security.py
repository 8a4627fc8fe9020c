"""Security review (issue 9), what the other test files leave open: nobody reaches another
atelier's séances, proposals, votes, versions or live channels; no foreign origin is granted
CORS; an expired token cannot follow a séance; secret ballots never reach the server log nor
another participant's answers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from server.auth import COOKIE_NAME, mint_participant_token
from tests.conftest import TEST_SECRET, ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_polls_api import act, new_poll, vote
from tests.ypy_client import connect

EVIL = "https://evil.example"


# --- two ateliers: A's people knock on B's doors ----------------------------------------------


@dataclass
class World:
    """Atelier A (whose people try) and atelier B (whose things they try to reach)."""

    server: ServerProcess
    http: httpx.Client
    a: Room
    b: Room
    tokens: dict[str, str]  # A's "participant" and "facilitator"
    ids: dict[str, str]  # B's atelier, session, proposal, doc, polls, participant

    def snapshot(self) -> dict[str, Any]:
        """What B's facilitator sees of B: any change a refused request made shows here."""
        b, ids = self.b, self.ids
        paths = (
            f"/api/ateliers/{ids['atelier']}",
            f"/api/ateliers/{ids['atelier']}/participants",
            f"/api/ateliers/{ids['atelier']}/proposals",
            f"/api/ateliers/{ids['atelier']}/audit",
            f"/api/ateliers/{ids['atelier']}/sessions",
            f"/api/sessions/{ids['session']}",
            f"/api/sessions/{ids['session']}/polls",
            f"/api/proposals/{ids['proposal']}/versions",
        )
        seen = {}
        for path in paths:
            response = b.http.get(path, headers=b.auth(b.facilitator))
            assert response.status_code == 200, (path, response.text)
            seen[path] = response.json()
        return seen


@pytest.fixture(scope="module")
def world(shared_server: ServerProcess) -> Iterator[World]:
    with httpx.Client(base_url=shared_server.http, timeout=20) as http:
        a, b = Room(http), Room(http)
        session = b.session["id"]
        proposal = http.post(
            f"/api/ateliers/{b.atelier['id']}/proposals",
            json={"title": "Jardin de B", "session_id": session},
            headers=b.auth(b.facilitator),
        ).json()
        draft = new_poll(b, method="plurality", params={})
        running = new_poll(b, method="plurality", params={})
        assert act(b, running, "open").status_code == 200
        frozen = http.post(f"/api/sessions/{session}/freeze", headers=b.auth(b.facilitator))
        assert frozen.status_code == 201, frozen.text
        resident_of_b = b.join("Bérénice").json()
        yield World(
            shared_server,
            http,
            a,
            b,
            {"participant": a.token_of("Ana"), "facilitator": a.facilitator},
            {
                "atelier": b.atelier["id"],
                "session": session,
                "proposal": proposal["id"],
                "doc": proposal["doc_id"],
                "draft_poll": draft["id"],
                "open_poll": running["id"],
                "participant": resident_of_b["participant"]["id"],
            },
        )


# (method, path, JSON body): every door of atelier B an atelier-A token must not open.
READS = {
    "atelier": ("GET", "/api/ateliers/{atelier}", None),
    "charter-status": ("GET", "/api/ateliers/{atelier}/charter", None),
    "seances": ("GET", "/api/ateliers/{atelier}/sessions", None),
    "seance": ("GET", "/api/sessions/{session}", None),
    "participants": ("GET", "/api/ateliers/{atelier}/participants", None),
    "audit-log": ("GET", "/api/ateliers/{atelier}/audit", None),
    "proposals": ("GET", "/api/ateliers/{atelier}/proposals", None),
    "proposal-doc-token": ("GET", "/api/proposals/{proposal}/token", None),
    "polls": ("GET", "/api/sessions/{session}/polls", None),
    "poll": ("GET", "/api/polls/{open_poll}", None),
    "versions": ("GET", "/api/proposals/{proposal}/versions", None),
    "version": ("GET", "/api/proposals/{proposal}/versions/1", None),
    "version-markdown": ("GET", "/api/proposals/{proposal}/versions/1/markdown", None),
    "version-html": ("GET", "/api/proposals/{proposal}/versions/1/html", None),
    "version-pdf": ("GET", "/api/proposals/{proposal}/versions/1/pdf", None),
    "verify": ("GET", "/api/proposals/{proposal}/verify", None),
    "history": ("GET", "/api/proposals/{proposal}/history", None),
    "compte-rendu": ("GET", "/api/sessions/{session}/compte-rendu", None),
    "compte-rendu-html": ("GET", "/api/sessions/{session}/compte-rendu?format=html", None),
}
WRITES = {
    "new-seance": (
        "POST",
        "/api/ateliers/{atelier}/sessions",
        {"date": "2018-01-31", "start_time": "18:00:00", "mode": "presentiel"},
    ),
    "seance-step": ("POST", "/api/sessions/{session}/step", {"move": "start"}),
    "check-in": ("POST", "/api/sessions/{session}/check-in", None),
    "check-out": ("POST", "/api/sessions/{session}/check-out", None),
    "charter": ("PUT", "/api/ateliers/{atelier}/charter", {"text": "Charte détournée"}),
    "invitation": ("POST", "/api/ateliers/{atelier}/invitations", {"role": "elu"}),
    "revoke": ("POST", "/api/participants/{participant}/revoke", None),
    "new-proposal": ("POST", "/api/ateliers/{atelier}/proposals", {"title": "Intrusion"}),
    "new-poll": (
        "POST",
        "/api/sessions/{session}/polls",
        {"title": "Intrus", "method": "plurality", "options": [{"label": "x"}, {"label": "y"}]},
    ),
    "cast-ballot": ("PUT", "/api/polls/{open_poll}/ballot", {"ballot": {"choice": "o1"}}),
    "proxy-ballot": (
        "POST",
        "/api/polls/{open_poll}/proxy-ballots",
        {"ballot": {"choice": "o1"}, "origin": "papier", "role": "habitant"},
    ),
    "open-poll": ("POST", "/api/polls/{draft_poll}/open", None),
    "close-poll": ("POST", "/api/polls/{open_poll}/close", None),
    "freeze-proposal": ("POST", "/api/proposals/{proposal}/freeze", None),
    "freeze-seance": ("POST", "/api/sessions/{session}/freeze", None),
    "new-draft": ("POST", "/api/proposals/{proposal}/versions/1/draft", None),
    "transmit": ("POST", "/api/proposals/{proposal}/transmit", None),
}
WHO = ["participant", "facilitator"]


def knock(world: World, door: tuple[str, str, Any], token: str) -> httpx.Response:
    method, path, body = door
    return world.http.request(
        method,
        path.format(**world.ids),
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code in (403, 404), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["code"]
    assert problem["detail_en"]
    assert "Bérénice" not in response.text
    assert "Jardin de B" not in response.text


@pytest.mark.parametrize("door", READS, ids=str)
def test_b_s_own_facilitator_opens_each_door(world: World, door: str) -> None:
    """The control: each path below is real, so a refusal means a refusal, not a typo."""
    response = knock(world, READS[door], world.b.facilitator)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("door", READS, ids=str)
@pytest.mark.parametrize("who", WHO)
def test_a_member_of_another_atelier_cannot_read(world: World, who: str, door: str) -> None:
    assert_refused(knock(world, READS[door], world.tokens[who]))


@pytest.mark.parametrize("door", WRITES, ids=str)
@pytest.mark.parametrize("who", WHO)
def test_a_member_of_another_atelier_changes_nothing(world: World, who: str, door: str) -> None:
    before = world.snapshot()
    assert_refused(knock(world, WRITES[door], world.tokens[who]))
    assert world.snapshot() == before


def live_url(server: ServerProcess, session_id: str, token: str) -> str:
    return f"ws://127.0.0.1:{server.port}/ws/sessions/{session_id}?token={token}"


async def close_code_of(url: str, **kwargs: Any) -> tuple[int | None, str | None]:
    """Connect and read until the server closes: (code, reason)."""
    async with websockets.connect(url, **kwargs) as ws:
        async with asyncio.timeout(10):
            await ws.wait_closed()
        return ws.close_code, ws.close_reason


@pytest.mark.parametrize("who", WHO)
def test_another_atelier_cannot_follow_the_seance_live(world: World, who: str) -> None:
    url = live_url(world.server, world.ids["session"], world.tokens[who])
    code, _ = asyncio.run(close_code_of(url))
    assert code == 4403


@pytest.mark.parametrize("who", WHO)
def test_another_atelier_cannot_open_a_proposal_document(world: World, who: str) -> None:
    async def attempt() -> int | None:
        url = world.server.doc_url(world.ids["doc"], token=world.tokens[who])
        async with connect(url, sync=False) as intruder:
            async with asyncio.timeout(10):
                await intruder.closed.wait()
            assert not any(f[:2] == b"\x00\x01" for f in intruder.received)  # no document sent
            return intruder.close_code

    assert asyncio.run(attempt()) == 4403


# --- tokens on the séance's live channel ------------------------------------------------------


def test_an_expired_participant_token_cannot_follow_the_seance(world: World) -> None:
    a = world.a
    me = a.join("Expirée").json()
    expired = mint_participant_token(
        TEST_SECRET, a.atelier["id"], me["participant"]["id"], "habitant", -10
    )
    fresh = mint_participant_token(
        TEST_SECRET, a.atelier["id"], me["participant"]["id"], "habitant", 60
    )

    async def follow(token: str) -> tuple[int | None, str | None, str]:
        async with websockets.connect(live_url(world.server, a.session["id"], token)) as ws:
            try:
                async with asyncio.timeout(10):
                    first = str(await ws.recv())
            except websockets.ConnectionClosed:
                first = ""
            return ws.close_code, ws.close_reason, first

    code, reason, first = asyncio.run(follow(expired))
    assert (code, first) == (4401, "")  # 4401: final, the client asks for a new token
    assert reason is not None
    assert "expired" in reason
    _, _, first = asyncio.run(follow(fresh))  # the same person, in date: followed
    assert json.loads(first)["type"] == "snapshot"


def test_a_revoked_participant_cannot_follow_the_seance(world: World) -> None:
    a = world.a
    me = a.join("Révoquée").json()
    revoked = a.http.post(
        f"/api/participants/{me['participant']['id']}/revoke", headers=a.auth(a.facilitator)
    )
    assert revoked.status_code == 200, revoked.text
    url = live_url(world.server, a.session["id"], me["token"])
    code, reason = asyncio.run(close_code_of(url))
    assert code == 4401
    assert reason is not None
    assert "revoked" in reason


def test_revoking_someone_ends_the_seance_channel_they_have_open(world: World) -> None:
    a = world.a
    me = a.join("Perturbateur").json()

    async def follow_then_revoke() -> tuple[int | None, str | None]:
        url = live_url(world.server, a.session["id"], me["token"])
        async with websockets.connect(url) as ws, asyncio.timeout(10):
            assert json.loads(await ws.recv())["type"] == "snapshot"
            revoked = await asyncio.to_thread(
                a.http.post,
                f"/api/participants/{me['participant']['id']}/revoke",
                headers=a.auth(a.facilitator),
            )
            assert revoked.status_code == 200, revoked.text
            with contextlib.suppress(websockets.ConnectionClosed):
                async for _event in ws:  # events (presence…) may come first; then the end
                    pass
            return ws.close_code, ws.close_reason

    assert asyncio.run(follow_then_revoke()) == (4401, "access revoked")


# --- CORS: no foreign origin is ever granted -----------------------------------------------------
# The app configures no CORS: the web client is served from the API's own origin. So no response
# may carry Access-Control-Allow-*, whatever the Origin, and no preflight is approved.


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/health"), ("GET", "/api/ateliers/{atelier}"), ("GET", "/api/nowhere")],
    ids=["health", "api", "unknown-path"],
)
def test_a_foreign_origin_gets_no_cors_grant_on_a_simple_request(
    world: World, method: str, path: str
) -> None:
    response = world.http.request(
        method,
        path.format(**world.ids),
        headers={"Origin": EVIL, **world.b.auth(world.b.facilitator)},
    )
    granted = {k for k in response.headers if k.startswith("access-control-")}
    assert granted == set(), response.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/polls/{open_poll}/ballot"),
        ("POST", "/api/ateliers/{atelier}/invitations"),
        ("DELETE", "/api/ateliers/{atelier}"),
    ],
    ids=["ballot", "invitation", "unrouted-method"],
)
def test_a_foreign_preflight_is_not_approved(world: World, method: str, path: str) -> None:
    response = world.http.options(
        path.format(**world.ids),
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    granted = {k for k in response.headers if k.startswith("access-control-")}
    assert granted == set(), response.headers


# --- cross-site WebSockets: the cookie is no credential for a foreign page ----------------------
# A browser sends the SameSite=Lax cookie on a WebSocket handshake from a same-site page (another
# subdomain of the city's site): the page could then read and write proposals in the person's
# name. The web client always passes its token explicitly (``?token=``), so a handshake that
# authenticates with the cookie alone must come from this site, like a cookie-authenticated POST.


def test_a_cookie_only_document_socket_from_another_site_is_refused(world: World) -> None:
    cookie = {"Cookie": f"{COOKIE_NAME}={world.b.facilitator}"}
    url = f"{world.server.ws_base}/{world.ids['doc']}"

    async def attempt(origin: str) -> int | None:
        async with connect(url, sync=False, additional_headers=cookie, origin=origin) as client:
            if origin == world.server.http:
                await client.round_trip()
                return None
            async with asyncio.timeout(10):
                await client.closed.wait()
            assert not any(f[:1] == b"\x00" for f in client.received)  # not a byte of the text
            return client.close_code

    assert asyncio.run(attempt(EVIL)) == 4403
    assert asyncio.run(attempt("null")) == 4403
    assert asyncio.run(attempt(world.server.http)) is None  # this site: served


def test_a_cookie_only_live_channel_from_another_site_is_refused(world: World) -> None:
    cookie = {"Cookie": f"{COOKIE_NAME}={world.b.facilitator}"}
    url = f"ws://127.0.0.1:{world.server.port}/ws/sessions/{world.ids['session']}"

    async def first_frame(origin: str) -> tuple[int | None, str]:
        async with websockets.connect(url, additional_headers=cookie, origin=origin) as ws:  # type: ignore[arg-type]
            try:
                async with asyncio.timeout(10):
                    return None, str(await ws.recv())
            except websockets.ConnectionClosed:
                return ws.close_code, ""

    assert asyncio.run(first_frame(EVIL)) == (4403, "")
    code, frame = asyncio.run(first_frame(world.server.http))
    assert code is None
    assert json.loads(frame)["type"] == "snapshot"


def test_an_explicit_token_is_served_whatever_the_origin(world: World) -> None:
    """A token in the URL is not ambient: a foreign page that holds it could use it anyway."""
    url = world.server.doc_url(world.ids["doc"], token=world.b.facilitator)

    async def attempt() -> None:
        async with connect(url, origin=EVIL) as client:  # type: ignore[arg-type]
            await client.round_trip()

    asyncio.run(attempt())


# --- secret ballots: not in the log, not in anyone else's answers -------------------------------

SECRET_OPTIONS = [{"label": "Zéphyr-7341"}, {"label": "Quasar-2958"}, {"label": "Nébuleuse-6610"}]


@pytest.fixture
def debug_server(sqlite_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    overrides = {"ATELIER_LOG_LEVEL": "DEBUG"}
    log = tmp_path / "server.log"
    with ServerProcess(sqlite_url, env_overrides=overrides, log_path=log).running() as srv:
        yield srv


async def snapshot_of(url: str) -> dict[str, Any]:
    async with websockets.connect(url) as ws, asyncio.timeout(10):
        return dict(json.loads(await ws.recv()))


def test_secret_ballots_and_tokens_never_reach_a_debug_log(debug_server: ServerProcess) -> None:
    with httpx.Client(base_url=debug_server.http, timeout=20) as http:
        room = Room(http)
        poll = new_poll(room, method="plurality", params={}, options=SECRET_OPTIONS)
        assert poll["secret"] is True
        assert act(room, poll, "open").status_code == 200
        voters = {name: room.join(name).json() for name in ("Anatole", "Bérangère", "Cyprien")}
        receipts = []
        for person, choice in zip(voters.values(), ("o1", "o2", "o3"), strict=True):
            cast = vote(room, poll, person["token"], {"choice": choice})
            assert cast.status_code == 200, cast.text
            receipts.append(cast.json()["receipt"])
        changed = vote(room, poll, voters["Anatole"]["token"], {"choice": "o2"}, receipts[0])
        assert changed.status_code == 200, changed.text
        receipts.append(changed.json()["receipt"])
        assert act(room, poll, "close").status_code == 200
        url = live_url(debug_server, room.session["id"], voters["Anatole"]["token"])
        asyncio.run(snapshot_of(url))  # a WebSocket URL with its ?token= is logged too
    debug_server.stop()  # everything flushed
    assert debug_server.log_path is not None
    log = debug_server.log_path.read_text(encoding="utf-8")
    assert "/ws/sessions/" in log  # the right file, written through
    secrets = [room.facilitator, *(p["token"] for p in voters.values()), *filter(None, receipts)]
    assert len(secrets) >= 7
    leaked = [s for s in secrets if s in log]
    assert leaked == []
    identities = {
        value
        for p in voters.values()
        for value in (p["participant"]["id"], p["participant"]["display_name"])
    }
    ballot_words = [poll["id"], '"choice"', *(o["label"] for o in SECRET_OPTIONS)]
    for line in log.splitlines():
        if any(who in line for who in identities):
            assert not any(word in line for word in ballot_words), line


def test_no_spelling_of_a_token_nor_a_frame_reaches_a_debug_log(
    debug_server: ServerProcess,
) -> None:
    """The server reads ``?token=`` percent-decoded, so ``?%74oken=`` is a working credential:
    its URL must not be logged in clear either; nor the cookie or the ``Authorization`` header
    of a handshake, nor the frames (a document's text), which the websockets library dumps at
    DEBUG."""
    srv, doc = debug_server, "doc-journal"
    tokens = [srv.grant(doc, subject=who) for who in ("encoded", "upper", "cookie", "bearer")]
    text = "Texte-confidentiel-4821"

    async def visit() -> None:
        async with connect(f"{srv.ws_base}/{doc}?%74oken={tokens[0]}") as client:
            client.edit(lambda t: t.insert(0, text))  # accepted: it is a token
            await client.round_trip()
        async with connect(f"{srv.ws_base}/{doc}?lang=fr&token={tokens[1]}") as c:
            assert str(c) == text
        headers = {"Cookie": f"{COOKIE_NAME}={tokens[2]}"}
        async with connect(f"{srv.ws_base}/{doc}", additional_headers=headers, origin=srv.http):
            pass
        bearer = {"Authorization": f"Bearer {tokens[3]}"}
        async with connect(f"{srv.ws_base}/{doc}", additional_headers=bearer) as client:
            assert str(client) == text

    asyncio.run(visit())
    srv.stop()  # everything flushed
    assert srv.log_path is not None
    log = srv.log_path.read_text(encoding="utf-8")
    assert f"/ws/docs/{doc}" in log  # the right file, the handshakes logged
    assert [t for t in tokens if t in log] == []
    assert [t for t in tokens if t.split(".")[2] in log] == []  # not even the signature
    assert f"/ws/docs/{doc}?[redacted]" in log
    lowered = log.lower()
    assert "cookie" not in lowered
    assert "authorization" not in lowered
    assert "BINARY" not in log  # no frame dump …
    assert text.encode().hex(" ")[-20:] not in log  # … nor a byte of the text


def test_another_participant_never_sees_whose_secret_ballot_is_what(world: World) -> None:
    b = world.b
    poll = new_poll(b, method="plurality", params={}, options=SECRET_OPTIONS)
    assert act(b, poll, "open").status_code == 200
    voters = {name: b.join(name).json() for name in ("Aurore", "Basile")}
    receipts = [
        vote(b, poll, p["token"], {"choice": c}).json()["receipt"]
        for p, c in zip(voters.values(), ("o1", "o2"), strict=True)
    ]
    onlooker = b.token_of("Clothilde")
    voter_traces = [
        *receipts,
        *(p["token"] for p in voters.values()),
        *(p["participant"]["id"] for p in voters.values()),
        *voters,
    ]

    def seen_by(token: str) -> list[str]:
        return [
            b.http.get(f"/api/polls/{poll['id']}", headers=b.auth(token)).text,
            b.http.get(f"/api/sessions/{b.session['id']}/polls", headers=b.auth(token)).text,
        ]

    before = seen_by(onlooker) + seen_by(b.facilitator)
    assert act(b, poll, "close").status_code == 200
    assert act(b, poll, "publish").status_code == 200
    after = seen_by(onlooker) + seen_by(b.facilitator) + seen_by(voters["Aurore"]["token"])
    for text in before + after:
        assert not [trace for trace in voter_traces if trace in text], text
    mine = json.loads(seen_by(voters["Aurore"]["token"])[0])["my_ballot"]
    assert mine == {"cast": True, "ballot": None}  # not even the voter reads it back
    theirs = json.loads(seen_by(onlooker)[0])
    assert theirs["my_ballot"] == {"cast": False, "ballot": None}
    assert theirs["results"]["total"]["scores"] == {"o1": 1, "o2": 1, "o3": 0}


# --- exports: what people typed is text, never markup ----------------------------------------

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
RAW_MARKUP = re.compile(r"<\s*(script|img)\b", re.IGNORECASE)
RAW_IN_MARKDOWN = re.compile(r"(?<!\\)<\s*/?\s*(script|img)\b", re.IGNORECASE)


@dataclass
class Hostile:
    room: Room
    proposal: dict[str, Any]


@pytest.fixture(scope="module")
def hostile(world: World) -> Hostile:
    """A séance where every field a person types carries markup, frozen into a version."""
    from tests.server.test_versions_api import paragraph, write

    room = Room(world.http)
    session = room.session["id"]
    proposal = room.http.post(
        f"/api/ateliers/{room.atelier['id']}/proposals",
        json={"title": f"Titre {SCRIPT} {IMG}", "session_id": session},
        headers=room.auth(room.facilitator),
    ).json()
    author = room.token_of(IMG, show_name_in_minutes=True)
    room.http.post(f"/api/sessions/{session}/check-in", headers=room.auth(author))
    asyncio.run(
        write(world.server, proposal["doc_id"], author, paragraph("constat", f"{SCRIPT} {IMG}"))
    )
    options = [{"label": f"Option {SCRIPT}"}, {"label": f"Option {IMG}"}]
    poll = new_poll(room, title=f"Vote {IMG}", method="plurality", params={}, options=options)
    act(room, poll, "open")
    vote(room, poll, author, {"choice": "o1"})
    act(room, poll, "close")
    act(room, poll, "publish")
    frozen = room.http.post(f"/api/sessions/{session}/freeze", headers=room.auth(room.facilitator))
    assert frozen.status_code == 201, frozen.text
    return Hostile(room, proposal)


EXPORTS = {
    "version-html": "/api/proposals/{proposal}/versions/1/html",
    "version-markdown": "/api/proposals/{proposal}/versions/1/markdown",
    "compte-rendu-html": "/api/sessions/{session}/compte-rendu?format=html",
    "compte-rendu-markdown": "/api/sessions/{session}/compte-rendu?format=markdown",
}


@pytest.mark.parametrize("export", EXPORTS, ids=str)
def test_an_export_shows_typed_markup_as_text(hostile: Hostile, export: str) -> None:
    room = hostile.room
    path = EXPORTS[export].format(proposal=hostile.proposal["id"], session=room.session["id"])
    response = room.http.get(path, headers=room.auth(room.facilitator))
    assert response.status_code == 200, response.text
    text = response.text
    assert text.count("pwned") >= 4  # title, name or section, poll: all there, as text
    if export.endswith("html"):
        assert not RAW_MARKUP.search(text), text
        assert "&lt;script&gt;" in text
        assert "script-src" not in response.headers["content-security-policy"]  # no script runs
    else:
        # Markdown renderers pass raw HTML through: every < a person typed is escaped.
        assert not RAW_IN_MARKDOWN.search(text), text

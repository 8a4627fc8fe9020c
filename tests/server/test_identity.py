"""Each voice is the person the server knows (issue 23, #5 and #11): a browser that joins again
gets its participant back, not a second vote; a secret-ballot receipt works only for the voter
it was given to; a live séance socket ends with its token; presence names the connection's
own participant and role, whatever the client claims."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
import websockets
from pycrdt import write_var_uint

from collab.awareness import decode_awareness_update
from collab.protocol import AwarenessMessage, awareness_message, decode_message
from server.auth import mint_participant_token
from tests.conftest import TEST_SECRET, ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_polls_api import act, new_poll, vote


@pytest.fixture(scope="module")
def http(shared_server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shared_server.http, timeout=20) as client:
        yield client


@pytest.fixture
def room(http: httpx.Client) -> Room:
    return Room(http)


# --- one participant per person -------------------------------------------------------------


def join_from(phone: httpx.Client, room: Room, name: str, **extra: object) -> httpx.Response:
    body = {"display_name": name, "role": "habitant", "accept_charter_version": 1, **extra}
    return phone.post(f"/api/join/{room.code}", json=body)


def test_joining_again_from_the_same_browser_gives_the_same_participant_and_no_second_vote(
    room: Room, shared_server: ServerProcess
) -> None:
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    with httpx.Client(base_url=shared_server.http, timeout=20) as phone:  # keeps its cookies
        first = join_from(phone, room, "Ana")
        assert first.status_code == 201, first.text
        # The same browser, the join code again, another name: the cookie says who it is.
        again = join_from(phone, room, "Anaïs la seconde")
        assert again.status_code == 200, again.text
        assert again.json()["participant"] == first.json()["participant"]
        tokens = first.json()["token"], again.json()["token"]
    assert vote(room, poll, tokens[0], {"choice": "o1"}).status_code == 200
    second = vote(room, poll, tokens[1], {"choice": "o1"})
    assert (second.status_code, second.json()["code"]) == (409, "already_voted")
    # A script holding the token as a bearer header is the same person too.
    room.http.cookies.clear()
    bearer = room.http.post(
        f"/api/join/{room.code}",
        json={"display_name": "Ana bis", "role": "habitant", "accept_charter_version": 1},
        headers=room.auth(tokens[0]),
    )
    assert bearer.status_code == 200, bearer.text
    assert bearer.json()["participant"]["id"] == first.json()["participant"]["id"]
    ids = {
        p["id"]
        for p in room.http.get(
            f"/api/ateliers/{room.atelier['id']}/participants", headers=room.auth(room.facilitator)
        ).json()
    }
    assert len(ids) == 2  # the facilitator and Ana


def test_the_same_name_and_role_from_the_same_device_is_the_same_person(
    room: Room, shared_server: ServerProcess
) -> None:
    other = Room(room.http)
    with httpx.Client(base_url=shared_server.http, timeout=20) as phone:
        ana = join_from(phone, room, "Ana").json()["participant"]
        join_from(phone, other, "Ana")  # another atelier: the token cookie is now that one's
        back = join_from(phone, room, "  Ana ")
        assert back.status_code == 200, back.text
        assert back.json()["participant"]["id"] == ana["id"]
        # A family tablet: someone else, under their own name, is someone else.
        bruno = join_from(phone, other, "Bruno")
        assert bruno.status_code == 201
        assert join_from(phone, room, "Bruno").status_code == 201
    # A new device (or cleared site data) is a new person: what the headcount is for.
    room.http.cookies.clear()
    assert room.join("Ana").status_code == 201


def test_a_revoked_participant_cannot_join_again_from_the_same_browser(
    room: Room, shared_server: ServerProcess
) -> None:
    with httpx.Client(base_url=shared_server.http, timeout=20) as phone:
        ana = join_from(phone, room, "Ana").json()["participant"]
        revoked = room.http.post(
            f"/api/participants/{ana['id']}/revoke", headers=room.auth(room.facilitator)
        )
        assert revoked.status_code in (200, 201), revoked.text
        refused = join_from(phone, room, "Ana, encore")
        assert (refused.status_code, refused.json()["code"]) == (403, "participant_revoked")


# --- secret-ballot receipts -------------------------------------------------------------------


def test_a_receipt_changes_only_the_ballot_of_the_voter_it_was_given_to(room: Room) -> None:
    poll = new_poll(room, method="plurality", params={})
    act(room, poll, "open")
    ana, bruno = room.token_of("Ana"), room.token_of("Bruno")
    cast = vote(room, poll, ana, {"choice": "o1"})
    assert cast.status_code == 200, cast.text
    anas_receipt = cast.json()["receipt"]
    assert vote(room, poll, bruno, {"choice": "o2"}).status_code == 200

    # Ana herself changes her ballot with it.
    changed = vote(room, poll, ana, {"choice": "o3"}, receipt=anas_receipt)
    assert changed.status_code == 200, changed.text
    assert changed.json()["changed"] is True

    # Bruno, who voted, got hold of Ana's receipt (a shared phone, a photo of her screen).
    stolen = vote(room, poll, bruno, {"choice": "o2"}, receipt=anas_receipt)
    assert (stolen.status_code, stolen.json()["code"]) == (404, "unknown_receipt")
    # A secret poll shows no result while it runs: the close says what was counted.
    scores = act(room, poll, "close").json()["results"]["total"]["scores"]
    assert (scores["o1"], scores["o2"], scores["o3"]) == (0, 1, 1)  # Ana's o3 stands


# --- the séance's live channel ends with its token --------------------------------------------


def test_a_seance_socket_ends_with_4401_when_its_token_expires(
    room: Room, shared_server: ServerProcess
) -> None:
    # Checked once at the door, a token kept receiving the séance's events (tallies, presence)
    # for as long as the socket lived; it lives no longer than the token.
    me = room.join("Éphémère").json()
    short = mint_participant_token(
        TEST_SECRET, room.atelier["id"], me["participant"]["id"], "habitant", 2
    )
    url = f"ws://127.0.0.1:{shared_server.port}/ws/sessions/{room.session['id']}?token={short}"

    async def follow() -> tuple[int | None, str | None]:
        async with websockets.connect(url) as ws:
            assert json.loads(await ws.recv())["type"] == "snapshot"
            async with asyncio.timeout(15):  # the token ends 2 s after it was minted
                await ws.wait_closed()
            return ws.close_code, ws.close_reason

    assert asyncio.run(follow()) == (4401, "token expired")


# --- presence names the connection's own participant and role ---------------------------------


def _presence(client_id: int, clock: int, state: dict[str, object]) -> bytes:
    raw = json.dumps(state).encode()
    update = write_var_uint(1) + write_var_uint(client_id) + write_var_uint(clock)
    return awareness_message(update + write_var_uint(len(raw)) + raw)


def test_presence_shows_the_connection_s_own_name_and_role_whatever_it_claims(
    room: Room, shared_server: ServerProcess
) -> None:
    proposal = room.http.post(
        f"/api/ateliers/{room.atelier['id']}/proposals",
        json={"title": "Jardin partagé", "session_id": room.session["id"]},
        headers=room.auth(room.facilitator),
    ).json()
    observer = room.token_of("Olivier", "observateur")
    base = f"{shared_server.ws_base}/{proposal['doc_id']}?token="

    async def seen_by_the_facilitator() -> dict[str, object]:
        async with (
            websockets.connect(base + room.facilitator) as facilitator,
            websockets.connect(base + observer) as liar,
        ):
            # What the web client sends, with a claim of its own (an observer as the mayor).
            claim = {"user": {"name": "Maire", "role": "elu", "color": "#b00"}, "section": "s1"}
            await liar.send(_presence(4242, 1, claim))
            async with asyncio.timeout(10):
                while True:
                    message = decode_message(bytes(await facilitator.recv()))
                    if not isinstance(message, AwarenessMessage):
                        continue
                    for entry in decode_awareness_update(message.update):
                        if entry.client_id == 4242:
                            return dict(json.loads(entry.state))

    state = asyncio.run(seen_by_the_facilitator())
    assert state["user"] == {"name": "Olivier", "role": "observateur", "color": "#b00"}
    assert state["section"] == "s1"  # the rest of the state passes as it came

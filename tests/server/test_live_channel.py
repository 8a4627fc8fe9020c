"""The séance's live channel: events reach every follower, on one instance and across two."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import ServerProcess, postgres_database
from tests.server.test_ateliers_api import Room

pytestmark = pytest.mark.anyio


class Follower:
    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws

    async def next(self, kind: str, timeout: float = 10, **expected: Any) -> dict[str, Any]:
        """The next event of type ``kind`` whose fields include ``expected`` (others skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                event = json.loads(await self.ws.recv())
                if event["type"] == kind and all(event.get(k) == v for k, v in expected.items()):
                    return event  # type: ignore[no-any-return]


def follow_url(server: ServerProcess, session_id: str, token: str) -> str:
    return f"ws://127.0.0.1:{server.port}/ws/sessions/{session_id}?token={token}"


async def test_followers_get_a_snapshot_then_attendance_steps_presence_and_joins(
    server: ServerProcess,
) -> None:
    with httpx.Client(base_url=server.http, timeout=10) as http:
        room = Room(http)
        session = http.post(
            f"/api/ateliers/{room.atelier['id']}/sessions",
            json={
                "date": "2018-01-31",
                "start_time": "18:00:00",
                "mode": "presentiel",
                "place": "Centre Administratif",
                "method_steps": ["Accueil", "Ateliers"],
            },
            headers=room.auth(room.facilitator),
        ).json()
        resident = room.token_of("Ana")
        url = follow_url(server, session["id"], room.facilitator)
        async with websockets.connect(url) as ws:
            facilitator = Follower(ws)
            snapshot = await facilitator.next("snapshot")
            assert snapshot["method_steps"] == ["Accueil", "Ateliers"]
            assert snapshot["present_by_role"] == {"animateur": 1}
            # The code that works now: a screen offline while it was renewed catches up here.
            assert snapshot["join_code"] == session["join_code"]
            assert snapshot["join_url"].endswith(f"/rejoindre/{session['join_code']}")
            async with websockets.connect(follow_url(server, session["id"], resident)) as ws2:
                ana = Follower(ws2)
                await facilitator.next(
                    "presence_changed", present_by_role={"animateur": 1, "habitant": 1}
                )
                await asyncio.to_thread(
                    http.post,
                    f"/api/sessions/{session['id']}/check-in",
                    headers=room.auth(resident),
                )
                for follower in (facilitator, ana):
                    event = await follower.next("attendance_changed")
                    assert event["attendance_by_role"] == {"habitant": 1}
                await asyncio.to_thread(
                    http.post,
                    f"/api/sessions/{session['id']}/step",
                    json={"move": "start"},
                    headers=room.auth(room.facilitator),
                )
                event = await ana.next("step_changed")
                assert (event["current_step"], event["title"]) == (0, "Accueil")
                http.cookies.clear()  # Bruno's own phone, not the facilitator's browser
                await asyncio.to_thread(
                    http.post,
                    f"/api/join/{session['join_code']}",
                    json={"display_name": "Bruno", "role": "habitant", "accept_charter_version": 1},
                )
                assert (await ana.next("participant_joined"))["role"] == "habitant"
            await facilitator.next("presence_changed", present_by_role={"animateur": 1})


async def test_only_the_seance_s_atelier_may_follow(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.http, timeout=10) as http:
        room, other = Room(http), Room(http)
    for token, code in ((other.facilitator, 4403), ("garbage", 4401)):
        async with websockets.connect(follow_url(server, room.session["id"], token)) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()
            assert ws.close_code == code


@pytest.fixture
def postgres_url() -> Iterator[str]:
    from server.db.migrate import upgrade

    with postgres_database() as url:
        upgrade(url)
        yield url


@pytest.mark.postgres
@pytest.mark.redis
async def test_events_reach_followers_on_another_instance(
    server_factory: type[ServerProcess], postgres_url: str, redis_url: str
) -> None:
    env = {"ATELIER_REDIS_URL": redis_url}
    one = server_factory(postgres_url, env_overrides=env)
    two = server_factory(postgres_url, env_overrides=env)
    one.start()
    two.start()
    with httpx.Client(base_url=one.http, timeout=10) as http:
        room = Room(http)
        async with websockets.connect(follow_url(two, room.session["id"], room.facilitator)) as ws:
            elsewhere = Follower(ws)
            await elsewhere.next("snapshot")
            await asyncio.to_thread(room.join, "Ana")
            assert (await elsewhere.next("participant_joined"))["role"] == "habitant"


async def test_presence_counts_people_not_their_connections_on_every_instance(
    server_factory: type[ServerProcess], postgres_url: str, redis_url: str
) -> None:
    """The projector said « 4 connectées » for 3 people: a facilitator's console and projector,
    a resident's two tabs, on two instances, are two people."""
    env = {"ATELIER_REDIS_URL": redis_url}
    one = server_factory(postgres_url, env_overrides=env)
    two = server_factory(postgres_url, env_overrides=env)
    one.start()
    two.start()
    with httpx.Client(base_url=one.http, timeout=10) as http:
        room = Room(http)
        session_id = room.session["id"]
        ana = room.token_of("Ana")
        async with (
            websockets.connect(follow_url(one, session_id, room.facilitator)) as console,
            websockets.connect(follow_url(two, session_id, room.facilitator)) as projector,
        ):
            watcher = Follower(console)
            await watcher.next("snapshot")
            await Follower(projector).next("snapshot")
            await watcher.next("presence_changed", present_by_role={"animateur": 1})
            async with (
                websockets.connect(follow_url(one, session_id, ana)) as tab1,
                websockets.connect(follow_url(two, session_id, ana)) as tab2,
            ):
                await Follower(tab1).next("snapshot")
                await Follower(tab2).next("snapshot")
                event = await watcher.next("presence_changed")
                while event["present_by_role"] != {"animateur": 1, "habitant": 1}:
                    assert sum(event["present_by_role"].values()) <= 2, event
                    event = await watcher.next("presence_changed")
            # Both of Ana's tabs closed: she has left; the facilitator is still one person.
            await watcher.next("presence_changed", present_by_role={"animateur": 1})
        async with websockets.connect(follow_url(two, session_id, ana)) as tab:
            await Follower(tab).next("snapshot", present_by_role={"habitant": 1})

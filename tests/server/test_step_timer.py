"""The step timer on a real server: the facilitator runs it, every screen following the séance
is told, a screen that opens later (or reloads) gets it in its snapshot, and it survives a
restart of the server."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
import websockets

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_live_channel import Follower, follow_url

pytestmark = pytest.mark.anyio

SEANCE = {
    "date": "2017-12-12",
    "start_time": "18:30:00",
    "mode": "presentiel",
    "place": "L’Aubette",
    "agenda": [{"title": "Accueil", "minutes": 10}, {"title": "Tour de table", "minutes": 25}],
    "method_steps": ["Accueil", "Tour de table"],
}


async def test_the_timer_is_the_same_on_every_screen_and_after_a_restart(
    server: ServerProcess,
) -> None:
    with httpx.Client(base_url=server.http, timeout=10) as http:
        room = Room(http)
        facilitator = room.auth(room.facilitator)
        seance = http.post(
            f"/api/ateliers/{room.atelier['id']}/sessions", json=SEANCE, headers=facilitator
        ).json()
        timer = f"/api/sessions/{seance['id']}/timer"
        resident = room.token_of("Ana")
        refused = http.post(timer, json={"action": "start"}, headers=room.auth(resident))
        assert refused.status_code == 403
        nothing = http.post(timer, json={"action": "pause"}, headers=facilitator)
        assert (nothing.status_code, nothing.json()["code"]) == (409, "no_timer")
        http.post(f"/api/sessions/{seance['id']}/step", json={"move": "start"}, headers=facilitator)
        http.post(f"/api/sessions/{seance['id']}/step", json={"move": "next"}, headers=facilitator)
        async with websockets.connect(follow_url(server, seance["id"], resident)) as ws:
            ana = Follower(ws)
            assert (await ana.next("snapshot"))["timer"] is None
            started = http.post(timer, json={"action": "start"}, headers=facilitator).json()
            # The agenda's minutes for the current step (« Tour de table », 25 min).
            assert (started["timer"]["step"], started["timer"]["duration"]) == (1, 25 * 60)
            told = await ana.next("timer_changed")
            assert told["timer"]["ends_at"] == started["timer"]["ends_at"]
            paused = http.post(timer, json={"action": "pause"}, headers=facilitator).json()
            assert (await ana.next("timer_changed"))["timer"]["ends_at"] is None
            more = http.post(timer, json={"action": "add", "minutes": 5}, headers=facilitator)
            left = more.json()["timer"]["remaining"]
            assert left == pytest.approx(paused["timer"]["remaining"] + 300)
            await ana.next("timer_changed")
    server.restart()
    with httpx.Client(base_url=server.http, timeout=10) as http:
        async with websockets.connect(follow_url(server, seance["id"], resident)) as ws:
            snapshot = await Follower(ws).next("snapshot")
            assert snapshot["timer"]["remaining"] == pytest.approx(left)  # paused: no time ran
            resumed = http.post(timer, json={"action": "resume"}, headers=facilitator).json()
            ends = dt.datetime.fromisoformat(resumed["timer"]["ends_at"])
            at = dt.datetime.fromisoformat(resumed["timer"]["at"])
            assert (ends - at).total_seconds() == pytest.approx(left, abs=1)
            stopped = http.post(timer, json={"action": "stop"}, headers=facilitator).json()
            assert stopped == {"timer": None}

"""Votes seen live: the room watches the result form, on one instance and across two."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_live_channel import Follower, follow_url, postgres_url  # noqa: F401
from tests.server.test_polls_api import act, new_poll, vote

pytestmark = pytest.mark.anyio


async def tally_until(follower: Follower, poll_id: str, total: int) -> dict[str, Any]:
    """Tally events of ``poll_id`` until one counts ``total`` ballots; their seq never goes
    back and their turnout never exceeds the ballots cast."""
    seq = 0
    while True:
        event = await follower.next("tally", poll_id=poll_id)
        assert event["seq"] >= seq
        seq = event["seq"]
        assert event["turnout"]["total"] <= total
        if event["turnout"]["total"] == total:
            return event


async def test_two_observers_watch_a_dot_vote_form_then_close(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.http, timeout=20) as http:
        room = Room(http)
        voters = [room.token_of(f"Voix {i}") for i in range(12)]
        poll = new_poll(room, secret=False)  # public: the room watches the result form
        projector_url = follow_url(server, room.session["id"], room.facilitator)
        async with (
            websockets.connect(projector_url) as ws1,
            websockets.connect(follow_url(server, room.session["id"], voters[0])) as ws2,
        ):
            projector, phone = Follower(ws1), Follower(ws2)
            snapshot = await projector.next("snapshot")
            assert [p["status"] for p in snapshot["polls"]] == ["draft"]  # the facilitator's
            assert (await phone.next("snapshot"))["polls"] == []  # drafts are not public
            await asyncio.to_thread(act, room, poll, "open")
            for follower in (projector, phone):
                opened = await follower.next("poll_opened")
                assert opened["poll"]["id"] == poll["id"]
                assert opened["poll"]["status"] == "open"
            for i, token in enumerate(voters):
                ballot = {"dots": {"o1": 1, f"o{2 + i % 3}": 2}}
                response = await asyncio.to_thread(vote, room, poll, token, ballot)
                assert response.status_code == 200, response.text
            for follower in (projector, phone):
                last = await tally_until(follower, poll["id"], 12)
                scores = last["results"]["total"]["scores"]
                assert scores == {"o1": 12, "o2": 8, "o3": 8, "o4": 8, "o5": 0, "o6": 0}
                assert last["results"]["by_role"]["habitant"]["scores"]["o1"] == 12
            await asyncio.to_thread(act, room, poll, "close")
            for follower in (projector, phone):
                closed = await follower.next("poll_closed")
                assert closed["poll"]["results"]["final"] is True
                assert closed["poll"]["results"]["total"]["winner"] == "o1"


async def test_hidden_results_stay_out_of_the_live_events_until_published(
    server: ServerProcess,
) -> None:
    with httpx.Client(base_url=server.http, timeout=20) as http:
        room = Room(http)
        voters = [room.token_of(name) for name in ("Ana", "Bruno", "Chloé")]
        poll = new_poll(room, method="majority_judgment", params={}, hide_results=True)
        await asyncio.to_thread(act, room, poll, "open")
        async with websockets.connect(follow_url(server, room.session["id"], voters[0])) as ws:
            phone = Follower(ws)
            await phone.next("snapshot")
            grades = {f"o{i}": i % 6 for i in range(1, 7)}
            for token in voters:
                await asyncio.to_thread(vote, room, poll, token, {"grades": grades})
            last = await tally_until(phone, poll["id"], 3)
            assert last["results"] is None  # the count is there, the result is not
            await asyncio.to_thread(act, room, poll, "close")
            assert (await phone.next("poll_closed"))["poll"]["results"] is None
            await asyncio.to_thread(act, room, poll, "publish")
            published = (await phone.next("results_published"))["poll"]["results"]
            profile = published["total"]["details"]["profiles"]["o5"]
            assert profile["counts"] == [0, 0, 0, 0, 0, 3]  # three "Très bien"
            assert published["total"]["winner"] == "o5"


async def test_on_a_secret_poll_consecutive_tallies_tell_nothing_of_one_ballot(
    server: ServerProcess,
) -> None:
    """Issue 23, finding 4: an observer comparing two consecutive tally events read the
    ballot in between, and its role. On a secret poll a tally says how many voted, no more;
    each phone still sees its own ballot counted (the tally's seq reaches its receipt's)."""
    with httpx.Client(base_url=server.http, timeout=20) as http:
        room = Room(http)
        residents = [room.token_of(name) for name in ("Ana", "Bruno", "Chloé")]
        agent = room.token_of("Agnès", "agent", invitation_code=room.invite("agent"))
        poll = new_poll(room, method="plurality", params={})
        await asyncio.to_thread(act, room, poll, "open")
        async with websockets.connect(follow_url(server, room.session["id"], residents[0])) as ws:
            observer = Follower(ws)
            (shown,) = (await observer.next("snapshot"))["polls"]
            assert shown["results"] is None
            events = []
            ballots = [(agent, "o2"), *((token, "o1") for token in residents)]
            for total, (token, choice) in enumerate(ballots, start=1):
                response = await asyncio.to_thread(vote, room, poll, token, {"choice": choice})
                assert response.status_code == 200, response.text
                event = await tally_until(observer, poll["id"], total)
                assert event["seq"] >= response.json()["seq"]  # the phone sees it counted
                events.append(event)
            for before, after in itertools.pairwise(events):
                assert after["turnout"]["total"] == before["turnout"]["total"] + 1
                assert after["turnout"]["by_role"] == before["turnout"]["by_role"] == {}
                assert after["results"] is None
                assert before["results"] is None
            await asyncio.to_thread(act, room, poll, "close")
            closed = (await observer.next("poll_closed"))["poll"]
            assert closed["results"]["total"]["scores"]["o1"] == 3
            assert closed["results"]["by_role"]["agent"] is None


async def test_a_follower_arriving_mid_vote_sees_the_count_so_far_then_the_rest(
    server: ServerProcess,
) -> None:
    with httpx.Client(base_url=server.http, timeout=20) as http:
        room = Room(http)
        voters = [room.token_of(f"Voix {i}") for i in range(6)]
        poll = new_poll(
            room,
            method="irv",
            params={},
            options=[{"label": "A"}, {"label": "B"}],
            secret=False,
        )
        await asyncio.to_thread(act, room, poll, "open")
        for token in voters[:4]:
            await asyncio.to_thread(vote, room, poll, token, {"ranking": ["o2", "o1"]})
        async with websockets.connect(follow_url(server, room.session["id"], voters[0])) as ws:
            late = Follower(ws)
            snapshot = await late.next("snapshot")
            (seen,) = snapshot["polls"]
            assert seen["turnout"]["total"] == 4
            assert seen["results"]["total"]["winner"] == "o2"
            assert seen["my_ballot"]["cast"] is True
            for token in voters[4:]:
                await asyncio.to_thread(vote, room, poll, token, {"ranking": ["o1"]})
            last = await tally_until(late, poll["id"], 6)
            assert last["results"]["total"]["details"]["rounds"][0]["counts"] == {"o1": 2, "o2": 4}


@pytest.mark.postgres
@pytest.mark.redis
async def test_ballots_on_either_instance_reach_observers_on_both(
    server_factory: type[ServerProcess],
    postgres_url: str,  # noqa: F811
    redis_url: str,
) -> None:
    env = {"ATELIER_REDIS_URL": redis_url}
    one = server_factory(postgres_url, env_overrides=env)
    two = server_factory(postgres_url, env_overrides=env)
    one.start()
    two.start()
    with (
        httpx.Client(base_url=one.http, timeout=20) as http_one,
        httpx.Client(base_url=two.http, timeout=20) as http_two,
    ):
        room = Room(http_one)
        voters = [room.token_of(f"Voix {i}") for i in range(10)]
        poll = new_poll(room, method="approval", params={}, secret=False)
        act(room, poll, "open")
        async with (
            websockets.connect(follow_url(one, room.session["id"], room.facilitator)) as ws1,
            websockets.connect(follow_url(two, room.session["id"], voters[0])) as ws2,
        ):
            observers = [Follower(ws1), Follower(ws2)]
            for observer in observers:
                await observer.next("snapshot")
            for i, token in enumerate(voters):
                client = http_one if i % 2 else http_two
                response = await asyncio.to_thread(
                    client.put,
                    f"/api/polls/{poll['id']}/ballot",
                    json={"ballot": {"approve": ["o1", f"o{2 + i % 2}"]}},
                    headers=room.auth(token),
                )
                assert response.status_code == 200, response.text
            for observer in observers:
                last = await tally_until(observer, poll["id"], 10)
                assert last["results"]["total"]["scores"]["o1"] == 10
                assert last["results"]["total"]["scores"]["o2"] == 5
            await asyncio.to_thread(act, room, poll, "close")
            for observer in observers:
                closed = await observer.next("poll_closed")
                assert closed["poll"]["results"]["total"]["winner"] == "o1"

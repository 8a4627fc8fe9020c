"""The tally board on its own: ballot changes applied in seq order whatever order they arrive in,
a burst coalesced into one tally event, a gap that never fills healed from the database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

from server.actors import Actor
from server.db.models import ParticipantRow
from server.live import BallotCounted
from server.schemas import AtelierCreate, PollCreate, PollOptionIn, SessionCreate
from server.services import ateliers as seances
from server.services import polls as svc
from server.settings import load_settings
from server.state import AppServices

pytestmark = pytest.mark.anyio


@pytest.fixture
async def services(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AppServices]:
    monkeypatch.setenv("ATELIER_DATABASE_URL", sqlite_url)
    built = AppServices.build(load_settings())
    yield built
    await built.close()


async def open_poll(services: AppServices, voters: int) -> tuple[str, str, list[Actor]]:
    """An open plurality poll in a new séance, and ``voters`` residents."""
    atelier, first = await seances.create_atelier(
        services.engine,
        msgspec.convert(
            {
                "title": "Atelier",
                "subject": "Priorités",
                "kind": "projet",
                "scope": "ville",
                "facilitator_name": "Anim",
            },
            AtelierCreate,
        ),
        staff="Démocratie locale",
    )
    facilitator = Actor(first.id, atelier.id, "animateur", "Anim")
    seance = await seances.create_session(
        services.engine,
        facilitator,
        atelier.id,
        msgspec.convert(
            {
                "date": "2026-11-26",
                "start_time": "18:00:00",
                "mode": "presentiel",
                "place": "Mairie",
            },
            SessionCreate,
        ),
    )
    residents = []
    async with seances.transaction(services.engine) as session:
        for i in range(voters):
            row = ParticipantRow(
                id=seances.new_id(),
                atelier_id=atelier.id,
                display_name=f"Voix {i}",
                role="habitant",
                charter_version=1,
                show_name_in_minutes=False,
                joined_at=seances.now(),
            )
            session.add(row)
            residents.append(Actor(row.id, atelier.id, "habitant", row.display_name))
    poll = await svc.create_poll(
        services.engine,
        facilitator,
        seance.id,
        PollCreate(
            "Priorités",
            "plurality",
            [PollOptionIn("Parc"), PollOptionIn("Piste")],
            secret=False,  # public: the tallies carry results and roles live
        ),
    )
    await svc.open_poll(services.engine, facilitator, poll.id)
    return seance.id, poll.id, residents


async def no_texts(proposals: list[str]) -> dict[str, str]:
    return {}


async def cast_all(services: AppServices, poll_id: str, voters: list[Actor]) -> list[BallotCounted]:
    """Ballots written to the database, their changes *not* yet announced to the board."""
    deltas = []
    for i, voter in enumerate(voters):
        ballot = {"choice": "o1" if i % 3 else "o2"}
        _, delta = await svc.cast_ballot(services.engine, voter, poll_id, ballot, None, no_texts)
        deltas.append(delta)
    return deltas


async def next_tally(queue: asyncio.Queue[bytes], poll_id: str) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            event = json.loads(await queue.get())
            if event["type"] == "tally" and event["poll_id"] == poll_id:
                return event  # type: ignore[no-any-return]


async def test_a_burst_out_of_order_becomes_one_exact_tally(services: AppServices) -> None:
    session_id, poll_id, voters = await open_poll(services, 30)
    async with services.live.follow(session_id, "animateur") as queue:
        await services.tallies.live_count(poll_id, session_id)  # loaded at seq 0
        assert (await next_tally(queue, poll_id))["seq"] == 0
        deltas = await cast_all(services, poll_id, voters)
        # The first half in order, the second backwards, two of them twice.
        for delta in [*deltas[:15], *reversed(deltas[15:]), deltas[7], deltas[20]]:
            services.tallies.on_ballot(delta)
        tally = await next_tally(queue, poll_id)
        assert tally["seq"] == 30  # not 1, 2, 3…: the burst is one event
        assert tally["turnout"] == {"total": 30, "by_role": {"habitant": 30}}
        assert tally["results"]["total"]["scores"] == {"o1": 20, "o2": 10}


async def test_a_change_that_never_arrives_is_healed_from_the_database(
    services: AppServices,
) -> None:
    session_id, poll_id, voters = await open_poll(services, 6)
    async with services.live.follow(session_id, "animateur") as queue:
        await services.tallies.live_count(poll_id, session_id)
        await next_tally(queue, poll_id)
        deltas = await cast_all(services, poll_id, voters)
        loads = services.tallies.reloads
        for delta in deltas[1:]:  # change 1 is lost on the way
            services.tallies.on_ballot(delta)
        tally = await next_tally(queue, poll_id)  # after the gap timeout: reloaded
        assert services.tallies.reloads == loads + 1
        assert (tally["seq"], tally["turnout"]["total"]) == (6, 6)
        assert tally["results"]["total"]["scores"] == {"o1": 4, "o2": 2}

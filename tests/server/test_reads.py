"""What only reads never waits for a write: on SQLite, every write transaction takes the
instance's write turn (``server.db.writes``), and while any is held the live path's commits
leave the event loop for the writer thread. A page that lists participants, a socket that checks
its access, the council's list: none of them may take that turn, nor wait for it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.demo import SESSION_1_ID
from domain.errors import InvalidTransition
from server.actors import actor_from_token
from server.db.doc_store import SqlDocumentStore
from server.db.migrate import upgrade
from server.db.writes import write_turn
from server.demo import load_demo
from server.services import ateliers, compte_rendu, polls, proposals
from server.services.proposals import Reader
from server.settings import Settings
from server.state import create_engine
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.anyio

#: Far longer than any of these reads takes; they would wait for ever for a turn held by the test.
PATIENCE = 10.0


@pytest.fixture
async def demo_db(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, Any, str]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'atelier.db'}"
    await asyncio.to_thread(upgrade, url)
    settings = Settings(database_url=url, secret_key=TEST_SECRET)
    loaded = await load_demo(settings)
    engine = create_engine(url)
    try:
        actor = await actor_from_token(engine, settings.signing_key, loaded.facilitator_token)
        yield engine, actor, loaded.atelier_id
    finally:
        await engine.dispose()


async def test_reads_answer_while_a_write_holds_the_turn(
    demo_db: tuple[AsyncEngine, Any, str],
) -> None:
    engine, actor, atelier_id = demo_db
    reader = _reader(actor)

    async def read(call: Any) -> Any:
        return await asyncio.wait_for(call, PATIENCE)

    async with write_turn(engine):  # a freeze, an import: a long write holds the turn
        people = await read(ateliers.list_participants(engine, actor, atelier_id))
        assert actor.participant_id in {p.id for p in people}
        listed = await read(ateliers.list_proposals(engine, actor, atelier_id))
        assert listed
        assert await read(ateliers.doc_access_for(engine, actor, listed[0].doc_id)) is False
        await read(ateliers.audit_log(engine, actor, atelier_id))
        await read(ateliers.get_image(engine, atelier_id))
        for poll in await read(polls.list_polls(engine, actor, SESSION_1_ID)):
            assert (await read(polls.get_poll(engine, actor, poll.id))).id == poll.id
            await read(polls.my_ballot(engine, actor, poll))
        await read(proposals.list_versions(engine, reader, listed[0].id))
        await read(proposals.history(engine, reader, listed[0].id))
        await read(
            proposals.council_list(engine, CITY, status=None, instance=None, atelier_id=None)
        )
        with pytest.raises(InvalidTransition, match="seance_not_frozen"):  # an answer, no wait
            await read(compte_rendu.seance_record(engine, reader, SESSION_1_ID))


async def test_the_council_list_is_one_query_however_many_proposals(
    demo_db: tuple[AsyncEngine, Any, str],
) -> None:
    engine, actor, atelier_id = demo_db
    reader = _reader(actor)
    listed = await ateliers.list_proposals(engine, actor, atelier_id)
    assert len(listed) >= 2
    store = SqlDocumentStore(engine)
    for row in listed:  # frozen twice, handed over: the list must name version 2
        for _ in range(2):
            await proposals.freeze(engine, store, reader, proposal_id=row.id)
        await proposals.transmit(engine, reader, row.id)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        found = await proposals.council_list(
            engine, CITY, status=None, instance=None, atelier_id=None
        )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert sorted(row.id for row, _, _ in found) == sorted(row.id for row in listed)
    assert {latest.number for _, _, latest in found} == {2}
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


#: The city's council service.
CITY = Reader("ville", "conseil", None)


def _reader(actor: Any) -> Reader:
    return Reader(actor.display_name, actor.role, actor.atelier_id, actor.participant_id)

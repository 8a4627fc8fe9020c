"""Two server processes sharing PostgreSQL and Redis: a room's edits and presence cross over."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ServerProcess, postgres_database
from tests.ypy_client import connect

pytestmark = [pytest.mark.anyio, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    from server.db.migrate import upgrade

    with postgres_database() as url:
        upgrade(url)
        yield url


async def test_clients_on_two_instances_edit_one_document(
    server_factory: type[ServerProcess], postgres_url: str, redis_url: str, doc: str
) -> None:
    env = {"ATELIER_REDIS_URL": redis_url}
    one = server_factory(postgres_url, env_overrides=env)
    two = server_factory(postgres_url, env_overrides=env)
    one.start()
    two.start()
    async with connect(one.doc_url(doc)) as a, connect(two.doc_url(doc)) as b:
        a.edit(lambda t: t.insert(0, "Constat : "))
        await b.wait_for(lambda: str(b) == "Constat : ")
        b.edit(lambda t: t.insert(len(t), "les CQ manquent de moyens"))
        await a.wait_for(lambda: str(a) == "Constat : les CQ manquent de moyens")
        await a.send(bytes.fromhex("01 0e 01 2a 01 0a") + b'{"name":1}')
        await b.wait_for(lambda: 42 in b.awareness)

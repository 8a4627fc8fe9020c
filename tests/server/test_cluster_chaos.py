"""Three instances on PostgreSQL and Redis, people editing at random, instances killed and
restarted and Redis paused along the way (a seeded schedule): in the end every person's text,
and the stored document, are identical and hold every edit (issue #6).

Each person keeps their document across connections, as the browser does with IndexedDB: when
their instance dies they go on typing offline, then reconnect to another instance (no sticky
sessions), and the sync exchange sends what the server lacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field

import pytest
from pycrdt import Doc, Text

from tests.conftest import ServerProcess
from tests.server.test_live_channel import postgres_url  # noqa: F401
from tests.server.test_redis_pause import PrivateRedis, private_redis  # noqa: F401
from tests.ypy_client import YClient, connect

pytestmark = [pytest.mark.anyio, pytest.mark.postgres, pytest.mark.redis]

PEOPLE = 9
ROUNDS = 6
DOC = "atelier-ville-pleniere"


@dataclass
class Person:
    name: str
    doc: Doc = field(default_factory=Doc)
    client: YClient | None = None
    instance: int = -1
    _stack: contextlib.AsyncExitStack | None = None
    written: set[str] = field(default_factory=set)

    async def join(self, servers: list[ServerProcess], instance: int) -> None:
        await self.leave()
        stack = contextlib.AsyncExitStack()
        self.client = await stack.enter_async_context(
            connect(servers[instance].doc_url(DOC), doc=self.doc)
        )
        self._stack, self.instance = stack, instance

    async def leave(self) -> None:
        if self._stack is not None:
            with contextlib.suppress(Exception):  # the instance may be dead already
                await self._stack.aclose()
        self._stack, self.client = None, None

    def write(self, rng: random.Random, mark: str) -> None:
        """Insert ``mark`` between two marks (never inside one), locally; sent if connected.

        Marks are ASCII: pycrdt counts positions in UTF-8 bytes, so a position counted in
        characters would land inside a multi-byte character."""
        text = str(self.doc.get("t", type=Text))
        boundaries = [0] + [i + 1 for i, ch in enumerate(text) if ch == "]"]
        position = rng.choice(boundaries)
        if self.client is not None:
            self.client.edit(lambda t: t.insert(position, mark))
        else:  # offline: the document changes all the same, and is sent on reconnect
            self.doc.get("t", type=Text).insert(position, mark)
        self.written.add(mark)


async def everyone_converged(people: list[Person], marks: set[str], timeout: float) -> str:
    for person in people:
        assert person.client is not None
        try:
            await person.client.wait_for(
                lambda p=person: all(m in str(p.client) for m in marks), timeout=timeout
            )
        except TimeoutError:
            missing = sorted(m for m in marks if m not in str(person.client))
            raise AssertionError(
                f"{person.name} on instance {person.instance} lacks {missing}"
            ) from None
    texts = {str(p.client) for p in people}
    assert len(texts) == 1, "every person's text is the same"
    return texts.pop()


async def redis_pause(
    people: list[Person], redis: PrivateRedis, rng: random.Random, round_: int
) -> None:
    redis.pause()
    for person in people:  # typing goes on while the instances cannot talk
        person.write(rng, f"[{person.name}.{round_}.r]")
    for person in people:
        assert person.client is not None
        await person.client.round_trip()
    await asyncio.sleep(2)  # the fault itself: Redis stays paused a while
    redis.resume()


async def kill_and_move(
    people: list[Person],
    servers: list[ServerProcess],
    rng: random.Random,
    round_: int,
    two: bool,
) -> None:
    """SIGKILL one or two instances; their people type offline, then move to a live one."""
    victims = rng.sample(range(len(servers)), 2 if two else 1)
    for v in victims:
        servers[v].kill()  # no shutdown hook, no flush
    alive = [i for i in range(len(servers)) if i not in victims]
    for person in people:
        if person.instance in victims:
            await person.leave()
            person.write(rng, f"[{person.name}.{round_}.offline]")
            await person.join(servers, rng.choice(alive))
    for v in victims:
        servers[v].start()


async def test_three_instances_killed_restarted_and_a_redis_pause_lose_no_edit(
    server_factory: type[ServerProcess],
    postgres_url: str,  # noqa: F811
    private_redis: PrivateRedis,  # noqa: F811
) -> None:
    rng = random.Random(20261126)
    env = {"ATELIER_REDIS_URL": private_redis.url, "ATELIER_ANTI_ENTROPY_SECONDS": "0.5"}
    servers = [server_factory(postgres_url, env_overrides=env) for _ in range(3)]
    for server in servers:
        server.start()
    people = [Person(f"p{k}") for k in range(PEOPLE)]
    for k, person in enumerate(people):
        await person.join(servers, k % 3)

    faults = ["kill", "redis", "kill", "kill-two", "redis", "kill"]
    assert len(faults) == ROUNDS
    try:
        for round_ in range(ROUNDS):
            for person in people:
                for i in range(rng.randint(1, 3)):
                    person.write(rng, f"[{person.name}.{round_}.{i}]")
            for person in people:  # acknowledged: stored by its instance before broadcast
                assert person.client is not None
                await person.client.round_trip()

            if faults[round_] == "redis":
                await redis_pause(people, private_redis, rng, round_)
            else:
                await kill_and_move(people, servers, rng, round_, faults[round_] == "kill-two")

            marks = set().union(*(p.written for p in people))
            await everyone_converged(people, marks, timeout=40)

        marks = set().union(*(p.written for p in people))
        final = await everyone_converged(people, marks, timeout=40)
        assert len(marks) >= PEOPLE * ROUNDS * 2
    finally:
        for person in people:
            await person.leave()

    # What is stored is what everyone saw: every instance killed at once, one restarted, and a
    # newcomer with nothing of their own gets the same text.
    for server in servers:
        server.kill()
    servers[0].start()
    async with connect(servers[0].doc_url(DOC)) as newcomer:
        assert str(newcomer) == final

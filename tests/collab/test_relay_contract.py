"""One contract, every Relay: in memory and on Redis pub/sub."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from collab import MemoryBroker, MemoryRelay, Relay, RelayKind
from collab.relay import RelayMessage

pytestmark = pytest.mark.anyio

NodeFactory = Callable[[], Relay]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def nodes(request: pytest.FixtureRequest) -> AsyncIterator[NodeFactory]:
    made: list[Relay] = []
    if request.param == "memory":
        broker = MemoryBroker()

        def factory() -> Relay:
            made.append(broker.node())
            return made[-1]
    else:
        from server.redis_relay import RedisRelay

        url = request.getfixturevalue("redis_url")

        def factory() -> Relay:
            made.append(RedisRelay(url))
            return made[-1]

    yield factory
    for relay in made:
        await relay.close()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[RelayMessage] = []
        self.arrived = asyncio.Event()

    def __call__(self, message: RelayMessage) -> None:
        self.messages.append(message)
        self.arrived.set()

    async def next(self) -> RelayMessage:
        async with asyncio.timeout(5):
            while not self.messages:
                self.arrived.clear()
                await self.arrived.wait()
        return self.messages.pop(0)


def room() -> str:
    return f"room-{uuid.uuid4().hex[:8]}"


async def test_a_message_reaches_other_nodes_with_its_sender(nodes: NodeFactory) -> None:
    a, b = nodes(), nodes()
    name, inbox = room(), Inbox()
    await b.subscribe(name, inbox)
    await a.publish(name, RelayKind.UPDATE, b"\x00\x01binary\xff")
    message = await inbox.next()
    assert (message.node_id, message.kind, message.payload) == (
        a.node_id,
        RelayKind.UPDATE,
        b"\x00\x01binary\xff",
    )


async def test_a_node_never_receives_its_own_messages(nodes: NodeFactory) -> None:
    a, b = nodes(), nodes()
    name, mine, theirs = room(), Inbox(), Inbox()
    await a.subscribe(name, mine)
    await b.subscribe(name, theirs)
    await a.publish(name, RelayKind.AWARENESS, b"first")
    await b.publish(name, RelayKind.AWARENESS, b"second")
    assert (await theirs.next()).payload == b"first"
    assert (await mine.next()).payload == b"second"  # a's own "first" never came back
    assert mine.messages == []


async def test_rooms_are_isolated_and_unsubscribing_stops_delivery(nodes: NodeFactory) -> None:
    a, b = nodes(), nodes()
    one, two = room(), room()
    inbox_one, inbox_two = Inbox(), Inbox()
    sub_one = await b.subscribe(one, inbox_one)
    await b.subscribe(two, inbox_two)
    await a.publish(one, RelayKind.UPDATE, b"for one")
    await a.publish(two, RelayKind.UPDATE, b"for two")
    assert (await inbox_one.next()).payload == b"for one"
    assert (await inbox_two.next()).payload == b"for two"
    await sub_one.close()
    await a.publish(one, RelayKind.UPDATE, b"nobody listens")
    await a.publish(two, RelayKind.UPDATE, b"marker")
    assert (await inbox_two.next()).payload == b"marker"  # delivered in order after the other
    assert inbox_one.messages == []


async def test_a_room_is_heard_once_another_node_listens(nodes: NodeFactory) -> None:
    # A room publishes its broadcasts only where they may be heard: the embedded server, alone
    # in memory, spends nothing on a relay; a Redis relay cannot know who listens, so it says yes.
    a, b = nodes(), nodes()
    name = room()
    alone = a.heard(name)
    await a.subscribe(name, Inbox())
    assert a.heard(name) == alone  # its own subscription is not someone else's
    await b.subscribe(name, Inbox())
    assert a.heard(name)
    assert alone == (not isinstance(a, MemoryRelay))


@pytest.mark.redis
async def test_two_deployments_on_one_redis_never_hear_each_other(redis_url: str) -> None:
    # A city's production and training instances may share a Redis: each deployment's channels
    # are named after its signing key, so a room of the same name stays its own.
    from server.redis_relay import RedisRelay, deployment_namespace

    production = [RedisRelay(redis_url, namespace=deployment_namespace("p" * 32)) for _ in "ab"]
    training, trainer = (
        RedisRelay(redis_url, namespace=deployment_namespace("t" * 32)) for _ in "ab"
    )
    try:
        name, heard_in_production, heard_in_training = room(), Inbox(), Inbox()
        await production[1].subscribe(name, heard_in_production)
        await training.subscribe(name, heard_in_training)
        await production[0].publish(name, RelayKind.UPDATE, b"production")
        assert (await heard_in_production.next()).payload == b"production"
        # The training node subscribed before the publish; Redis delivers in order, so a
        # message of its own published after it arrives first if the other never does.
        await trainer.publish(name, RelayKind.UPDATE, b"training")
        assert (await heard_in_training.next()).payload == b"training"
        assert heard_in_training.messages == []
    finally:
        for relay in [*production, training, trainer]:
            await relay.close()

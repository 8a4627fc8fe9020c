"""Freezing while twenty people type on two instances: one consistent version holding every
edit that anyone could already see when the freeze was asked for."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from pycrdt import XmlFragment

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_live_channel import postgres_url  # noqa: F401
from tests.server.test_versions_api import paragraph
from tests.ypy_client import YClient, connect

pytestmark = [pytest.mark.anyio, pytest.mark.postgres, pytest.mark.redis]

TYPISTS, EDITS = 20, 12
MARK = re.compile(r"m\d+-\d+")


def marks(client: YClient) -> set[str]:
    return set(MARK.findall(str(client.doc.get("constat", type=XmlFragment))))


async def test_a_freeze_during_typing_on_two_instances_holds_every_visible_edit(
    server_factory: type[ServerProcess],
    postgres_url: str,  # noqa: F811
    redis_url: str,
) -> None:
    env = {"ATELIER_REDIS_URL": redis_url}
    instances = [server_factory(postgres_url, env_overrides=env) for _ in range(2)]
    for instance in instances:
        instance.start()
    with httpx.Client(base_url=instances[0].http, timeout=30) as http:
        room = Room(http)
        proposal = http.post(
            f"/api/ateliers/{room.atelier['id']}/proposals",
            json={"title": "Plan vélo"},
            headers=room.auth(room.facilitator),
        ).json()
        tokens = [room.token_of(f"Voix {k}") for k in range(TYPISTS)]

        def url(k: int, token: str) -> str:
            return instances[k % 2].doc_url(proposal["doc_id"], token=token)

        async with (
            connect(url(0, room.facilitator)) as watch_one,
            connect(url(1, room.facilitator)) as watch_two,
        ):
            started = asyncio.Event()

            async def typist(k: int) -> None:
                async with connect(url(k, tokens[k])) as me:
                    for i in range(EDITS):
                        me.edit_doc(paragraph("constat", f"m{k}-{i}"))
                        started.set()
                        await asyncio.sleep(0.02)  # typing pace, not synchronisation
                    await me.round_trip()

            typing = [asyncio.create_task(typist(k)) for k in range(TYPISTS)]
            # Mid-typing: what either observer shows has been stored (a room stores an edit
            # before it sends it to anyone). The freeze must hold all of it.
            await started.wait()
            await watch_one.wait_for(lambda: len(marks(watch_one)) >= TYPISTS * EDITS // 3)
            visible = marks(watch_one) | marks(watch_two)
            frozen = await asyncio.to_thread(
                http.post,
                f"/api/proposals/{proposal['id']}/freeze",
                headers=room.auth(room.facilitator),
            )
            assert frozen.status_code == 201, frozen.text
            await asyncio.gather(*typing)
            assert len(visible) < TYPISTS * EDITS  # the freeze did land mid-typing

            v1 = await asyncio.to_thread(
                http.get,
                f"/api/proposals/{proposal['id']}/versions/1",
                headers=room.auth(room.facilitator),
            )
            constat = next(s for s in v1.json()["content"]["sections"] if s["key"] == "constat")
            in_version = set(MARK.findall(constat["text"]))
            assert visible <= in_version
            # Consistent: each typist's edits are a prefix of what they typed, in order.
            for k in range(TYPISTS):
                mine = sorted(int(m.split("-")[1]) for m in in_version if m.startswith(f"m{k}-"))
                assert mine == list(range(len(mine)))

            # Once everyone is done, a second freeze holds every edit, from either instance.
            everything = {f"m{k}-{i}" for k in range(TYPISTS) for i in range(EDITS)}
            await watch_two.wait_for(lambda: marks(watch_two) == everything)
            await asyncio.to_thread(
                http.post,
                f"/api/proposals/{proposal['id']}/freeze",
                headers=room.auth(room.facilitator),
            )
            v2 = await asyncio.to_thread(
                http.get,
                f"/api/proposals/{proposal['id']}/versions/2",
                headers=room.auth(room.facilitator),
            )
            constat = next(s for s in v2.json()["content"]["sections"] if s["key"] == "constat")
            assert set(MARK.findall(constat["text"])) == everything


async def test_a_revocation_and_a_lock_reach_connections_on_the_other_instance(
    server_factory: type[ServerProcess],
    postgres_url: str,  # noqa: F811
    redis_url: str,
) -> None:
    env = {"ATELIER_REDIS_URL": redis_url}
    one, two = (server_factory(postgres_url, env_overrides=env) for _ in range(2))
    one.start()
    two.start()
    with httpx.Client(base_url=one.http, timeout=30) as http:
        room = Room(http)
        proposal = http.post(
            f"/api/ateliers/{room.atelier['id']}/proposals",
            json={"title": "Plan vélo"},
            headers=room.auth(room.facilitator),
        ).json()
        troll = room.join("Troll").json()
        ana = room.token_of("Ana")
        async with (
            connect(two.doc_url(proposal["doc_id"], token=troll["token"])) as trolling,
            connect(two.doc_url(proposal["doc_id"], token=ana)) as writing,
        ):
            revoked = await asyncio.to_thread(
                http.post,
                f"/api/participants/{troll['participant']['id']}/revoke",
                headers=room.auth(room.facilitator),
            )
            assert revoked.status_code == 200, revoked.text
            await trolling.closed.wait()
            assert (trolling.close_code, trolling.close_reason) == (4401, "access revoked")
            assert not writing.closed.is_set()
            locked = await asyncio.to_thread(
                http.post,
                f"/api/proposals/{proposal['id']}/freeze",
                json={"lock": True},
                headers=room.auth(room.facilitator),
            )
            assert locked.status_code == 201, locked.text
            await writing.closed.wait()
            assert writing.close_code == 1012  # reconnects, read-only from now on

"""Every limit of a real server process, each refusal with its code and reason. Whoever stays
within the limits keeps working, and loses nothing.

The server trusts ``X-Forwarded-For`` from loopback (the default ``ATELIER_FORWARDED_ALLOW_IPS``),
so each test speaks from an address of its own, and counts from no one else's.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ServerProcess, migrated_database

pytestmark = pytest.mark.anyio

LIMITS: dict[str, str] = {}
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("limited")
    with (
        migrated_database("sqlite", folder) as url,
        ServerProcess(url, env_overrides=LIMITS, log_path=folder / "server.log").running() as srv,
    ):
        yield srv


def wrong_code(http: httpx.Client, forwarded_for: str) -> int:
    """The status of a lookup of an unknown join code, sent as if forwarded for an address."""
    return http.get("/api/join/ZZZZZZZZ", headers={"X-Forwarded-For": forwarded_for}).status_code


class TestClientAddress:
    def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_join_guard(
        self, limited: ServerProcess
    ) -> None:
        first, second = next(_addresses), next(_addresses)
        with httpx.Client(base_url=limited.http, timeout=10) as http:
            # ATELIER_JOIN_FAILURES_PER_MINUTE is 20
            assert [wrong_code(http, first) for _ in range(21)] == [404] * 20 + [429]
            assert wrong_code(http, second) == 404

    def test_a_forwarded_address_from_an_untrusted_peer_is_ignored_by_every_limit(
        self, server_factory: type[ServerProcess], sqlite_url: str
    ) -> None:
        srv = server_factory(
            sqlite_url,
            env_overrides={
                "ATELIER_FORWARDED_ALLOW_IPS": "",
                "ATELIER_JOIN_FAILURES_PER_MINUTE": "2",
            },
        )
        srv.start()
        with httpx.Client(base_url=srv.http, timeout=10) as http:
            assert [wrong_code(http, f"192.0.2.{n}") for n in range(3)] == [404, 404, 429]

"""Settings from the environment, and the `atelier` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from server.auth import InvalidGrant, verify_grant
from server.settings import DEV_SECRET_KEY, SettingsError, load_settings
from tests.conftest import ROOT


def test_defaults_are_the_embedded_mode() -> None:
    settings = load_settings({})
    assert settings.database_url.startswith("sqlite+aiosqlite://")
    assert settings.redis_url == ""
    assert settings.signing_key == DEV_SECRET_KEY


def test_values_are_read_and_converted_from_the_environment() -> None:
    settings = load_settings(
        {"ATELIER_PORT": "9000", "ATELIER_ROOM_IDLE_SECONDS": "2.5", "OTHER": "x"}
    )
    assert (settings.port, settings.room_idle_seconds) == (9000, 2.5)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"ATELIER_PORT": "eighty"}, "ATELIER_PORT"),
        ({"ATELIER_MAX_FRAME_BYTES": "-1"}, "ATELIER_MAX_FRAME_BYTES"),
        ({"ATELIER_DATABASE_URL": "mysql://db"}, "ATELIER_DATABASE_URL"),
        ({"ATELIER_REDIS_URL": "http://x"}, "ATELIER_REDIS_URL"),
        ({"ATELIER_LOG_LEVEL": "LOUD"}, "ATELIER_LOG_LEVEL"),
        ({"ATELIER_ENV": "production"}, "ATELIER_SECRET_KEY"),
        ({"ATELIER_ENV": "production", "ATELIER_SECRET_KEY": "short"}, "ATELIER_SECRET_KEY"),
        ({"ATELIER_MAX_DOCUMENT_BYTES": "-1"}, "ATELIER_MAX_DOCUMENT_BYTES"),
        ({"ATELIER_MAX_AWARENESS_STATES": "0"}, "ATELIER_MAX_AWARENESS_STATES"),
        ({"ATELIER_WS_CONNECTIONS_PER_ADDRESS": "-1"}, "ATELIER_WS_CONNECTIONS_PER_ADDRESS"),
        ({"ATELIER_WS_MESSAGES_PER_SECOND": "-0.5"}, "ATELIER_WS_MESSAGES_PER_SECOND"),
        ({"ATELIER_WS_MESSAGE_BURST": "0"}, "ATELIER_WS_MESSAGE_BURST"),
        ({"ATELIER_MAX_REQUEST_BODY_BYTES": "0"}, "ATELIER_MAX_REQUEST_BODY_BYTES"),
        ({"ATELIER_FORWARDED_ALLOW_IPS": "10.0.0.1,proxy"}, "ATELIER_FORWARDED_ALLOW_IPS"),
        ({"ATELIER_SQLITE_SYNCHRONOUS": "off"}, "ATELIER_SQLITE_SYNCHRONOUS"),
        ({"ATELIER_TIME_ZONE": "Mars/Olympus_Mons"}, "ATELIER_TIME_ZONE"),
        ({"ATELIER_TIME_ZONE": "europe/paris"}, "ATELIER_TIME_ZONE"),
        ({"ATELIER_TIME_ZONE": "../../etc/passwd"}, "ATELIER_TIME_ZONE"),
        ({"ATELIER_TIME_ZONE": "localtime"}, "ATELIER_TIME_ZONE"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(environ)


def test_limits_may_be_turned_off_and_proxies_named_as_networks() -> None:
    settings = load_settings(
        {
            "ATELIER_MAX_DOCUMENT_BYTES": "0",
            "ATELIER_WS_CONNECTIONS_PER_ADDRESS": "0",
            "ATELIER_WS_MESSAGES_PER_SECOND": "0",
            "ATELIER_FORWARDED_ALLOW_IPS": " 10.0.0.0/8, ::1 ,",
        }
    )
    assert settings.trusted_proxies == ["10.0.0.0/8", "::1"]
    assert load_settings({"ATELIER_FORWARDED_ALLOW_IPS": ""}).trusted_proxies == []


def test_the_citys_time_zone_is_paris_unless_set() -> None:
    assert load_settings({}).time_zone == "Europe/Paris"
    assert load_settings({"ATELIER_TIME_ZONE": "America/Montreal"}).time_zone == "America/Montreal"


def test_an_unknown_time_zone_stops_the_server_at_start_naming_the_variable(tmp_path: Path) -> None:
    result = run_cli(
        "serve",
        "--port",
        "1",  # never reached: the settings are read first
        env={
            "ATELIER_TIME_ZONE": "Europe/Atlantis",
            "ATELIER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'a.db'}",
        },
    )
    assert result.returncode != 0
    assert "ATELIER_TIME_ZONE: unknown time zone 'Europe/Atlantis'" in result.stderr
    assert not (tmp_path / "a.db").exists()  # stopped before touching anything


def test_production_with_a_real_secret_starts() -> None:
    settings = load_settings({"ATELIER_ENV": "production", "ATELIER_SECRET_KEY": "k" * 40})
    assert not settings.uses_dev_key


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_grant_prints_a_token_alone_on_its_last_line_that_the_server_accepts() -> None:
    secret = "cli-secret-key-long-enough-for-production-use"
    result = run_cli(
        "grant",
        "--doc",
        "fiche-1",
        "--access",
        "r",
        "--ttl",
        "60",
        env={"ATELIER_SECRET_KEY": secret},
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    grant = verify_grant(secret, token)
    assert (grant.doc, grant.acc, grant.exp - grant.iat) == ("fiche-1", "r", 60)
    with pytest.raises(InvalidGrant):
        verify_grant("another-secret-key-long-enough-000000000", token)


def test_a_bad_setting_stops_the_command_with_a_clear_message() -> None:
    result = run_cli("grant", "--doc", "x", env={"ATELIER_PORT": "nope"})
    assert result.returncode != 0
    assert "ATELIER_PORT" in result.stderr


def test_migrations_apply_and_revert(tmp_path: object) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/m.db"
    for args in (("db", "upgrade"), ("db", "downgrade", "base"), ("db", "upgrade")):
        result = run_cli(*args, env={"ATELIER_DATABASE_URL": url})
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("setting", "level"), [("full", 2), ("normal", 1)])
def test_sqlite_commits_are_as_durable_as_the_setting_says(
    tmp_path: object, setting: str, level: int
) -> None:
    """Both SQLite writers — the engine's connections and the document store's own — commit
    with the chosen ``synchronous`` level (2 = FULL: through a power loss)."""
    import asyncio
    import sqlite3
    from pathlib import Path

    from server.db.doc_store import SqlDocumentStore
    from server.db.migrate import upgrade
    from server.state import create_engine

    url = f"sqlite+aiosqlite:///{Path(str(tmp_path)) / 'atelier.db'}"
    upgrade(url)
    settings = load_settings({"ATELIER_DATABASE_URL": url, "ATELIER_SQLITE_SYNCHRONOUS": setting})

    async def levels() -> tuple[int, int]:
        engine = create_engine(url, synchronous=settings.sqlite_synchronous)
        store = SqlDocumentStore(engine, synchronous=settings.sqlite_synchronous)
        try:
            async with engine.connect() as conn:
                mine = (await conn.exec_driver_sql("PRAGMA synchronous")).scalar_one()

            def writer_level(c: sqlite3.Connection) -> int:
                return int(c.execute("PRAGMA synchronous").fetchone()[0])

            assert store._writer is not None
            theirs = await store._writer.run(writer_level)
            return int(mine), theirs
        finally:
            await store.close()
            await engine.dispose()

    assert asyncio.run(levels()) == (level, level)

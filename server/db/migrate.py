"""Run the Alembic migrations programmatically (``atelier db upgrade``, ``make run``, tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

__all__ = ["alembic_config", "current", "downgrade", "schema_behind", "upgrade"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision``; safe to run again (already applied steps are skipped)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def current(database_url: str) -> None:
    command.current(alembic_config(database_url), verbose=True)


def schema_behind(database_url: str) -> tuple[str | None, str] | None:
    """``(current, head)`` when the schema is not at the latest migration (``current`` is
    ``None`` on an empty database), ``None`` when it is. Raises what the driver raises when
    the database cannot be reached."""
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert head is not None  # the package ships its migrations

    def read(connection: Connection) -> tuple[str, ...]:
        return tuple(MigrationContext.configure(connection).get_current_heads())

    async def heads() -> tuple[str, ...]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(read)
        finally:
            await engine.dispose()

    found = asyncio.run(heads())
    if found == (head,):
        return None
    return (", ".join(found) or None), head

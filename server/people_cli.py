"""``atelier person export|erase`` and ``atelier retention run``: a person's data (RGPD) from
the operator's command line. What is held and what erasure does: ``server.services.people``
and the README (« Personal data »)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import click

from server.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["person", "retention"]


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(f"bad setting: {exc}") from None


@click.group(help="A person's data (RGPD): what is held about them, erasing their name.")
def person() -> None:
    pass


@person.command("export")
@click.option("--participant", "participant_id", required=True, help="The participant's id.")
def person_export(participant_id: str) -> None:
    """Print, as JSON, everything held about a participant (their row, check-ins, sections
    written in, audit entries, the frozen versions that name them…; never a secret ballot's
    content, which nothing links to them)."""
    import json

    from server.services.people import personal_data

    data = _with_engine(lambda engine: personal_data(engine, participant_id))
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@person.command("erase")
@click.option("--participant", "participant_id", required=True, help="The participant's id.")
@click.option(
    "--keep-old-versions",
    is_flag=True,
    help="Go on when versions frozen before names were committed (format 1) hold the name: "
    "they stay as they are (their hash covers it); everything else is erased.",
)
def person_erase(participant_id: str, keep_old_versions: bool) -> None:
    """Erase a participant's name: a pseudonym in the live data, tokens revoked, the audit log
    pseudonymised, names beside frozen versions deleted (the versions still verify)."""
    import json

    from server.services.people import erase

    data = _with_engine(
        lambda engine: erase(
            engine, participant_id, by="operator", keep_old_versions=keep_old_versions
        )
    )
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(help="The city's retention of personal data.")
def retention() -> None:
    pass


@retention.command("run")
def retention_run() -> None:
    """Apply ATELIER_RETENTION_DAYS_PARTICIPANTS and ATELIER_RETENTION_DAYS_AUDIT once (the
    server does it every few hours by itself)."""
    from server.services.people import run_retention

    settings = _settings()
    data = _with_engine(
        lambda engine: run_retention(
            engine,
            participant_days=settings.retention_days_participants,
            audit_days=settings.retention_days_audit,
        )
    )
    click.echo(f"{len(data['participants_erased'])} participant(s) erased")
    for done in data["participants_erased"]:
        click.echo(f"  {done['participant_id']} -> {done['pseudonym']}")
    click.echo(f"{data['audit_entries_deleted']} audit entries deleted")


def _with_engine(work: Callable[[AsyncEngine], Awaitable[Any]]) -> Any:
    """Run ``work(engine)`` on the configured database; a problem becomes a CLI error."""
    import asyncio

    from server.errors import Problem
    from server.state import create_engine

    settings = _settings()

    async def run() -> Any:
        engine = create_engine(settings.database_url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except Problem as exc:
        extra = exc.extra_fields.get("versions")
        listed = "".join(
            f"\n  {v['proposal_id']} v{v['number']} ({', '.join(v['where'])})" for v in extra or []
        )
        raise click.ClickException(f"{exc.detail_en} [{exc.code}]{listed}") from None

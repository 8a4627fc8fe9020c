"""The ``atelier`` command: serve, mint grants, migrate the database, export and import."""

from __future__ import annotations

import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from server.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["main"]

T = TypeVar("T")


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise click.ClickException(f"bad setting: {exc}") from None


@click.group(help="Atelier — espace de co-construction pour la démocratie locale.")
def main() -> None:
    pass


@main.command(
    help="Serve the application (HTTP, WebSockets) with the settings from the environment."
)
@click.option("--host", default=None, help="Interface to bind (ATELIER_HOST).")
@click.option("--port", type=int, default=None, help="Port to bind (ATELIER_PORT).")
@click.option(
    "--fd",
    type=int,
    default=None,
    help="Serve on this already bound and listening socket, inherited from the parent "
    "(socket activation, or a supervisor that binds first); --host/--port then only say "
    "where it listens.",
)
@click.option(
    "--migrate/--no-migrate",
    default=None,
    help="Apply database migrations first. Default: yes on SQLite (the embedded default "
    "migrates itself); no on PostgreSQL, where a schema behind the latest migration stops the "
    "start (run `atelier db upgrade` once, before the instances). --no-migrate: only check.",
)
def serve(host: str | None, port: int | None, fd: int | None, migrate: bool | None) -> None:
    import uvicorn

    from server.app import create_app

    settings = _settings(host=host, port=port)
    _prepare_schema(settings.database_url, migrate)
    from server.logging import redact_uvicorn_logs
    from server.ws_protocol import AtelierHttpToolsProtocol, AtelierWebSocketProtocol

    app = create_app(settings)
    redact_uvicorn_logs()
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ws_max_size=settings.max_frame_bytes,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_interval,
        log_level=settings.log_level.lower(),
        lifespan="on",
        access_log=False,  # its lines carry ?token= in the URL: grants must not reach logs
        # Chosen by measurement (bench/RESULTS.md): websockets' Sans-I/O protocol was as fast
        # as the others at 1 x 200 and needs no extra dependency; our subclass adds the direct
        # write of broadcast frames (server/ws_protocol.py).
        ws=AtelierWebSocketProtocol,
        # … and an upgrade request handed to it as httptools parsed it (server/ws_protocol.py).
        http=AtelierHttpToolsProtocol,
        ws_per_message_deflate=settings.ws_per_message_deflate,
        # The client address of every per-address limit: X-Forwarded-For from these proxies
        # only (uvicorn's own default would also read FORWARDED_ALLOW_IPS; one setting says it).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
    )
    server = uvicorn.Server(config)
    # An inherited socket keeps its own family (uvicorn's --fd would take it for a Unix one,
    # and every client's address, which the per-address limits count, would be lost).
    server.run(sockets=[socket.socket(fileno=fd)] if fd is not None else None)
    if not server.started:
        sys.exit(3)  # as uvicorn.run: the start failed (the reason is in the log)


def _prepare_schema(database_url: str, migrate: bool | None) -> None:
    """Migrate (SQLite by default), or check that the schema is at the latest migration.

    A server on an unmigrated database used to start, say ``ok`` on ``/health``, and close
    every document socket (``no such table``). SQLite is the embedded default, one file that
    one server uses: it migrates itself. PostgreSQL is shared by several instances, whose
    migrations run once before them (``docker-compose.yml``'s ``migrate`` service), never by
    two at once: a schema that is behind stops the start with the command to run."""
    from sqlalchemy.engine import make_url

    from server.db.migrate import schema_behind, upgrade

    if migrate is None:
        migrate = make_url(database_url).get_backend_name() == "sqlite"
    if migrate:
        try:
            upgrade(database_url)
        except Exception as exc:
            raise click.ClickException(
                f"migration de la base impossible / database migration failed: {exc}"
            ) from exc
        return
    try:
        behind = schema_behind(database_url)
    except Exception as exc:  # unreachable now: the server starts, /health says so, it retries
        click.echo(f"warning: schéma non vérifié / database schema not checked: {exc}", err=True)
        return
    if behind is not None:
        found, head = behind
        raise click.ClickException(
            f"la base n’est pas à jour (migration {found or 'aucune'}, attendue {head}) : "
            "lancez `atelier db upgrade`, puis relancez le serveur. / "
            f"The database schema is not up to date (at {found or 'none'}, expected {head}): "
            "run `atelier db upgrade`, then start the server again."
        )


@main.command(help="Mint an access grant for a document; prints the token alone on the last line.")
@click.option("--doc", "doc_id", required=True, help="Document id.")
@click.option("--access", type=click.Choice(["rw", "r"]), default="rw", show_default=True)
@click.option(
    "--ttl", type=int, default=None, help="Lifetime in seconds (ATELIER_GRANT_TTL_SECONDS)."
)
@click.option("--subject", default="operator", show_default=True, help="Who the grant is for.")
def grant(doc_id: str, access: str, ttl: int | None, subject: str) -> None:
    from server.auth import mint_grant

    settings = _settings()
    if ttl is not None and ttl <= 0:
        raise click.BadParameter("must be positive", param_hint="--ttl")
    if settings.uses_dev_key:
        click.echo("warning: signed with the development key (ATELIER_SECRET_KEY unset)", err=True)
    token = mint_grant(
        settings.signing_key,
        doc_id,
        access,
        subject,
        ttl or settings.grant_ttl_seconds,  # type: ignore[arg-type]
    )
    click.echo(token)


def _on_database(work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """Run ``work`` with an engine on the configured database, migrated first when embedded."""
    import asyncio

    from server.state import create_engine

    settings = _settings()
    _prepare_schema(settings.database_url, None)

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _issue(kind: str, name: str, ttl: int) -> str:
    from server.services import credentials

    settings = _settings()
    if ttl <= 0:
        raise click.BadParameter("must be positive", param_hint="--ttl")
    if not name.strip() or len(name.strip()) > 200:
        raise click.BadParameter("1 to 200 characters", param_hint="--name")
    if settings.uses_dev_key:
        click.echo("warning: signed with the development key (ATELIER_SECRET_KEY unset)", err=True)
    return _on_database(
        lambda engine: credentials.issue(
            engine,
            settings.signing_key,
            kind,
            name.strip(),
            ttl,  # type: ignore[arg-type]
        )
    )


@main.command("council-token")
@click.option("--name", required=True, help="The council service, as decisions will name it.")
@click.option("--ttl", type=int, default=90 * 24 * 3600, show_default=True, help="Seconds.")
def council_token(name: str, ttl: int) -> None:
    """A credential for the city's council service: it reads what every atelier handed over
    and records decisions (the token is alone on the last line; `atelier credential revoke`
    withdraws it)."""
    click.echo(_issue("council", name, ttl))


@main.command("facilitator-invite")
@click.option("--name", required=True, help="The staff member, as ateliers will name them.")
@click.option("--ttl", type=int, default=30 * 24 * 3600, show_default=True, help="Seconds.")
@click.option("--base-url", default=None, help="Public address, for the link printed.")
def facilitator_invite(name: str, ttl: int, base_url: str | None) -> None:
    """A sign-in link for a member of the city's staff: they propose ateliers de projet and
    approve those residents start (README « Qui peut créer quoi »). The link is alone on the
    last line; `atelier credential revoke` withdraws it."""
    settings = _settings()
    token = _issue("staff", name, ttl)
    base = (base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    click.echo(f"{base}/connexion#jeton={token}")


@main.group(help="Credentials issued by the operator (city staff, council service).")
def credential() -> None:
    pass


@credential.command("list", help="Every credential issued: id, kind, name, until, state.")
def credential_list() -> None:
    from server.services import credentials

    for row in _on_database(credentials.listing):
        state = "revoked" if row.revoked_at else "active"
        until = row.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        click.echo(f"{row.id}\t{row.kind}\t{row.name}\t{until}\t{state}")


@credential.command("revoke", help="Withdraw a credential at once (its token is refused).")
@click.argument("credential_id")
def credential_revoke(credential_id: str) -> None:
    from server.services import credentials

    row = _on_database(lambda engine: credentials.revoke(engine, credential_id))
    if row is None:
        raise click.ClickException(
            f"no credential {credential_id!r} (see `atelier credential list`)"
        )
    click.echo(f"revoked: {row.id} ({row.kind}, {row.name})")


@main.command(
    help="Load the seed's workshop (Sommet Citoyen, 12/12/2017) as demo data; idempotent."
)
@click.option("--base-url", default=None, help="Public address, for the links printed.")
def demo(base_url: str | None) -> None:
    import asyncio

    from domain.joining import format_code
    from server.db.migrate import upgrade
    from server.demo import load_demo

    settings = _settings()
    upgrade(settings.database_url)
    loaded = asyncio.run(load_demo(settings))
    base = (base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    click.echo(
        ("Démo chargée : " if loaded.created else "Démo déjà présente : ") + loaded.atelier_title
    )
    click.echo(f"Code de la séance 1 : {format_code(loaded.join_code)}")
    click.echo(f"Lien pour rejoindre : {base}/rejoindre/{loaded.join_code}")
    click.echo(
        f"Lien de l’animation : {base}/atelier/{loaded.atelier_id}#token={loaded.facilitator_token}"
    )


@main.command("export")
@click.option("--atelier", "atelier_id", default=None, help="One atelier's id (default: all).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The archive to write (default: atelier-<ID|all>-<UTC time>.tar.gz here).",
)
def export(atelier_id: str | None, output: Path | None) -> None:
    """Write a backup archive of one atelier, or of everything: documents and their update
    logs, versions, votes, attendance… (format: server/backup.py, README « Backups »)."""
    import asyncio
    from datetime import UTC, datetime

    from server.backup import ArchiveError, export_archive
    from server.state import create_engine

    settings = _settings()
    if output is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        output = Path(f"atelier-{atelier_id or 'all'}-{stamp}.tar.gz")

    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            manifest = await export_archive(engine, output, atelier_id=atelier_id)
        finally:
            await engine.dispose()
        for table, rows in manifest.rows().items():
            click.echo(f"{table:<20} {rows:>9}")
        click.echo(f"schema {manifest.schema_revision}, {len(manifest.chains)} version chains")

    try:
        asyncio.run(run())
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(str(output))


@main.command("import")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(archive: Path) -> None:
    """Add a backup archive's rows to this instance's database, all or nothing: refused if
    the archive is damaged, of an unknown format, or if any of its ids is already here."""
    import asyncio

    from server.backup import ArchiveError, import_archive
    from server.db.migrate import upgrade
    from server.search_index import reindex
    from server.state import create_engine

    settings = _settings()
    upgrade(settings.database_url)  # an empty database gets its schema first, as `demo` does

    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            report = await import_archive(engine, archive, webhook_urls=settings.webhooks)
            await reindex(engine)  # the archive's public things, found by search
        finally:
            await engine.dispose()
        for table, rows in report.rows.items():
            click.echo(f"{table:<20} {rows:>9}")
        click.echo(f"{report.chains_verified} version chains verified")

    try:
        asyncio.run(run())
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"imported {archive}")


@main.group(help="The search index of the public ateliers, proposals, subjects and projects.")
def search() -> None:
    pass


@search.command(
    "reindex",
    help="Rebuild the search index from the data, in one transaction (the server does it at "
    "start when the index is empty); prints how many entries it holds.",
)
def search_reindex() -> None:
    from server.search_index import reindex

    count = _on_database(reindex)
    click.echo(f"{count} entries indexed")


@main.group(help="Database schema migrations.")
def db() -> None:
    pass


@db.command("upgrade", help="Apply every migration up to REVISION (default: head).")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    from server.db.migrate import upgrade

    upgrade(_settings().database_url, revision)
    click.echo(f"database at {revision}")


@db.command("downgrade", help="Revert migrations down to REVISION.")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    from server.db.migrate import downgrade

    downgrade(_settings().database_url, revision)


@db.command("current", help="Show the revision the database is at.")
def db_current() -> None:
    from server.db.migrate import current

    current(_settings().database_url)


def _add_people_commands() -> None:
    """``atelier person export|erase`` and ``atelier retention run`` (server/people_cli.py)."""
    from server.people_cli import person, retention

    main.add_command(person)
    main.add_command(retention)


_add_people_commands()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

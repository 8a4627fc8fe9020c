"""Who is asking: the participant behind a request's token, checked against the database.

A participant token names an atelier, a participant and a role. Each use re-reads the
participant's row, so a revocation takes effect at once (the token itself stays valid until it
expires, and is refused here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from server.auth import InvalidGrant, ParticipantGrant, token_from, verify_grant
from server.db.models import AtelierRow, ParticipantRow
from server.db.writes import transaction
from server.errors import Problem
from server.state import AppServices

__all__ = ["Actor", "Refused", "actor_from_token", "current_actor", "optional_actor", "token_of"]


@dataclass(frozen=True)
class Actor:
    participant_id: str
    atelier_id: str
    role: str
    display_name: str
    #: The atelier's charter version this participant has not accepted yet (it was revised
    #: since they last accepted one), or ``None``: until they accept it, they read but do not
    #: write in the documents nor vote (``server.services.ateliers.require_charter``).
    charter_behind: int | None = None


class Refused(Exception):
    """The token is not a valid, unrevoked participant token."""

    def __init__(self, code: str, fr: str, en: str) -> None:
        super().__init__(en)
        self.code, self.fr, self.en = code, fr, en


async def actor_from_token(engine: AsyncEngine, key: str, token: str | None) -> Actor:
    try:
        grant = verify_grant(key, token)
    except InvalidGrant as exc:
        if str(exc) == "token expired":
            raise Refused("token_expired", "Votre accès a expiré.", "Your access expired.") from exc
        if str(exc) == "no token":
            raise Refused("no_token", "Connexion requise.", "Sign-in required.") from exc
        raise Refused("invalid_token", "Jeton invalide.", "Invalid token.") from exc
    if not isinstance(grant, ParticipantGrant):
        raise Refused(
            "wrong_token",
            "Ce jeton ne désigne pas un·e participant·e.",
            "This token does not identify a participant.",
        )
    async with engine.connect() as conn:
        reader = await conn.execution_options(read_only=True)  # SQLite: no write lock taken
        row = (
            await reader.execute(
                select(ParticipantRow, AtelierRow.charter_version.label("current_charter"))
                .join(AtelierRow, AtelierRow.id == ParticipantRow.atelier_id)
                .where(ParticipantRow.id == grant.pid)
            )
        ).first()
    if row is None or row.atelier_id != grant.atl:
        raise Refused("unknown_participant", "Participant·e inconnu·e.", "Unknown participant.")
    if row.revoked_at is not None:
        raise Refused(
            "revoked",
            "Votre accès à cet atelier a été retiré.",
            "Your access to this atelier was revoked.",
        )
    await _seen(engine, row.id, row.last_seen_at or row.joined_at)
    behind = None if (row.charter_version or 0) >= row.current_charter else row.current_charter
    return Actor(row.id, row.atelier_id, row.role, row.display_name, behind)


#: A token used again within this long does not note its participant's sign of life again.
SEEN_EVERY = timedelta(days=1)


async def _seen(engine: AsyncEngine, participant_id: str, last: datetime) -> None:
    """The participant's last sign of life, which the city's retention measures inactivity
    from: written at most once a day per participant (README « Personal data »)."""
    stamp = datetime.now(UTC)
    if stamp - last < SEEN_EVERY:
        return
    async with transaction(engine) as session:
        await session.execute(
            update(ParticipantRow)
            .where(ParticipantRow.id == participant_id)
            .values(last_seen_at=stamp)
        )


def token_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    return token_from(
        dict(connection.query_params) if connection.scope["type"] == "websocket" else {},
        dict(connection.cookies),
        connection.headers.get("authorization"),
    )


async def current_actor(request: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    """Dependency: the participant making the request, or 401 as a problem detail."""
    services = AppServices.of(request.app)
    try:
        return await actor_from_token(
            services.engine, services.settings.signing_key, token_of(request)
        )
    except Refused as exc:
        raise Problem(401, exc.code, exc.fr, exc.en) from exc


async def optional_actor(request: ASGIConnection[Any, Any, Any, Any]) -> Actor | None:
    services = AppServices.of(request.app)
    try:
        return await actor_from_token(
            services.engine, services.settings.signing_key, token_of(request)
        )
    except Refused:
        return None

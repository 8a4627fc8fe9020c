"""Credentials the operator issues: city staff (``atelier facilitator-invite``) and the council
service (``atelier council-token``).

Each is a row (who, until when, revoked or not) and a signed token naming it (``jti``). A token
is checked against its row on every use, so ``atelier credential revoke`` refuses it at once,
without rotating the signing key and so without signing everyone else out. The row holds no
secret: the token is printed once and never stored.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.auth import CouncilGrant, StaffGrant, mint_council_token, mint_staff_token
from server.db.models import CredentialRow
from server.db.writes import reading, transaction
from server.errors import Problem
from server.services.ateliers import now

__all__ = ["CredentialRefused", "check", "issue", "listing", "revoke"]

Kind = Literal["staff", "council"]


class CredentialRefused(Problem):
    """401: the credential was revoked, or is unknown to this instance."""


async def issue(engine: AsyncEngine, key: str, kind: Kind, name: str, ttl_seconds: int) -> str:
    """Record a credential and return its token (shown once)."""
    stamp = now()
    row = CredentialRow(
        id=secrets.token_hex(8),
        kind=kind,
        name=name,
        created_at=stamp,
        expires_at=stamp + timedelta(seconds=ttl_seconds),
    )
    async with transaction(engine) as session:
        session.add(row)
    if kind == "staff":
        return mint_staff_token(key, row.id, name, ttl_seconds, stamp.timestamp())
    return mint_council_token(key, name, ttl_seconds, stamp.timestamp(), credential=row.id)


async def revoke(engine: AsyncEngine, credential_id: str) -> CredentialRow | None:
    """Revoke a credential; ``None`` when there is no such credential."""
    async with transaction(engine) as session:
        row = await session.get(CredentialRow, credential_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = now()
    return row


async def listing(engine: AsyncEngine) -> list[CredentialRow]:
    async with reading(engine) as session:
        return list(
            (await session.scalars(select(CredentialRow).order_by(CredentialRow.created_at))).all()
        )


async def check(engine: AsyncEngine, grant: StaffGrant | CouncilGrant) -> None:
    """Raise :class:`CredentialRefused` if the grant's credential was revoked or is unknown.

    A council token minted before credentials were recorded names none: it stays valid until
    it expires (README)."""
    if grant.jti is None:
        return
    async with reading(engine) as session:
        row = await session.get(CredentialRow, grant.jti)
    if row is None:
        raise CredentialRefused(
            401,
            "unknown_credential",
            "Cet accès n’est pas connu de ce serveur.",
            "This access is not known to this server.",
        )
    if row.revoked_at is not None:
        raise CredentialRefused(
            401,
            "credential_revoked",
            "Cet accès a été retiré par l’administration du serveur.",
            "This access was revoked by the server's operator.",
        )

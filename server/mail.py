"""E-mail notifications, sent: the outbox (``mail_outbox``) drained by a background task.

A message is written in the same transaction as what it tells (a séance planned, a proposal
decided: :func:`server.services.subscriptions.notify`) or as the subscription it confirms, so
none is sent for something that did not happen and none is lost if the server stops. Any
instance may send a due message after claiming it (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and
a lease: a claimed message is due again only if its sender died before recording the outcome):
two instances never send the same one. A message the SMTP server did not take is retried with
exponential backoff (``ATELIER_MAIL_RETRY_SECONDS``, doubling, at most an hour apart) until
``ATELIER_MAIL_MAX_ATTEMPTS``; one it took is deleted. At most ``ATELIER_MAIL_CONCURRENCY``
messages are sent at once.

The address and the links' tokens are read and made at sending time, in the claim's
transaction: an address unsubscribed meanwhile gets nothing (its rows went with it), and a
token exists in clear only in the message itself (the database keeps its SHA-256). Every
message — the confirmation too — carries a one-click unsubscribe link and the RFC 8058 headers
``List-Unsubscribe`` and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import logging
import secrets
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any, Final

import aiosmtplib
from sqlalchemy import delete, event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.db.models import MailOutboxRow, SubscriptionRow, SubscriptionTokenRow
from server.db.writes import reading, transaction
from server.settings import Settings

__all__ = [
    "CONFIRM_PATH",
    "UNSUBSCRIBE_PATH",
    "MailDispatcher",
    "Outgoing",
    "compose",
    "digest",
    "poke_after_commit",
]

log = logging.getLogger("atelier.mail")

CONFIRM_PATH: Final = "/decouvrir/abonnements/confirmer"
UNSUBSCRIBE_PATH: Final = "/decouvrir/abonnements/desabonner"
SMTP_TIMEOUT: Final = 30.0
#: A claimed message's sender has this long to record the outcome; past it (the sender died),
#: the message is due again. Longer than one SMTP exchange can take.
LEASE: Final = timedelta(seconds=SMTP_TIMEOUT * 2 + 5)
MAX_BACKOFF: Final = 3600.0
BATCH: Final = 50
#: Unconfirmed addresses are deleted this long after their last confirmation request.
UNCONFIRMED_KEPT: Final = timedelta(days=7)


def digest(token: str) -> str:
    """What the database keeps of a link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


# --- waking the dispatcher when a transaction wrote a message ---------------------------------

_dispatchers: weakref.WeakSet[MailDispatcher] = weakref.WeakSet()


def poke_after_commit(session: AsyncSession) -> None:
    """Once ``session``'s transaction commits, every dispatcher of this process looks at once
    (not at its next tick). Nothing happens on a rollback: no message was written."""

    def poke(_session: Any) -> None:
        for dispatcher in list(_dispatchers):
            dispatcher.poke()

    if not event.contains(session.sync_session, "after_commit", poke):
        event.listen(session.sync_session, "after_commit", poke, once=True)


# --- composing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One claimed message, with everything needed to send it."""

    row_id: int
    to: str
    message: EmailMessage


def _absolute(site: str, link: str) -> str:
    return link if link.startswith(("http://", "https://")) else site + link


def _paragraphs(text: str) -> str:
    return "".join(
        f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>"
        for block in text.strip().split("\n\n")
        if block.strip()
    )


def compose(
    settings: Settings,
    row: MailOutboxRow,
    subscription: SubscriptionRow,
    *,
    unsubscribe_token: str,
    confirm_token: str | None = None,
) -> EmailMessage:
    """The message of ``row`` to ``subscription``'s address: French, then English; plain text
    and an HTML alternative saying the same."""
    site = settings.site_url
    unsubscribe = f"{site}{UNSUBSCRIBE_PATH}/{unsubscribe_token}"
    if row.kind == "confirm":
        assert confirm_token is not None
        action_url = f"{site}{CONFIRM_PATH}/{confirm_token}"
        action_fr, action_en = "Confirmer l’abonnement", "Confirm the subscription"
        why_fr = (
            "Vous recevez ce message parce que cette adresse a été donnée pour suivre "
            f"{subscription.title_fr}. Si ce n’est pas vous, ignorez-le : sans confirmation, "
            "l’adresse est effacée dans 7 jours."
        )
        why_en = (
            "You receive this message because this address was given to follow "
            f"{subscription.title_en}. If it was not you, ignore it: unconfirmed, the address "
            "is erased within 7 days."
        )
    else:
        action_url = _absolute(site, row.link)
        action_fr, action_en = "En savoir plus", "Read more"
        why_fr = f"Vous recevez ce message parce que vous suivez {subscription.title_fr}."
        why_en = f"You receive this message because you follow {subscription.title_en}."
    stop_fr = "Se désabonner (un clic, l’adresse est effacée)"
    stop_en = "Unsubscribe (one click, the address is erased)"
    text = (
        f"{row.body_fr.strip()}\n\n{action_fr} : {action_url}\n\n-- \n{why_fr}\n"
        f"{stop_fr} : {unsubscribe}\n\n"
        "---- English ----\n\n"
        f"{row.body_en.strip()}\n\n{action_en}: {action_url}\n\n-- \n{why_en}\n"
        f"{stop_en}: {unsubscribe}\n"
    )
    link_style = "color:#1f3a5f"

    def part(lang: str, body: str, action: str, why: str, stop: str) -> str:
        return (
            f'<div lang="{lang}">{_paragraphs(body)}'
            f'<p><a href="{html.escape(action_url)}" style="{link_style}"><strong>'
            f"{html.escape(action)}</strong></a></p>"
            f'<p style="color:#555;font-size:90%">{html.escape(why)}<br>'
            f'<a href="{html.escape(unsubscribe)}" style="{link_style}">{html.escape(stop)}</a>'
            "</p></div>"
        )

    rich = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"></head>'
        '<body style="font-family:sans-serif;line-height:1.5;max-width:40em">'
        + part("fr", row.body_fr, action_fr, why_fr, stop_fr)
        + '<hr><p lang="en" style="color:#555">English</p>'
        + part("en", row.body_en, action_en, why_en, stop_en)
        + "</body></html>"
    )
    message = EmailMessage()
    subject = row.subject_fr
    if row.subject_en and row.subject_en != row.subject_fr:
        subject += f" / {row.subject_en}"
    message["Subject"] = " ".join(subject.split())  # one line, whatever a title holds
    message["From"] = settings.mail_from
    message["To"] = Address(addr_spec=subscription.email)
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "atelier.invalid"
    message["Message-ID"] = make_msgid(idstring=f"atelier.{row.id}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["X-Atelier-Mail"] = f"{row.kind}.{row.id}"
    message.set_content(text)
    message.add_alternative(rich, subtype="html")
    return message


# --- sending ---------------------------------------------------------------------------------


class MailDispatcher:
    """Drains the outbox on this instance while an SMTP host is set."""

    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings
        self._base = settings.mail_retry_seconds
        self._max_attempts = settings.mail_max_attempts
        self._limit = asyncio.Semaphore(settings.mail_concurrency)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pruned_at: datetime | None = None

    def start(self) -> None:
        if self._settings.mail_enabled and self._task is None:
            _dispatchers.add(self)
            self._task = asyncio.get_running_loop().create_task(self._run())

    def poke(self) -> None:
        self._wake.set()

    async def close(self) -> None:
        _dispatchers.discard(self)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self._prune()
                wait = await self._pass()
            except Exception:
                log.warning("mail: a pass failed; retrying", exc_info=True)
                wait = self._base
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.05, min(wait, 5.0)))

    async def _prune(self) -> None:
        """Unconfirmed addresses are not kept: a week after their last request, gone."""
        now = datetime.now(UTC)
        if self._pruned_at is not None and now - self._pruned_at < timedelta(minutes=10):
            return
        self._pruned_at = now
        async with transaction(self._engine) as session:
            await session.execute(
                delete(SubscriptionRow).where(
                    SubscriptionRow.confirmed_at.is_(None),
                    SubscriptionRow.created_at < now - UNCONFIRMED_KEPT,
                    (SubscriptionRow.confirm_sent_at.is_(None))
                    | (SubscriptionRow.confirm_sent_at < now - UNCONFIRMED_KEPT),
                )
            )

    async def _claim(self) -> list[Outgoing]:
        now = datetime.now(UTC)
        claimed: list[Outgoing] = []
        async with transaction(self._engine) as session:
            due = list(
                await session.scalars(
                    select(MailOutboxRow)
                    .where(
                        MailOutboxRow.attempts < self._max_attempts,
                        MailOutboxRow.next_attempt_at <= now,
                    )
                    .order_by(MailOutboxRow.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True, of=MailOutboxRow)
                )
            )
            for row in due:
                row.attempts += 1
                row.next_attempt_at = now + LEASE
                subscription = await session.get(SubscriptionRow, row.subscription_id)
                if subscription is None:  # unsubscribed meanwhile (no cascade on this engine)
                    await session.delete(row)
                    continue
                unsubscribe = new_token()
                session.add(
                    SubscriptionTokenRow(
                        hash=digest(unsubscribe), subscription_id=subscription.id, created_at=now
                    )
                )
                confirm: str | None = None
                if row.kind == "confirm":
                    if subscription.confirmed_at is not None:
                        await session.delete(row)  # confirmed by an earlier message's link
                        continue
                    confirm = new_token()
                    subscription.confirm_hash = digest(confirm)
                try:
                    message = compose(
                        self._settings,
                        row,
                        subscription,
                        unsubscribe_token=unsubscribe,
                        confirm_token=confirm,
                    )
                except (ValueError, TypeError) as exc:  # a message that cannot be written
                    log.error("mail: message %s cannot be composed: %s", row.id, exc)
                    row.attempts = self._max_attempts  # never again; the others go on
                    row.last_error = f"{type(exc).__name__}: {exc}"[:500]
                    continue
                claimed.append(Outgoing(row.id, subscription.email, message))
        return claimed

    async def _pass(self) -> float:
        """Send the due messages; seconds until the next is due."""
        claimed = await self._claim()
        await asyncio.gather(*(self._send(outgoing) for outgoing in claimed))
        async with reading(self._engine) as session:
            upcoming = await session.scalar(
                select(MailOutboxRow.next_attempt_at)
                .where(MailOutboxRow.attempts < self._max_attempts)
                .order_by(MailOutboxRow.next_attempt_at)
                .limit(1)
            )
        if upcoming is None:
            return 5.0
        if upcoming.tzinfo is None:
            upcoming = upcoming.replace(tzinfo=UTC)
        return max(0.0, (upcoming - datetime.now(UTC)).total_seconds())

    async def _send(self, outgoing: Outgoing) -> None:
        s = self._settings
        port = s.smtp_port or (465 if s.smtp_tls else 587 if s.smtp_starttls else 25)
        error: str | None = None
        async with self._limit:
            try:
                await aiosmtplib.send(
                    outgoing.message,
                    hostname=s.smtp_host,
                    port=port,
                    username=s.smtp_username or None,
                    password=s.smtp_password or None,
                    use_tls=s.smtp_tls,
                    start_tls=s.smtp_starttls,
                    timeout=SMTP_TIMEOUT,
                )
            except (aiosmtplib.SMTPException, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
        async with transaction(self._engine) as session:
            row = await session.get(MailOutboxRow, outgoing.row_id)
            if row is None:
                return
            if error is None:
                await session.delete(row)
                return
            row.last_error = error
            backoff = min(MAX_BACKOFF, self._base * 2 ** (row.attempts - 1))
            row.next_attempt_at = datetime.now(UTC) + timedelta(seconds=backoff)
            if row.attempts >= self._max_attempts:
                log.error("mail: giving up on message %s after %s attempts", row.id, row.attempts)
            else:
                log.info(
                    "mail: message %s not sent (%s); retrying in %.0f s", row.id, error, backoff
                )

"""Hand-off notifications for the city's back office: each event POSTed to each configured URL,
signed, retried with exponential backoff until the receiver answers 2xx.

Events come from an outbox (``handoff_events``, written in the same transaction as the step),
so none is sent for a step that did not happen and none is lost if the server stops: a
delivery row per event and URL records attempts; any instance may send a due delivery, after
claiming it (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and a lease: a claimed delivery is due
again only if its sender died before recording the outcome).

Each request carries ``X-Atelier-Event`` (the kind), ``X-Atelier-Delivery`` (the event id, the
same on every retry: receivers deduplicate on it) and ``X-Atelier-Signature:
t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with ATELIER_WEBHOOK_SECRET>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.db.models import HandoffEventRow, WebhookDeliveryRow
from server.db.writes import reading, transaction
from server.settings import Settings

if TYPE_CHECKING:
    import httpx

__all__ = ["WebhookDispatcher", "signature"]

log = logging.getLogger("atelier.webhooks")

HTTP_TIMEOUT = 10.0
# A claimed delivery's sender has this long to record the outcome; past it (the sender died),
# the delivery is due again. Longer than a request can take, so it is never sent twice at once.
LEASE = timedelta(seconds=HTTP_TIMEOUT + 5)
MAX_BACKOFF = 3600.0
BATCH = 20


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class WebhookDispatcher:
    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self._engine = engine
        self._urls = settings.webhooks
        self._secret = settings.webhook_secret
        self._base = settings.webhook_retry_seconds
        self._max_attempts = settings.webhook_max_attempts
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        if self._urls and self._task is None:
            # Imported here: an instance without webhooks (most) never loads an HTTP client.
            import httpx

            self._client = httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False)
            self._task = asyncio.get_running_loop().create_task(self._run())

    def poke(self) -> None:
        """A step just wrote an event: look now rather than at the next tick."""
        self._wake.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        while True:
            try:
                wait = await self._pass()
            except Exception:
                log.warning("webhooks: a pass failed; retrying", exc_info=True)
                wait = self._base
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.05, min(wait, 5.0)))

    async def _pass(self) -> float:
        """Create missing deliveries, send the due ones; seconds until the next is due."""
        async with transaction(self._engine) as session:
            await self._create_deliveries(session)
        now = datetime.now(UTC)
        async with transaction(self._engine) as session:
            due = list(
                await session.scalars(
                    select(WebhookDeliveryRow)
                    .where(
                        WebhookDeliveryRow.delivered_at.is_(None),
                        WebhookDeliveryRow.attempts < self._max_attempts,
                        WebhookDeliveryRow.next_attempt_at <= now,
                    )
                    .order_by(WebhookDeliveryRow.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True, of=WebhookDeliveryRow)
                )
            )
            for delivery in due:
                delivery.attempts += 1
                delivery.next_attempt_at = now + LEASE
            events = {
                e.id: e
                for e in await session.scalars(
                    select(HandoffEventRow).where(HandoffEventRow.id.in_([d.event_id for d in due]))
                )
            }
        await asyncio.gather(*(self._send(d, events[d.event_id]) for d in due))
        async with reading(self._engine) as session:
            upcoming = await session.scalar(
                select(WebhookDeliveryRow.next_attempt_at)
                .where(
                    WebhookDeliveryRow.delivered_at.is_(None),
                    WebhookDeliveryRow.attempts < self._max_attempts,
                )
                .order_by(WebhookDeliveryRow.next_attempt_at)
                .limit(1)
            )
        if upcoming is None:
            return self._base
        if upcoming.tzinfo is None:  # SQLite gives naive UTC datetimes back
            upcoming = upcoming.replace(tzinfo=UTC)
        return max(0.0, (upcoming - datetime.now(UTC)).total_seconds())

    async def _create_deliveries(self, session: AsyncSession) -> None:
        insert = postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
        for url in self._urls:
            missing = await session.scalars(
                select(HandoffEventRow.id)
                .outerjoin(
                    WebhookDeliveryRow,
                    and_(
                        WebhookDeliveryRow.event_id == HandoffEventRow.id,
                        WebhookDeliveryRow.url == url,
                    ),
                )
                .where(WebhookDeliveryRow.id.is_(None))
                .order_by(HandoffEventRow.id)
                .limit(500)
            )
            rows = [
                {
                    "event_id": event_id,
                    "url": url,
                    "attempts": 0,
                    "next_attempt_at": datetime.now(UTC),
                }
                for event_id in missing
            ]
            if rows:
                await session.execute(
                    insert(WebhookDeliveryRow).values(rows).on_conflict_do_nothing()
                )

    async def _send(self, delivery: WebhookDeliveryRow, event: HandoffEventRow) -> None:
        import httpx  # loaded by start(), which made the client

        assert self._client is not None
        body = json.dumps(
            {"id": event.id, **event.payload}, ensure_ascii=False, separators=(",", ":")
        ).encode()
        stamp = int(time.time())
        status: int | None = None
        error: str | None = None
        try:
            response = await self._client.post(
                delivery.url,
                content=body,
                headers={
                    "content-type": "application/json",
                    "user-agent": "Atelier-Webhooks/1",
                    "x-atelier-event": event.kind,
                    "x-atelier-delivery": str(event.id),
                    "x-atelier-signature": signature(self._secret, stamp, body),
                },
            )
            status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        delivered = status is not None and 200 <= status < 300
        async with transaction(self._engine) as session:
            row = await session.get(WebhookDeliveryRow, delivery.id)
            if row is None:
                return
            row.last_status, row.last_error = status, error
            if delivered:
                row.delivered_at = datetime.now(UTC)
            else:
                backoff = min(MAX_BACKOFF, self._base * 2 ** (row.attempts - 1))
                row.next_attempt_at = datetime.now(UTC) + timedelta(seconds=backoff)
                if row.attempts >= self._max_attempts:
                    log.error("webhooks: giving up on event %s to %s", event.id, delivery.url)

"""The long-lived services of one application instance, built at start-up, closed at shutdown."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from litestar import Litestar
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from collab import MemoryRelay, Relay, RoomPolicy, RoomRegistry
from collab.group_commit import GroupCommitStore
from collab.offload import SquashWorker
from server.contributions import Contributions
from server.control import ControlChannel
from server.db.doc_store import SqlDocumentStore, sqlite_pragmas
from server.documents.workers import RenderPool
from server.guards import ConnectionLimiter, FailureLimiter, TokenBucket
from server.live import LiveHub
from server.mail import MailDispatcher
from server.webhooks import WebhookDispatcher

if TYPE_CHECKING:
    from server.tallies import TallyBoard
from server.redis_relay import RedisRelay, deployment_namespace
from server.settings import Settings

__all__ = ["AppServices", "create_engine"]

log = logging.getLogger("atelier.server")


def create_engine(url: str, *, synchronous: str = "full") -> AsyncEngine:
    """The application's engine; on SQLite, every connection gets :func:`sqlite_pragmas`.
    Its sessions keep the search index up to date (:func:`server.search_index.install`)."""
    from server import search_index

    search_index.install()
    if url.startswith("sqlite"):
        pragmas = sqlite_pragmas(synchronous)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: object, _record: object) -> None:
            cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
            for pragma in pragmas:  # the same as the document store's own writer
                cursor.execute(pragma)
            cursor.close()
            # Transactions begin here, not in the driver (which begins only before a write)…
            dbapi_connection.isolation_level = None  # type: ignore[attr-defined]

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(connection: Any) -> None:
            # … and IMMEDIATE: a transaction that read first and writes later would otherwise
            # be refused at once ("database is locked") when another wrote in between — SQLite
            # cannot upgrade a stale read snapshot. Waiting for the write lock up front, with
            # the busy timeout, serialises writers instead of failing them.
            # Reads that will not write (``read_only`` execution option) stay deferred.
            read_only = connection.get_execution_options().get("read_only", False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


#: Comments and replies per participant and minute: a lively discussion, never a flood.
COMMENTS_PER_MINUTE = 30


@dataclass
class AppServices:
    settings: Settings
    engine: AsyncEngine
    store: SqlDocumentStore
    relay: Relay
    registry: RoomRegistry
    join_guard: FailureLimiter
    live: LiveHub
    tallies: TallyBoard
    webhooks: WebhookDispatcher
    ballot_guard: FailureLimiter
    control: ControlChannel
    contributions: Contributions
    connections: ConnectionLimiter
    squash_worker: SquashWorker
    renders: RenderPool
    resident_creations: FailureLimiter
    staff_creations: FailureLimiter
    #: Comments and replies one participant may post within a minute (429 past it).
    comment_guard: FailureLimiter = field(
        default_factory=lambda: FailureLimiter(COMMENTS_PER_MINUTE, 60.0)
    )
    #: E-mail notifications: the outbox's sender (idle without an SMTP host), and the
    #: subscription requests one client address may send within an hour.
    mail: MailDispatcher | None = None
    subscription_guard: FailureLimiter = field(default_factory=lambda: FailureLimiter(10, 3600.0))

    @classmethod
    def build(cls, settings: Settings) -> AppServices:
        engine = create_engine(settings.database_url, synchronous=settings.sqlite_synchronous)
        # Compaction squashes in a worker process: never a pause of every room on this instance.
        squash_worker = SquashWorker()
        store = SqlDocumentStore(
            engine,
            synchronous=settings.sqlite_synchronous,
            squasher=squash_worker.squash,
            inline_commit_budget=settings.sqlite_inline_commit_ms / 1000,
        )
        relay: Relay = (
            RedisRelay(settings.redis_url, namespace=deployment_namespace(settings.signing_key))
            if settings.redis_url
            else MemoryRelay()
        )
        policy = RoomPolicy(
            compact_after_rows=settings.compact_after_rows,
            compact_growth=settings.compact_growth,
            compact_max_rows=settings.compact_max_rows,
            compact_after_bytes=settings.compact_after_bytes,
            max_awareness_state_bytes=settings.max_awareness_state_bytes,
            max_awareness_states=settings.max_awareness_states,
            max_awareness_ids_per_peer=settings.max_awareness_clients_per_connection,
            max_document_bytes=settings.max_document_bytes,
            anti_entropy_interval=settings.anti_entropy_seconds if settings.redis_url else 0.0,
        )
        # Every room's appends go through one writer: one transaction for all rooms at a time.
        registry = RoomRegistry(
            GroupCommitStore(store), relay, policy=policy, idle_seconds=settings.room_idle_seconds
        )
        join_guard = FailureLimiter(settings.join_failures_per_minute, 60.0)
        from server.tallies import TallyBoard  # it reads polls through the services layer

        live = LiveHub(relay)
        tallies = TallyBoard(engine, live)
        webhooks = WebhookDispatcher(engine, settings)
        webhooks.start()
        ballot_guard = FailureLimiter(settings.ballots_per_minute, 60.0)
        mail = MailDispatcher(engine, settings)
        mail.start()
        return cls(
            settings,
            engine,
            store,
            relay,
            registry,
            join_guard,
            live,
            tallies,
            webhooks,
            ballot_guard,
            ControlChannel(relay, registry, live),
            Contributions(engine),
            ConnectionLimiter(settings.ws_connections_per_address),
            squash_worker,
            RenderPool(
                settings.render_workers,
                max_waiting=settings.render_max_waiting,
                timeout=settings.render_timeout_seconds,
                memory_bytes=settings.render_memory_mb * 1024 * 1024,
            ),
            FailureLimiter(settings.ateliers_per_hour, 3600.0),
            FailureLimiter(settings.staff_ateliers_per_hour, 3600.0),
            mail=mail,
            subscription_guard=FailureLimiter(settings.subscriptions_per_hour, 3600.0),
        )

    def creation_guard(self, staff: bool) -> FailureLimiter:
        """Ateliers created within the hour: by residents (per address, per participant), or
        by a staff credential."""
        return self.staff_creations if staff else self.resident_creations

    def message_bucket(self) -> TokenBucket | None:
        """A new WebSocket connection's allowance of frames (``None``: no limit)."""
        rate = self.settings.ws_messages_per_second
        return TokenBucket(rate, self.settings.ws_message_burst) if rate else None

    @staticmethod
    def of(app: Litestar) -> AppServices:
        services: AppServices = app.state.services
        return services

    async def broker_state(self) -> str:
        if isinstance(self.relay, RedisRelay):
            return "ok" if await self.relay.ping() else "unavailable"
        return "memory"

    async def close(self, grace_seconds: float = 30.0) -> None:
        """Flush every room, then release the broker and the database.

        Flushing waits for the store; if it is still unreachable after ``grace_seconds`` the
        unflushed rooms are named in the log (their edits remain in the clients' documents,
        which send them again on their next sync).
        """
        try:
            await asyncio.wait_for(self.registry.close(), grace_seconds)
        except TimeoutError:
            dirty = [name for name, room in self.registry.rooms.items() if room.dirty]
            log.error("shutdown: rooms not flushed after %.0fs: %s", grace_seconds, dirty)
        await self.control.close()
        await self.contributions.settle()
        await self.tallies.close()
        await self.webhooks.close()
        if self.mail is not None:
            await self.mail.close()
        await self.relay.close()
        await self.store.close()
        await self.squash_worker.close()
        await self.renders.close()
        await self.engine.dispose()

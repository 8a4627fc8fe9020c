"""Typed settings, read from ``ATELIER_*`` environment variables.

Every field below is one variable: ``database_url`` is ``ATELIER_DATABASE_URL``. A value that
does not parse stops the start with a message naming the variable. The defaults are the embedded
mode: a SQLite file in the working directory and the in-process broker.
"""

from __future__ import annotations

import ipaddress
import os
import re
import zoneinfo
from collections.abc import Mapping
from typing import Literal

import msgspec

__all__ = ["DEV_SECRET_KEY", "PREFIX", "Settings", "SettingsError", "load_settings"]

PREFIX = "ATELIER_"
#: Used only outside production, and said so loudly at start-up.
DEV_SECRET_KEY = "atelier-development-key-not-for-production"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the environment variable."""


class Settings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    #: ``development`` (defaults filled in, warnings) or ``production`` (secrets required).
    env: Literal["development", "production"] = "development"
    #: SQLAlchemy async URL: ``sqlite+aiosqlite:///atelier.db`` or ``postgresql+asyncpg://…``.
    database_url: str = "sqlite+aiosqlite:///atelier.db"
    #: ``redis://host:port/db`` to relay between instances; empty for the in-process broker.
    redis_url: str = ""
    #: Signs access grants (HS256). Required in production; at least 32 characters there.
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: Largest WebSocket frame accepted (bytes); larger closes the connection with 1009.
    max_frame_bytes: int = 16 * 1024 * 1024
    #: Frames queued to one client before it is closed as too slow (1013, it reconnects).
    max_queued_frames: int = 10_000
    #: … or bytes queued to it (what a frozen client can hold of the server's memory, however
    #: large the edits). A frame that finds nothing queued is always taken: a document's first
    #: sync may be larger than this.
    max_queued_bytes: int = 4 * 1024 * 1024
    #: Largest awareness state (bytes) of one client; larger closes with 4413 (final).
    max_awareness_state_bytes: int = 64 * 1024
    #: Presence states one document's room holds, whoever publishes them: past it, a new
    #: client's presence is not shown (it edits as usual) — never a refusal of the clients
    #: that send back every state they see. And client ids one connection may publish (a
    #: y-websocket connection has one); past that: 4413.
    max_awareness_states: int = 1000
    max_awareness_clients_per_connection: int = 1
    #: Largest document (bytes, an upper bound of its stored size): an update that would take it
    #: past this is refused, unapplied, and its sender closed with 4413 (final). 0: no limit.
    max_document_bytes: int = 8 * 1024 * 1024
    #: WebSocket connections (documents and séance channels together) one address may have open
    #: on one instance; one more is closed with 1008 (the client retries). Generous: a town
    #: hall's audience shares one address. 0: no limit.
    ws_connections_per_address: int = 1000
    #: Frames one WebSocket connection may send per second on average, and at once. Fast typing
    #: with cursor moves sends about 30 a second. A document connection past them is slowed
    #: down, not closed: the server stops reading from it until it is within them again, and
    #: TCP makes the client wait; the séance channel closes it with 1008. 0 per second: no limit.
    ws_messages_per_second: float = 100.0
    ws_message_burst: int = 300
    #: Seconds a document connection may go on sending faster than that, held back all along,
    #: before it is closed with 1008 as a flood (it reconnects and resyncs).
    ws_flood_seconds: float = 30.0
    #: Largest HTTP request body (bytes) of the JSON API; larger gets 413. The atelier image
    #: upload has its own limit (2 MB).
    max_request_body_bytes: int = 1024 * 1024
    #: Reverse proxies whose ``X-Forwarded-For`` gives the client address (comma-separated
    #: addresses or networks, ``*`` for any); from anyone else the header is ignored. Empty:
    #: never trusted. Every per-address limit counts that address.
    forwarded_allow_ips: str = "127.0.0.1,::1"
    #: Seconds a room stays loaded after its last client left.
    room_idle_seconds: float = 10.0
    #: Compact a document's log once it holds this many rows and ``compact_growth`` times its
    #: last snapshot's size (a large document is rewritten only when its edits pay for it) …
    compact_after_rows: int = 500
    compact_growth: float = 0.5
    #: … and whatever the snapshot's size past this many rows, or this many bytes.
    compact_max_rows: int = 4000
    compact_after_bytes: int = 4 * 1024 * 1024
    #: Seconds between a room's state-vector announcements to the other instances; an instance
    #: that missed relay messages (a Redis pause) reloads what it lacks from the store.
    anti_entropy_seconds: float = 10.0
    #: Seconds between WebSocket pings (a client that does not answer is dropped).
    ws_ping_interval: float = 20.0
    #: Accept permessage-deflate when a client offers it (browsers do). Off by default:
    #: compressing every small update once per connection was the largest cost of sending
    #: (fanout-1x200 p50 53 -> 19 ms without it, bench/RESULTS.md), and each connection keeps
    #: zlib state for it. Worth turning on only for clients on slow links with big documents.
    ws_per_message_deflate: bool = False
    #: SQLite only: ``full`` — a commit is on disk, through a power loss, before any client
    #: sees the edit; ``normal`` — it survives a crash of the process but may lose the last
    #: commits on a power loss or an OS crash, for about 1–2 ms less per commit (README).
    sqlite_synchronous: Literal["full", "normal"] = "full"
    #: SQLite only: a document append is committed on the event loop's own thread while its
    #: commits take less than this on average (ms); slower, the appends go to the writer
    #: thread for a while (``server.db.doc_store._InlineWriter``). 0: always the writer thread.
    sqlite_inline_commit_ms: float = 2.0
    #: Unknown join codes one address may try per minute before getting 429.
    join_failures_per_minute: int = 20
    #: Default lifetime of a grant minted by ``atelier grant``.
    grant_ttl_seconds: int = 12 * 3600
    #: Ateliers created within an hour before 429: by residents, per address and per
    #: participant; by a member of the city's staff, per credential.
    ateliers_per_hour: int = 10
    staff_ateliers_per_hour: int = 60
    #: Supports of residents a published subject needs before the city may constitute an
    #: atelier d'initiative citoyenne from it (« seuil atteint »).
    subject_min_supports: int = 10
    #: Subjects proposed, and supports given, within an hour from one address before 429.
    subjects_per_hour: int = 5
    supports_per_hour: int = 30
    #: Ballots (cast or changed) one participant may send per minute before 429.
    ballots_per_minute: int = 30
    #: PDFs and image decoding run in worker processes, never on the event loop: this many
    #: workers, a job longer than ``render_timeout_seconds`` is stopped (503), each worker may
    #: use ``render_memory_mb`` of memory, and past ``render_max_waiting`` jobs waiting for a
    #: worker the next gets 503 at once.
    render_workers: int = 2
    render_timeout_seconds: float = 30.0
    render_memory_mb: int = 1024
    render_max_waiting: int = 32
    #: The city's back office: hand-off events are POSTed to each URL (comma-separated).
    webhook_urls: str = ""
    #: Signs each webhook body (HMAC-SHA256); required when there are URLs.
    webhook_secret: str = ""
    #: First retry after this many seconds, doubling each time (capped at one hour).
    webhook_retry_seconds: float = 5.0
    webhook_max_attempts: int = 12
    #: The city's retention (README « Personal data »): participants with no sign of life
    #: (joining, a check-in, a request with their token) for this many days are erased, their
    #: name replaced by a pseudonym; 0: never (the default).
    retention_days_participants: int = 0
    #: Audit log entries older than this many days are deleted; 0: kept (the default).
    retention_days_audit: int = 0
    #: E-mail notifications (README « Notifications par e-mail »): the SMTP server that sends
    #: them; empty: no e-mail at all, and the public pages offer no subscription.
    smtp_host: str = ""
    #: 0: 465 with ``SMTP_TLS``, 587 with ``SMTP_STARTTLS``, else 25.
    smtp_port: int = 0
    smtp_username: str = ""
    smtp_password: str = ""
    #: Upgrade the connection with STARTTLS (port 587), or speak TLS from the start (465).
    smtp_starttls: bool = False
    smtp_tls: bool = False
    #: The sender of every message (``Atelier <atelier@ville.example>``); required with a host.
    mail_from: str = ""
    #: This site's address as people reach it (``https://atelier.ville.example``): the links in
    #: messages are absolute. Required in production with a host; else ``http://HOST:PORT``.
    public_url: str = ""
    #: First retry of a message the SMTP server did not take, doubling each time (at most an
    #: hour apart), until this many attempts; at most this many messages are sent at once.
    mail_retry_seconds: float = 30.0
    mail_max_attempts: int = 10
    mail_concurrency: int = 4
    #: Subscription requests one client address may send within an hour (429 past it).
    subscriptions_per_hour: int = 10
    #: The city's time zone (an IANA name): a séance's date and times are its wall-clock, and
    #: the instants the server prints (a version frozen at…) are said in it.
    time_zone: str = "Europe/Paris"

    def __post_init__(self) -> None:
        positive = (
            "port",
            "max_frame_bytes",
            "max_queued_frames",
            "max_queued_bytes",
            "max_awareness_state_bytes",
            "max_awareness_states",
            "max_awareness_clients_per_connection",
            "compact_after_rows",
            "compact_max_rows",
            "compact_after_bytes",
            "grant_ttl_seconds",
            "join_failures_per_minute",
            "webhook_max_attempts",
            "ballots_per_minute",
            "ateliers_per_hour",
            "staff_ateliers_per_hour",
            "subject_min_supports",
            "subjects_per_hour",
            "supports_per_hour",
            "webhook_retry_seconds",
            "ws_message_burst",
            "max_request_body_bytes",
            "ws_flood_seconds",
            "render_workers",
            "render_timeout_seconds",
            "render_memory_mb",
            "mail_retry_seconds",
            "mail_max_attempts",
            "mail_concurrency",
            "subscriptions_per_hour",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive")
        non_negative = {  # what 0 means
            "max_document_bytes": "no limit",
            "ws_connections_per_address": "no limit",
            "ws_messages_per_second": "no limit",
            "anti_entropy_seconds": "off",
            "compact_growth": "compact past the row count alone",
            "render_max_waiting": "503 whenever every render worker is busy",
            "retention_days_participants": "participants are never erased for inactivity",
            "retention_days_audit": "the audit log is kept",
        }
        for name, zero in non_negative.items():
            if getattr(self, name) < 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be >= 0 (0: {zero})")
        _check_proxies(self.trusted_proxies)
        _check_time_zone(self.time_zone)
        if self.room_idle_seconds < 0 or self.ws_ping_interval <= 0:
            raise SettingsError(
                f"{PREFIX}ROOM_IDLE_SECONDS must be >= 0 and {PREFIX}WS_PING_INTERVAL > 0"
            )
        if not re.match(r"^(sqlite\+aiosqlite|postgresql\+asyncpg)://", self.database_url):
            raise SettingsError(
                f"{PREFIX}DATABASE_URL must start with sqlite+aiosqlite:// or "
                f"postgresql+asyncpg://, got {self.database_url!r}"
            )
        if self.redis_url and not re.match(r"^rediss?://", self.redis_url):
            raise SettingsError(f"{PREFIX}REDIS_URL must start with redis:// or rediss://")
        if self.env == "production" and len(self.secret_key) < 32:
            raise SettingsError(
                f"{PREFIX}SECRET_KEY is required in production and must be at least 32 characters"
            )

        for url in self.webhooks:
            if not re.match(r"^https?://[^\s/]+", url):
                raise SettingsError(f"{PREFIX}WEBHOOK_URLS: not an http(s) URL: {url!r}")
        if self.webhooks and len(self.webhook_secret) < 16:
            raise SettingsError(
                f"{PREFIX}WEBHOOK_SECRET is required with webhook URLs (at least 16 characters)"
            )

        _check_mail(self)

    @property
    def trusted_proxies(self) -> list[str]:
        return [entry.strip() for entry in self.forwarded_allow_ips.split(",") if entry.strip()]

    @property
    def webhooks(self) -> list[str]:
        return [url.strip() for url in self.webhook_urls.split(",") if url.strip()]

    @property
    def mail_enabled(self) -> bool:
        """E-mail notifications are on: an SMTP host is set."""
        return bool(self.smtp_host)

    @property
    def site_url(self) -> str:
        """This site's address, for absolute links in messages (no trailing slash)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def signing_key(self) -> str:
        return self.secret_key or DEV_SECRET_KEY

    @property
    def uses_dev_key(self) -> bool:
        return not self.secret_key


def _check_mail(settings: Settings) -> None:
    if settings.smtp_port < 0 or settings.smtp_port > 65535:
        raise SettingsError(f"{PREFIX}SMTP_PORT must be between 0 and 65535")
    if settings.smtp_tls and settings.smtp_starttls:
        raise SettingsError(f"{PREFIX}SMTP_TLS and {PREFIX}SMTP_STARTTLS exclude each other")
    if settings.smtp_host:
        if not re.match(r"^[^\s@<>]+@[^\s@<>]+>?$", settings.mail_from.rsplit("<", 1)[-1]):
            raise SettingsError(
                f"{PREFIX}MAIL_FROM is required with {PREFIX}SMTP_HOST "
                "(an address, or « Name <address> »)"
            )
        if settings.env == "production" and not settings.public_url:
            raise SettingsError(
                f"{PREFIX}PUBLIC_URL is required in production with {PREFIX}SMTP_HOST "
                "(the links in messages are absolute)"
            )
    if settings.public_url and not re.match(r"^https?://[^\s/]+(/\S*)?$", settings.public_url):
        raise SettingsError(f"{PREFIX}PUBLIC_URL: not an http(s) URL: {settings.public_url!r}")


def _check_proxies(entries: list[str]) -> None:
    for entry in entries:
        if entry != "*":
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise SettingsError(
                    f"{PREFIX}FORWARDED_ALLOW_IPS: not an address, a network or '*': {entry!r}"
                ) from None


#: Files of the zone database that name no place: the browser's ``Intl`` refuses them.
_NOT_PLACES = {"localtime", "posixrules", "Factory"}


def _check_time_zone(name: str) -> None:
    try:
        if name in _NOT_PLACES:
            raise ValueError(name)
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # ValueError: a name that is no file name (« ../x », « »); either way, said plainly.
        raise SettingsError(
            f"{PREFIX}TIME_ZONE: unknown time zone {name!r} "
            "(an IANA name such as Europe/Paris or America/Montreal)"
        ) from None


_FIELDS = set(Settings.__struct_fields__)


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from the environment (``os.environ`` by default) plus explicit overrides."""
    environ = os.environ if environ is None else environ
    raw: dict[str, object] = {}
    for key, value in environ.items():
        if key.startswith(PREFIX):
            name = key[len(PREFIX) :].lower()
            if name in _FIELDS:
                raw[name] = value
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = re.search(r"at `\$\.(\w+)`", message)
        if match:
            variable = PREFIX + match.group(1).upper()
            raise SettingsError(f"{variable}: {message.split(' - at', maxsplit=1)[0]}") from None
        raise SettingsError(message) from None

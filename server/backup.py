"""Backups: one atelier, or everything, written to one archive and read back into an instance.

``atelier export`` and ``atelier import`` call :func:`export_archive` and :func:`import_archive`.

The archive is a gzip-compressed tar, readable with ``tar -xzf``::

    manifest.json        what the archive is (below); always the first member
    ateliers.jsonl       one JSON object per line, one line per row, the columns by name
    sessions.jsonl       … one member per table, in the order rows must be inserted
    …

``manifest.json`` holds ``format`` (``"atelier-export"``), ``format_version`` (1: changed
whenever an older reader could misread the archive), ``schema_revision`` (the Alembic revision
of the database it was read from), ``created_at``, ``source_dialect``, ``atelier_id`` (``null``:
everything), ``parts`` (for each table: its member, row count, the SHA-256 of the member's bytes
and each column's kind), ``chains`` (each proposal's latest version hash, for a reader to compare
with the council's) and ``excluded`` (the tables left out, and why).

Values: ``binary`` columns (Yjs updates, snapshots, version states, images) are standard
base64; ``datetime`` columns are RFC 3339 in UTC (``…Z``); ``json`` columns are the JSON value
itself; the rest are JSON strings, numbers, booleans or ``null``. Nothing is re-encoded: a
document's update log and snapshot are the stored bytes, a version's content and state are what
its hash was computed over, so the chain verifies after an import with the same hashes.

What is exported is exactly what the database holds, nothing derived and nothing joined. Rows
are written in primary-key order, never in insertion order: ballots of a secret poll have random
ids and ``poll_voters`` is keyed by participant, so neither order, in the archive or in the
database it is imported into, can tie a ballot to a voter. The export is one read transaction
(REPEATABLE READ, read-only on PostgreSQL; a deferred read transaction on SQLite, whose WAL
gives it one snapshot): every part is of the same moment, even while the server is running.

One atelier is its row and every row that belongs to it: séances, participants, invitations,
attendance, charter versions, image, activity, audit log, polls, ballots, voters, proposals,
their versions, events, contributions and hand-off events, and its documents — each proposal's
live document and those of its earlier drafts (``prop-{id}``, and the ones its ``draft`` events
name). A document no proposal names (one opened with an ``atelier grant``) is exported only
with everything.

Left out: ``webhook_deliveries``, the sending state of this instance's webhooks (its URLs, its
lease times). Imported elsewhere, a pending delivery would be sent a second time, by an instance
nobody asked to, while the source may still be sending it itself — under a new event id the
receiver could not recognise. The hand-off events themselves are exported (they are the history
of what was handed over); the import marks each of them as already announced for every URL the
importing instance is configured with, so that old steps are not announced again. The back
office reads where things stand from the council API.

Access grants and participant tokens are not stored (they are signed, not looked up): they keep
working on the importing instance if it has the same ``ATELIER_SECRET_KEY``.

Import refuses, with :class:`ArchiveError` and nothing written: an archive whose checksums or
counts do not match (damaged), of an unknown format version, of another schema revision than the
database's (import it with the version of Atelier that made it, then ``atelier db upgrade``), a
row whose key already exists (no merge, no overwrite), a value the database refuses, and a
version chain that does not verify. It all runs in one transaction. Integer keys the database
assigns itself (update log rows, activity, audit, events, attendance) are assigned again by the
importing database, in the archive's order, so an atelier can be imported beside others; every
key with a meaning outside the database — atelier, séance, participant, proposal, document, poll
and ballot ids, version numbers and hashes — is kept as is.

On SQLite the import holds the database's write lock until it commits: a running server's
writes wait meanwhile (its rooms retry past the busy timeout), so a large import is best run
with the server stopped. On PostgreSQL it only locks what it inserts.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import tarfile
import tempfile
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import msgspec
from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    DateTime,
    Integer,
    LargeBinary,
    Table,
    select,
    text,
    true,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.proposals import verify_chain
from server.db.models import Base

__all__ = [
    "EXCLUDED",
    "FORMAT",
    "FORMAT_VERSION",
    "ArchiveError",
    "ImportReport",
    "Manifest",
    "Part",
    "export_archive",
    "import_archive",
    "read_manifest",
]

FORMAT = "atelier-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

#: Tables an export leaves out, and why (every other table of the schema is exported).
EXCLUDED: dict[str, str] = {
    "webhook_deliveries": (
        "this instance's sending state (URLs, leases, retries): imported elsewhere, pending "
        "deliveries would be sent twice under new event ids; hand-off events are exported"
    ),
    "search_entries": (
        "derived from the public ateliers, proposals, subjects and projects: the server rebuilds "
        "it (at start when empty, or `atelier search reindex`)"
    ),
    "subscriptions": (
        "e-mail addresses, kept only for the subscriptions of this instance (README "
        "« Notifications par e-mail »): an archive carries no address; subscribers subscribe again"
    ),
    "subscription_tokens": "unsubscribe links' tokens of those subscriptions",
    "mail_outbox": "messages owed to those subscribers: this instance's sending state",
    "credentials": (
        "the operator's credentials of this instance (city staff, council service): an archive "
        "restored elsewhere must not bring access with it; the operator issues new ones there"
    ),
}

#: What an imported hand-off event's delivery row says, for each configured webhook URL.
IMPORTED_NOT_SENT = "imported from a backup: not announced again"

_BATCH = 500  # rows per INSERT, and ids per existence check


class ArchiveError(Exception):
    """The archive cannot be exported or imported as asked; the message says why. Nothing was
    written (an export leaves no file, an import no row)."""


class Part(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    table: str
    member: str
    rows: int
    sha256: str
    columns: dict[str, str]  # name -> text, integer, boolean, datetime, binary, json


class Manifest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    format: str
    format_version: int
    schema_revision: str
    created_at: str
    source_dialect: str
    atelier_id: str | None
    parts: list[Part]
    chains: dict[str, str]
    excluded: dict[str, str]

    def rows(self) -> dict[str, int]:
        return {p.table: p.rows for p in self.parts}


@dataclass
class ImportReport:
    manifest: Manifest
    rows: dict[str, int] = field(default_factory=dict)
    chains_verified: int = 0


# --- columns ----------------------------------------------------------------------------------


def _kind(column: Any) -> str:
    kind = column.type
    kind = getattr(kind, "impl_instance", kind)  # a TypeDecorator (UtcDateTime): what it stores
    if isinstance(kind, LargeBinary):
        return "binary"
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, JSON):
        return "json"
    if isinstance(kind, Boolean):
        return "boolean"
    if isinstance(kind, Integer):
        return "integer"
    return "text"


def _utc(moment: datetime) -> str:
    # SQLite hands back naive datetimes; every stored time is UTC.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


_ENCODE: dict[str, Callable[[Any], Any]] = {
    "binary": lambda v: base64.b64encode(v).decode("ascii"),
    "datetime": _utc,
}
_DECODE: dict[str, Callable[[Any], Any]] = {
    "binary": lambda v: base64.b64decode(v, validate=True),
    "datetime": datetime.fromisoformat,
}


def _surrogate(table: Table) -> str | None:
    """The name of a key the database assigns (an autoincrement integer), if the table has one."""
    keys = list(table.primary_key.columns)
    if len(keys) == 1 and keys[0].autoincrement is True and _kind(keys[0]) == "integer":
        return str(keys[0].name)
    return None


def _tables() -> list[Table]:
    """Every exported table, parents before children (the order rows are inserted in)."""
    return [t for t in Base.metadata.sorted_tables if t.name not in EXCLUDED]


# --- what belongs to one atelier ------------------------------------------------------------


async def _scope(conn: AsyncConnection, atelier_id: str) -> dict[str, ColumnElement[bool]]:
    """For each exported table, the rows of ``atelier_id``."""
    t = Base.metadata.tables
    proposals, events = t["proposals"], t["proposal_events"]
    of_sessions = select(t["sessions"].c.id).where(t["sessions"].c.atelier_id == atelier_id)
    of_polls = select(t["polls"].c.id).where(t["polls"].c.atelier_id == atelier_id)
    of_proposals = select(proposals.c.id).where(proposals.c.atelier_id == atelier_id)
    documents: set[str] = set()
    for proposal_id, doc_id in await conn.execute(
        select(proposals.c.id, proposals.c.doc_id).where(proposals.c.atelier_id == atelier_id)
    ):
        documents |= {doc_id, f"prop-{proposal_id}"}  # the live one, and the first draft's
    for (details,) in await conn.execute(
        select(events.c.details).where(
            events.c.step == "draft", events.c.proposal_id.in_(of_proposals)
        )
    ):
        if isinstance(details, dict) and isinstance(details.get("doc_id"), str):
            documents.add(details["doc_id"])
    scope: dict[str, ColumnElement[bool]] = {
        "ateliers": t["ateliers"].c.id == atelier_id,
        "attendance": t["attendance"].c.session_id.in_(of_sessions),
        "ballots": t["ballots"].c.poll_id.in_(of_polls),
        "poll_voters": t["poll_voters"].c.poll_id.in_(of_polls),
        "proposal_versions": t["proposal_versions"].c.proposal_id.in_(of_proposals),
        "proposal_events": events.c.proposal_id.in_(of_proposals),
        "contributions": t["contributions"].c.proposal_id.in_(of_proposals),
        "version_names": t["version_names"].c.proposal_id.in_(of_proposals),
        "documents": t["documents"].c.id.in_(sorted(documents)),
        "document_updates": t["document_updates"].c.document_id.in_(sorted(documents)),
        "document_history": t["document_history"].c.document_id.in_(sorted(documents)),
        "document_authors": t["document_authors"].c.document_id.in_(sorted(documents)),
    }
    # A subject belongs to the atelier it became; its supports, steps and rankings with it.
    of_subjects = select(t["subjects"].c.id).where(t["subjects"].c.atelier_id == atelier_id)
    for name in ("subject_supports", "subject_events", "subject_rankings"):
        scope[name] = t[name].c.subject_id.in_(of_subjects)
    for table in _tables():
        if table.name not in scope and "atelier_id" in table.c:
            scope[table.name] = table.c.atelier_id == atelier_id
    missing = [table.name for table in _tables() if table.name not in scope]
    if missing:  # a new table must say how it belongs to an atelier (tests check it too)
        raise ArchiveError(f"no rule says which rows of {missing} belong to an atelier")
    return scope


# --- export -----------------------------------------------------------------------------------


async def _revision(conn: AsyncConnection) -> str:
    try:
        found = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:
        found = None
    if not found:
        raise ArchiveError("this database has no schema yet (run `atelier db upgrade`)")
    return str(found)


@contextlib.asynccontextmanager
async def _snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One read transaction: every table read from the same state."""
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            conn = await connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        else:
            conn = await connection.execution_options(read_only=True)  # a deferred BEGIN
        async with conn.begin():
            yield conn


async def export_archive(
    engine: AsyncEngine, path: Path, *, atelier_id: str | None = None
) -> Manifest:
    """Write everything (or one atelier) to a new archive at ``path``; return its manifest.

    The archive appears at ``path`` only once complete (written beside it, then renamed).
    Raises :class:`ArchiveError` if ``path`` exists or the atelier does not.
    """
    # Files are read and written in the loop's thread: export and import run from the CLI,
    # where nothing else shares the loop.
    if path.exists():  # noqa: ASYNC240
        raise ArchiveError(f"{path} already exists")
    created_at = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="atelier-export-") as folder:
        parts: list[Part] = []
        heads: dict[str, tuple[int, str]] = {}
        async with _snapshot(engine) as conn:
            revision = await _revision(conn)
            if atelier_id is not None:
                ateliers = Base.metadata.tables["ateliers"]
                if await conn.scalar(select(ateliers.c.id).where(ateliers.c.id == atelier_id)):
                    scope = await _scope(conn, atelier_id)
                else:
                    raise ArchiveError(f"no atelier {atelier_id!r} in this database")
            for table in _tables():
                where = scope[table.name] if atelier_id is not None else true()
                parts.append(await _write_part(conn, table, where, Path(folder), heads))
        manifest = Manifest(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            schema_revision=revision,
            created_at=_utc(created_at),
            source_dialect=engine.dialect.name,
            atelier_id=atelier_id,
            parts=parts,
            chains={proposal: head for proposal, (_, head) in sorted(heads.items())},
            excluded=EXCLUDED,
        )
        partial = path.with_name(f".{path.name}.partial")
        try:
            with tarfile.open(partial, "w:gz", format=tarfile.PAX_FORMAT) as tar:
                body = msgspec.json.format(msgspec.json.encode(manifest), indent=2)
                _add(tar, MANIFEST, len(body), created_at, io.BytesIO(body))
                for part in parts:
                    member = Path(folder) / part.member
                    with member.open("rb") as data:
                        _add(tar, part.member, member.stat().st_size, created_at, data)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _add(tar: tarfile.TarFile, name: str, size: int, at: datetime, data: IO[bytes]) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(at.timestamp()), 0o644
    tar.addfile(info, data)


async def _write_part(
    conn: AsyncConnection,
    table: Table,
    where: ColumnElement[bool],
    folder: Path,
    heads: dict[str, tuple[int, str]],
) -> Part:
    columns = {str(c.name): _kind(c) for c in table.columns}
    encoders = [(name, _ENCODE.get(kind)) for name, kind in columns.items()]
    member = f"{table.name}.jsonl"
    digest, rows = hashlib.sha256(), 0
    # Key order, never insertion order (see the module's docstring: secret ballots).
    query = select(table).where(where).order_by(*table.primary_key.columns)
    with (folder / member).open("wb") as out:
        result = await conn.stream(query.execution_options(yield_per=_BATCH))
        async for row in result.mappings():
            record = {
                name: (value if encode is None or value is None else encode(value))
                for (name, encode), value in zip(encoders, row.values(), strict=True)
            }
            if table.name == "proposal_versions":
                number, proposal = record["number"], record["proposal_id"]
                if number > heads.get(proposal, (0, ""))[0]:
                    heads[proposal] = (number, record["hash"])
            line = msgspec.json.encode(record) + b"\n"
            digest.update(line)
            out.write(line)
            rows += 1
    return Part(str(table.name), member, rows, digest.hexdigest(), columns)


# --- reading an archive -----------------------------------------------------------------------

_DAMAGED = (tarfile.TarError, EOFError, zlib.error, OSError, UnicodeDecodeError)


@contextlib.contextmanager
def _open(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        with tarfile.open(path, "r:*") as tar:
            yield tar
    except _DAMAGED as exc:
        raise ArchiveError(f"{path}: damaged archive ({exc})") from None


def _member(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    try:
        found = tar.extractfile(name)
    except KeyError:
        found = None
    if found is None:
        raise ArchiveError(f"damaged archive: {name} is missing")
    return found


def read_manifest(path: Path) -> Manifest:
    """The archive's manifest, after checking what it says against every part.

    Raises :class:`ArchiveError` for anything that is not an archive this version of Atelier
    can read whole: not a tar, no manifest, another format or format version, a part missing,
    extra, or whose bytes or row count differ from the manifest's.
    """
    with _open(path) as tar:
        raw = _member(tar, MANIFEST).read()
        try:
            header = msgspec.json.decode(raw)
        except msgspec.DecodeError as exc:
            raise ArchiveError(f"damaged archive: unreadable manifest ({exc})") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ArchiveError(f"{path} is not an Atelier export")
        if header.get("format_version") != FORMAT_VERSION:
            raise ArchiveError(
                f"archive format version {header.get('format_version')!r} is not one this "
                f"version of Atelier reads ({FORMAT_VERSION}); import it with a version that does"
            )
        try:
            manifest = msgspec.json.decode(raw, type=Manifest)
        except msgspec.ValidationError as exc:
            raise ArchiveError(f"damaged archive: bad manifest ({exc})") from None
        listed = {p.member for p in manifest.parts}
        present = {m.name for m in tar.getmembers() if m.name != MANIFEST}
        if present != listed:
            raise ArchiveError(
                f"damaged archive: members {sorted(present ^ listed)} differ from the manifest"
            )
        for part in manifest.parts:
            digest, rows = hashlib.sha256(), 0
            for line in _member(tar, part.member):
                digest.update(line)
                rows += 1
            if digest.hexdigest() != part.sha256 or rows != part.rows:
                raise ArchiveError(
                    f"damaged archive: {part.member} does not match its checksum "
                    f"({rows} rows, {part.rows} expected)"
                )
    return manifest


def _rows(tar: tarfile.TarFile, part: Part) -> Iterator[dict[str, Any]]:
    decoders = {name: _DECODE[kind] for name, kind in part.columns.items() if kind in _DECODE}
    for line in _member(tar, part.member):
        record: dict[str, Any] = msgspec.json.decode(line)
        for name, decode in decoders.items():
            if record.get(name) is not None:
                record[name] = decode(record[name])
        yield record


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# --- import -----------------------------------------------------------------------------------


async def import_archive(
    engine: AsyncEngine, path: Path, *, webhook_urls: Sequence[str] = ()
) -> ImportReport:
    """Insert the archive's rows into the database, in one transaction; see the module's
    docstring for what is refused. ``webhook_urls``: the importing instance's, for which every
    imported hand-off event is marked as already announced."""
    manifest = read_manifest(path)
    tables = Base.metadata.tables
    for part in manifest.parts:
        table = tables.get(part.table)
        if table is None or part.table in EXCLUDED:
            raise ArchiveError(f"archive table {part.table!r} is not one this database holds")
        expected = {str(c.name): _kind(c) for c in table.columns}
        if part.columns != expected:
            raise ArchiveError(f"archive table {part.table!r} has other columns than the database")
    report = ImportReport(manifest)
    try:
        async with engine.begin() as conn:
            revision = await _revision(conn)
            if revision != manifest.schema_revision:
                raise ArchiveError(
                    f"the archive is of schema revision {manifest.schema_revision}, this database "
                    f"of {revision}: import it with the version of Atelier that made it, into an "
                    "empty database, then run `atelier db upgrade`"
                )
            chains: set[str] = set()
            with _open(path) as tar:
                for part in manifest.parts:
                    rows = _rows(tar, part)
                    if part.table == "proposal_versions":
                        rows = _noting(rows, "proposal_id", chains)
                    report.rows[part.table] = await _insert(
                        conn, tables[part.table], rows, webhook_urls
                    )
            report.chains_verified = await _verify_chains(conn, manifest, chains)
    except DBAPIError as exc:
        first = str(exc.orig or exc).strip().splitlines()[0]
        raise ArchiveError(f"the database refused the import, nothing written: {first}") from None
    return report


async def _insert(
    conn: AsyncConnection,
    table: Table,
    rows: Iterator[dict[str, Any]],
    webhook_urls: Sequence[str],
) -> int:
    surrogate = _surrogate(table)
    keys = list(table.primary_key.columns)
    count = 0
    for batch in _batches(rows):
        if surrogate is not None:
            for row in batch:
                del row[surrogate]  # the importing database assigns its own, in this order
        elif len(keys) == 1:
            await _refuse_existing(conn, table, [row[str(keys[0].name)] for row in batch])
        if table.name == "handoff_events" and webhook_urls:
            ids = await conn.scalars(
                table.insert().returning(table.c.id, sort_by_parameter_order=True), batch
            )
            await _mark_announced(conn, list(ids), webhook_urls)
        else:
            await conn.execute(table.insert(), batch)
        count += len(batch)
    return count


async def _refuse_existing(conn: AsyncConnection, table: Table, ids: list[Any]) -> None:
    """No merge, no overwrite: a key already in the database stops the import. (Tables keyed
    by several columns hang off one of these: an atelier, a proposal, a poll.)"""
    (key,) = table.primary_key.columns
    found = list(await conn.scalars(select(key).where(key.in_(ids)).limit(3)))
    if found:
        raise ArchiveError(
            f"already in this database: {table.name} {', '.join(map(str, found))} — "
            "an import adds, it never merges nor overwrites"
        )


async def _mark_announced(conn: AsyncConnection, ids: list[int], urls: Sequence[str]) -> None:
    deliveries = Base.metadata.tables["webhook_deliveries"]
    moment = datetime.now(UTC)
    await conn.execute(
        deliveries.insert(),
        [
            {
                "event_id": event_id,
                "url": url,
                "attempts": 0,
                "next_attempt_at": moment,
                "delivered_at": moment,
                "last_status": None,
                "last_error": IMPORTED_NOT_SENT,
            }
            for event_id in ids
            for url in urls
        ],
    )


def _noting(rows: Iterator[dict[str, Any]], key: str, seen: set[str]) -> Iterator[dict[str, Any]]:
    for row in rows:
        seen.add(row[key])
        yield row


async def _verify_chains(conn: AsyncConnection, manifest: Manifest, imported: set[str]) -> int:
    """Every imported chain verifies and ends where the manifest says; else the import fails."""
    versions = Base.metadata.tables["proposal_versions"]
    for proposal_id in sorted(imported | set(manifest.chains)):
        head = manifest.chains.get(proposal_id)
        rows = (
            (
                await conn.execute(
                    select(versions)
                    .where(versions.c.proposal_id == proposal_id)
                    .order_by(versions.c.number)
                )
            )
            .mappings()
            .all()
        )
        broken = verify_chain([dict(r) for r in rows])
        if broken is not None or not rows or rows[-1]["hash"] != head:
            where = f"at version {broken}" if broken is not None else "at its head"
            raise ArchiveError(
                f"the version chain of proposal {proposal_id} does not verify {where}: "
                "the archive was altered; nothing was imported"
            )
    return len(imported | set(manifest.chains))

"""Backups: `atelier export` / `atelier import` of an atelier or of everything, across SQLite
and PostgreSQL. An imported archive verifies with the same hashes and the same texts; a damaged,
altered or already imported archive is refused and leaves nothing behind."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pycrdt import Doc, Text, XmlFragment
from sqlalchemy import select, text

from collab.render import section_texts
from collab.store import merge
from domain.templates import TEMPLATES
from server.backup import (
    EXCLUDED,
    IMPORTED_NOT_SENT,
    ArchiveError,
    export_archive,
    import_archive,
    read_manifest,
)
from server.db.doc_store import SqlDocumentStore
from server.db.models import Base
from server.state import create_engine
from tests.conftest import ROOT, TEST_SECRET, ServerProcess, migrated_database
from tests.server.test_ateliers_api import Room
from tests.server.test_polls_api import act, new_poll, read, vote
from tests.server.test_versions_api import new_proposal, paragraph, post
from tests.ypy_client import connect

pytestmark = pytest.mark.slow

WEBHOOK_ENV = {
    "ATELIER_WEBHOOK_URLS": "http://127.0.0.1:9/back-office",  # never called: nothing is due
    "ATELIER_WEBHOOK_SECRET": "webhook-secret-0123456789",
}


def cli(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`atelier …` through its real entry point, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            **os.environ,
            "ATELIER_DATABASE_URL": database_url,
            "ATELIER_SECRET_KEY": TEST_SECRET,
            **env,
        },
    )


# --- a lived-in atelier ---------------------------------------------------------------------


@dataclass
class World:
    """Two ateliers on one server; ``room`` (A) is the one exported, ``other`` (B) is not."""

    server: ServerProcess
    room: Room
    other: Room
    proposal: dict[str, Any]
    other_proposal: dict[str, Any]
    polls: list[dict[str, Any]]
    voters: dict[str, str]
    archive: Path
    hashes: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    attendance: dict[str, int] = field(default_factory=dict)


async def co_edit(server: ServerProcess, doc_id: str, *writers: tuple[str, Any]) -> None:
    """Several people type in one document at once; returns once every edit is acknowledged."""
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            (await stack.enter_async_context(connect(server.doc_url(doc_id, token=token))), edit)
            for token, edit in writers
        ]
        for client, edit in clients:
            client.edit_doc(edit)
        for client, _ in clients:
            await client.round_trip()
        keys = TEMPLATES["fiche_action"].keys

        def seen(doc: Doc[Any]) -> dict[str, str]:
            return section_texts(doc, keys)

        for client, _ in clients:  # each sees the others' edits before the next step
            await client.wait_for(lambda c=client: seen(c.doc) == seen(clients[0][0].doc))


def populate(server: ServerProcess, archive: Path) -> World:
    from PIL import Image

    http = httpx.Client(base_url=server.http, timeout=30)
    room, other = Room(http), Room(http)
    voters = {name: room.token_of(name) for name in ("Ana", "Bruno", "Chloé")}
    voters["Agnès"] = room.token_of("Agnès", "agent", invitation_code=room.invite("agent"))
    room.invite("elu")  # an invitation left unused
    for name in ("Ana", "Bruno", "Agnès"):
        checked = http.post(
            f"/api/sessions/{room.session['id']}/check-in", headers=room.auth(voters[name])
        )
        assert checked.status_code == 200, checked.text
    http.post(f"/api/sessions/{room.session['id']}/check-out", headers=room.auth(voters["Bruno"]))
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 60)).save(picture, format="PNG")
    assert (
        http.put(
            f"/api/ateliers/{room.atelier['id']}/image",
            content=picture.getvalue(),
            headers=room.auth(room.facilitator),
        ).status_code
        == 200
    )

    proposal = new_proposal(room, session_id=room.session["id"])
    asyncio.run(
        co_edit(
            server,
            proposal["doc_id"],
            (voters["Ana"], paragraph("constat", "Les trottoirs sont trop étroits.")),
            (voters["Bruno"], paragraph("proposition", "Élargir la rue Kageneck.")),
            (room.facilitator, paragraph("moyens", "Budget participatif 2018.")),
        )
    )
    secret = new_poll(room)
    public = new_poll(room, method="plurality", params={}, secret=False)
    for poll in (secret, public):
        assert act(room, poll, "open").status_code == 200
    for name, dots in (("Ana", {"o1": 2, "o2": 1}), ("Bruno", {"o2": 2}), ("Agnès", {"o3": 1})):
        assert vote(room, secret, voters[name], {"dots": dots}).status_code == 200
    for name, choice in (("Ana", "o1"), ("Chloé", "o2"), ("Bruno", "o1")):
        assert vote(room, public, voters[name], {"choice": choice}).status_code == 200
    for poll in (secret, public):
        assert act(room, poll, "close").status_code == 200
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    asyncio.run(
        co_edit(
            server,
            proposal["doc_id"],
            (voters["Chloé"], paragraph("constat", "Et les vélos n’ont pas de place.")),
            (voters["Ana"], paragraph("proposition", "Une zone de rencontre.")),
        )
    )
    assert post(room, f"/api/proposals/{proposal['id']}/freeze").status_code == 201
    assert post(room, f"/api/proposals/{proposal['id']}/transmit").json()["status"] == "transmise"

    other_proposal = new_proposal(other, title="Une boîte à livres")
    asyncio.run(
        co_edit(
            server,
            other_proposal["doc_id"],
            (other.facilitator, paragraph("constat", "Rien à lire au square.")),
        )
    )
    assert post(other, f"/api/proposals/{other_proposal['id']}/freeze").status_code == 201

    world = World(server, room, other, proposal, other_proposal, [secret, public], voters, archive)
    world.hashes = versions_of(room, proposal)
    world.results = {p["id"]: read(room, p, room.facilitator) for p in world.polls}
    world.attendance = session_of(room)["attendance_by_role"]
    return world


def versions_of(room: Room, proposal: dict[str, Any]) -> list[str]:
    listed = room.http.get(
        f"/api/proposals/{proposal['id']}/versions", headers=room.auth(room.facilitator)
    )
    assert listed.status_code == 200, listed.text
    return [v["hash"] for v in listed.json()["versions"]]


def session_of(room: Room) -> dict[str, Any]:
    found = room.http.get(
        f"/api/sessions/{room.session['id']}", headers=room.auth(room.facilitator)
    )
    assert found.status_code == 200, found.text
    return dict(found.json())


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Populated sources, one per engine, built once for the module and exported (atelier A)
    through the CLI while their server runs."""
    built: dict[str, World] = {}
    with contextlib.ExitStack() as stack:

        def world(kind: str) -> World:
            if kind not in built:
                folder = tmp_path_factory.mktemp(f"source-{kind}")
                url = stack.enter_context(migrated_database(kind, folder))
                server = stack.enter_context(
                    ServerProcess(url, log_path=folder / "server.log").running()
                )
                found = populate(server, folder / "atelier-a.tar.gz")
                stack.callback(found.room.http.close)
                exported = cli(
                    "export",
                    "--atelier",
                    found.room.atelier["id"],
                    "-o",
                    str(found.archive),
                    database_url=url,
                )
                assert exported.returncode == 0, exported.stderr
                assert exported.stdout.splitlines()[-1] == str(found.archive)
                built[kind] = found
            return built[kind]

        yield world


# --- reading databases --------------------------------------------------------------------------


def _normal(table: Any, row: dict[str, Any]) -> dict[str, Any]:
    """A row as both engines and the archive can agree on it: times as UTC ISO strings, and
    without the integer key the database assigns (an import assigns new ones)."""
    for column in table.columns:
        value = row[column.name]
        if isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=UTC)
            row[column.name] = aware.astimezone(UTC).isoformat()
    keys = list(table.primary_key.columns)
    if len(keys) == 1 and keys[0].autoincrement is True:
        row.pop(keys[0].name)
    return row


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: json.dumps(r, default=repr, sort_keys=True))


async def table_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, normalised (:func:`_normal`), in a stable order."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return {
                table.name: _ordered(
                    [
                        _normal(table, dict(r))
                        for r in (await conn.execute(select(table))).mappings()
                    ]
                )
                for table in Base.metadata.sorted_tables
            }
    finally:
        await engine.dispose()


def archive_rows(archive: Path) -> dict[str, list[dict[str, Any]]]:
    """What the archive holds, read with nothing but ``json`` and ``base64``, normalised."""
    parts = members(archive)
    out = {}
    for part in read_manifest(archive).parts:
        rows = [json.loads(line) for line in parts[part.member].splitlines()]
        for row in rows:
            for name, kind in part.columns.items():
                if row[name] is not None and kind == "binary":
                    row[name] = base64.b64decode(row[name])
                elif row[name] is not None and kind == "datetime":
                    row[name] = datetime.fromisoformat(row[name])
        table = Base.metadata.tables[part.table]
        out[part.table] = _ordered([_normal(table, row) for row in rows])
    return out


async def count_rows(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return {
                t.name: int(await conn.scalar(text(f"SELECT count(*) FROM {t.name}")) or 0)
                for t in Base.metadata.sorted_tables
            }
    finally:
        await engine.dispose()


async def texts(url: str, doc_ids: list[str]) -> dict[str, dict[str, str]]:
    """Each document's sections as pycrdt reads them from the store (snapshot + log)."""
    engine = create_engine(url)
    store = SqlDocumentStore(engine)
    out = {}
    try:
        for doc_id in doc_ids:
            doc: Doc[Any] = Doc()
            doc.apply_update(merge(await store.load(doc_id)))
            out[doc_id] = {
                **section_texts(doc, TEMPLATES["fiche_action"].keys),
                "t": str(doc.get("t", type=Text)),
            }
    finally:
        await store.close()
        await engine.dispose()
    return out


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def repack(archive: Path, out: Path, change: Any) -> None:
    """The archive with ``change(members)`` applied, written as a new tar.gz."""
    parts = members(archive)
    change(parts)
    with tarfile.open(out, "w:gz") as tar:
        for name, body in parts.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))


# --- round trips ------------------------------------------------------------------------------


def served_as_before(world: World, url: str, log: Path) -> None:
    """A server on the imported database answers as the source did."""
    room, proposal_id = world.room, world.proposal["id"]
    with (
        ServerProcess(url, log_path=log).running() as target,
        httpx.Client(base_url=target.http, timeout=20) as http,
    ):
        verified = http.get(
            f"/api/proposals/{proposal_id}/verify", headers=room.auth(room.facilitator)
        ).json()
        assert verified == {
            "proposal_id": proposal_id,
            "valid": True,
            "versions": 2,
            "first_broken": None,
            "head": world.hashes[-1],
        }
        listed = http.get(
            f"/api/proposals/{proposal_id}/versions", headers=room.auth(room.facilitator)
        ).json()
        assert [v["hash"] for v in listed["versions"]] == world.hashes
        for poll in world.polls:
            again = http.get(f"/api/polls/{poll['id']}", headers=room.auth(room.facilitator))
            before = world.results[poll["id"]]
            for key in ("results", "turnout", "status"):
                assert again.json()[key] == before[key], key
        seance = http.get(
            f"/api/sessions/{room.session['id']}", headers=room.auth(room.facilitator)
        ).json()
        # Who is in the room: Bruno checked out, and the archive kept the time he left.
        assert seance["attendance_by_role"] == world.attendance == {"habitant": 1, "agent": 1}

        async def open_doc() -> str:
            async with connect(
                target.doc_url(world.proposal["doc_id"], token=room.facilitator)
            ) as client:
                return str(client.doc.get("constat", type=XmlFragment))

        assert "vélos" in asyncio.run(open_doc())  # the live document opens where it was


@pytest.mark.postgres
@pytest.mark.parametrize(("source", "target"), [("sqlite", "postgresql"), ("postgresql", "sqlite")])
def test_an_exported_atelier_imports_into_an_empty_instance_and_verifies(
    worlds: Any, source: str, target: str, tmp_path: Path
) -> None:
    world: World = worlds(source)
    room = world.room
    with migrated_database(target, tmp_path) as url:
        imported = cli("import", str(world.archive), database_url=url, **WEBHOOK_ENV)
        assert imported.returncode == 0, imported.stderr
        assert "1 version chains verified" in imported.stdout
        # Exactly what the archive holds, row for row (the update log and snapshot byte for
        # byte), before any server opens them.
        target_rows = asyncio.run(table_rows(url))
        expected = archive_rows(world.archive)
        assert target_rows.pop("webhook_deliveries") != []
        assert target_rows.pop("credentials") == []  # access does not travel in archives
        # The search index is not carried: the import builds it from what it brought.
        assert {row["kind"] for row in target_rows.pop("search_entries")} == {"atelier", "proposal"}
        # No e-mail address travels: subscribers of the old instance subscribe again.
        for table in ("subscriptions", "subscription_tokens", "mail_outbox"):
            assert target_rows.pop(table) == []
        assert target_rows == expected

        # The same tokens work: they are signed with the same key, and every id was kept.
        served_as_before(world, url, tmp_path / "target.log")

        # The same texts as the source (where the log may have been compacted since).
        doc_ids = [world.proposal["doc_id"]]
        after = asyncio.run(texts(url, doc_ids))
        assert after == asyncio.run(texts(world.server.database_url, doc_ids))
        assert after[doc_ids[0]]["proposition"] == (
            "Élargir la rue Kageneck.\n\nUne zone de rencontre."
        )
        source_rows = asyncio.run(table_rows(world.server.database_url))
        a, b = room.atelier["id"], world.other.atelier["id"]
        for name in ("ateliers", "sessions", "participants", "attendance", "ballots", "polls"):
            assert target_rows[name], name
            assert all(r in source_rows[name] for r in target_rows[name]), name
        assert [r["id"] for r in target_rows["ateliers"]] == [a]
        assert b not in str(target_rows)
        # The imported hand-off events are not announced again to this instance's webhook.
        deliveries = asyncio.run(table_rows(url))["webhook_deliveries"]
        assert len(deliveries) == len(target_rows["handoff_events"]) == 1
        assert deliveries[0]["last_error"] == IMPORTED_NOT_SENT
        assert deliveries[0]["delivered_at"] is not None

        # A second import of the same archive is refused, and changes nothing.
        counts = asyncio.run(count_rows(url))
        again = cli("import", str(world.archive), database_url=url)
        assert again.returncode != 0
        assert "already in this database: ateliers " + a in again.stderr
        assert asyncio.run(count_rows(url)) == counts


def test_an_export_of_one_atelier_holds_nothing_of_another(worlds: Any) -> None:
    world: World = worlds("sqlite")
    parts = members(world.archive)
    manifest = read_manifest(world.archive)
    assert manifest.atelier_id == world.room.atelier["id"]
    everything = b"".join(parts.values()).decode()
    other = world.other
    for foreign in (
        other.atelier["id"],
        other.session["id"],
        other.session["join_code"],
        world.other_proposal["id"],
        world.other_proposal["doc_id"],
    ):
        assert foreign not in everything
    rows = {p.table: p.rows for p in manifest.parts}
    assert rows["ateliers"] == 1
    assert rows["documents"] == 1  # A's one proposal's; not B's
    assert rows["proposal_versions"] == 2
    assert rows["atelier_images"] == 1
    assert (rows["frozen_images"], rows["version_images"]) == (1, 2)  # one image, both versions
    assert rows["handoff_events"] == 1
    assert manifest.chains == {world.proposal["id"]: world.hashes[-1]}


def test_secret_ballots_are_exported_as_stored_in_key_order_with_no_link_added(
    worlds: Any,
) -> None:
    world: World = worlds("sqlite")
    parts = members(world.archive)
    secret, public = world.polls
    ballots = [json.loads(line) for line in parts["ballots.jsonl"].splitlines()]
    voters = [json.loads(line) for line in parts["poll_voters.jsonl"].splitlines()]
    assert [b["id"] for b in ballots] == sorted(b["id"] for b in ballots)
    assert [(v["poll_id"], v["participant_id"]) for v in voters] == sorted(
        (v["poll_id"], v["participant_id"]) for v in voters
    )
    assert set(voters[0]) == {"poll_id", "participant_id", "entered"}  # no time, no order
    columns = {c.name for c in Base.metadata.tables["ballots"].columns}
    assert all(set(b) == columns for b in ballots)
    assert all(b["participant_id"] is None for b in ballots if b["poll_id"] == secret["id"])
    assert all(b["participant_id"] for b in ballots if b["poll_id"] == public["id"])


def test_everything_exported_from_an_instance_imports_identical(
    worlds: Any, tmp_path: Path
) -> None:
    """The whole instance, the seed's demo included, with a document no proposal names."""
    world: World = worlds("sqlite")
    source = world.server.database_url
    assert cli("demo", database_url=source).returncode == 0

    async def stray_document() -> None:
        async with connect(world.server.doc_url("brouillon-libre")) as client:
            client.edit(lambda t: t.insert(0, "notes sans proposition"))
            await client.round_trip()

    asyncio.run(stray_document())
    archive = tmp_path / "all.tar.gz"
    exported = cli("export", "-o", str(archive), database_url=source)
    assert exported.returncode == 0, exported.stderr
    manifest = read_manifest(archive)
    assert manifest.atelier_id is None
    assert {p.table for p in manifest.parts} | set(EXCLUDED) == set(Base.metadata.tables)
    assert {p.table for p in manifest.parts} & set(EXCLUDED) == set()
    refused = cli("export", "-o", str(archive), database_url=source)
    assert refused.returncode != 0
    assert "already exists" in refused.stderr

    with migrated_database("sqlite", tmp_path) as url:
        imported = cli("import", str(archive), database_url=url)
        assert imported.returncode == 0, imported.stderr
        after = asyncio.run(table_rows(url))
        assert after.pop("webhook_deliveries") == []
        assert after.pop("credentials") == []
        after.pop("search_entries")  # derived, built by the import (tests/server/test_search_index)
        for table in ("subscriptions", "subscription_tokens", "mail_outbox"):
            assert after.pop(table) == []  # no e-mail address travels
        assert after == archive_rows(archive)
        doc_ids = sorted({r["id"] for r in after["documents"]})
        assert "brouillon-libre" in doc_ids
        assert len(doc_ids) >= 5
        assert asyncio.run(texts(url, doc_ids)) == asyncio.run(texts(source, doc_ids))


# --- refusals ---------------------------------------------------------------------------------


def _forge_version(parts: dict[str, bytes]) -> None:
    """Someone changes what version 1 says and rewrites the checksums to match."""
    lines = parts["proposal_versions.jsonl"].splitlines(keepends=True)
    version = json.loads(lines[0])
    version["created_by"] = "Quelqu’un d’autre"
    lines[0] = json.dumps(version, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    parts["proposal_versions.jsonl"] = b"".join(lines)
    manifest = json.loads(parts["manifest.json"])
    for part in manifest["parts"]:
        if part["member"] == "proposal_versions.jsonl":
            part["sha256"] = hashlib.sha256(parts["proposal_versions.jsonl"]).hexdigest()
    parts["manifest.json"] = json.dumps(manifest).encode()


def _flip_text(parts: dict[str, bytes]) -> None:
    parts["proposals.jsonl"] = parts["proposals.jsonl"].replace(b"Un jardin", b"Un parking")


def _future_format(parts: dict[str, bytes]) -> None:
    manifest = json.loads(parts["manifest.json"])
    manifest["format_version"] = 2
    parts["manifest.json"] = json.dumps(manifest).encode()


def _drop_member(parts: dict[str, bytes]) -> None:
    del parts["ballots.jsonl"]


def _damage_document(parts: dict[str, bytes]) -> None:
    """One byte of the document flipped: in its log, or in its snapshot once compacted."""
    member = "document_updates.jsonl" if parts["document_updates.jsonl"] else "documents.jsonl"
    key = "data" if member == "document_updates.jsonl" else "snapshot"
    lines = parts[member].splitlines(keepends=True)
    row = json.loads(lines[0])
    data = bytearray(base64.b64decode(row[key]))
    data[len(data) // 2] ^= 0xFF
    row[key] = base64.b64encode(bytes(data)).decode()
    lines[0] = json.dumps(row, separators=(",", ":")).encode() + b"\n"
    parts[member] = b"".join(lines)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_flip_text, "proposals.jsonl does not match its checksum"),
        (_damage_document, r"documents?(_updates)?\.jsonl does not match its checksum"),
        (_drop_member, "differ from the manifest"),
        (_future_format, "format version 2 is not one this version of Atelier reads"),
        (_forge_version, "does not verify at version 1"),
    ],
)
def test_a_damaged_or_altered_archive_is_refused_and_nothing_is_written(
    worlds: Any, tmp_path: Path, change: Any, message: str
) -> None:
    world: World = worlds("sqlite")
    altered = tmp_path / "altered.tar.gz"
    repack(world.archive, altered, change)
    with migrated_database("sqlite", tmp_path) as url:
        empty = asyncio.run(count_rows(url))

        async def attempt() -> None:
            engine = create_engine(url)
            try:
                with pytest.raises(ArchiveError, match=message):
                    await import_archive(engine, altered)
            finally:
                await engine.dispose()

        asyncio.run(attempt())
        assert asyncio.run(count_rows(url)) == empty


def test_a_truncated_archive_is_refused_by_the_command_with_a_clear_message(
    worlds: Any, tmp_path: Path
) -> None:
    world: World = worlds("sqlite")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(world.archive.read_bytes()[: world.archive.stat().st_size // 2])
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(gzip.compress(b"not a tar at all"))
    with migrated_database("sqlite", tmp_path) as url:
        for path in (truncated, garbage):
            result = cli("import", str(path), database_url=url)
            assert result.returncode == 1
            assert "damaged archive" in result.stderr
            assert "Traceback" not in result.stderr
        assert not any(asyncio.run(count_rows(url)).values())


def test_an_unknown_atelier_is_refused_and_leaves_no_file(tmp_path: Path, sqlite_url: str) -> None:
    out = tmp_path / "none.tar.gz"
    result = cli("export", "--atelier", "nope", "-o", str(out), database_url=sqlite_url)
    assert result.returncode == 1
    assert "no atelier 'nope'" in result.stderr
    assert list(tmp_path.glob("*.tar.gz")) == []
    assert list(tmp_path.glob(".*partial")) == []


@pytest.mark.postgres
def test_on_postgresql_the_export_reads_one_repeatable_read_snapshot(tmp_path: Path) -> None:
    from server.backup import _snapshot

    async def isolation(url: str) -> tuple[str, str]:
        engine = create_engine(url)
        try:
            async with _snapshot(engine) as conn:
                level = await conn.scalar(text("SHOW transaction_isolation"))
                read_only = await conn.scalar(text("SHOW transaction_read_only"))
        finally:
            await engine.dispose()
        return str(level), str(read_only)

    with migrated_database("postgresql", tmp_path) as url:
        assert asyncio.run(isolation(url)) == ("repeatable read", "on")

    async def export_empty(url: str) -> None:
        engine = create_engine(url)
        try:
            manifest = await export_archive(engine, tmp_path / "empty.tar.gz")
        finally:
            await engine.dispose()
        assert not any(manifest.rows().values())

    with migrated_database("postgresql", tmp_path) as url:
        asyncio.run(export_empty(url))

"""The search index (issue 22, #4) on SQLite (FTS5) and PostgreSQL (``atelier_fr``): French
stems and accents, ranking, the index following every change in the same transaction, private
things never indexed, any input answered."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.models import (
    AtelierRow,
    ProjectMilestoneRow,
    ProjectRow,
    ProposalRow,
    ProposalVersionRow,
    SearchEntryRow,
    SubjectRow,
)
from server.db.writes import reading, transaction
from server.public.search import Hit, search
from server.search_index import (
    Entry,
    forget,
    index_entry,
    query_stems,
    reindex,
    reindex_if_empty,
    stem,
)
from server.state import create_engine
from tests.server.test_settings_and_cli import run_cli

T = TypeVar("T")

QUARTIER = "Créer des ateliers de quartier au service des projets"


def run(database_url: str, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    async def main() -> T:
        engine = create_engine(database_url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _id() -> str:
    return uuid.uuid4().hex[:12]


async def atelier(
    engine: AsyncEngine,
    title: str,
    subject: str = "",
    *,
    listed: bool = True,
    neighbourhood: str | None = None,
    instances: tuple[str, ...] = (),
) -> str:
    atelier_id = _id()
    async with transaction(engine) as session:
        session.add(
            AtelierRow(
                id=atelier_id,
                title=title,
                subject=subject,
                kind="projet",
                scope="quartier" if neighbourhood else "ville",
                neighbourhood=neighbourhood,
                instances=list(instances),
                status="active",
                listed=listed,
            )
        )
    return atelier_id


async def proposal(
    engine: AsyncEngine, atelier_id: str, title: str, text_: str | None = None
) -> str:
    """A proposal; frozen (published) with ``text_`` as its version's text when given, else a
    draft."""
    proposal_id = _id()
    async with transaction(engine) as session:
        session.add(
            ProposalRow(
                id=proposal_id,
                atelier_id=atelier_id,
                kind="fiche_action",
                title=title,
                doc_id=f"doc-{proposal_id}",
                status="figee" if text_ is not None else "brouillon",
            )
        )
        if text_ is not None:
            await session.flush()
            session.add(version(proposal_id, 1, text_))
    return proposal_id


def version(proposal_id: str, number: int, text_: str) -> ProposalVersionRow:
    return ProposalVersionRow(
        proposal_id=proposal_id,
        number=number,
        created_at="2026-12-07T10:00:00Z",
        created_by="test",
        prev_hash="0" * 64,
        hash=uuid.uuid4().hex * 2,
        content={"sections": [{"id": "constat", "text": text_}]},
        state=b"\x00\x00",
    )


async def titles(engine: AsyncEngine, q: str, **filters: Any) -> list[str]:
    return [h.title for h in await search(engine, q, **filters)]


async def entries(engine: AsyncEngine) -> list[tuple[str, str, str]]:
    async with reading(engine) as session:
        rows = await session.execute(
            select(SearchEntryRow.kind, SearchEntryRow.ref, SearchEntryRow.title).order_by(
                SearchEntryRow.kind, SearchEntryRow.title
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_french_words_meet_their_plurals_accents_and_case(database_url: str) -> None:
    async def work(engine: AsyncEngine) -> None:
        await atelier(engine, QUARTIER, "Un atelier pour la démocratie locale.")
        await atelier(engine, "Les écoles du Neudorf", "Des cours d’école plus vertes.")
        await atelier(engine, "Création d’un jardin", "Une création partagée, des créations.")
        assert await titles(engine, "quartiers") == [QUARTIER]
        assert await titles(engine, "QUARTIER") == [QUARTIER]
        assert await titles(engine, "ecole") == ["Les écoles du Neudorf"]
        assert await titles(engine, "ÉCOLES") == ["Les écoles du Neudorf"]
        assert await titles(engine, "democratie") == [QUARTIER]  # in the text
        assert await titles(engine, "créations") == ["Création d’un jardin"]
        # What the French Snowball stemmer really does: « créer » is cut to « cre », « création »
        # keeps its « -ation »: the verb does not find the noun, on either engine.
        assert (stem("creer"), stem("creation")) == ("cre", "creation")
        assert await titles(engine, "Créer") == [QUARTIER]
        # Every word is required; stop words alone find nothing.
        assert await titles(engine, "quartier girafe") == []
        assert await titles(engine, "de la des") == []
        assert query_stems("de la des") == ()

    run(database_url, work)


def test_a_title_hit_ranks_before_a_text_hit(database_url: str) -> None:
    async def work(engine: AsyncEngine) -> None:
        body = await atelier(
            engine, "Mobilités douces", "Un jardin partagé au pied des immeubles, un jardin."
        )
        title = await atelier(engine, "Le jardin des Poteries", "Des bacs et des graines.")
        hits = await search(engine, "jardins")
        assert [h.id for h in hits] == [title, body]
        assert hits[0].title_html == "Le <mark>jardin</mark> des Poteries"
        assert "<mark>jardin</mark> partagé" in hits[1].excerpt

    run(database_url, work)


def test_excerpts_are_escaped_and_marked(database_url: str) -> None:
    async def work(engine: AsyncEngine) -> None:
        parent = await atelier(engine, "<script>alert(1)</script> quartier", "<img src=x>")
        await proposal(
            engine,
            parent,
            "Une proposition",
            "Constat : la démocratie locale <b>vivante</b> manque de relais & d’élan.",
        )
        (hit,) = await search(engine, "democratie relais")
        assert hit.kind == "proposal"
        assert hit.atelier_id == parent
        assert hit.url == f"/decouvrir/ateliers/{parent}"
        assert "<mark>démocratie</mark>" in hit.excerpt
        assert "<mark>relais</mark>" in hit.excerpt
        assert "&lt;b&gt;vivante&lt;/b&gt;" in hit.excerpt
        assert "<b>" not in hit.excerpt
        (shown,) = await search(engine, "quartier", kind="atelier")
        assert shown.title_html == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>quartier</mark>"
        assert "<img" not in shown.excerpt

    run(database_url, work)


def test_the_index_follows_every_change_in_its_transaction(database_url: str) -> None:
    async def work(engine: AsyncEngine) -> None:
        atelier_id = await atelier(engine, "Les berges de l’Ill", "Se promener au bord de l’eau.")
        assert await titles(engine, "berges") == ["Les berges de l’Ill"]

        # Renamed: found by its new name, no longer by the old one.
        async with transaction(engine) as session:
            row = await session.get(AtelierRow, atelier_id)
            assert row is not None
            row.title = "Les quais du Rhin"
        assert await titles(engine, "quais") == ["Les quais du Rhin"]
        assert await titles(engine, "berges") == []

        # A proposal: not while a draft; found once frozen, with its text; its new version's
        # text replaces the old one; gone once archived.
        draft = await proposal(engine, atelier_id, "Des bancs le long des quais")
        assert await titles(engine, "bancs") == []
        async with transaction(engine) as session:
            found = await session.get(ProposalRow, draft)
            assert found is not None
            found.status = "figee"
            session.add(version(draft, 1, "Des bancs en chêne, à l’ombre des platanes."))
        assert await titles(engine, "platanes") == ["Des bancs le long des quais"]
        async with transaction(engine) as session:
            session.add(version(draft, 2, "Des bancs en mélèze près des tilleuls."))
        assert await titles(engine, "tilleuls") == ["Des bancs le long des quais"]
        assert await titles(engine, "platanes") == []
        async with transaction(engine) as session:
            found = await session.get(ProposalRow, draft)
            assert found is not None
            found.archived_at = found.created_at
        assert await titles(engine, "bancs") == []

        # A change rolled back leaves the index as it was.
        async def rename_then_fail() -> None:
            async with transaction(engine) as session:
                row = await session.get(AtelierRow, atelier_id)
                assert row is not None
                row.title = "Les écluses"
                await session.flush()
                raise RuntimeError("changed my mind")

        with pytest.raises(RuntimeError):
            await rename_then_fail()
        assert await titles(engine, "ecluses") == []
        assert await titles(engine, "quais") == ["Les quais du Rhin"]

        # Unlisted: the atelier and its proposals disappear.
        await proposal(engine, atelier_id, "Des quais fleuris", "Des fleurs sur les quais.")
        assert len(await search(engine, "quais")) == 2
        async with transaction(engine) as session:
            row = await session.get(AtelierRow, atelier_id)
            assert row is not None
            row.listed = False
        assert await search(engine, "quais") == []
        assert await entries(engine) == []

    run(database_url, work)


def test_private_things_are_never_indexed(database_url: str) -> None:
    async def work(engine: AsyncEngine) -> None:
        hidden = await atelier(engine, "Quartiers oubliés", "Pas encore approuvé.", listed=False)
        await proposal(engine, hidden, "Publiée mais l’atelier est caché", "Un texte publié.")
        shown = await atelier(engine, "Un atelier montré")
        await proposal(engine, shown, "Brouillon secret sur les quartiers")
        assert await entries(engine) == [("atelier", shown, "Un atelier montré")]
        assert await search(engine, "quartiers") == []
        assert await search(engine, "secret") == []
        # And a rebuild indexes no more than the changes did.
        assert await reindex(engine) == 1
        assert await entries(engine) == [("atelier", shown, "Un atelier montré")]

    run(database_url, work)


def test_a_rebuild_finds_what_the_changes_indexed(database_url: str) -> None:
    async def work(engine: AsyncEngine) -> None:
        first = await atelier(engine, "Vélo en ville", "Des pistes cyclables sûres.")
        await proposal(engine, first, "Un garage à vélos", "Des arceaux couverts à la gare.")
        before = await entries(engine)
        assert len(before) == 2
        assert await reindex_if_empty(engine) is None  # not empty: left alone
        async with transaction(engine) as session:
            await session.execute(text("DELETE FROM search_entries"))
            if engine.dialect.name == "sqlite":
                await session.execute(text("DELETE FROM search_fts"))
        assert await search(engine, "velos") == []
        assert await reindex_if_empty(engine) == 2
        assert await entries(engine) == before
        assert await titles(engine, "cyclable") == ["Vélo en ville"]
        assert await titles(engine, "garages") == ["Un garage à vélos"]
        assert await reindex(engine) == 2
        assert len(await search(engine, "arceaux gare")) == 1

    run(database_url, work)


def test_filters_by_kind_and_quartier(database_url: str) -> None:
    async def work(engine: AsyncEngine) -> None:
        neudorf = await atelier(engine, "Fête du Neudorf", "Une fête.", neighbourhood="Neudorf")
        await atelier(engine, "Fête de la ville", "Une autre fête.")
        await proposal(engine, neudorf, "Une fête en juin", "La fête des voisins.")
        assert len(await search(engine, "fete")) == 3
        assert await titles(engine, "fete", kind="proposal") == ["Une fête en juin"]
        assert sorted(await titles(engine, "fete", quartier="neudörf")) == [
            "Fête du Neudorf",
            "Une fête en juin",
        ]
        assert await titles(engine, "fete", quartier="ville") == ["Fête de la ville"]
        assert await titles(engine, "fete", kind="subject") == []
        # The quartier is a word of the atelier's entry too, and so are its instances, kind
        # and state (found, never shown).
        assert "Fête du Neudorf" in await titles(engine, "neudorf")
        youth = await atelier(engine, "Un skatepark", "Des rampes.", instances=("CDJ",))
        assert [h.id for h in await search(engine, "skatepark conseil jeunes")] == [youth]
        assert [h.id for h in await search(engine, "CDJ")] == [youth]
        assert [h.id for h in await search(engine, "skatepark actif")] == [youth]
        assert await search(engine, "skatepark constitution") == []

    run(database_url, work)


def test_other_public_things_are_written_and_forgotten_by_their_services(
    database_url: str,
) -> None:
    async def work(engine: AsyncEngine) -> None:
        subject = Entry(
            kind="subject",
            ref="s-1",
            title="Un composteur collectif",
            url="/decouvrir/sujets/s-1",
            body="Composter les déchets du quartier.",
            quartier="Neudorf",
        )
        async with transaction(engine) as session:
            await index_entry(session, subject)
        (hit,) = await search(engine, "composteurs")
        assert (hit.kind, hit.url, hit.quartier) == ("subject", "/decouvrir/sujets/s-1", "Neudorf")
        async with transaction(engine) as session:
            await index_entry(session, Entry(**{**subject.__dict__, "title": "Un poulailler"}))
        assert await titles(engine, "poulailler") == ["Un poulailler"]
        assert len(await entries(engine)) == 1
        async with transaction(engine) as session:
            await forget(session, "subject", "s-1")
        assert await search(engine, "poulailler") == []
        assert await entries(engine) == []

    run(database_url, work)


HOSTILE = [
    "quartier " * 600,
    "🏘️🎉",
    "مدينة 城市 город",
    '"',
    '"quartier',
    "*",
    "quartier*",
    "NEAR(quartier jardin)",
    "-quartier",
    "quartier OR jardin",
    "title:quartier",
    "'; DROP TABLE search_entries; --",
    "\x00\x02\x03",
    "!!!???",
    "^quartier",
    "quartier AND NOT",
    "(((",
    "x" * 10_000,
]


def test_any_input_answers_with_results_or_nothing(database_url: str) -> None:
    async def work(engine: AsyncEngine) -> list[list[Hit]]:
        await atelier(engine, QUARTIER, "Un jardin au pied des immeubles.")
        return [await search(engine, q) for q in HOSTILE]

    answers = run(database_url, work)
    assert all(isinstance(found, list) for found in answers)
    assert answers[1] == []
    assert answers[2] == []
    assert [h.title for h in answers[0]] == [QUARTIER]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(q=st.text(max_size=300))
def test_no_query_is_an_error(database_url: str, q: str) -> None:
    """Generated text (any script, controls, quotes, FTS5 and tsquery syntax) after a word
    that is there: a list, never an exception."""

    async def work(engine: AsyncEngine) -> list[Hit]:
        if not await entries(engine):
            await atelier(engine, QUARTIER, "Un jardin au pied des immeubles.")
        return await search(engine, "quartier " + q)

    assert isinstance(run(database_url, work), list)


def test_subjects_and_projects_are_found_once_public(database_url: str) -> None:
    async def work(engine: AsyncEngine) -> None:
        subject_id = _id()
        async with transaction(engine) as session:
            session.add(
                SubjectRow(
                    id=subject_id,
                    title="Des toilettes publiques au parc",
                    why="Les familles du quartier n’ont nulle part où aller.",
                    neighbourhood="Koenigshoffen",
                    initiator_name="Hortense Introuvable",
                    show_name=True,
                    state="en_moderation",
                )
            )
        assert await search(engine, "toilettes") == []  # waiting for moderation: not public
        async with transaction(engine) as session:
            row = await session.get(SubjectRow, subject_id)
            assert row is not None
            row.state = "publie"
        (hit,) = await search(engine, "toilette familles")
        assert (hit.kind, hit.url, hit.quartier) == (
            "subject",
            f"/decouvrir/sujets/{subject_id}",
            "Koenigshoffen",
        )
        assert await search(engine, "Hortense Introuvable") == []  # never a person's name
        assert await titles(engine, "toilettes", quartier="koenigshoffen") == [hit.title]

        parent = await atelier(engine, "Mobilités", "Se déplacer autrement.")
        proposal_id = await proposal(engine, parent, "Une piste", "Une piste le long du canal.")
        project_id = _id()
        now = datetime.now(UTC)
        async with transaction(engine) as session:
            session.add(
                ProjectRow(
                    id=project_id,
                    proposal_id=proposal_id,
                    atelier_id=parent,
                    title="Piste cyclable du canal",
                    state="en_cours",
                    service="Direction de la mobilité",
                    created_at=now,
                    updated_at=now,
                )
            )
            await session.flush()
            session.add(
                ProjectMilestoneRow(
                    id=_id(),
                    project_id=project_id,
                    atelier_id=parent,
                    position=1,
                    label="Marquage au sol",
                    created_at=now,
                )
            )
        (found,) = await search(engine, "marquage", kind="project")
        assert (found.id, found.url, found.atelier_title) == (
            project_id,
            f"/decouvrir/projets/{project_id}",
            "Mobilités",
        )
        assert [h.id for h in await search(engine, "piste canal en cours")] == [project_id]
        async with transaction(engine) as session:
            project = await session.get(ProjectRow, project_id)
            assert project is not None
            project.state = "realisee"
        assert [h.id for h in await search(engine, "piste réalisée")] == [project_id]
        # A rebuild finds them again; a refused subject and an unlisted atelier's project go.
        assert await reindex(engine) == 4  # the subject, the atelier, its proposal, its project
        async with transaction(engine) as session:
            row = await session.get(SubjectRow, subject_id)
            assert row is not None
            row.state = "refuse"
            host = await session.get(AtelierRow, parent)
            assert host is not None
            host.listed = False
        assert await search(engine, "toilettes") == []
        assert await search(engine, "marquage") == []
        assert await entries(engine) == []

    run(database_url, work)


def test_the_command_rebuilds_the_index(database_url: str) -> None:
    """``atelier search reindex`` on a database whose index was lost finds everything again."""

    async def seed(engine: AsyncEngine) -> None:
        parent = await atelier(engine, "Les jardins ouvriers", "Des parcelles à partager.")
        await proposal(engine, parent, "Un puits", "Un puits pour arroser les parcelles.")
        async with transaction(engine) as session:
            await session.execute(text("DELETE FROM search_entries"))
            if engine.dialect.name == "sqlite":
                await session.execute(text("DELETE FROM search_fts"))

    run(database_url, seed)
    result = run_cli("search", "reindex", env={"ATELIER_DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "2 entries indexed"

    async def found(engine: AsyncEngine) -> list[str]:
        return await titles(engine, "parcelles")

    assert sorted(run(database_url, found)) == ["Les jardins ouvriers", "Un puits"]


def test_a_savepoint_rolled_back_keeps_what_came_before_it(database_url: str) -> None:
    async def work(engine: AsyncEngine) -> None:
        atelier_id = await atelier(engine, "La halle aux grains")
        other = await atelier(engine, "Le marché couvert")
        async with transaction(engine) as session:
            row = await session.get(AtelierRow, atelier_id)
            assert row is not None
            row.title = "La halle aux fruits"
            await session.flush()
            savepoint = await session.begin_nested()
            moved = await session.get(AtelierRow, other)
            assert moved is not None
            moved.title = "Le marché de nuit"
            await session.flush()
            await savepoint.rollback()
        assert await titles(engine, "fruits") == ["La halle aux fruits"]
        assert await titles(engine, "grains") == []
        assert await titles(engine, "marche") == ["Le marché couvert"]

    run(database_url, work)

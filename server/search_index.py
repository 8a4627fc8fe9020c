"""The search index of what is public (issue 22, #4): one row per listed atelier, published
proposal, published subject and project in ``search_entries``, and each engine's full-text
index beside it (migration 0019).

* **PostgreSQL**: ``document`` is ``title`` (weight A), ``body`` (B) and ``tags`` (C) through
  the ``atelier_fr`` configuration — accents folded by ``unaccent``, then French Snowball
  stems — under a GIN index.
* **SQLite**: the FTS5 table ``search_fts`` (rowid = the entry's id) holds the same three
  texts as French Snowball stems (:func:`stems`), one stem for each word of the text, in
  order — so that the words FTS5 marks in a stems column are the words at the same places in
  the text (``server.public.search`` writes the excerpts from them).

The index follows the data **inside the transactions that change it**: a listener on every
ORM session notes the ateliers whose public face a flush changed (an atelier's title, text,
quartier, instances, kind, state or listing; a proposal's title, status, archive; a new frozen
version) and, just before the commit, writes their entries again (:func:`index_atelier`) — so a
service cannot forget to, and a rolled-back change leaves the index as it was. Other public
things are written with :func:`index_entry` / :func:`forget` from their services, and
rebuilt by the providers registered with :func:`provider`. ``atelier search reindex`` and a
server starting on an empty index rebuild everything (:func:`reindex`).

Nothing private is indexed: only listed ateliers, proposals frozen at least (not archived) of
listed ateliers, titles and texts — never a name, a ballot or a participant.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, cast
from urllib.parse import quote

from sqlalchemy import (
    Connection,
    Table,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from domain.ateliers import AtelierKind, AtelierStatus, Instance, Scope
from domain.projects import ProjectState
from domain.proposals import ProposalStatus
from domain.subjects import SubjectState
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

__all__ = [
    "KINDS",
    "STOP_WORDS",
    "Entry",
    "clean",
    "fold",
    "forget",
    "index_atelier",
    "index_entry",
    "install",
    "place_key",
    "provider",
    "query_stems",
    "reindex",
    "reindex_if_empty",
    "stem",
    "stems",
    "tokens",
]

log = logging.getLogger("atelier.search")

#: What the index holds.
KINDS: Final = ("atelier", "proposal", "subject", "project")
#: A text is indexed up to this many characters (a proposal is far shorter).
MAX_TEXT: Final = 60_000

_T: Final = cast(Table, SearchEntryRow.__table__)
_ATELIER_PAGE: Final = "/decouvrir/ateliers/"
_SUBJECT_PAGE: Final = "/decouvrir/sujets/"
_PROJECT_PAGE: Final = "/decouvrir/projets/"

# --- words ------------------------------------------------------------------------------------

#: A word: letters and digits (``_`` and everything else separate words), as FTS5's
#: ``unicode61`` splits them.
_TOKEN: Final = re.compile(r"[^\W_]+")
#: Control characters a text may hold: removed before indexing (two of them mark hits).
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def fold(word: str) -> str:
    """``word`` in lower case without accents: « Démocratie » → « democratie », « Œuvre » →
    « oeuvre » (as ``unaccent`` folds them)."""
    lowered = word.casefold().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


#: PostgreSQL's French stop words (``tsearch_data/french.stop``), folded: a query made of them
#: only finds nothing, on both engines.
STOP_WORDS: Final = frozenset(
    fold(w)
    for w in """
au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me même
mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton
tu un une vos votre vous c d j l à m n s t y été étée étées étés étant étante étants étantes
suis es est sommes êtes sont serai seras sera serons serez seront serais serait serions seriez
seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez
soient fusse fusses fût fussions fussiez fussent ayant ayante ayantes ayants eu eue eues eus ai
as avons avez ont aurai auras aura aurons aurez auront aurais aurait aurions auriez auraient
avais avait avions aviez avaient eut eûmes eûtes eurent aie aies ait ayons ayez aient eusse
eusses eût eussions eussiez eussent
""".split()  # noqa: SIM905 (the list as PostgreSQL ships it, easier to compare)
)


@functools.cache
def _stemmer() -> Any:
    # Loaded with the first word stemmed (the first search, or the first public page indexed),
    # not with the server.
    import snowballstemmer

    return snowballstemmer.stemmer("french")


def tokens(text: str) -> list[re.Match[str]]:
    """The words of ``text``, with their places."""
    return list(_TOKEN.finditer(text))


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A folded word's French stem (Snowball, as PostgreSQL's ``french_stem``), always one
    token of ``[a-z0-9]``: a stem in another script is written as its UTF-8 in hexadecimal
    after a ``q``, so that FTS5 reads exactly one token for each word."""
    found = str(_stemmer().stemWord(word)) or word
    if found.isascii() and found.isalnum():
        return found.lower()
    return "q" + found.encode("utf-8", "surrogatepass").hex()


def stems(text: str) -> str:
    """``text`` as the stems of its words, in order, separated by spaces (stop words too: the
    n-th stem is the n-th word)."""
    return " ".join(stem(fold(m.group())) for m in _TOKEN.finditer(text))


def query_stems(query: str) -> tuple[str, ...]:
    """The stems a query asks for, in order, each once, stop words left out."""
    seen: dict[str, None] = {}
    for match in _TOKEN.finditer(query):
        word = fold(match.group())
        if word and word not in STOP_WORDS:
            seen.setdefault(stem(word), None)
    return tuple(seen)


def place_key(quartier: str | None) -> str:
    """How the index files a place: a neighbourhood's name folded (« Neudorf », « neudörf »
    → ``neudorf``), or ``ville`` for the whole city."""
    name = " ".join((quartier or "").split())
    return fold(name) if name else "ville"


def clean(value: str | None, limit: int = MAX_TEXT) -> str:
    """``value`` without control characters (NUL among them, which PostgreSQL refuses in a
    text), cut to ``limit`` characters."""
    return _CONTROL.sub("", value or "")[:limit]


# --- entries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One public thing as the index holds it. ``body`` is shown in excerpts; ``tags`` are
    found but not shown (quartier, instances, kind, state). ``url`` is its public page."""

    kind: str
    ref: str
    title: str
    url: str
    body: str = ""
    tags: str = ""
    quartier: str | None = None
    atelier_id: str | None = None
    atelier_title: str | None = None
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


#: What a visitor may read of a proposal: frozen at least; a draft is the atelier's own.
_PUBLISHED: Final = tuple(s.value for s in ProposalStatus if s is not ProposalStatus.BROUILLON)
_PROPOSAL_STATES: Final = {
    ProposalStatus.FIGEE.value: "figée",
    ProposalStatus.TRANSMISE.value: "transmise au conseil municipal",
    ProposalStatus.EN_INSTRUCTION.value: "en instruction",
    ProposalStatus.ADOPTEE.value: "adoptée",
    ProposalStatus.AJOURNEE.value: "ajournée",
    ProposalStatus.REJETEE.value: "rejetée",
}
_PROPOSAL_KINDS: Final = {"fiche_action": "fiche-action", "synthese": "synthèse"}


def _text(content: Any, title: str = "") -> str:
    """The plain text of a frozen version's sections, one a line (no names: only each
    section's text; a section that only repeats the title is left out)."""
    if not isinstance(content, dict):
        return ""
    sections = content.get("sections")
    if not isinstance(sections, list):
        return ""
    texts = (str(s.get("text") or "").strip() for s in sections if isinstance(s, dict))
    return "\n".join(t for t in texts if t and t != title.strip())


def _atelier_entries(conn: Connection, atelier_id: str) -> list[Entry]:
    """The entries of a listed atelier and its published proposals; none when it is not
    listed (or not there)."""
    row = conn.execute(
        select(
            AtelierRow.title,
            AtelierRow.subject,
            AtelierRow.kind,
            AtelierRow.scope,
            AtelierRow.neighbourhood,
            AtelierRow.instances,
            AtelierRow.status,
            AtelierRow.updated_at,
        ).where(AtelierRow.id == atelier_id, AtelierRow.listed.is_(True))
    ).one_or_none()
    if row is None:
        return []
    title, subject, kind, scope, neighbourhood, instances, status, updated_at = row
    quartier = neighbourhood if scope == Scope.QUARTIER.value and neighbourhood else None
    place = quartier or "ville"
    url = _ATELIER_PAGE + quote(atelier_id)
    words = [place]
    if kind in AtelierKind._value2member_map_:
        words += [AtelierKind(kind).label_fr, AtelierKind(kind).abbreviation]
    if scope in Scope._value2member_map_:
        words.append(Scope(scope).label_fr)
    if status in AtelierStatus._value2member_map_:
        words.append(AtelierStatus(status).label_fr)
    for code in instances or ():
        if code in Instance.__members__:
            words += [code, Instance(code).name_fr]
    entries = [
        Entry(
            kind="atelier",
            ref=atelier_id,
            title=title,
            url=url,
            body=subject or "",
            tags=" · ".join(words),
            quartier=quartier,
            atelier_id=atelier_id,
            atelier_title=title,
            updated_at=updated_at or datetime.now(UTC),
        )
    ]
    latest = (
        select(ProposalVersionRow.proposal_id, func.max(ProposalVersionRow.number).label("n"))
        .group_by(ProposalVersionRow.proposal_id)
        .subquery()
    )
    proposals = conn.execute(
        select(
            ProposalRow.id,
            ProposalRow.title,
            ProposalRow.kind,
            ProposalRow.status,
            ProposalRow.created_at,
            ProposalVersionRow.content,
            ProposalVersionRow.created_at,
        )
        .outerjoin(latest, latest.c.proposal_id == ProposalRow.id)
        .outerjoin(
            ProposalVersionRow,
            (ProposalVersionRow.proposal_id == ProposalRow.id)
            & (ProposalVersionRow.number == latest.c.n),
        )
        .where(
            ProposalRow.atelier_id == atelier_id,
            ProposalRow.status.in_(_PUBLISHED),
            ProposalRow.archived_at.is_(None),
        )
    )
    for pid, ptitle, pkind, pstatus, created_at, content, frozen_at in proposals:
        when = created_at or datetime.now(UTC)
        if isinstance(frozen_at, str):
            with contextlib.suppress(ValueError):
                when = datetime.fromisoformat(frozen_at.replace("Z", "+00:00"))
        entries.append(
            Entry(
                kind="proposal",
                ref=pid,
                title=ptitle,
                url=url,
                body=_text(content, ptitle),
                tags=" · ".join(
                    [
                        "proposition",
                        _PROPOSAL_KINDS.get(pkind, ""),
                        _PROPOSAL_STATES.get(pstatus, ""),
                        place,
                    ]
                ),
                quartier=quartier,
                atelier_id=atelier_id,
                atelier_title=title,
                updated_at=when if when.tzinfo else when.replace(tzinfo=UTC),
            )
        )
    entries += _project_entries(conn, atelier_id, title, place)
    return entries


def _project_entries(
    conn: Connection, atelier_id: str, atelier_title: str, place: str
) -> list[Entry]:
    """The projects born of a listed atelier's proposals: shown on their own page."""
    projects = list(
        conn.execute(
            select(
                ProjectRow.id,
                ProjectRow.title,
                ProjectRow.state,
                ProjectRow.service,
                ProjectRow.budget_line,
                ProjectRow.neighbourhood,
                ProjectRow.updated_at,
            ).where(ProjectRow.atelier_id == atelier_id)
        )
    )
    if not projects:
        return []
    milestones: dict[str, list[str]] = {}
    for project_id, label, note in conn.execute(
        select(ProjectMilestoneRow.project_id, ProjectMilestoneRow.label, ProjectMilestoneRow.note)
        .where(ProjectMilestoneRow.project_id.in_([p[0] for p in projects]))
        .order_by(ProjectMilestoneRow.project_id, ProjectMilestoneRow.position)
    ):
        milestones.setdefault(project_id, []).extend(x for x in (label, note) if x)
    entries = []
    for project_id, title, state, service, budget_line, neighbourhood, updated_at in projects:
        words = ["projet", neighbourhood or place]
        if state in ProjectState._value2member_map_:
            words.append(ProjectState(state).label_fr)
        entries.append(
            Entry(
                kind="project",
                ref=project_id,
                title=title,
                url=_PROJECT_PAGE + quote(project_id),
                body="\n".join(
                    [x for x in (service, budget_line) if x] + milestones.get(project_id, [])
                ),
                tags=" · ".join(words),
                quartier=neighbourhood or (None if place == "ville" else place),
                atelier_id=atelier_id,
                atelier_title=atelier_title,
                updated_at=updated_at or datetime.now(UTC),
            )
        )
    return entries


#: Subjects the public pages show (moderated, not refused).
_PUBLIC_SUBJECTS: Final = tuple(s.value for s in SubjectState if s.public)


def _subject_entries(conn: Connection, subject_ids: Iterable[str] | None = None) -> list[Entry]:
    """Public subjects (all of them, or those of ``subject_ids`` that are public). Never the
    initiator's name: a subject is found by what it says."""
    query = select(
        SubjectRow.id,
        SubjectRow.title,
        SubjectRow.why,
        SubjectRow.neighbourhood,
        SubjectRow.instance,
        SubjectRow.state,
        SubjectRow.updated_at,
    ).where(SubjectRow.state.in_(_PUBLIC_SUBJECTS))
    if subject_ids is not None:
        query = query.where(SubjectRow.id.in_(list(subject_ids)))
    entries = []
    for subject_id, title, why, neighbourhood, instance, state, updated_at in conn.execute(query):
        words = ["sujet", neighbourhood or "ville", SubjectState(state).label_fr]
        if isinstance(instance, str) and instance in Instance.__members__:
            words += [instance, Instance(instance).name_fr]
        entries.append(
            Entry(
                kind="subject",
                ref=subject_id,
                title=title,
                url=_SUBJECT_PAGE + quote(subject_id),
                body=why or "",
                tags=" · ".join(words),
                quartier=neighbourhood,
                updated_at=updated_at or datetime.now(UTC),
            )
        )
    return entries


# --- writing ----------------------------------------------------------------------------------

_PG_DOCUMENT: Final = text(
    "UPDATE search_entries SET document = "
    "setweight(to_tsvector('atelier_fr', title), 'A') || "
    "setweight(to_tsvector('atelier_fr', body), 'B') || "
    "setweight(to_tsvector('atelier_fr', tags), 'C') "
    "WHERE kind = :kind AND ref = :ref"
)


def _put(conn: Connection, entry: Entry) -> None:
    """Write ``entry`` (again): its row, and its words in the engine's index."""
    values = {
        "kind": entry.kind,
        "ref": entry.ref,
        "atelier_id": entry.atelier_id,
        "atelier_title": clean(entry.atelier_title, 200) if entry.atelier_title else None,
        "title": clean(entry.title, 1000),
        "body": clean(entry.body),
        "tags": clean(entry.tags, 2000),
        "quartier": clean(entry.quartier, 200) or None,
        "quartier_key": place_key(entry.quartier)[:200],
        "url": entry.url[:500],
        "updated_at": entry.updated_at,
    }
    if conn.dialect.name == "postgresql":
        upsert = pg_insert(_T).values(values)
        conn.execute(
            upsert.on_conflict_do_update(
                constraint="uq_search_entries_kind_ref",
                set_={k: upsert.excluded[k] for k in values if k not in ("kind", "ref")},
            )
        )
        conn.execute(_PG_DOCUMENT, {"kind": entry.kind, "ref": entry.ref})
        return
    found = conn.scalar(select(_T.c.id).where(_T.c.kind == entry.kind, _T.c.ref == entry.ref))
    if found is None:
        found = conn.scalar(insert(_T).values(values).returning(_T.c.id))
    else:
        conn.execute(update(_T).where(_T.c.id == found).values(values))
        conn.execute(text("DELETE FROM search_fts WHERE rowid = :id"), {"id": found})
    conn.execute(
        text("INSERT INTO search_fts (rowid, title, body, tags) VALUES (:id, :t, :b, :g)"),
        {
            "id": found,
            "t": stems(str(values["title"])),
            "b": stems(str(values["body"])),
            "g": stems(str(values["tags"])),
        },
    )


def _drop(conn: Connection, ids: Iterable[int]) -> None:
    ids = [int(i) for i in ids]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        if conn.dialect.name == "sqlite":
            listed = ",".join(str(i) for i in chunk)  # integers from the database
            conn.execute(text(f"DELETE FROM search_fts WHERE rowid IN ({listed})"))
        conn.execute(delete(_T).where(_T.c.id.in_(chunk)))


def _forget(conn: Connection, kind: str, ref: str) -> None:
    _drop(conn, conn.scalars(select(_T.c.id).where(_T.c.kind == kind, _T.c.ref == ref)))


def _lock(conn: Connection, key: str) -> None:
    """On PostgreSQL, one transaction at a time writes the entries of ``key`` (two writing one
    atelier's entries would both insert them)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


#: The kinds of entries written with their atelier's.
_OF_ATELIER: Final = ("atelier", "proposal", "project")


def _index_subjects(conn: Connection, subject_ids: Iterable[str]) -> None:
    wanted = sorted(set(subject_ids))
    found = _subject_entries(conn, wanted)
    shown = {e.ref for e in found}
    for subject_id in wanted:
        if subject_id not in shown:
            _forget(conn, "subject", subject_id)
    for entry in found:
        _put(conn, entry)


_SHOWN: Final = ("title", "body", "tags", "quartier", "url", "atelier_id", "atelier_title")


def _shown(entry: Entry) -> tuple[object, ...]:
    """What an entry holds as :func:`_put` writes it, to leave one that did not change."""
    return (
        clean(entry.title, 1000),
        clean(entry.body),
        clean(entry.tags, 2000),
        clean(entry.quartier, 200) or None,
        entry.url[:500],
        entry.atelier_id,
        clean(entry.atelier_title, 200) if entry.atelier_title else None,
    )


def _index_atelier(conn: Connection, atelier_id: str) -> None:
    _lock(conn, "search:" + atelier_id)
    entries = _atelier_entries(conn, atelier_id)
    held = {
        (row[1], row[2]): (row[0], tuple(row[3:]))
        for row in conn.execute(
            select(_T.c.id, _T.c.kind, _T.c.ref, *(_T.c[name] for name in _SHOWN)).where(
                _T.c.atelier_id == atelier_id, _T.c.kind.in_(_OF_ATELIER)
            )
        )
    }
    keep = {(e.kind, e.ref) for e in entries}
    _drop(conn, [i for key, (i, _) in held.items() if key not in keep])
    for entry in entries:
        before = held.get((entry.kind, entry.ref))
        # Only what changed is written (and stemmed) again: an atelier's state changed does not
        # make its proposals' texts be read word by word once more.
        if before is None or before[1] != _shown(entry):
            _put(conn, entry)


async def index_entry(session: AsyncSession, entry: Entry) -> None:
    """Write ``entry`` in the index, in ``session``'s transaction (for a subject published, a
    project changed…); it replaces the entry of the same kind and ref."""
    await session.run_sync(lambda s: _put(s.connection(), entry))


async def forget(session: AsyncSession, kind: str, ref: str) -> None:
    """Take the entry of ``kind`` and ``ref`` out of the index (gone, unpublished…); nothing
    when it is not there."""
    await session.run_sync(lambda s: _forget(s.connection(), kind, ref))


async def index_atelier(session: AsyncSession, atelier_id: str) -> None:
    """Write again the entries of an atelier and its published proposals (or take them out, if
    it is no longer listed). The session listener does it for every change it sees."""
    await session.run_sync(lambda s: _index_atelier(s.connection(), atelier_id))


# --- rebuilding -------------------------------------------------------------------------------

#: Functions that give every entry of one kind, for a rebuild (subjects, projects…).
_PROVIDERS: dict[str, Callable[[Connection], Iterable[Entry]]] = {}


def provider(
    kind: str,
) -> Callable[[Callable[[Connection], Iterable[Entry]]], Callable[[Connection], Iterable[Entry]]]:
    """Register the function that lists every public entry of ``kind`` (run by a rebuild, in
    its transaction, with its connection)."""

    def register(
        function: Callable[[Connection], Iterable[Entry]],
    ) -> Callable[[Connection], Iterable[Entry]]:
        _PROVIDERS[kind] = function
        return function

    return register


def _reindex_all(session: Session, *, only_if_empty: bool) -> int | None:
    conn = session.connection()
    _lock(conn, "search:all")
    if only_if_empty and conn.scalar(select(_T.c.id).limit(1)) is not None:
        return None
    if conn.dialect.name == "sqlite":
        conn.execute(text("DELETE FROM search_fts"))
    conn.execute(delete(_T))
    listed = list(conn.scalars(select(AtelierRow.id).where(AtelierRow.listed.is_(True))))
    for atelier_id in listed:
        for entry in _atelier_entries(conn, atelier_id):
            _put(conn, entry)
    for entry in _subject_entries(conn):
        _put(conn, entry)
    for function in _PROVIDERS.values():
        for entry in function(conn):
            _put(conn, entry)
    return int(conn.scalar(select(func.count()).select_from(_T)) or 0)


async def reindex(engine: AsyncEngine) -> int:
    """Rebuild the whole index from the data, in one transaction; how many entries it holds."""
    async with transaction(engine) as session:
        count = await session.run_sync(lambda s: _reindex_all(s, only_if_empty=False))
    return count or 0


async def reindex_if_empty(engine: AsyncEngine) -> int | None:
    """:func:`reindex` when the index holds nothing (a new database, or one migrated to 0019);
    how many entries it then holds, or None when it held some already."""
    async with reading(engine) as session:
        if await session.scalar(select(_T.c.id).limit(1)) is not None:
            return None
    async with transaction(engine) as session:
        return await session.run_sync(lambda s: _reindex_all(s, only_if_empty=True))


# --- following the data -----------------------------------------------------------------------

_TOUCHED: Final = "atelier.search.touched"
#: What an atelier's or a proposal's entry shows or depends on.
_ATELIER_FIELDS: Final = (
    "title",
    "subject",
    "kind",
    "scope",
    "neighbourhood",
    "instances",
    "status",
    "listed",
)
_PROPOSAL_FIELDS: Final = ("title", "status", "archived_at", "atelier_id", "kind")


_SUBJECT_FIELDS: Final = ("title", "why", "neighbourhood", "instance", "state")
_PROJECT_FIELDS: Final = ("title", "state", "service", "budget_line", "neighbourhood")
_MILESTONE_FIELDS: Final = ("label", "note")


@dataclass
class _Touched:
    ateliers: set[str] = field(default_factory=set)
    proposals: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)


def _changed(row: object, fields: Iterable[str]) -> bool:
    attrs = inspect(row).attrs
    return any(attrs[name].history.has_changes() for name in fields)


#: For each row class the index follows: the fields whose change it shows, and what to write
#: again (an atelier's entries, a proposal's atelier's, a subject's) — a frozen version only
#: when new (it is never changed).
_WATCHED: Final[dict[type, tuple[tuple[str, ...], str, str]]] = {
    AtelierRow: (_ATELIER_FIELDS, "ateliers", "id"),
    ProposalRow: (_PROPOSAL_FIELDS, "ateliers", "atelier_id"),
    ProposalVersionRow: ((), "proposals", "proposal_id"),
    ProjectRow: (_PROJECT_FIELDS, "ateliers", "atelier_id"),
    ProjectMilestoneRow: (_MILESTONE_FIELDS, "ateliers", "atelier_id"),
    SubjectRow: (_SUBJECT_FIELDS, "subjects", "id"),
}


def _before_flush(session: Session, _context: object, _instances: object) -> None:
    touched: _Touched | None = None
    dirty = session.dirty
    for row in (*session.new, *dirty, *session.deleted):
        watched = _WATCHED.get(type(row))
        if watched is None:
            continue
        fields, into, key = watched
        if row in dirty and not (fields and _changed(row, fields)):
            continue
        found = {getattr(row, key)}
        if key == "atelier_id":  # a row moved to another atelier: the one it left too
            found.update(inspect(row).attrs[key].history.deleted or ())
        found = {f for f in found if isinstance(f, str)}
        if found:
            touched = touched or session.info.setdefault(_TOUCHED, _Touched())
            getattr(touched, into).update(found)


def _before_commit(session: Session) -> None:
    # The commit flushes after this hook: flush first, so that _before_flush notes what is
    # still pending.
    if session.new or session.dirty or session.deleted:
        session.flush()
    touched: _Touched | None = session.info.pop(_TOUCHED, None)
    if touched is None:
        return
    conn = session.connection()
    ateliers = set(touched.ateliers)
    if touched.proposals:
        ateliers.update(
            conn.scalars(
                select(ProposalRow.atelier_id).where(ProposalRow.id.in_(touched.proposals))
            )
        )
    for atelier_id in sorted(ateliers):  # in one order: no two transactions wait on each other
        _index_atelier(conn, atelier_id)
    if touched.subjects:
        _index_subjects(conn, touched.subjects)


def _forget_touched(session: Session, transaction: Any) -> None:
    # Only when the outermost transaction ends: a savepoint rolled back inside it leaves what
    # was noted before it to be indexed at the commit.
    if transaction.parent is None:
        session.info.pop(_TOUCHED, None)


def install() -> None:
    """Follow the data from now on, in every ORM session of this process (once)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_transaction_end", _forget_touched)

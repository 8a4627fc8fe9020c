"""Search over the public door (issue 22, #4): listed ateliers, their published proposals, and
the public subjects and projects, in French — the database finds and ranks them in its
full-text index (``server.search_index``), nothing is scored here.

* **PostgreSQL**: ``websearch_to_tsquery('atelier_fr', q)`` (any input is a query, never a
  syntax error: ``"…"`` is a phrase, ``-mot`` leaves a word out, ``or`` offers a choice),
  ranked by ``ts_rank_cd`` (title before text before tags), excerpts by ``ts_headline`` on
  the text escaped first.
* **SQLite**: an FTS5 ``MATCH`` written from the query's stems only, each quoted (what a user
  types is never FTS5 syntax: ``"``, ``*``, ``NEAR``, ``-`` are data), ranked by ``bm25()``
  (title ten times the text), hits marked by ``highlight()`` on the stems and carried over to
  the words of the text.

On both: accents and case folded, French stems (« quartiers » finds « quartier », « écoles »
« École »), French stop words ignored, every other word required. An excerpt is HTML built
from escaped text, the matched words in ``<mark>``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.db.writes import reading
from server.search_index import KINDS, clean, place_key, query_stems, tokens

__all__ = ["KINDS", "MAX_QUERY", "MAX_RESULTS", "Hit", "excerpt", "search", "terms"]

#: A query is cut to this many characters (the rest is ignored, never an error).
MAX_QUERY: Final = 200
#: At most this many results, the best first.
MAX_RESULTS: Final = 50
#: About this many characters of text around the first match in an excerpt.
_EXCERPT: Final = 220

_START, _STOP = "\x02", "\x03"


@dataclass(frozen=True)
class Hit:
    """One result. ``title_html`` and ``excerpt`` are HTML (escaped, hits in ``<mark>``);
    ``url`` is the public page that shows it."""

    kind: str
    id: str
    title: str
    title_html: str
    excerpt: str
    url: str
    atelier_id: str | None
    atelier_title: str | None
    quartier: str | None


def terms(query: str) -> tuple[str, ...]:
    """The stems ``query`` asks for (stop words aside); none: the query finds nothing."""
    return query_stems(query[:MAX_QUERY])


# --- excerpts ---------------------------------------------------------------------------------


def excerpt(text_: str, marked: Collection[int], limit: int = _EXCERPT) -> str:
    """HTML: a piece of ``text_`` around its first marked word (``marked``: the places of the
    words to mark, as :func:`server.search_index.tokens` counts them), every piece escaped,
    the marked words in ``<mark>``; ``…`` where the text was cut."""
    # A line break (between a proposal's sections) reads « · »; other spaces are one space.
    line = re.sub(r"\s+", " ", re.sub(r"\s*\n\s*", " · ", text_.strip()))
    words = tokens(line)
    first = next((m for i, m in enumerate(words) if i in marked), None)
    start = 0
    if first is not None and first.start() > limit // 3:
        start = line.rfind(" ", 0, first.start() - limit // 3) + 1
    end = len(line)
    if end - start > limit:
        cut = line.find(" ", start + limit)
        end = cut if cut != -1 else end
    out: list[str] = ["… " if start > 0 else ""]
    position = start
    for index, match in enumerate(words):
        if match.start() < start or match.end() > end:
            continue
        out.append(html.escape(line[position : match.start()]))
        word = html.escape(match.group())
        out.append(f"<mark>{word}</mark>" if index in marked else word)
        position = match.end()
    out.append(html.escape(line[position:end]))
    if end < len(line):
        out.append(" …")
    return "".join(out)


def _marked(highlighted: str | None) -> set[int]:
    """The places of the stems FTS5's ``highlight()`` put between the two markers."""
    marked: set[int] = set()
    index, inside, in_token, hit = 0, False, False, False
    for char in highlighted or "":
        if char == _START:
            inside = True
        elif char == _STOP:
            inside = False
        elif char == " ":
            if in_token:
                if hit:
                    marked.add(index)
                index, in_token, hit = index + 1, False, False
        else:
            in_token, hit = True, hit or inside
    if in_token and hit:
        marked.add(index)
    return marked


def _headline(marked: str | None) -> str:
    """``ts_headline``'s answer on escaped text: its markers made ``<mark>``."""
    shown = re.sub(r"\s*\n\s*", " · ", (marked or "").strip())
    return shown.replace(_START, "<mark>").replace(_STOP, "</mark>")


# --- the two engines --------------------------------------------------------------------------

_FILTERS: Final = (" AND e.kind = :kind", " AND e.quartier_key = :place")

_SQLITE: Final = """
SELECT e.kind, e.ref, e.title, e.body, e.url, e.atelier_id, e.atelier_title, e.quartier,
       highlight(search_fts, 0, char(2), char(3)), highlight(search_fts, 1, char(2), char(3))
FROM search_fts JOIN search_entries AS e ON e.id = search_fts.rowid
WHERE search_fts MATCH :match /*filters*/
ORDER BY bm25(search_fts, 10.0, 1.0, 0.5), e.title, e.ref
LIMIT :limit
"""


async def _sqlite(
    session: AsyncSession, wanted: Sequence[str], params: dict[str, object], filters: str
) -> list[Hit]:
    # Stems are [a-z0-9]+ (server.search_index.stem): quoted, each is a plain term.
    match = " ".join(f'"{w}"' for w in wanted)
    rows = await session.execute(
        text(_SQLITE.replace("/*filters*/", filters)), {**params, "match": match}
    )
    hits: list[Hit] = []
    for kind, ref, title, body, url, atelier_id, atelier_title, quartier, t, b in rows:
        in_title = _marked(t)
        title_html = excerpt(title, in_title, limit=10_000)
        hits.append(
            Hit(
                kind=kind,
                id=ref,
                title=title,
                title_html=title_html,
                excerpt=excerpt(body, _marked(b)) if body.strip() else title_html,
                url=url,
                atelier_id=atelier_id,
                atelier_title=atelier_title,
                quartier=quartier,
            )
        )
    return hits


def _escaped(column: str) -> str:
    return f"replace(replace(replace({column}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"


_POSTGRESQL: Final = f"""
WITH q AS (SELECT websearch_to_tsquery('atelier_fr', :query) AS query),
best AS (
  SELECT e.id, ts_rank_cd('{{0.05, 0.1, 0.3, 1.0}}', e.document, q.query) AS rank
  FROM search_entries AS e, q
  WHERE e.document @@ q.query /*filters*/
  ORDER BY rank DESC, e.title, e.ref
  LIMIT :limit
)
SELECT e.kind, e.ref, e.title, e.body, e.url, e.atelier_id, e.atelier_title, e.quartier,
       ts_headline('atelier_fr', {_escaped("e.title")}, q.query, :whole),
       ts_headline('atelier_fr', {_escaped("e.body")}, q.query, :piece)
FROM best JOIN search_entries AS e ON e.id = best.id, q
ORDER BY best.rank DESC, e.title, e.ref
"""
_WHOLE: Final = f"StartSel={_START}, StopSel={_STOP}, HighlightAll=true"
_PIECE: Final = (
    f"StartSel={_START}, StopSel={_STOP}, MaxWords=32, MinWords=12, ShortWord=2, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)


def _cut_marks(headline: str, body: str) -> str:
    """``…`` before or after a headline that does not start or end the text."""
    plain = html.unescape(headline.replace(_START, "").replace(_STOP, "")).strip()
    whole = " ".join(body.split())
    flat = " ".join(plain.split())
    before = "" if whole.startswith(flat[:40]) else "… "
    after = "" if whole.endswith(flat[-40:]) else " …"
    return before + _headline(headline.strip()) + after


async def _postgresql(
    session: AsyncSession, query: str, params: dict[str, object], filters: str
) -> list[Hit]:
    rows = await session.execute(
        text(_POSTGRESQL.replace("/*filters*/", filters)),
        {**params, "query": query, "whole": _WHOLE, "piece": _PIECE},
    )
    hits: list[Hit] = []
    for kind, ref, title, body, url, atelier_id, atelier_title, quartier, t, b in rows:
        title_html = _headline(t)
        hits.append(
            Hit(
                kind=kind,
                id=ref,
                title=title,
                title_html=title_html,
                excerpt=_cut_marks(b, body) if body.strip() else title_html,
                url=url,
                atelier_id=atelier_id,
                atelier_title=atelier_title,
                quartier=quartier,
            )
        )
    return hits


async def search(
    engine: AsyncEngine, query: str, *, kind: str | None = None, quartier: str | None = None
) -> list[Hit]:
    """The public things that hold every word of ``query``, the best first (at most
    :data:`MAX_RESULTS`), of one ``kind`` and in one ``quartier`` (a neighbourhood's name, or
    ``ville``) when given; none for a query without a word."""
    query = clean(query, MAX_QUERY)
    wanted = terms(query)
    if not wanted:
        return []
    params: dict[str, object] = {"limit": MAX_RESULTS}
    filters = ""
    if kind is not None:
        params["kind"] = kind
        filters += _FILTERS[0]
    if quartier is not None and quartier.strip():
        params["place"] = place_key(clean(quartier, 200))
        filters += _FILTERS[1]
    async with reading(engine) as session:
        if engine.dialect.name == "postgresql":
            return await _postgresql(session, query, params, filters)
        return await _sqlite(session, wanted, params, filters)

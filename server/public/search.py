"""Search over the public door (issue 22, #4): listed ateliers (title, subject) and their
published proposals (title, and the text of their latest frozen version), in French.

The same code on SQLite and PostgreSQL: the listed ateliers and their published proposals are
read once per query and scored here, which at a city's scale (hundreds of ateliers, not
millions) is quick, and answers alike on both databases. Words are compared folded (case and
accents: « Démocratie » is « democratie ») and lightly stemmed (plurals and a feminine « e »:
« quartiers » finds « quartier », « ATELIERS » finds « atelier »); every word of the query must
appear (French filler words aside). Titles weigh more than texts.

An excerpt is built from the text split into words and the spaces between them, each piece
escaped, the matched words wrapped in ``<mark>``: nothing from the database is ever written as
HTML. Nothing personal is read: no names, no contributors, only titles and texts.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.models import AtelierRow, ProposalRow, ProposalVersionRow
from server.db.writes import reading
from server.public.data import _PUBLISHED

__all__ = ["MAX_QUERY", "MAX_RESULTS", "Hit", "excerpt", "search", "terms"]

#: A query is cut to this many characters (the rest is ignored, never an error).
MAX_QUERY: Final = 200
#: At most this many results, the best first.
MAX_RESULTS: Final = 50
#: About this many characters of text around the first match in an excerpt.
_EXCERPT: Final = 220

_WORD: Final = re.compile(r"\w+", re.UNICODE)

#: Words a query may hold that find nothing by themselves (as PostgreSQL's French
#: configuration ignores them).
_STOP: Final = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "et",
        "eux",
        "il",
        "je",
        "la",
        "le",
        "les",
        "leur",
        "lui",
        "ma",
        "mais",
        "me",
        "meme",
        "mes",
        "moi",
        "mon",
        "ne",
        "nos",
        "notre",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "c",
        "d",
        "j",
        "l",
        "m",
        "n",
        "s",
        "t",
        "y",
        "est",
        "sont",
    ]
)


def fold(text: str) -> str:
    """``text`` in lower case without accents: « Démocratie » → « democratie », « Œuvre » →
    « oeuvre »."""
    lowered = text.casefold().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    """A folded word's light stem: a plural's « s »/« x » and a final « e » dropped, so that a
    word and its plural (and most feminines) meet."""
    if len(word) > 3 and word[-1] in "sx":
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _stems(text: str) -> list[str]:
    return [stem(fold(w)) for w in _WORD.findall(text)]


def terms(query: str) -> tuple[str, ...]:
    """The stems a query asks for, in order, each once, filler words left out."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query[:MAX_QUERY]):
        folded = fold(word)
        if folded in _STOP:
            continue
        seen.setdefault(stem(folded), None)
    return tuple(seen)


def excerpt(text: str, wanted: Iterable[str], limit: int = _EXCERPT) -> str:
    """HTML: a piece of ``text`` around its first matched word, every piece escaped, the matched
    words in ``<mark>``; ``…`` where the text was cut."""
    wanted = set(wanted)
    line = re.sub(r"\s+", " ", text).strip()
    words = list(_WORD.finditer(line))
    first = next((m for m in words if stem(fold(m.group())) in wanted), None)
    start = 0
    if first is not None and first.start() > limit // 3:
        start = line.rfind(" ", 0, first.start() - limit // 3) + 1
    end = len(line)
    if end - start > limit:
        cut = line.find(" ", start + limit)
        end = cut if cut != -1 else end
    out: list[str] = ["… " if start > 0 else ""]
    position = start
    for match in words:
        if match.start() < start or match.end() > end:
            continue
        out.append(html.escape(line[position : match.start()]))
        word = html.escape(match.group())
        out.append(f"<mark>{word}</mark>" if stem(fold(match.group())) in wanted else word)
        position = match.end()
    out.append(html.escape(line[position:end]))
    if end < len(line):
        out.append(" …")
    return "".join(out)


@dataclass(frozen=True)
class Hit:
    """One result: an atelier, or a proposal of an atelier; ``excerpt`` is HTML (escaped)."""

    kind: Literal["atelier", "proposal"]
    id: str
    title: str
    atelier_id: str
    atelier_title: str
    excerpt: str
    score: float


def _score(wanted: Sequence[str], title: str, body: str) -> float:
    """0 unless every wanted stem is in the title or the body; more for the title's words, for
    repeated words and for a short text."""
    in_title, in_body = _stems(title), _stems(body)
    score = 0.0
    for word in wanted:
        t, b = in_title.count(word), in_body.count(word)
        if t == 0 and b == 0:
            return 0.0
        score += 3 * math.log1p(t) + math.log1p(b)
    return score / math.log2(2 + len(in_body) / 50)


def _text(content: Any) -> str:
    """The plain text of a frozen version's sections (no names: only each section's text)."""
    if not isinstance(content, dict):
        return ""
    sections = content.get("sections")
    if not isinstance(sections, list):
        return ""
    return "\n".join(
        str(s.get("text") or "") for s in sections if isinstance(s, dict) and s.get("text")
    )


async def search(engine: AsyncEngine, query: str) -> list[Hit]:
    """The listed ateliers and published proposals that hold every word of ``query``, the
    best first (at most :data:`MAX_RESULTS`); none for a query without a word."""
    wanted = terms(query)
    if not wanted:
        return []
    async with reading(engine) as session:
        ateliers = (
            await session.execute(
                select(AtelierRow.id, AtelierRow.title, AtelierRow.subject).where(
                    AtelierRow.listed.is_(True)
                )
            )
        ).tuples()
        titles: dict[str, str] = {}
        hits: list[Hit] = []
        for atelier_id, title, subject in ateliers:
            titles[atelier_id] = title
            if score := _score(wanted, title, subject or ""):
                shown = excerpt(subject or title, wanted)
                hits.append(Hit("atelier", atelier_id, title, atelier_id, title, shown, score))
        if titles:
            proposals = list(
                (
                    await session.execute(
                        select(ProposalRow.id, ProposalRow.title, ProposalRow.atelier_id).where(
                            ProposalRow.atelier_id.in_(list(titles)),
                            ProposalRow.status.in_(_PUBLISHED),
                            ProposalRow.archived_at.is_(None),
                        )
                    )
                ).tuples()
            )
            latest: dict[str, str] = {}
            if proposals:
                versions = await session.execute(
                    select(
                        ProposalVersionRow.proposal_id,
                        ProposalVersionRow.number,
                        ProposalVersionRow.content,
                    )
                    .where(ProposalVersionRow.proposal_id.in_([p[0] for p in proposals]))
                    .order_by(ProposalVersionRow.proposal_id, ProposalVersionRow.number)
                )
                for proposal_id, _number, content in versions.tuples():
                    latest[proposal_id] = _text(content)  # the last one read is the latest
            for proposal_id, title, atelier_id in proposals:
                body = latest.get(proposal_id, "")
                if score := _score(wanted, title, body):
                    shown = excerpt(body or title, wanted)
                    hits.append(
                        Hit(
                            "proposal",
                            proposal_id,
                            title,
                            atelier_id,
                            titles[atelier_id],
                            shown,
                            score,
                        )
                    )
    hits.sort(key=lambda h: (-h.score, fold(h.title), h.id))
    return hits[:MAX_RESULTS]

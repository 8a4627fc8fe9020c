"""A document to print or publish, as plain data: what a frozen version or a compte-rendu says,
before it becomes Markdown, HTML or PDF.

A :class:`Report` is a title, a few lead lines, labelled facts (the seed's « Date, horaire et
lieu de la séance : … »), and ordered parts whose content is blocks — the same JSON blocks a
frozen section holds (see :mod:`domain.proposals`). Text the software writes goes into blocks
too, so every renderer escapes everything one way: Markdown and HTML here
(:func:`report_markdown`, :func:`report_html`, built on :func:`domain.proposals.to_markdown`
and :func:`~domain.proposals.to_html`), PDF in ``server.pdf``.

Each renderer applies French typography (:func:`domain.errors.typeset_fr`, or
:func:`typeset_blocks` for blocks) to everything it prints, so the three outputs agree.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo

from domain.errors import typeset_fr
from domain.proposals import bound_depth, to_html, to_markdown
from domain.roles import Role

__all__ = [
    "METHODS_FR",
    "Block",
    "Part",
    "Report",
    "amendment_parts",
    "attendance_line",
    "bullets",
    "by_role",
    "credits_line",
    "french_date",
    "french_instant",
    "french_time",
    "numbered",
    "para",
    "presence",
    "report_html",
    "report_markdown",
    "typeset_blocks",
    "vote_parts",
]

Block = Mapping[str, Any]


@dataclass(frozen=True)
class Part:
    """A heading and its blocks. ``level`` 1 is a part of the document, 2 a sub-part."""

    heading: str
    blocks: tuple[Block, ...] = ()
    level: int = 1


@dataclass(frozen=True)
class Report:
    title: str
    lead: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()  # (label, value), shown « label : value »
    parts: tuple[Part, ...] = ()
    #: One line repeated at the foot of every printed page (the version's fingerprint).
    footer: str = ""
    #: Closing lines after the last part (the fingerprints in full).
    closing: tuple[str, ...] = field(default=())


# --- blocks ----------------------------------------------------------------------------------


def para(*runs: str | tuple[str, Sequence[str]]) -> Block:
    """A paragraph; each run is a string, or ``(text, marks)`` such as ``("Vote", ["bold"])``."""
    return {
        "type": "paragraph",
        "runs": [[r, []] if isinstance(r, str) else [r[0], list(r[1])] for r in runs],
    }


def bullets(lines: Iterable[str]) -> Block:
    return {"type": "bullet_list", "items": [[para(line)] for line in lines]}


def numbered(lines: Iterable[str]) -> Block:
    return {"type": "ordered_list", "items": [[para(line)] for line in lines]}


def typeset_blocks(blocks: Iterable[Block]) -> tuple[Block, ...]:
    """``blocks`` with :func:`typeset_fr` applied to every run (a new structure), lists nested
    no deeper than :func:`~domain.proposals.bound_depth` allows."""

    def typeset(blocks: Iterable[Block]) -> list[Block]:
        out: list[Block] = []
        for block in blocks:
            if "items" in block:
                out.append({**block, "items": [typeset(i) for i in block["items"]]})
            elif "runs" in block:
                runs = [[typeset_fr(str(text)), list(marks)] for text, marks in block["runs"]]
                out.append({**block, "runs": runs})
            else:
                out.append(block)
        return out

    return tuple(typeset(bound_depth(blocks)))


# --- dates -----------------------------------------------------------------------------------

_MONTHS: Final = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_DAYS: Final = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def french_time(iso_time: str) -> str:
    """``18:30`` → « 18 h 30 », ``18:00`` → « 18 h »."""
    hour, minute = iso_time.split(":")[:2]
    return f"{int(hour)} h {minute}" if minute != "00" else f"{int(hour)} h"


def french_date(iso_date: str) -> str:
    """``2017-12-12`` → « mardi 12 décembre 2017 » (« 1er » for the first of the month)."""
    day = dt.date.fromisoformat(iso_date[:10])
    number = "1er" if day.day == 1 else str(day.day)
    return f"{_DAYS[day.weekday()]} {number} {_MONTHS[day.month - 1]} {day.year}"


def french_instant(stamp: str, zone: str = "UTC") -> str:
    """A stored UTC instant (``2026-11-26T18:42:07.123456Z``) → « 26 novembre 2026 à 18 h 42
    (UTC) »; in the city's time zone (an IANA name, ``ATELIER_TIME_ZONE``), its wall-clock and
    the offset: « 26 novembre 2026 à 19 h 42 (heure de Paris, UTC+1) », so that the reader
    need not guess either."""
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:  # stored instants are UTC, whether or not they say so
        moment = moment.replace(tzinfo=dt.UTC)
    said = "UTC"
    if zone != "UTC":
        moment = moment.astimezone(ZoneInfo(zone))
        said = f"heure de {zone.rsplit('/', 1)[-1].replace('_', ' ')}, UTC{_offset(moment)}"
    return (
        f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year} "
        f"à {french_time(moment.strftime('%H:%M'))} ({said})"
    )


def _offset(moment: dt.datetime) -> str:
    """``+1``, ``−5`` (a minus sign), ``+5:30``; empty at UTC itself."""
    minutes = int((moment.utcoffset() or dt.timedelta()).total_seconds() // 60)
    if not minutes:
        return ""
    hours, rest = divmod(abs(minutes), 60)
    return ("+" if minutes > 0 else "\u2212") + str(hours) + (f":{rest:02d}" if rest else "")


# --- what a séance recorded ------------------------------------------------------------------


def _role_fr(role: str, count: int = 1) -> str:
    """« habitant·e », or for several « habitant·es », « animateur·rices », « agents »."""
    try:
        label = Role(role).label_fr
    except ValueError:
        return role
    if count <= 1 or " " in label:
        return label
    return label + "s"


def by_role(counts: Mapping[str, int]) -> str:
    """« 1 élu·e, 3 habitant·es »: how many of each role, in the roles' order, each word
    agreeing with its number."""
    return ", ".join(f"{n} {_role_fr(role, n)}" for role, n in sorted(counts.items()))


def presence(attendance: Mapping[str, Any] | None, headcount: int | None = None) -> tuple[int, str]:
    """How many were there, and the detail to say after the number: `` (2 élu·es, 20
    habitant·es)``. The facilitator's headcount wins when there is one (people without a
    device count too); the check-ins by role say who of them joined in the application."""
    attendance = attendance or {}
    roles = by_role(attendance.get("by_role") or {})
    checked_in = int(attendance.get("total") or 0)
    total = headcount if headcount is not None else checked_in
    detail = ""
    if roles and headcount is not None and headcount != checked_in:
        recorded = "enregistrée" if checked_in == 1 else "enregistrées"
        detail = f" (dont {checked_in} {recorded} dans l’atelier : {roles})"
    elif roles:
        detail = f" ({roles})"
    if attendance.get("named"):
        detail += f" ; ont souhaité être nommé·es : {', '.join(attendance['named'])}"
    return total, detail


def attendance_line(attendance: Mapping[str, Any] | None, headcount: int | None = None) -> str:
    """« 35 personnes présentes (2 élu·es, 20 habitant·es…) »."""
    total, detail = presence(attendance, headcount)
    return f"{total} {'personne présente' if total == 1 else 'personnes présentes'}{detail}"


def credits_line(contributors: Mapping[str, Any] | None) -> str | None:
    """Who wrote a section: « Écrit par Ana, Bruno et 2 autres personnes (4 habitant·es) » —
    names only of those who agreed to be named, everyone counted by role. None when nobody
    wrote in it (or the version predates the credits)."""
    if not contributors or not contributors.get("by_role"):
        return None
    named = [str(name) for name in contributors.get("named") or []]
    total = sum(contributors["by_role"].values())
    others = total - len(named)
    if not named:
        who = _plural(total, "personne", "personnes")
    elif others > 0:
        who = f"{', '.join(named)} et {_plural(others, 'autre personne', 'autres personnes')}"
    else:
        who = ", ".join(named)
    return f"Écrit par {who} ({by_role(contributors['by_role'])})"


METHODS_FR: Final = {
    "plurality": "vote à un choix",
    "approval": "vote par approbation",
    "dots": "vote par gommettes",
    "score": "vote par notes",
    "borda": "méthode de Borda",
    "irv": "vote alternatif",
    "schulze": "méthode de Schulze",
    "majority_judgment": "jugement majoritaire",
}

#: What a total counts, for the methods whose result is a total per option (one, many).
_UNITS: Final = {
    "plurality": ("voix", "voix"),
    "approval": ("approbation", "approbations"),
    "dots": ("gommette", "gommettes"),
    "score": ("point", "points"),
    "borda": ("point", "points"),
}


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if abs(n) <= 1 else many}"


def _grades(vote: Mapping[str, Any], total: Mapping[str, Any]) -> Sequence[str]:
    """Majority judgment's grade labels, worst first: those the count used (its details),
    else the poll's own, else none (the index is then said as it is)."""
    details = total.get("details") or {}
    return details.get("grades") or (vote.get("params") or {}).get("grades") or ()


def _score(vote: Mapping[str, Any], total: Mapping[str, Any], score: Any) -> str:
    """What a method's score means, in the method's own terms."""
    if not isinstance(score, int):
        return str(score)
    method = vote["method"]
    if method == "majority_judgment":
        grades = _grades(vote, total)
        grade = grades[score] if 0 <= score < len(grades) else str(score)
        return f"mention majoritaire « {grade} »"
    if method == "schulze":
        return f"l’emporte sur {_plural(score, 'option', 'options')}"
    if method == "irv":  # its rank comes from the rounds, said below the ranking
        return ""
    one, many = _UNITS.get(method, ("point", "points"))
    return _plural(score, one, many)


def _tier_line(vote: Mapping[str, Any], total: Mapping[str, Any], tier: Sequence[str]) -> str:
    """« Jardin — 3 voix »; a tie: « Bancs = Fresque — 1 voix chacune, ex æquo », or each
    with its own score when the method gives tied options different ones (Schulze)."""
    labels = {o["id"]: o["label"] for o in vote["options"]}
    scores = total.get("scores") or {}
    said = [_score(vote, total, scores[o]) if o in scores else "" for o in tier]
    names = [str(labels.get(option, option)) for option in tier]
    if len(tier) == 1:
        return f"{names[0]} — {said[0]}" if said[0] else names[0]
    if len(set(said)) == 1:
        each = f"{said[0]} chacune, " if said[0] else ""
        return f"{' = '.join(names)} — {each}ex æquo"
    return " = ".join(f"{n} ({s})" if s else n for n, s in zip(names, said, strict=True)) + (
        " — ex æquo"
    )


def _irv_rounds(vote: Mapping[str, Any], total: Mapping[str, Any]) -> list[str]:
    """Each round of an instant-runoff count: the ballots each option holds, the exhausted
    ballots, who is eliminated, and the round where an option first held a majority."""
    details = total.get("details") or {}
    labels = {o["id"]: o["label"] for o in vote["options"]}
    lines = []
    for number, round_ in enumerate(details.get("rounds") or [], start=1):
        counts = sorted(round_["counts"].items(), key=lambda item: -item[1])  # stable
        line = f"Tour {number} : " + ", ".join(
            f"{labels.get(o, o)} {_plural(n, 'voix', 'voix')}" for o, n in counts
        )
        if round_.get("exhausted"):
            line += f", {_plural(round_['exhausted'], 'bulletin épuisé', 'bulletins épuisés')}"
        if number - 1 == details.get("majority_round"):
            leader = max(round_["counts"], key=lambda o: round_["counts"][o])
            line += f" ; majorité absolue pour {labels.get(leader, leader)}"
        if out := round_.get("eliminated"):
            said = "éliminée" if len(out) == 1 else "éliminées"
            line += f" ; {said} : {', '.join(str(labels.get(o, o)) for o in out)}"
        lines.append(line)
    return lines


def vote_parts(votes: Sequence[Mapping[str, Any]]) -> tuple[Part, ...]:
    """« Votes de la séance »: each closed vote with its ranking best first, each option's
    result in the method's own terms (totals with their unit, the majority grade, how many
    options it beats, the instant-runoff rounds), ties said as ties (« ex æquo »; no rule
    breaks them here), the option retained, and « quorum non atteint »."""
    if not votes:
        return ()
    parts = [Part("Votes de la séance")]
    for vote in votes:
        labels = {o["id"]: o["label"] for o in vote["options"]}
        method = METHODS_FR.get(vote["method"], vote["method"])
        turnout = int((vote.get("turnout") or {}).get("total") or 0)
        blocks: list[Block] = [
            para(f"{method[0].upper()}{method[1:]}, {_plural(turnout, 'bulletin', 'bulletins')}.")
        ]
        results = vote.get("results")
        if results is None:
            blocks.append(para("Résultats non publiés."))
            parts.append(Part(vote["title"], tuple(blocks), level=2))
            continue
        total = results["total"]
        if lines := [_tier_line(vote, total, tier) for tier in total["ranking"]]:
            blocks.append(numbered(lines))
        if vote["method"] == "irv" and (rounds := _irv_rounds(vote, total)):
            blocks += [para("Décompte tour par tour :"), bullets(rounds)]
        if total.get("winner") is None and total["ranking"] and len(total["ranking"][0]) > 1:
            blocks.append(para(("Égalité en tête : aucune option n’est retenue par ce vote.", [])))
        elif total.get("winner") is not None:
            blocks.append(para("Option retenue : ", (labels.get(total["winner"], ""), ["bold"])))
        if results.get("quorum_reached") is False:
            quorum = vote.get("quorum")
            said = f" ({_plural(turnout, 'bulletin', 'bulletins')} pour {quorum})" if quorum else ""
            blocks.append(para(f"Quorum non atteint{said} : résultat indicatif."))
        parts.append(Part(vote["title"], tuple(blocks), level=2))
    return tuple(parts)


#: An amendment's fate as a report says it.
_FATES_FR: Final = {
    "proposee": "non décidé",
    "au_vote": "au vote",
    "applying": "accepté (en cours d’application)",
    "acceptee": "accepté",
    "rejetee": "rejeté",
    "retiree": "retiré par son auteur·rice",
}


def _who(person: Mapping[str, Any] | None) -> str:
    """A name where the person agreed to be named, else their role."""
    if not person:
        return ""
    named = person.get("named") or []
    return str(named[0]) if named else _role_fr(str(person.get("role") or ""))


def amendment_parts(amendments: Sequence[Mapping[str, Any]]) -> tuple[Part, ...]:
    """« Amendements »: each with its passage and replacement, its author (named if they
    agreed, else their role), its fate, when and how it was decided, and its vote."""
    if not amendments:
        return ()
    lines = []
    for item in amendments:
        change = (
            f"« {item['quote']} » → « {item['replacement']} »"
            if item.get("replacement")
            else f"« {item['quote']} » supprimé"
        )
        fate = _FATES_FR.get(str(item.get("fate")), str(item.get("fate")))
        line = f"{change} — proposé par {_who(item.get('author'))} ; {fate}"
        if item.get("decided_at"):
            line += f" le {french_date(str(item['decided_at'])[:10])}"
        vote = item.get("vote")
        if vote:
            counts = ", ".join(f"{label} : {n}" for label, n in (vote.get("counts") or {}).items())
            line += f" (vote, {METHODS_FR.get(vote.get('method'), vote.get('method'))}"
            line += " : égalité" if vote.get("tie") else ""
            line += f" ; {counts})" if counts else ")"
        elif item.get("decided_by"):
            line += f" par {_who(item.get('decided_by'))}"
        if item.get("reason"):
            line += f" — motif : {item['reason']}"
        if item.get("rationale"):
            line += f" — justification : {item['rationale']}"
        lines.append(line)
    return (Part("Amendements", (bullets(lines),)),)


# --- Markdown and HTML -----------------------------------------------------------------------


def _heading(text: str, level: int) -> Block:
    return {"type": "heading", "level": level, "runs": [[text, []]]}


_EMPTY: Final = ({"type": "paragraph", "runs": [["(vide)", ["italic"]]]},)


def report_markdown(report: Report) -> str:
    out = [to_markdown([_heading(report.title, 1)])]
    out += [to_markdown([para(line)]) for line in report.lead]
    if report.facts:
        out.append(
            "\n".join(
                to_markdown([para((label, ["bold"]), f" : {value}")]) + "  "
                for label, value in report.facts
            ).rstrip()
        )
    for part in report.parts:
        out.append(to_markdown([_heading(part.heading, part.level + 1)]))
        if part.blocks or part.level > 1:
            out.append(to_markdown(part.blocks or _EMPTY, heading_offset=part.level + 1))
    if report.closing:
        out.append("---")
        out += [to_markdown([para(line)]) for line in report.closing]
    return typeset_fr("\n\n".join(p for p in out if p) + "\n")


_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1b1b1b}h1{font-size:1.7rem}h2{font-size:1.3rem;margin-top:2rem;"
    "border-bottom:1px solid #ccc}h3{font-size:1.1rem}p,li{white-space:pre-line}"
    ".facts{list-style:none;padding:0}.image img{display:block;margin:0 auto;width:10rem;"
    "height:auto}footer{margin-top:3rem;font-size:.9rem;color:#444;"
    "word-break:break-all}@media print{body{max-width:none}}"
)


#: The image types a page embeds (what ``server.documents.images`` stores); nothing else.
_IMAGE_TYPES: Final = ("image/png", "image/jpeg")


def report_html(report: Report, image: tuple[bytes, str] | None = None) -> str:
    """A whole page. Only known tags around escaped text: nothing anyone typed becomes markup.

    ``image`` (bytes and media type, PNG or JPEG) is embedded on top as a ``data:`` address,
    so that the page stands alone, as the PDF does; a page that shows it must be served with
    ``img-src data:``."""

    def esc(text: str) -> str:
        return html.escape(typeset_fr(text), quote=True)

    body = []
    if image is not None and image[1] in _IMAGE_TYPES:
        data = base64.b64encode(image[0]).decode("ascii")
        body.append(
            f'<p class="image"><img src="data:{image[1]};base64,{data}" '
            'alt="Image de l’atelier"></p>'
        )
    body.append(f"<h1>{esc(report.title)}</h1>")
    body += [f"<p>{esc(line)}</p>" for line in report.lead]
    if report.facts:
        items = "".join(
            f"<li><strong>{esc(label)}</strong>\u00a0: {esc(value)}</li>"
            for label, value in report.facts
        )
        body.append(f'<ul class="facts">{items}</ul>')
    for part in report.parts:
        level = part.level + 1
        body.append(f"<h{level}>{esc(part.heading)}</h{level}>")
        if part.blocks or part.level > 1:
            body.append(to_html(typeset_blocks(part.blocks or _EMPTY), heading_offset=level))
    if report.closing:
        body.append("<footer>" + "".join(f"<p>{esc(line)}</p>" for line in report.closing))
        body.append("</footer>")
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{esc(report.title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style></head><body><main>{''.join(body)}</main></body></html>"
    )

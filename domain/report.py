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
    "attendance_line",
    "bullets",
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


def presence(attendance: Mapping[str, Any] | None, headcount: int | None = None) -> tuple[int, str]:
    """How many were there, and the detail to say after the number: `` (2 élu·e, 20
    habitant·e)``. The facilitator's headcount wins when there is one (people without a
    device count too); the check-ins by role say who of them joined in the application."""
    attendance = attendance or {}
    by_role = attendance.get("by_role") or {}
    checked_in = int(attendance.get("total") or 0)
    parts = [f"{n} {_role_fr(role, n)}" for role, n in sorted(by_role.items())]
    total = headcount if headcount is not None else checked_in
    detail = ""
    if parts and headcount is not None and headcount != checked_in:
        detail = f" (dont {checked_in} enregistrées dans l’atelier : {', '.join(parts)})"
    elif parts:
        detail = f" ({', '.join(parts)})"
    if attendance.get("named"):
        detail += f" ; ont souhaité être nommé·es : {', '.join(attendance['named'])}"
    return total, detail


def attendance_line(attendance: Mapping[str, Any] | None, headcount: int | None = None) -> str:
    """« 35 personnes présentes (2 élu·e, 20 habitant·e…) »."""
    total, detail = presence(attendance, headcount)
    return f"{total} {'personne présente' if total == 1 else 'personnes présentes'}{detail}"


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


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if abs(n) <= 1 else many}"


def _score(vote: Mapping[str, Any], score: Any) -> str:
    """What a method's score means, in words."""
    if not isinstance(score, int):
        return str(score)
    method = vote["method"]
    if method == "majority_judgment":
        grades = (vote.get("params") or {}).get("grades") or []
        grade = grades[score] if 0 <= score < len(grades) else str(score)
        return f"mention majoritaire « {grade} »"
    units = {
        "plurality": ("voix", "voix"),
        "approval": ("approbation", "approbations"),
        "dots": ("gommette", "gommettes"),
        "score": ("point", "points"),
        "borda": ("point", "points"),
        "irv": ("voix au premier tour", "voix au premier tour"),
    }
    if method == "schulze":
        return f"l’emporte sur {_plural(score, 'option', 'options')}"
    one, many = units.get(method, ("point", "points"))
    return _plural(score, one, many)


def vote_parts(votes: Sequence[Mapping[str, Any]]) -> tuple[Part, ...]:
    """« Votes de la séance »: each closed vote with its ranking best first, its scores, ties
    said as ties (« ex æquo »; no rule breaks them here), and « quorum non atteint »."""
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
        lines = []
        for tier in total["ranking"]:
            names = " = ".join(labels.get(option, option) for option in tier)
            score = _score(vote, total["scores"].get(tier[0])) if tier[0] in total["scores"] else ""
            if len(tier) > 1:
                each = f"{score} chacune, " if score else ""
                lines.append(f"{names} — {each}ex æquo")
            else:
                lines.append(f"{names} — {score}" if score else names)
        if lines:
            blocks.append(numbered(lines))
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
    ".facts{list-style:none;padding:0}footer{margin-top:3rem;font-size:.9rem;color:#444;"
    "word-break:break-all}@media print{body{max-width:none}}"
)


def report_html(report: Report) -> str:
    """A whole page. Only known tags around escaped text: nothing anyone typed becomes markup."""

    def esc(text: str) -> str:
        return html.escape(typeset_fr(text), quote=True)

    body = [f"<h1>{esc(report.title)}</h1>"]
    body += [f"<p>{esc(line)}</p>" for line in report.lead]
    if report.facts:
        items = "".join(
            f"<li><strong>{esc(label)}</strong> : {esc(value)}</li>"
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

"""A frozen version as the council reads it: Markdown, a standalone HTML page, and the
:class:`~domain.report.Report` its PDF prints.

Both are built from a version's stored content alone (see ``server.services.proposals``), in
French, with French typography; every string a participant wrote is escaped, and the only
markup is the section HTML that :func:`domain.proposals.to_html` built from known tags.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, Final

from domain.errors import typeset_fr
from domain.proposals import md_escape
from domain.report import (
    METHODS_FR,
    Part,
    Report,
    attendance_line,
    french_date,
    french_instant,
    para,
    vote_parts,
)
from domain.roles import Role

__all__ = ["version_html", "version_markdown", "version_report"]


def _role_fr(role: str) -> str:
    try:
        return Role(role).label_fr
    except ValueError:
        return role


def _contributors_line(section: Mapping[str, Any]) -> str | None:
    """« Écrit par Ana, Bruno et 2 autres habitant·es » — only names of those who agreed."""
    found = section.get("contributors")
    if not found or not found["by_role"]:
        return None
    named = list(found["named"])
    total = sum(found["by_role"].values())
    others = total - len(named)
    roles = ", ".join(f"{_role_fr(r)} : {n}" for r, n in sorted(found["by_role"].items()))
    who = ", ".join(named)
    if named and others:
        who += f" et {others} autre{'s' if others > 1 else ''} personne{'s' if others > 1 else ''}"
    elif not named:
        who = f"{total} personne{'s' if total > 1 else ''}"
    return f"Écrit par {who} ({roles})"


def _attendance_line(content: Mapping[str, Any]) -> str | None:
    attendance = content.get("attendance")
    if not attendance:
        return None
    parts = [f"{n} {_role_fr(role)}" for role, n in sorted(attendance["by_role"].items())]
    line = f"{attendance['total']} personnes présentes" + (
        f" ({', '.join(parts)})" if parts else ""
    )
    if attendance.get("named"):
        line += f" ; ont souhaité être nommé·es : {', '.join(attendance['named'])}"
    return line


def _vote_lines(vote: Mapping[str, Any]) -> list[str]:
    labels = {o["id"]: o["label"] for o in vote["options"]}
    method = METHODS_FR.get(vote["method"], vote["method"])
    turnout = (vote.get("turnout") or {}).get("total", 0)
    lines = [f"{vote['title']} — {method}, {turnout} bulletins"]
    results = vote.get("results")
    if results is None:
        lines.append("Résultats non publiés.")
        return lines
    total = results["total"]
    for rank, tier in enumerate(total["ranking"], start=1):
        names = " = ".join(labels.get(option, option) for option in tier)
        scores = ", ".join(str(total["scores"].get(option, "")) for option in tier)
        lines.append(f"{rank}. {names} ({scores})")
    if total["winner"] is None and total["ranking"] and len(total["ranking"][0]) > 1:
        lines.append("Égalité en tête : aucune option n’est retenue par ce vote.")
    if results.get("quorum_reached") is False:
        lines.append("Quorum non atteint : résultat indicatif.")
    return lines


def version_markdown(content: Mapping[str, Any], number: int, digest: str, created_at: str) -> str:
    """Markdown whose only markup is the software's: every string a participant typed (titles,
    names, places, poll titles and options) is escaped, as the sections' text already is, so a
    renderer that passes raw HTML through shows it as text."""
    esc = md_escape
    proposal, atelier = content["proposal"], content["atelier"]
    out = [
        f"# {esc(proposal['title'])}",
        "",
        f"Atelier « {esc(atelier['title'])} » — version {number}, figée le {created_at[:10]}",
        "",
    ]
    session = content.get("session")
    if session:
        place = f", {esc(session['place'])}" if session.get("place") else ""
        out += [f"Séance n° {session['number']} du {esc(str(session['date']))}{place}", ""]
    for section in content["sections"]:
        out += [f"## {esc(section['title_fr'])}", "", section["markdown"] or "_(vide)_", ""]
        if line := _contributors_line(section):
            out += [f"_{esc(line)}_", ""]
    if content.get("votes"):
        out += ["## Votes de la séance", ""]
        for vote in content["votes"]:
            first, *rest = (esc(line) for line in _vote_lines(vote))
            out += [f"### {first}", "", *rest, ""]
    if line := _attendance_line(content):
        out += ["## Présences", "", esc(line), ""]
    out += [
        "---",
        "",
        f"Empreinte SHA-256 de cette version : `{digest}`",
        "",
    ]
    return typeset_fr("\n".join(out))


_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1b1b1b}h1{font-size:1.8rem}h2{font-size:1.3rem;margin-top:2rem;"
    "border-bottom:1px solid #ccc}footer{margin-top:3rem;font-size:.9rem;color:#444;"
    "word-break:break-all}"
)


def version_html(content: Mapping[str, Any], number: int, digest: str, created_at: str) -> str:
    """A whole page; the sections' HTML was built from escaped text and known tags only."""

    def esc(text: object) -> str:
        return html.escape(typeset_fr(str(text)), quote=True)

    proposal, atelier = content["proposal"], content["atelier"]
    body = [
        f"<h1>{esc(proposal['title'])}</h1>",
        f"<p>Atelier « {esc(atelier['title'])} » — version {number}, "
        f"figée le <time>{esc(created_at[:10])}</time></p>",
    ]
    for section in content["sections"]:
        inner = section["html"] or "<p><em>(vide)</em></p>"
        if line := _contributors_line(section):
            inner += f'<p class="contributors">{esc(line)}</p>'
        body.append(f"<section><h2>{esc(section['title_fr'])}</h2>{inner}</section>")
    if content.get("votes"):
        body.append("<section><h2>Votes de la séance</h2>")
        for vote in content["votes"]:
            first, *rest = _vote_lines(vote)
            items = "".join(f"<li>{esc(line)}</li>" for line in rest)
            body.append(f"<h3>{esc(first)}</h3><ul>{items}</ul>")
        body.append("</section>")
    if line := _attendance_line(content):
        body.append(f"<section><h2>Présences</h2><p>{esc(line)}</p></section>")
    body.append(f"<footer>Empreinte SHA-256 de cette version : <code>{digest}</code></footer>")
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{esc(proposal['title'])} — v{number}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style></head><body><main>{''.join(body)}</main></body></html>"
    )


def version_report(
    content: Mapping[str, Any], number: int, digest: str, created_at: str, zone: str = "UTC"
) -> Report:
    """The version as a :class:`~domain.report.Report` (what its PDF prints): every section
    from its blocks, the séance's votes and attendance, and the fingerprint on every page;
    when it was frozen is said in ``zone``, the city's time zone."""
    proposal, atelier = content["proposal"], content["atelier"]
    frozen = french_instant(created_at, zone)
    lead = [f"Atelier « {atelier['title']} » — version {number}, figée le {frozen}"]
    session = content.get("session")
    if session and session.get("date"):
        place = f", {session['place']}" if session.get("place") else ""
        lead.append(f"Séance n° {session['number']} du {french_date(session['date'])}{place}")
    parts = [
        Part(
            section["title_fr"],
            tuple(section["blocks"]) or (para(("(vide)", ["italic"])),),
        )
        for section in content["sections"]
    ]
    parts += vote_parts(content.get("votes") or [])
    if content.get("attendance"):
        headcount = (session or {}).get("headcount")
        parts.append(Part("Présences", (para(attendance_line(content["attendance"], headcount)),)))
    return Report(
        title=proposal["title"],
        lead=tuple(lead),
        parts=tuple(parts),
        footer=f"Empreinte SHA-256 : {digest}",
        closing=(f"Empreinte SHA-256 de cette version : {digest}",),
    )

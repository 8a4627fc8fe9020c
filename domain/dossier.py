"""A frozen version as the council reads it: one :class:`~domain.report.Report`, which its
Markdown, its HTML page and its PDF all print.

The report is built from the version's stored content alone (see ``server.services.proposals``)
and says every fact the content holds once: the sections and who wrote them, the séance, its
votes in each method's own terms, who was there (the facilitator's headcount and the check-ins
by role), when it was frozen (in the city's time zone) and its fingerprints. The three renders
(:func:`~domain.report.report_markdown`, :func:`~domain.report.report_html`, ``server.pdf``)
only lay it out, with the same French typography, so they cannot say different things.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.report import (
    Block,
    Part,
    Report,
    amendment_parts,
    attendance_line,
    credits_line,
    french_date,
    french_instant,
    para,
    vote_parts,
)

__all__ = ["version_report"]


def _section(section: Mapping[str, Any]) -> Part:
    """A section's blocks as frozen (« (vide) » when there are none), then its credits."""
    blocks: list[Block] = list(section["blocks"]) or [para(("(vide)", ["italic"]))]
    if line := credits_line(section.get("contributors")):
        blocks.append(para((line, ["italic"])))
    return Part(section["title_fr"], tuple(blocks))


def version_report(
    content: Mapping[str, Any],
    number: int,
    digest: str,
    created_at: str,
    zone: str = "UTC",
    image_sha256: str | None = None,
) -> Report:
    """The version as a :class:`~domain.report.Report`: every section from its blocks with its
    credits, the séance's votes and attendance, and the fingerprint on every page. When it was
    frozen is said in ``zone``, the city's time zone, with its offset. ``image_sha256`` is the
    fingerprint of the atelier's image as it was when this version was frozen (None: it had
    none, or the version predates frozen images); the closing lines say it, so that a printed
    image can be checked against the one frozen."""
    proposal, atelier = content["proposal"], content["atelier"]
    frozen = french_instant(created_at, zone)
    lead = [f"Atelier « {atelier['title']} » — version {number}, figée le {frozen}"]
    session = content.get("session")
    if session and session.get("date"):
        place = f", {session['place']}" if session.get("place") else ""
        lead.append(f"Séance n° {session['number']} du {french_date(session['date'])}{place}")
    parts = [_section(section) for section in content["sections"]]
    parts += vote_parts(content.get("votes") or [])
    parts += amendment_parts(content.get("amendments") or [])
    if content.get("attendance"):
        headcount = (session or {}).get("headcount")
        parts.append(Part("Présences", (para(attendance_line(content["attendance"], headcount)),)))
    closing = [f"Empreinte SHA-256 de cette version : {digest}"]
    if image_sha256:
        closing.append(
            f"Image de l’atelier figée avec cette version, empreinte SHA-256 : {image_sha256}"
        )
    return Report(
        title=proposal["title"],
        lead=tuple(lead),
        parts=tuple(parts),
        footer=f"Empreinte SHA-256 : {digest}",
        closing=tuple(closing),
    )

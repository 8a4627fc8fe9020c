"""The compte-rendu (minutes) of a séance, in the seed's own structure, from frozen versions.

The seed's compte-rendu reads, in this order: date, time and place of the séance; number of
people present; date, time and place of the next séance; « Objectifs de la séance / ordre du
jour »; « Méthode / déroulé »; « Synthèse des échanges » with its sub-headings (« Remarques
liminaires », « Clarifications », « Appréciations et propositions », « Leviers de bon
fonctionnement », « Questions à étudier »); « Ordre du jour de la séance suivante ». The votes
of the séance, which the seed's workshop did not hold, come after the synthesis.

It is a record, not a live view: everything comes from the séance's frozen versions (the
newest version of each of its documents), and the document says which versions. The séance's
facts (agenda, method, attendance, votes) are those recorded by the most recent of them; the
synthesis is the séance's frozen « synthèse » document, whose « Points à traiter lors de la
séance suivante » become the next séance's agenda (the séance's own ``next_agenda`` when that
section is empty).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from domain.errors import InvalidTransition
from domain.report import (
    Block,
    Part,
    Report,
    bullets,
    french_date,
    french_instant,
    numbered,
    para,
    presence,
    vote_parts,
)
from domain.templates import SYNTHESIS

__all__ = ["NEXT_AGENDA_KEY", "compte_rendu", "not_frozen"]

#: The synthesis section that becomes « Ordre du jour de la séance suivante ».
NEXT_AGENDA_KEY: Final = "points_a_traiter"


def not_frozen() -> InvalidTransition:
    return InvalidTransition(
        "seance_not_frozen",
        "Aucun document de cette séance n’a encore été figé : l’animation doit d’abord figer "
        "la séance (POST /api/sessions/{id}/freeze), le compte-rendu est établi à partir des "
        "versions figées.",
        "Nothing of this séance has been frozen yet: the facilitator must freeze the séance "
        "first (POST /api/sessions/{id}/freeze); the minutes are built from frozen versions.",
    )


def _when_where(session: Mapping[str, Any]) -> str:
    parts = [french_date(session["date"])] if session.get("date") else []
    start, end = session.get("start_time"), session.get("end_time")
    if start and end:
        parts.append(f"de {_clock(start)} à {_clock(end)}")
    elif start:
        parts.append(f"à {_clock(start)}")
    mode = session.get("mode")
    if session.get("place"):
        parts.append(str(session["place"]) + (" et à distance" if mode == "hybride" else ""))
    elif mode == "distanciel":
        parts.append("à distance")
    return ", ".join(parts) or "non renseignés"


def _clock(iso_time: str) -> str:
    hour, minute = str(iso_time).split(":")[:2]
    return f"{int(hour)} h {minute}" if minute != "00" else f"{int(hour)} h"


def _agenda_line(item: Any) -> str:
    if isinstance(item, Mapping):
        minutes = item.get("minutes")
        # A step written in amendment mode says so (issue 20, #4); « libre » is the ordinary.
        said = [f"{minutes} min"] if minutes else []
        said += ["amendements"] if item.get("writing") == "amendements" else []
        return str(item["title"]) + (f" ({', '.join(said)})" if said else "")
    return str(item)


def _title(version: Mapping[str, Any]) -> str:
    return str(version["content"]["proposal"]["title"])


def compte_rendu(versions: Sequence[Mapping[str, Any]], zone: str = "UTC") -> Report:
    """The compte-rendu from the newest frozen version of each of the séance's documents.

    Each version is a mapping with ``number``, ``created_at``, ``hash`` and ``content`` (as
    stored by a freeze); when each was frozen is said in ``zone``, the city's time zone. No
    version: :class:`InvalidTransition` ``seance_not_frozen``.
    """
    if not versions:
        raise not_frozen()
    newest = max(versions, key=lambda v: str(v["created_at"]))
    content = newest["content"]
    session: Mapping[str, Any] = content.get("session") or {}
    atelier = content["atelier"]
    syntheses = [v for v in versions if v["content"]["proposal"]["kind"] == SYNTHESIS.key]
    synthesis = max(syntheses, key=lambda v: str(v["created_at"])) if syntheses else None

    number = session.get("number")
    title = f"Compte-rendu de l’atelier « {atelier['title']} »" + (
        f" — séance {number}" if number else ""
    )
    lead = tuple(
        f"Établi à partir de la version {v['number']} de « {_title(v)} », figée le "
        f"{french_instant(str(v['created_at']), zone)}."
        for v in versions
    )

    total, detail = presence(content.get("attendance"), session.get("headcount"))
    facts = [
        ("Date, horaire et lieu de la séance", _when_where(session)),
        ("Nombre de personnes présentes", f"{total}{detail}"),
    ]
    if following := session.get("next_session"):
        facts.append(("Date, horaire et lieu de la prochaine séance", _when_where(following)))

    objectives: list[Block] = [para(str(o)) for o in session.get("objectives") or []]
    if agenda := session.get("agenda"):
        objectives.append(bullets(_agenda_line(item) for item in agenda))
    method = session.get("method_steps") or []
    parts = [
        Part("Objectifs de la séance / ordre du jour", tuple(objectives) or _unsaid()),
        Part("Méthode / déroulé", (numbered(str(s) for s in method),) if method else _unsaid()),
    ]

    next_agenda: tuple[Block, ...] = ()
    if synthesis is None:
        parts.append(
            Part(
                "Synthèse des échanges",
                (para("Aucune synthèse des échanges figée n’est disponible pour cette séance."),),
            )
        )
    else:
        parts.append(Part("Synthèse des échanges"))
        for section in synthesis["content"]["sections"]:
            if section["key"] == NEXT_AGENDA_KEY:
                next_agenda = tuple(section["blocks"])
            elif section["blocks"]:
                parts.append(Part(section["title_fr"], tuple(section["blocks"]), level=2))

    parts += vote_parts(content.get("votes") or [])

    if not next_agenda and session.get("next_agenda"):
        next_agenda = (bullets(str(item) for item in session["next_agenda"]),)
    parts.append(Part("Ordre du jour de la séance suivante", next_agenda or _unsaid()))

    closing = tuple(
        f"« {_title(v)} », version {v['number']} figée le "
        f"{french_instant(str(v['created_at']), zone)} — empreinte SHA-256 : {v['hash']}"
        for v in versions
    )
    return Report(
        title=title,
        lead=lead,
        facts=tuple(facts),
        parts=tuple(parts),
        footer=(
            f"Compte-rendu{f' de la séance {number}' if number else ''}, établi à partir de "
            "versions figées (empreintes SHA-256 en dernière page)"
        ),
        closing=closing,
    )


def _unsaid() -> tuple[Block, ...]:
    return (para(("Non renseigné.", ["italic"])),)

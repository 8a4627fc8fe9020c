"""Projects (issue 22, #3): what a favourable decision of the city council becomes, and the
way it goes from there — its state, its milestones, the service in charge, its budget line.

A project is born « adoptée » when the council adopts a proposal; the city's services then move
it. The moves allowed here are the whole rule (no I/O): « réalisée » ends the way, and only
once every milestone is done; « abandonnée » can be taken up again (« à l'étude »).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Final

from domain.errors import InvalidInput, InvalidTransition, check_line, normalize_line

__all__ = [
    "MOVES",
    "ProjectState",
    "check_dates",
    "check_label",
    "check_move",
    "check_optional_line",
]


class ProjectState(StrEnum):
    A_L_ETUDE = "a_l_etude"
    ADOPTEE = "adoptee"
    EN_COURS = "en_cours"
    REALISEE = "realisee"
    ABANDONNEE = "abandonnee"

    @property
    def label_fr(self) -> str:
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]


_LABELS: Final = {
    ProjectState.A_L_ETUDE: ("à l’étude", "under study"),
    ProjectState.ADOPTEE: ("adoptée", "adopted"),
    ProjectState.EN_COURS: ("en cours", "in progress"),
    ProjectState.REALISEE: ("réalisée", "completed"),
    ProjectState.ABANDONNEE: ("abandonnée", "abandoned"),
}

#: Where each state may lead.
MOVES: Final[dict[ProjectState, frozenset[ProjectState]]] = {
    ProjectState.A_L_ETUDE: frozenset(
        {ProjectState.ADOPTEE, ProjectState.EN_COURS, ProjectState.ABANDONNEE}
    ),
    ProjectState.ADOPTEE: frozenset(
        {ProjectState.A_L_ETUDE, ProjectState.EN_COURS, ProjectState.ABANDONNEE}
    ),
    ProjectState.EN_COURS: frozenset(
        {ProjectState.ADOPTEE, ProjectState.REALISEE, ProjectState.ABANDONNEE}
    ),
    ProjectState.REALISEE: frozenset(),
    ProjectState.ABANDONNEE: frozenset({ProjectState.A_L_ETUDE}),
}


def check_move(current: str, wanted: str, open_milestones: int) -> ProjectState:
    """The state ``wanted`` if a project in ``current`` may go there; else why not."""
    try:
        target = ProjectState(wanted)
    except ValueError:
        raise InvalidInput(
            "bad_project_state",
            "L’état est « a_l_etude », « adoptee », « en_cours », « realisee » ou « abandonnee ».",
            "The state is a_l_etude, adoptee, en_cours, realisee or abandonnee.",
            field="state",
        ) from None
    here = ProjectState(current)
    if target is here:
        raise InvalidTransition(
            "project_state_unchanged",
            f"Le projet est déjà « {here.label_fr} ».",
            f"The project is already “{here.label_en}”.",
            field="state",
        )
    if target not in MOVES[here]:
        raise InvalidTransition(
            "project_bad_move",
            f"Un projet « {here.label_fr} » ne passe pas à « {target.label_fr} ».",
            f"A project “{here.label_en}” cannot become “{target.label_en}”.",
            field="state",
        )
    if target is ProjectState.REALISEE and open_milestones:
        raise InvalidTransition(
            "project_milestones_open",
            f"{open_milestones} jalon(s) ne sont pas encore faits : un projet est « réalisé » "
            "quand tous ses jalons le sont.",
            f"{open_milestones} milestone(s) are not done yet: a project is completed when "
            "all of its milestones are.",
            field="state",
        )
    return target


def check_label(text: str) -> str:
    """A milestone's label: one trimmed line of 1 to 200 characters."""
    value = normalize_line(text)
    check_line(value, field="label", label_fr="l’intitulé", label_en="label", max_length=200)
    return value


def check_optional_line(
    text: str | None, *, field: str, label_fr: str, label_en: str
) -> str | None:
    """A service's name or a budget line: one line of at most 200 characters, or None."""
    if text is None:
        return None
    value = normalize_line(text)
    if not value:
        return None
    check_line(value, field=field, label_fr=label_fr, label_en=label_en, max_length=200)
    return value


def check_dates(planned: dt.date | None, done: dt.date | None) -> None:
    """A milestone has a planned date, a done date, or both."""
    if planned is None and done is None:
        raise InvalidInput(
            "milestone_date_required",
            "Un jalon a une date prévue ou une date de réalisation.",
            "A milestone has a planned date or a done date.",
            field="planned_on",
        )

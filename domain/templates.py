"""The documents an atelier co-writes, as ordered sections with stable keys.

* :data:`FICHE_ACTION`: the structured proposal (« fiche-action ») the atelier works on. The seed
  studies the faisabilité of a fiche-action (« le quoi » et « le comment ») and asks, for next
  time, to "visualiser acteurs, instances", "définir les modalités de collaboration et de
  co-construction" and "identifier les limites, risques et aléas": each becomes a section.
* :data:`SYNTHESIS`: the « Synthèse des échanges » of a séance's compte-rendu, with the seed's
  own sub-headings in the seed's order.

Keys are stable (documents and frozen versions refer to them); titles and hints are what
people read, in French first and English.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import msgspec

from domain.errors import InvalidInput, normalize_text

__all__ = [
    "FICHE_ACTION",
    "SYNTHESIS",
    "TEMPLATES",
    "Section",
    "SectionText",
    "Template",
    "fill",
]


class Section(msgspec.Struct, frozen=True, kw_only=True):
    """One section of a template: a stable ``key``, titles, and a one-line hint for writers."""

    key: str
    title_fr: str
    title_en: str
    hint_fr: str
    hint_en: str


class Template(msgspec.Struct, frozen=True, kw_only=True):
    """A document's ordered sections; ``key`` is the document kind it describes."""

    key: str
    title_fr: str
    title_en: str
    sections: tuple[Section, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.sections)

    def section(self, key: str) -> Section:
        """The section called ``key``; unknown: :class:`InvalidInput` ``unknown_section``."""
        for section in self.sections:
            if section.key == key:
                return section
        raise _unknown_section(self, key)


class SectionText(msgspec.Struct, frozen=True):
    """A section's content in one document."""

    key: str
    text: str


def _unknown_section(template: Template, key: str) -> InvalidInput:
    return InvalidInput(
        "unknown_section",
        f"Le modèle « {template.title_fr} » n’a pas de section « {key} ».",
        f"The “{template.title_en}” template has no “{key}” section.",
        field="sections",
    )


FICHE_ACTION: Final = Template(
    key="fiche_action",
    title_fr="Fiche-action",
    title_en="Action sheet",
    sections=(
        Section(
            key="intitule",
            title_fr="Intitulé",
            title_en="Title",
            hint_fr="La proposition en une phrase, comme on l’annoncerait.",
            hint_en="The proposal in one sentence, as you would announce it.",
        ),
        Section(
            key="constat",
            title_fr="Constat",
            title_en="Findings",
            hint_fr="Ce qui se passe aujourd’hui et pose question, vu du quartier ou de la ville.",
            hint_en="What happens today and raises questions, seen from the neighbourhood or city.",
        ),
        Section(
            key="proposition",
            title_fr="Proposition",
            title_en="Proposal",
            hint_fr="Ce que l’atelier propose de faire : « le quoi ».",
            hint_en="What the atelier proposes to do: “the what”.",
        ),
        Section(
            key="acteurs_instances",
            title_fr="Acteurs et instances concernés",
            title_en="People and bodies involved",
            hint_fr="Qui porte, qui participe, qui décide : habitants, élus, services, CQ, CC…",
            hint_en="Who carries it, who takes part, who decides: residents, officials, bodies…",
        ),
        Section(
            key="modalites_coconstruction",
            title_fr="Modalités de co-construction",
            title_en="How it is co-constructed",
            hint_fr="Comment habitants, élus et agents travaillent ensemble : « le comment ».",
            hint_en="How residents, officials and agents work together: “the how”.",
        ),
        Section(
            key="moyens",
            title_fr="Moyens",
            title_en="Resources",
            hint_fr="Lieux, budget, temps, outils et relais d’information nécessaires.",
            hint_en="Places, budget, time, tools and information relays needed.",
        ),
        Section(
            key="calendrier",
            title_fr="Calendrier",
            title_en="Timeline",
            hint_fr="Les étapes, du déclenchement à la mise en œuvre, avec des dates.",
            hint_en="The steps, from the start to the implementation, with dates.",
        ),
        Section(
            key="limites_risques",
            title_fr="Limites, risques et aléas",
            title_en="Limits, risks and uncertainties",
            hint_fr="Ce qui pourrait bloquer ou dévier le projet, et comment y faire face.",
            hint_en="What could block or derail the project, and how to cope with it.",
        ),
    ),
)

SYNTHESIS: Final = Template(
    key="synthese",
    title_fr="Synthèse des échanges",
    title_en="Summary of the discussion",
    sections=(
        Section(
            key="remarques_liminaires",
            title_fr="Remarques liminaires",
            title_en="Opening remarks",
            hint_fr="Ce que les participants relèvent d’emblée sur les documents et la démarche.",
            hint_en="What participants point out at once about the documents and the process.",
        ),
        Section(
            key="clarifications",
            title_fr="Clarifications",
            title_en="Clarifications",
            hint_fr="Ce qui existe déjà, expliqué pour tous : instances, dispositifs, mots.",
            hint_en="What already exists, explained for everyone: bodies, schemes, terms.",
        ),
        Section(
            key="appreciations_propositions",
            title_fr="Appréciations et propositions",
            title_en="Assessments and proposals",
            hint_fr="Ce que les participants en pensent et ce qu’ils proposent, accords compris.",
            hint_en="What participants think of it and what they propose, agreements included.",
        ),
        Section(
            key="leviers",
            title_fr="Leviers de bon fonctionnement",
            title_en="What makes it work",
            hint_fr="Les conditions qui feraient réussir la proposition.",
            hint_en="The conditions that would make the proposal succeed.",
        ),
        Section(
            key="questions",
            title_fr="Questions à étudier",
            title_en="Questions to study",
            hint_fr="Les questions restées ouvertes, à reprendre plus tard.",
            hint_en="The questions left open, to come back to later.",
        ),
        Section(
            key="points_a_traiter",
            title_fr="Points à traiter lors de la séance suivante",
            title_en="Points for the next séance",
            hint_fr="La liste qui deviendra l’ordre du jour de la séance suivante.",
            hint_en="The list that becomes the next séance’s agenda.",
        ),
    ),
)

#: Templates by document kind (the proposal's ``kind``).
TEMPLATES: Final[Mapping[str, Template]] = MappingProxyType(
    {FICHE_ACTION.key: FICHE_ACTION, SYNTHESIS.key: SYNTHESIS}
)


def fill(template: Template, texts: Mapping[str, str]) -> tuple[SectionText, ...]:
    """Every section of ``template`` in order, with ``texts[key]`` (tidied) or ``""``.

    A key the template does not have: :class:`InvalidInput` ``unknown_section`` (a misspelt key
    must not silently drop someone's text).
    """
    for key in texts:
        if key not in template.keys:
            raise _unknown_section(template, key)
    return tuple(SectionText(key, normalize_text(texts.get(key, ""))) for key in template.keys)

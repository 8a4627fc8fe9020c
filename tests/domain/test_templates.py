"""The fiche-action and synthesis templates: their sections, in order, and filling them."""

from __future__ import annotations

import msgspec
import pytest

from domain.errors import InvalidInput
from domain.templates import FICHE_ACTION, SYNTHESIS, TEMPLATES, SectionText, Template, fill


def test_the_fiche_action_sections_in_order() -> None:
    assert [(s.key, s.title_fr) for s in FICHE_ACTION.sections] == [
        ("intitule", "Intitulé"),
        ("constat", "Constat"),
        ("proposition", "Proposition"),
        ("acteurs_instances", "Acteurs et instances concernés"),
        ("modalites_coconstruction", "Modalités de co-construction"),
        ("moyens", "Moyens"),
        ("calendrier", "Calendrier"),
        ("limites_risques", "Limites, risques et aléas"),
    ]


def test_the_synthesis_sections_follow_the_seeds_compte_rendu() -> None:
    assert SYNTHESIS.title_fr == "Synthèse des échanges"
    assert [(s.key, s.title_fr) for s in SYNTHESIS.sections] == [
        ("remarques_liminaires", "Remarques liminaires"),
        ("clarifications", "Clarifications"),
        ("appreciations_propositions", "Appréciations et propositions"),
        ("leviers", "Leviers de bon fonctionnement"),
        ("questions", "Questions à étudier"),
        ("points_a_traiter", "Points à traiter lors de la séance suivante"),
    ]


@pytest.mark.parametrize("template", [FICHE_ACTION, SYNTHESIS], ids=lambda t: t.key)
def test_every_section_speaks_french_and_english_in_one_line(template: Template) -> None:
    assert len(set(template.keys)) == len(template.keys)
    for section in template.sections:
        for text in (section.title_fr, section.title_en, section.hint_fr, section.hint_en):
            assert text
            assert "\n" not in text
        assert section.hint_fr != section.hint_en


def test_templates_are_found_by_document_kind() -> None:
    assert TEMPLATES["fiche_action"] is FICHE_ACTION
    assert TEMPLATES["synthese"] is SYNTHESIS
    assert set(TEMPLATES) == {"fiche_action", "synthese"}


def test_a_section_is_found_by_key() -> None:
    assert FICHE_ACTION.section("moyens").title_en == "Resources"
    with pytest.raises(InvalidInput, match="unknown_section"):
        FICHE_ACTION.section("budget")


def test_fill_gives_every_section_in_order() -> None:
    filled = fill(FICHE_ACTION, {"moyens": "  Une salle. ", "intitule": "Jardins"})
    assert [s.key for s in filled] == list(FICHE_ACTION.keys)
    assert filled[0] == SectionText("intitule", "Jardins")
    assert filled[5] == SectionText("moyens", "Une salle.")
    assert {s.text for s in filled[1:5]} == {""}


def test_fill_refuses_a_key_the_template_does_not_have() -> None:
    with pytest.raises(InvalidInput) as caught:
        fill(SYNTHESIS, {"conclusion": "…"})
    assert caught.value.code == "unknown_section"
    assert "conclusion" in caught.value.message_fr


def test_templates_encode_as_json() -> None:
    """The client renders the sections it receives; keys and titles travel as they are."""
    decoded = msgspec.json.decode(msgspec.json.encode(FICHE_ACTION), type=Template)
    assert decoded == FICHE_ACTION

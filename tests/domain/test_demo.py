"""The demo data says what the seed's compte-rendu says."""

from __future__ import annotations

from datetime import date

import msgspec

from domain.ateliers import AtelierKind, AtelierStatus, Instance, Scope
from domain.demo import Demo, demo
from domain.sessions import Mode, attendance_summary
from domain.templates import FICHE_ACTION, SYNTHESIS

DEMO = demo()
SEANCE_1, SEANCE_2 = DEMO.sessions


def test_the_programme_and_the_atelier() -> None:
    assert "Sommet Citoyen" in DEMO.programme
    assert "saison 2" in DEMO.programme
    atelier = DEMO.atelier
    assert atelier.title == "Évolution des instances de démocratie locale"
    assert (atelier.kind, atelier.scope, atelier.neighbourhood) == (
        AtelierKind.PROJET,
        Scope.VILLE,
        None,
    )
    assert set(atelier.instances) == set(Instance)
    assert atelier.status is AtelierStatus.ACTIVE


def test_seance_1_on_12_december_2017_at_the_aubette_with_35_present() -> None:
    assert SEANCE_1.number == 1
    assert SEANCE_1.date == date(2017, 12, 12)
    assert SEANCE_1.mode is Mode.PRESENTIEL
    assert SEANCE_1.place is not None
    assert "Aubette" in SEANCE_1.place
    assert SEANCE_1.start_time is None  # the minutes give no time
    assert attendance_summary(SEANCE_1, []).total_present == 35


def test_seance_1_objectives_and_agenda() -> None:
    (objective,) = SEANCE_1.objectives
    assert objective.startswith("Étude de faisabilité (« le quoi » et « le comment »)")
    assert [item.title for item in SEANCE_1.agenda] == [p.title for p in DEMO.proposals]


def test_seance_1_follows_the_seven_steps_of_its_method() -> None:
    steps = SEANCE_1.method_steps
    assert len(steps) == 7
    assert steps[0].startswith("Rappel de la démarche du Sommet Citoyen")
    assert "(habitants, élus, agents, animatrices)" in steps[1]
    assert steps[2] == "Présentation des agents de l’Eurométropole"
    assert steps[4] == "Lecture des propositions issues de la fiche action"
    assert steps[6] == "Liste des points à traiter lors du second volet en janvier 2018"


def test_seance_2_on_31_january_2018_at_the_centre_administratif() -> None:
    assert SEANCE_2.number == 2
    assert SEANCE_2.date == date(2018, 1, 31)
    assert SEANCE_2.place == "Centre Administratif"
    assert SEANCE_2.attendance == ()
    assert SEANCE_2.headcount is None


def test_seance_2_agenda_is_what_seance_1_set() -> None:
    assert len(SEANCE_1.next_agenda) == 9
    assert [item.title for item in SEANCE_2.agenda] == list(SEANCE_1.next_agenda)
    assert SEANCE_1.next_agenda[0].startswith("Revoir les noms")
    assert any("nombre minimum d’habitants" in item for item in SEANCE_1.next_agenda)
    assert any("charte" in item for item in SEANCE_1.next_agenda)


def test_the_two_proposals() -> None:
    assert [p.title for p in DEMO.proposals] == [
        "Créer des ateliers de quartier au service des projets",
        "Créer des ateliers ville au service des grandes politiques publiques",
    ]
    for proposal in DEMO.proposals:
        assert [s.key for s in proposal.sections] == list(FICHE_ACTION.keys)
        assert all(s.text for s in proposal.sections)
        assert proposal.text("intitule") == proposal.title


def test_proposal_texts_come_from_the_seed() -> None:
    quartier, ville = DEMO.proposals
    assert "hors des seuls CQ" in quartier.text("proposition")
    assert "mis à disposition par la ville" in quartier.text("moyens")
    assert "dépasse l’urbanisme" in ville.text("proposition")
    assert "présentation en conseil municipal" in ville.text("modalites_coconstruction")


def test_the_synthesis_of_seance_1() -> None:
    (synthesis,) = [d for d in DEMO.documents if d.kind == SYNTHESIS.key]
    assert synthesis.session_id == SEANCE_1.id
    assert [s.key for s in synthesis.sections] == list(SYNTHESIS.keys)
    assert all(s.text for s in synthesis.sections)
    assert "co-construction" in synthesis.text("remarques_liminaires")
    assert "80 000 habitants" in synthesis.text("clarifications")
    assert "ateliers d’initiatives citoyennes (AIC)" in synthesis.text("appreciations_propositions")
    assert "logo" in synthesis.text("leviers")
    assert synthesis.text("questions") == (
        "Comment gérer cette nouvelle dimension d’implication des habitants ?"
    )
    assert synthesis.text("points_a_traiter").count("\n- ") == 8  # the nine points


def test_ids_are_stable_unique_and_consistent() -> None:
    assert demo() == DEMO
    ids = [DEMO.atelier.id, *(s.id for s in DEMO.sessions), *(d.id for d in DEMO.documents)]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("demo-") for i in ids)
    assert {s.atelier_id for s in DEMO.sessions} == {DEMO.atelier.id}
    assert {d.atelier_id for d in DEMO.documents} == {DEMO.atelier.id}
    assert {d.session_id for d in DEMO.documents} <= {s.id for s in DEMO.sessions}


def test_the_demo_survives_a_json_round_trip() -> None:
    assert msgspec.json.decode(msgspec.json.encode(DEMO), type=Demo) == DEMO

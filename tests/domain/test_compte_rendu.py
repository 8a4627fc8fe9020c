"""What the compte-rendu and a printed version say, from frozen content alone: votes with ties
and quorum, presence, dates in French, a record that needs a freeze, typed text kept as text."""

from __future__ import annotations

from typing import Any

import pytest

from domain.compte_rendu import compte_rendu
from domain.errors import InvalidTransition
from domain.report import (
    Report,
    attendance_line,
    credits_line,
    french_date,
    french_instant,
    para,
    report_html,
    report_markdown,
    vote_parts,
)

OPTIONS = [
    {"id": "o1", "label": "Jardin"},
    {"id": "o2", "label": "Bancs"},
    {"id": "o3", "label": "Fresque"},
]


def poll(method: str = "plurality", **overrides: Any) -> dict[str, Any]:
    return {
        "title": "Priorités",
        "method": method,
        "params": {},
        "options": OPTIONS,
        "quorum": None,
        "turnout": {"total": 5},
        "results": {
            "total": {
                "ranking": [["o1"], ["o2", "o3"]],
                "scores": {"o1": 3, "o2": 1, "o3": 1},
                "winner": "o1",
            },
            "quorum_reached": True,
        },
        **overrides,
    }


def said(report: Report) -> str:
    return report_markdown(report).replace("\u00a0", " ").replace("\u202f", " ")


def test_a_ranking_says_scores_ties_and_the_winner() -> None:
    text = said(Report("t", parts=vote_parts([poll()])))
    assert "1. Jardin — 3 voix" in text
    assert "2. Bancs = Fresque — 1 voix chacune, ex æquo" in text
    assert "Option retenue : **Jardin**" in text


def test_a_tie_for_first_retains_nothing_and_a_missed_quorum_is_said() -> None:
    results = {
        "total": {
            "ranking": [["o1", "o2"], ["o3"]],
            "scores": {"o1": 2, "o2": 2, "o3": 1},
            "winner": None,
        },
        "quorum_reached": False,
    }
    text = said(Report("t", parts=vote_parts([poll(results=results, quorum=12)])))
    assert "1. Jardin = Bancs — 2 voix chacune, ex æquo" in text
    assert "Égalité en tête : aucune option n’est retenue par ce vote." in text
    assert "Quorum non atteint (5 bulletins pour 12) : résultat indicatif." in text
    assert "Option retenue" not in text


def test_hidden_results_stay_hidden_and_majority_judgment_names_grades() -> None:
    assert "Résultats non publiés." in said(Report("t", parts=vote_parts([poll(results=None)])))
    judged = poll(
        "majority_judgment",
        params={"grades": ["À rejeter", "Passable", "Bien", "Très bien"]},
        results={
            "total": {
                "ranking": [["o1"], ["o2"], ["o3"]],
                "scores": {"o1": 3, "o2": 2, "o3": 0},
                "winner": "o1",
            },
            "quorum_reached": None,
        },
    )
    assert "1. Jardin — mention majoritaire « Très bien »" in said(
        Report("t", parts=vote_parts([judged]))
    )


def test_majority_judgment_names_the_grades_the_count_used_when_the_poll_gave_none() -> None:
    """A poll on the default grades stores no ``grades`` param: the count's details have them."""
    judged = poll(
        "majority_judgment",
        results={
            "total": {
                "ranking": [["o1"], ["o2", "o3"]],
                "scores": {"o1": 4, "o2": 2, "o3": 2},
                "winner": "o1",
                "details": {
                    "kind": "majority_judgment",
                    "grades": ["Non", "Bof", "Oui", "Si", "Top"],
                },
            },
            "quorum_reached": None,
        },
    )
    text = said(Report("t", parts=vote_parts([judged])))
    assert "1. Jardin — mention majoritaire « Top »" in text
    assert "2. Bancs = Fresque — mention majoritaire « Oui » chacune, ex æquo" in text


def test_instant_runoff_says_each_round_and_schulze_what_each_option_beats() -> None:
    rounds = [
        {"counts": {"o1": 2, "o2": 2, "o3": 1}, "exhausted": 0, "eliminated": ["o3"]},
        {"counts": {"o1": 3, "o2": 1}, "exhausted": 1, "eliminated": ["o2"]},
        {"counts": {"o1": 3}, "exhausted": 2, "eliminated": []},
    ]
    runoff = poll(
        "irv",
        results={
            "total": {
                "ranking": [["o1"], ["o2"], ["o3"]],
                "scores": {"o1": 2, "o2": 2, "o3": 1},
                "winner": "o1",
                "details": {"kind": "irv", "rounds": rounds, "majority_round": 1},
            },
            "quorum_reached": None,
        },
    )
    text = said(Report("t", parts=vote_parts([runoff])))
    assert "1. Jardin\n2. Bancs\n3. Fresque" in text  # ranked by the rounds, not round one
    assert "- Tour 1 : Jardin 2 voix, Bancs 2 voix, Fresque 1 voix ; éliminée : Fresque" in text
    assert (
        "- Tour 2 : Jardin 3 voix, Bancs 1 voix, 1 bulletin épuisé ; majorité absolue pour "
        "Jardin ; éliminée : Bancs"
    ) in text
    assert "- Tour 3 : Jardin 3 voix, 2 bulletins épuisés\n" in text
    scores = {"o1": 1, "o2": 0, "o3": 0}  # tied options may beat different numbers of others
    tied = poll(
        "schulze",
        results={"total": {"ranking": [["o1", "o2"], ["o3"]], "scores": scores, "winner": None}},
    )
    text = said(Report("t", parts=vote_parts([tied])))
    assert "1. Jardin (l’emporte sur 1 option) = Bancs (l’emporte sur 0 option) — ex æquo" in text


def test_credits_name_only_who_agreed_and_count_everyone_by_role() -> None:
    assert credits_line({"named": [], "by_role": {}}) is None
    assert credits_line(None) is None
    assert credits_line({"named": ["Ana"], "by_role": {"habitant": 2}}) == (
        "Écrit par Ana et 1 autre personne (2 habitant·es)"
    )
    assert credits_line({"named": ["Ana", "Weber"], "by_role": {"habitant": 1, "elu": 1}}) == (
        "Écrit par Ana, Weber (1 élu·e, 1 habitant·e)"
    )
    assert credits_line({"named": [], "by_role": {"animateur": 3}}) == (
        "Écrit par 3 personnes (3 animateur·rices)"
    )


def test_presence_prefers_the_headcount_and_says_who_checked_in() -> None:
    attendance = {"by_role": {"habitant": 3, "elu": 1}, "total": 4, "named": ["Ana"]}
    assert attendance_line(attendance, 35) == (
        "35 personnes présentes (dont 4 enregistrées dans l’atelier : 1 élu·e, 3 habitant·es)"
        " ; ont souhaité être nommé·es : Ana"
    )
    assert attendance_line({"by_role": {"habitant": 1}, "total": 1}) == (
        "1 personne présente (1 habitant·e)"
    )
    assert attendance_line({"by_role": {"elu": 1}, "total": 1}, 9) == (
        "9 personnes présentes (dont 1 enregistrée dans l’atelier : 1 élu·e)"
    )


def test_dates_read_as_french() -> None:
    assert french_date("2017-12-12") == "mardi 12 décembre 2017"
    assert french_date("2018-01-01") == "lundi 1er janvier 2018"
    assert french_instant("2026-11-26T18:05:07.123456Z") == "26 novembre 2026 à 18 h 05 (UTC)"


def test_an_instant_is_said_in_the_citys_time_zone_with_its_offset() -> None:
    winter, summer = "2026-11-26T18:05:07.123456Z", "2026-07-01T22:30:00Z"
    assert (
        french_instant(winter, "Europe/Paris")
        == "26 novembre 2026 à 19 h 05 (heure de Paris, UTC+1)"
    )
    assert (
        french_instant(summer, "Europe/Paris") == "2 juillet 2026 à 0 h 30 (heure de Paris, UTC+2)"
    )
    # The day too is the city's: 2 h 05 in Strasbourg is still the evening before in Montreal.
    assert french_instant("2026-11-26T02:05:00Z", "America/Montreal") == (
        "25 novembre 2026 à 21 h 05 (heure de Montreal, UTC\u22125)"
    )
    assert french_instant("2026-11-26T02:05:00Z", "Asia/Kolkata").endswith(
        "(heure de Kolkata, UTC+5:30)"
    )


def test_typed_markup_is_text_in_markdown_and_html() -> None:
    report = Report(
        "<b>Titre</b>", lead=("<img src=x onerror=alert(1)>",), facts=(("Lieu", "<i>ici</i>"),)
    )
    html = report_html(report)
    for markup in ("<b>", "<img", "<i>"):
        assert markup not in html
    assert "&lt;b&gt;Titre&lt;/b&gt;" in html
    assert "<b>" not in report_markdown(report)


def version(kind: str, title: str, created_at: str, blocks: list[Any]) -> dict[str, Any]:
    """A stored version of a document of séance 4, with one section holding ``blocks``."""
    key = "points_a_traiter" if kind == "synthese" else "constat"
    return {
        "number": 2,
        "created_at": created_at,
        "hash": "f" * 64,
        "content": {
            "proposal": {"id": title, "title": title, "kind": kind},
            "atelier": {"title": "Jardins"},
            "sections": [{"key": key, "title_fr": "Titre", "blocks": blocks}],
            "session": {
                "number": 4,
                "date": "2018-03-05",
                "start_time": "18:30:00",
                "end_time": "20:00:00",
                "mode": "hybride",
                "place": "Maison des associations",
                "next_agenda": ["Visiter la friche"],
            },
            "attendance": {"by_role": {}, "total": 0, "named": []},
            "votes": [],
        },
    }


def test_a_compte_rendu_needs_a_frozen_version() -> None:
    with pytest.raises(InvalidTransition) as refused:
        compte_rendu([])
    assert refused.value.code == "seance_not_frozen"


def test_without_a_frozen_synthesis_it_says_so_and_takes_the_seances_next_agenda() -> None:
    fiche = version("fiche_action", "Un jardin", "2026-11-26T18:00:00.000000Z", [])
    text = said(compte_rendu([fiche]))
    assert "séance 4" in text
    assert "lundi 5 mars 2018, de 18 h 30 à 20 h, Maison des associations et à distance" in text
    assert "Aucune synthèse des échanges figée n’est disponible pour cette séance." in text
    assert "## Ordre du jour de la séance suivante\n\n- Visiter la friche" in text
    assert "Établi à partir de la version 2 de « Un jardin », figée le 26 novembre 2026" in text


def test_the_synthesis_points_a_traiter_become_the_next_agenda() -> None:
    fiche = version("fiche_action", "Un jardin", "2026-11-26T18:00:00.000000Z", [])
    points = [para("Choisir un nom")]
    synthese = version("synthese", "Synthèse", "2026-11-26T18:00:01.000000Z", points)
    text = said(compte_rendu([fiche, synthese]))
    assert "## Ordre du jour de la séance suivante\n\nChoisir un nom" in text
    assert "Visiter la friche" not in text


def test_the_agenda_says_which_steps_were_written_in_amendments() -> None:
    fiche = version("fiche_action", "Un jardin", "2026-11-26T18:00:00.000000Z", [])
    fiche["content"]["session"]["agenda"] = [
        {"title": "Accueil", "minutes": 10},
        {"title": "Lecture de la fiche", "minutes": 30, "writing": "amendements"},
        {"title": "Échanges", "minutes": None, "writing": "amendements"},
        {"title": "Retour à l’écriture", "minutes": 20, "writing": "libre"},
    ]
    text = said(compte_rendu([fiche]))
    assert "- Accueil (10 min)\n" in text
    assert "- Lecture de la fiche (30 min, amendements)\n" in text
    assert "- Échanges (amendements)\n" in text
    assert "- Retour à l’écriture (20 min)\n" in text

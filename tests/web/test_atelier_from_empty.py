"""Issue 19, « Show »: the seed's séance 1 (« Évolution des instances de démocratie locale »,
12/12/2017, à l'Aubette) played from an EMPTY database, in the browser alone (the test makes no
HTTP call; only the operator's command line prints the staff's sign-in link). The staff create
the atelier de projet with its charter and logo and schedule séance 1 with the seed's seven
method steps (test_atelier_from_empty_part1's steps, reused); the console runs the timer on a
step; three people join, one on a 390×844 phone, an élue with an invitation code; at the door
someone without a phone is checked in and the headcount of 35 recorded; the feuille
d'émargement opens as a PDF; the fiche-action is created from its template and two people
co-edit it; a dot vote where élus vote too is announced in the editor, and closed after a
confirmation; the séance is frozen, the fiche-action transmitted to the council, and séance 2
scheduled from séance 1's next agenda. axe-core with no violation at any impact on every
screen; screenshots at 1366×768 and 390×844 in tests/web/screenshots/from-empty-*."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.conftest import (
    PHONE,
    SCREENSHOTS,
    Demo,
    check_axe,
    join_by_ui,
    new_page,
    no_page_errors,
)
from tests.web.test_atelier_from_empty_part1 import (
    DESKTOP,
    METHOD_STEPS,
    Empty,
    running_empty,
    shoot,
    staff_create_the_ap_and_seance_1,
)
from tests.web.test_console_door import minutes_left

pytest.importorskip("playwright")
from playwright.sync_api import expect

FICHE = "Ateliers de quartier et ateliers ville"
QUESTION = "Quel nom pour les ateliers ?"
NEXT_AGENDA = [
    "Revoir les noms (atelier d’initiative citoyenne / atelier de projet)",
    "Existence d’une charte pour les ateliers ?",
]


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Empty]:
    yield from running_empty(tmp_path_factory)


def shot(page: Any, name: str) -> None:
    """axe-core at every impact level, then the screen at 1366×768 and 390×844."""
    check_axe(page, name, every_impact=True)
    shoot(page, f"from-empty-{name}", SCREENSHOTS)


def live(page: Any) -> None:
    page.get_by_role("status").filter(has_text="En direct").first.wait_for()


def editor(page: Any, empty: Empty, proposal: str) -> None:
    page.goto(f"{empty.http}/proposition/{proposal}")
    page.get_by_test_id("sync-state").filter(has_text="En ligne").wait_for()


def section(page: Any, key: str) -> Any:
    return page.locator(f'[data-section="{key}"] .ProseMirror')


def test_seance_1_of_the_seed_from_an_empty_database_in_the_browser_alone(
    empty: Empty, new_context: Any
) -> None:
    lead = new_page(new_context(DESKTOP))
    atelier, seance, code = staff_create_the_ap_and_seance_1(lead, empty, shot)
    place = Demo(empty.server, atelier, code, "", seance)  # what join_by_ui reads: the code

    # The console: séance 1 starts, the timer runs on its first step.
    lead.goto(f"{empty.http}/animation/{seance}")
    live(lead)
    lead.get_by_role("button", name="Commencer la séance").click()
    step = lead.get_by_test_id("tile-step")
    expect(step.locator(".step-now")).to_contain_text(METHOD_STEPS[0])
    step.get_by_label("Minutes").fill("15")
    step.get_by_role("button", name="Lancer le minuteur").click()
    timer = step.get_by_test_id("timer")
    step.get_by_role("button", name="Pause").wait_for()
    assert timer.get_attribute("data-state") == "running"
    assert minutes_left(timer) in (14, 15)
    lead.evaluate("() => window.scrollTo(0, 0)")
    shot(lead, "07-console-minuteur")

    # Three people join: two residents (one on a phone) and an élue invited from the console.
    awa = new_page(new_context(DESKTOP))
    join_by_ui(awa, place, "Awa")
    bruno = new_page(new_context(PHONE))
    join_by_ui(bruno, place, "Bruno")
    shot(bruno, "08-atelier-habitant")
    lead.get_by_label("Rôle", exact=True).select_option("elu")
    lead.get_by_role("button", name="Créer un code d’invitation").click()
    invitation = lead.locator(".invite-code .code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", invitation), invitation
    elue = new_page(new_context(DESKTOP))
    join_by_ui(elue, place, "Mme l’adjointe", role="elu", invitation=invitation)

    # At the door: Awa checked in by name; Mme Martin, without a phone, registered with a slip;
    # the headcount of 35; the feuille d'émargement opens as a PDF.
    door = lead.get_by_test_id("door")
    door.get_by_label("Nom de la personne").fill("awa")
    door.get_by_role("button", name="Pointer l’arrivée de Awa").click()
    door.locator(".door-results li", has_text="Awa").get_by_text("présent·e").wait_for()
    door.get_by_label("Prénom, nom ou pseudonyme").fill("Mme Martin")
    door.get_by_label("Rôle à l’atelier").select_option("habitant")
    door.get_by_role("button", name="Inscrire et pointer").click()
    slip = door.get_by_test_id("slip")
    slip.get_by_role("heading", name="Ticket de Mme Martin").wait_for()
    lead.get_by_test_id("checked-in").locator("li", has_text="habitant·e").get_by_text(
        "2", exact=True
    ).wait_for()
    door.get_by_label("Nombre de personnes présentes").fill("35")
    door.get_by_role("button", name="Enregistrer le nombre").click()
    door.get_by_text("Enregistré : 35 personnes présentes.").wait_for()
    with (
        lead.expect_response(re.compile(r"/emargement\.pdf$")) as answer,
        lead.expect_popup() as opened,
    ):
        door.get_by_role("button", name="Imprimer la feuille d’émargement").click()
    assert answer.value.status == 200
    assert answer.value.headers["content-type"] == "application/pdf"
    opened.value.wait_for_url(re.compile(r"^blob:"))
    opened.value.close()
    door.scroll_into_view_if_needed()
    shot(lead, "09-console-accueil")

    # The fiche-action, from its template, in the console; the way to the editor follows.
    made = lead.get_by_role("region", name="Nouvelle proposition")
    made.get_by_role("button", name="Créer la proposition").click()
    expect(made.get_by_role("alert")).to_have_text("Le titre est obligatoire.")
    expect(made.get_by_label("Titre de la proposition")).to_be_focused()
    made.get_by_label("Titre de la proposition").fill(FICHE)
    expect(made.get_by_label("Modèle")).to_have_value("fiche_action")
    made.scroll_into_view_if_needed()
    shot(lead, "10-console-nouvelle-proposition")
    made.get_by_role("button", name="Créer la proposition").dblclick()
    open_it = made.get_by_role("link", name=f"Ouvrir « {FICHE} » dans l’éditeur")
    expect(made.get_by_text(f"« {FICHE} » est créée.")).to_be_visible()
    found = re.search(r"/proposition/([\w-]+)$", open_it.get_attribute("href") or "")
    assert found
    proposal = found.group(1)
    # The console knows it at once: an option to vote on, a line to hand over once frozen.
    lead.locator("form.new-poll").get_by_label(FICHE).wait_for()
    # Once, though the button was pressed twice.
    expect(lead.locator(".hand-over li", has_text=f"« {FICHE} »")).to_have_count(1)
    awa.goto(f"{empty.http}/atelier/{atelier}?seance={seance}")
    expect(awa.get_by_role("link", name=FICHE, exact=True)).to_have_count(1)

    # Two people co-edit: each one's sentence reaches the other, live.
    editor(awa, empty, proposal)
    editor(bruno, empty, proposal)
    awa.get_by_test_id("here").get_by_text("Bruno").wait_for()
    bruno.get_by_test_id("here").get_by_text("Awa").wait_for()
    section(awa, "constat").click()
    awa.keyboard.type("Les conseils de quartier peinent à mobiliser.")
    expect(section(bruno, "constat")).to_contain_text("peinent à mobiliser")
    section(bruno, "proposition").click()
    bruno.keyboard.type("Des ateliers ouverts à toutes et tous.")
    expect(section(awa, "proposition")).to_contain_text("ouverts à toutes et tous")
    shot(awa, "11-editeur-coedition")

    # A dot vote where élus vote too: the élue, in the editor, is told and follows the link.
    editor(elue, empty, proposal)
    calls = elue.get_by_test_id("vote-call")
    lead.get_by_label("Question").fill(QUESTION)
    lead.get_by_label("Méthode").select_option("dots")
    lead.get_by_label("Options", exact=True).fill(
        "Atelier d’initiative citoyenne\nAtelier de projet\nAtelier de quartier"
    )
    lead.get_by_label("Les élu·es et les agents votent aussi").check()
    lead.get_by_role("button", name="Préparer le vote").click()
    card = lead.locator("article.poll", has_text=QUESTION).first
    card.get_by_text(re.compile("votent : .*élu·e")).wait_for()
    card.get_by_role("button", name="Ouvrir le vote").click()
    card.get_by_role("button", name="Clore le vote").wait_for()
    calls.get_by_text(f"Un vote est ouvert : « {QUESTION} ».").wait_for()
    calls.get_by_text("Votre rôle vote.").wait_for()
    shot(elue, "12-editeur-vote-annonce")
    calls.get_by_role("link", name="Aller au bulletin").click()
    elue.get_by_role("heading", name=re.compile(re.escape(QUESTION))).wait_for()
    elue.get_by_role("button", name="Ajouter une gommette à Atelier de projet").click()
    shot(elue, "13-bulletin-gommettes")
    elue.get_by_role("button", name="Envoyer mon vote").click()
    elue.get_by_role("status").filter(has_text="enregistré").wait_for()

    # Closing asks first; then the ballot says it is closed.
    card.get_by_role("button", name="Clore le vote").click()
    card.get_by_text("C’est définitif").wait_for()
    card.scroll_into_view_if_needed()
    shot(lead, "14-console-clore-confirmation")
    card.get_by_role("button", name="Oui, clore définitivement").click()
    elue.get_by_text("Le vote est clos.").wait_for()
    shot(elue, "15-bulletin-clos")

    # Freeze the séance's proposals, then transmit the fiche-action to the council.
    lead.get_by_role("button", name="Figer les propositions de la séance").click()
    lead.get_by_role("button", name="Oui, figer maintenant").click()
    lead.get_by_text("Versions figées : 1.").wait_for()
    line = lead.locator(".hand-over li", has_text=f"« {FICHE} »")
    line.get_by_text("— figée").wait_for()
    line.get_by_role("button", name="Transmettre au conseil").click()
    line.get_by_text(f"Transmettre « {FICHE} » au conseil municipal maintenant ?").wait_for()
    line.scroll_into_view_if_needed()
    shot(lead, "16-console-transmettre")
    line.get_by_role("button", name="Oui, transmettre").click()
    lead.get_by_text(f"« {FICHE} » est transmise au conseil municipal.").wait_for()
    line.get_by_text("— transmise au conseil").wait_for()

    # Séance 2, from séance 1's next agenda: the console says what it carries.
    follow = lead.get_by_role("region", name="Programmer la séance suivante")
    expect(follow.get_by_test_id("carried").locator("li")).to_have_text(NEXT_AGENDA)
    follow.get_by_role("button", name="Programmer la séance suivante").click()
    expect(follow.get_by_role("alert")).to_have_text("Indiquez la date de la séance.")
    expect(follow.get_by_label("Date de la séance suivante")).to_be_focused()
    follow.get_by_label("Date de la séance suivante").fill("2018-01-16")
    follow.get_by_label("Heure de début").fill("18:30")
    expect(follow.get_by_label("Forme")).to_have_value("presentiel")
    expect(follow.get_by_label("Lieu de la séance suivante")).to_have_value(
        "L’Aubette, place Kléber"
    )
    follow.scroll_into_view_if_needed()
    shot(lead, "17-console-seance-suivante")
    follow.get_by_role("button", name="Programmer la séance suivante").dblclick()
    done = follow.get_by_test_id("next-seance")
    done.get_by_text("Séance 2 programmée").wait_for()
    expect(done.locator(".code")).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    shot(lead, "18-console-seance-2-programmee")
    done.get_by_role("link", name="Ouvrir la séance 2").click()
    expect(lead.get_by_role("heading", name="Séance 2")).to_be_visible()
    for item in NEXT_AGENDA:
        expect(lead.get_by_text(item, exact=True).first).to_be_visible()
    expect(lead.get_by_text(METHOD_STEPS[6]).first).to_be_visible()
    # Two séances, though the button was pressed twice.
    expect(lead.locator(".seance-list li")).to_have_count(2)
    shot(lead, "19-atelier-seance-2")
    for page in (lead, awa, bruno, elue):
        no_page_errors(page)

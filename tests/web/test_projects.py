"""Projects in the browser (issue 22, #3): the council staff move an adopted proposal's project
through two milestones to « réalisée » from the project card; a visitor with no token reads the
project's public timeline, on a phone. axe-core on both; screenshots."""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import DESKTOP, PHONE, Demo, check_axe, new_page, no_page_errors, screenshot
from tests.web.test_council import council_token, handed_over, open_as_staff
from tests.web.test_reflow import NARROW, assert_reflows

TITLE = "Des jardinières rue du Jeu-des-Enfants"
PROJECTS = "/decouvrir/projets"


def adopt(demo: Demo, proposal: str) -> str:
    """The council service records the adoption by the API; the project's id."""
    decided = demo.api(
        "POST",
        f"/api/proposals/{proposal}/decision",
        council_token(),
        json={
            "outcome": "adoptee",
            "answer": "Le conseil adopte les jardinières ; pose au printemps.",
            "deliberation_ref": "2025-CM-077",
            "decided_on": "2025-03-10",
        },
    )
    return str(decided["decision"]["project_id"])


def test_staff_move_a_project_through_two_milestones_to_realisee_and_a_visitor_reads_it(
    demo: Demo, new_context: Any
) -> None:
    proposal = handed_over(demo, TITLE, "Les trottoirs sont nus.")
    project_id = adopt(demo, proposal)

    page = new_page(new_context(DESKTOP))
    open_as_staff(page, demo, proposal)
    card = page.get_by_role("region", name="Le projet")
    card.get_by_text("État du projet : adoptée.").wait_for()

    card.get_by_label("Service en charge").fill("Direction des espaces verts")
    card.get_by_label("Ligne budgétaire").fill("BP-2025-88")
    card.get_by_role("button", name="Enregistrer le service et la ligne").click()
    card.get_by_text("Service et ligne budgétaire enregistrés.").wait_for()

    for label, day in (("Commande des bacs", "2025-04-01"), ("Plantation", "2025-05-15")):
        card.get_by_label("Jalon", exact=True).fill(label)
        card.get_by_label("Date prévue").fill(day)
        card.get_by_role("button", name="Ajouter le jalon").click()
        card.get_by_text(f"Jalon ajouté : {label}.").wait_for()
    card.locator("ol.milestones > li").nth(1).wait_for()

    # « réalisée » is offered from « en cours » only; with milestones not done, the server says
    # why not.
    card.get_by_label("Nouvel état").select_option(label="en cours")
    card.get_by_role("button", name="Changer l’état").click()
    card.get_by_text("État du projet changé : en cours.").wait_for()
    card.get_by_label("Nouvel état").select_option(label="réalisée")
    card.get_by_role("button", name="Changer l’état").click()
    card.get_by_role("alert").filter(has_text="jalon(s) ne sont pas encore faits").wait_for()

    # Keyboard only for the first milestone: focus the button, press Enter.
    card.get_by_role("button", name="Marquer « Commande des bacs » comme fait").focus()
    page.keyboard.press("Enter")
    card.get_by_text("Jalon fait : Commande des bacs.").wait_for()
    card.get_by_role("button", name="Marquer « Plantation » comme fait").click()
    card.get_by_text("Jalon fait : Plantation.").wait_for()
    assert card.get_by_text(re.compile(r"fait le")).count() == 2

    card.get_by_label("Nouvel état").select_option(label="réalisée")
    card.get_by_label("Note (facultatif)").first.fill("Bacs plantés avec l’école.")
    card.get_by_role("button", name="Changer l’état").click()
    card.get_by_text("État du projet changé : réalisée.").wait_for()
    card.get_by_text("État du projet : réalisée.").wait_for()
    assert card.get_by_role("button", name="Ajouter le jalon").count() == 0  # done is done
    assert card.get_by_role("button", name="Changer l’état").count() == 0
    check_axe(page, "council project")
    screenshot(page, "96-council-project")
    no_page_errors(page)

    # A visitor, no token, on a phone: the list, then the project's timeline.
    visitor = new_page(new_context(PHONE))
    visitor.goto(f"{demo.http}/decouvrir")
    visitor.get_by_role("navigation").get_by_role("link", name="Les projets").click()
    visitor.get_by_label("État").select_option(label="réalisée")
    visitor.get_by_role("button", name="Filtrer").click()
    visitor.get_by_role("status").filter(has_text="1 projet").wait_for()
    check_axe(visitor, "public projects")
    visitor.get_by_role("link", name=TITLE).click()
    visitor.get_by_role("heading", name=TITLE, level=1).wait_for()
    assert visitor.url.endswith(f"/decouvrir/projets/{project_id}")
    facts = visitor.get_by_role("region", name="En bref")
    facts.get_by_text("réalisée").wait_for()
    facts.get_by_text("Direction des espaces verts").wait_for()
    milestones = visitor.get_by_role("table")
    milestones.get_by_role("row", name=re.compile("Commande des bacs")).wait_for()
    milestones.get_by_role("row", name=re.compile("Plantation")).wait_for()
    timeline = visitor.get_by_role("region", name="Le parcours")
    for step in (
        "Proposition figée : version 1",
        "Décision du conseil municipal : adoptée",
        "Le conseil adopte les jardinières ; pose au printemps.",
        "Jalon atteint : Commande des bacs",
        "Jalon atteint : Plantation",
        "Nouvel état : en cours",
        "Nouvel état : réalisée",
        "Bacs plantés avec l’école.",
    ):
        timeline.get_by_text(step).first.wait_for()
    # Nobody's name: not the service who recorded it, not a participant.
    assert "Direction de la démocratie locale" not in visitor.content()
    width = visitor.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # no sideways scrolling at 390 px
    check_axe(visitor, "public project")
    screenshot(visitor, "97-public-project-390")
    # At 320 px too (WCAG reflow), the list and the page.
    narrow = new_page(new_context(NARROW))
    for path, name in (
        (PROJECTS, "public-projects"),
        (f"{PROJECTS}/{project_id}", "public-project"),
    ):
        narrow.goto(f"{demo.http}{path}")
        narrow.locator("h1").wait_for()
        assert_reflows(narrow, name)
    # The atelier's public page leads to it too.
    visitor.goto(f"{demo.http}/decouvrir/ateliers/{demo.atelier_id}")
    visitor.get_by_role("region", name="Projets").get_by_role("link", name=TITLE).wait_for()
    check_axe(visitor, "atelier with projects")
    no_page_errors(visitor)

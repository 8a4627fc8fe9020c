"""The council's answer reaches the people (issue 21, #3): a participant with the proposal open
sees where it stands with the council, then the decision, the official answer and the
deliberation appear as the staff record them, and each step of the implementation; the
atelier's list of proposals says the decision too."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import (
    DESKTOP,
    Demo,
    check_axe,
    join_by_ui,
    new_page,
    no_page_errors,
    screenshot,
)
from tests.web.test_council import SERVICE, handed_over, open_as_staff
from tests.web.test_editor import open_proposal


def test_a_participant_reads_the_councils_answer_as_it_is_recorded(
    demo: Demo, new_context: Any
) -> None:
    title = "Une fontaine place d’Austerlitz"
    proposal = handed_over(demo, title, "Pas d’eau l’été.")
    resident = new_page(new_context())  # a phone
    join_by_ui(resident, demo, "Salomé")
    open_proposal(resident, demo, proposal)
    answer = resident.get_by_role("region", name="Réponse du conseil municipal")
    expect(answer).to_contain_text("Transmise au conseil municipal")

    staff = new_page(new_context(DESKTOP))
    open_as_staff(staff, demo, proposal)
    staff.get_by_role("button", name="Prendre en instruction").click()
    expect(answer).to_contain_text("En instruction par les services de la ville")

    staff.get_by_label("Adoptée").check()
    staff.get_by_label("Référence de la délibération").fill("2018-CM-117")
    staff.get_by_label("Date de la décision").fill("2018-03-12")
    staff.get_by_label("Réponse officielle").fill(
        "Le conseil adopte la fontaine.\nPose au printemps, place d’Austerlitz."
    )
    staff.get_by_role("button", name="Enregistrer la décision").click()
    staff.get_by_role("button", name="Oui, enregistrer la décision").click()
    staff.get_by_text("Décision enregistrée : adoptée.").wait_for()

    # On the participant's open page, without a reload: the decision, in the council's words.
    expect(answer).to_contain_text("Décision du conseil municipal : adoptée")
    expect(answer).to_contain_text("le lundi 12 mars 2018")
    expect(answer).to_contain_text("Délibération : 2018-CM-117")
    official = answer.locator("blockquote")
    expect(official).to_have_text(
        "Le conseil adopte la fontaine.\nPose au printemps, place d’Austerlitz."
    )
    expect(answer).to_contain_text(f"Décision enregistrée par {SERVICE}")

    # A milestone of its project (the project card, tests/web/test_projects.py) reaches them
    # too, and the answer links the project's public page.
    staff.get_by_label("Jalon", exact=True).fill("Fontaine posée")
    staff.get_by_label("Date prévue").fill("2018-05-02")
    staff.get_by_role("button", name="Ajouter le jalon").click()
    expect(answer.get_by_role("listitem")).to_contain_text("(prévu) — Fontaine posée")
    expect(answer.get_by_role("link", name="Suivre le projet sur sa page publique")).to_be_visible()
    screenshot(resident, "council-answer-phone")
    check_axe(resident, "council answer", every_impact=True)

    # The atelier page's list says it too, for those who did not open the proposal.
    resident.get_by_role("link", name="Retour à l’atelier").click()
    line = resident.get_by_test_id("proposals").get_by_role("listitem").filter(has_text=title)
    expect(line).to_contain_text("décision du conseil municipal : adoptée")
    no_page_errors(resident)
    no_page_errors(staff)

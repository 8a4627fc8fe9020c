"""The writing mode follows the séance's agenda (issue 20, #4), in real browsers: the
facilitator marks the séance's second agenda point « amendements » in the séance form with the
keyboard; when the console moves to step 2, Awa's open text turns read-only, live, with the
amendment notice, and the console's proposal says « mode amendements »; going back to step 1
(which says nothing) leaves it so, and the facilitator's own switch gives the text back."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import Demo, check_axe, new_page, no_page_errors, sign_in_facilitator
from tests.web.test_amendments import LAPTOP, editor, participant, read_only_for_amendments


def test_moving_to_a_step_marked_amendements_turns_a_participants_text_read_only(
    demo: Demo, new_context: Any
) -> None:
    proposal = demo.new_proposal("Un composteur par cour")
    lead = new_page(new_context(LAPTOP))
    sign_in_facilitator(lead, demo)
    lead.goto(f"{demo.http}/seance/{demo.session_id}/modifier")
    expect(
        lead.get_by_role("heading", level=1, name=re.compile("Modifier la séance"))
    ).to_be_visible()
    lead.get_by_label("Début", exact=True).fill("18:30")
    writing = lead.get_by_label("Écriture", exact=True).nth(1)
    writing.focus()
    lead.keyboard.press("ArrowDown")
    lead.keyboard.press("ArrowDown")
    expect(writing).to_have_value("amendements")
    check_axe(lead, "modifier la séance (écriture)", every_impact=True)
    lead.get_by_role("button", name="Enregistrer la séance").click()
    lead.wait_for_url(re.compile(rf"/atelier/{demo.atelier_id}\?seance="))

    awa = participant(new_context, demo, proposal, "Awa")
    expect(awa.get_by_test_id("access-notice")).to_be_hidden()

    lead.goto(f"{demo.http}/animation/{demo.session_id}")
    lead.get_by_role("status").filter(has_text="En direct").wait_for()
    lead.get_by_role("button", name="Commencer la séance").click()
    lead.get_by_role("button", name="Étape suivante").click()
    # Step 2 says « amendements »: Awa's text turns read-only, live.
    read_only_for_amendments(awa)
    item = lead.get_by_test_id("proposals-panel").locator(f'[data-proposal="{proposal}"]')
    modes = item.get_by_role("group", name="Mode d’écriture de « Un composteur par cour »")
    amending = modes.get_by_role("button", name="Amendements", exact=True)
    expect(amending).to_have_attribute("aria-pressed", "true")
    item.get_by_text("mode amendements").wait_for()

    # Back to step 1 (it says nothing): still amendments; the facilitator's switch still works.
    lead.get_by_role("button", name="Étape précédente").click()
    lead.get_by_text(re.compile(r"Étape en cours : 1\.")).wait_for()
    expect(amending).to_have_attribute("aria-pressed", "true")
    modes.get_by_role("button", name="Écriture libre").click()
    expect(awa.get_by_test_id("access-notice")).to_contain_text("L’animation a rouvert le texte")
    expect(editor(awa)).not_to_have_attribute("aria-readonly", "true")
    no_page_errors(lead)
    no_page_errors(awa)

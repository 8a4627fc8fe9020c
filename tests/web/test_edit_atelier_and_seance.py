"""Issue 19, items 2 and 3, in the browser on the seed's workshop: the facilitator edits the
atelier (its purpose and its charter, told beforehand that everyone will accept the new version
at their next visit; a logo that is not an image is refused in French on its field); a resident
who had joined is asked at their next page load, in the editor too, where they read but cannot
write until they accept, then write. The facilitator edits a séance before it starts (its place
shows on the atelier page); once it has started — from the console while the form was open, the
server's 409 — every field but the next agenda is disabled with the reason, and the next agenda
still changes. axe-core with no violation at any impact on both edit screens and the charter
card; screenshots at 1366×768 and 390×844 in /tmp/shots/."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import (
    Demo,
    check_axe,
    join_by_ui,
    new_page,
    no_page_errors,
    sign_in_facilitator,
)
from tests.web.test_atelier_from_empty_part1 import DESKTOP, shoot

pytest.importorskip("playwright")
from playwright.sync_api import expect

PURPOSE = (
    "Rendre les instances de démocratie locale plus ouvertes : qui y siège, comment on y entre."
)
NEW_RULE = "8. Ponctualité — Les séances commencent et finissent à l’heure."


def test_the_facilitator_edits_the_atelier_and_everyone_accepts_the_new_charter(
    demo: Demo, new_context: Any
) -> None:
    resident = new_page(new_context())
    join_by_ui(resident, demo, "Inès")
    expect(resident.get_by_test_id("charter-card")).to_have_count(0)

    page = new_page(new_context(DESKTOP))
    sign_in_facilitator(page, demo)
    page.get_by_role("link", name="Modifier l’atelier").first.click()
    expect(
        page.get_by_role("heading", level=1, name=re.compile("Modifier l’atelier"))
    ).to_be_visible()
    # Prefilled; its kind is said, not offered.
    expect(page.get_by_label("Titre de l’atelier")).to_have_value(
        re.compile("démocratie locale", re.IGNORECASE)
    )
    expect(page.get_by_text("Type d’atelier : Atelier de projet")).to_be_visible()
    expect(page.locator("input[name=kind]")).to_have_count(0)
    page.get_by_label("Sujet : de quoi s’agit-il ?").fill(PURPOSE)
    # A changed charter is a new version: said before saving, not after.
    new_version = page.get_by_test_id("charter-new-version")
    expect(new_version).to_be_hidden()
    charter = page.get_by_label("Texte de la charte")
    charter.press("Control+End")
    charter.type("\n" + NEW_RULE)
    expect(new_version).to_contain_text(
        "Les participant·es devront accepter la nouvelle version à leur prochaine visite"
    )
    expect(page.get_by_test_id("charter-preview")).to_contain_text("8. Ponctualité")
    # A logo that is not an image: the server's refusal, in French, on the logo's field.
    logo = page.get_by_label("Image (PNG ou JPEG)")
    logo.set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": b"not an image at all"}
    )
    check_axe(page, "modifier l’atelier", every_impact=True)
    shoot(page, "edit-01-atelier")
    page.get_by_role("button", name="Enregistrer les modifications").dblclick()
    refusal = page.locator(".field-error").filter(has_text="PNG ou JPEG")
    expect(refusal).to_be_visible()
    expect(logo).to_have_attribute("aria-invalid", "true")
    expect(logo).to_be_focused()
    expect(page.get_by_role("alert")).to_contain_text(
        "La description et la charte sont enregistrées"
    )
    # Saved once: version 2, nothing more to accept on a second try.
    expect(page.get_by_text("Version 2 en vigueur.")).to_be_visible()
    expect(new_version).to_be_hidden()
    logo.set_input_files([])
    page.get_by_role("button", name="Enregistrer les modifications").click()
    page.wait_for_url(re.compile(rf"/atelier/{demo.atelier_id}$"))
    page.get_by_text("L’atelier et sa charte").click()
    expect(page.get_by_text(PURPOSE)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Charte.*version 2"))).to_be_visible()
    # The facilitator wrote version 2: nothing to accept.
    expect(page.get_by_test_id("charter-card")).to_have_count(0)

    # Inès's next visit: the card, focused, with what changed; in the editor she only reads.
    resident.get_by_role("link", name=re.compile("ateliers de quartier")).click()
    card = resident.get_by_test_id("charter-card")
    heading = card.get_by_role("heading", name="La charte a changé (version 2)")
    expect(heading).to_be_focused()
    expect(card.locator(".charter-changes .added")).to_contain_text(NEW_RULE)
    expect(card.locator(".charter")).to_contain_text("8. Ponctualité")
    area = resident.locator('[data-section="constat"] .ProseMirror')
    expect(area).to_have_attribute("contenteditable", "false")
    expect(
        resident.get_by_text("Lecture seule tant que vous n’avez pas accepté la nouvelle charte")
    ).to_be_visible()
    check_axe(resident, "carte de la charte", every_impact=True)
    shoot(resident, "edit-02-charter-card")
    card.get_by_role("button", name="J’accepte la nouvelle charte").click()
    expect(
        resident.get_by_role("status").filter(has_text="vous avez accepté la version 2")
    ).to_be_visible()
    expect(resident.get_by_test_id("charter-card")).to_have_count(0)
    expect(area).to_have_attribute("contenteditable", "true")
    resident.get_by_test_id("sync-state").filter(has_text="En ligne").wait_for()
    area.click()
    resident.keyboard.type("Les conseils de quartier se réunissent en semaine à 18 h.")
    expect(area).to_contain_text("Les conseils de quartier se réunissent en semaine à 18 h.")
    # Written for real: the facilitator reads it in the same proposal.
    page.goto(resident.url)
    expect(page.locator('[data-section="constat"] .ProseMirror')).to_contain_text(
        "se réunissent en semaine à 18 h."
    )
    # Her next page needs nothing more.
    resident.goto(f"{demo.http}/atelier/{demo.atelier_id}")
    expect(resident.get_by_role("heading", level=1)).to_be_visible()
    expect(resident.get_by_test_id("charter-card")).to_have_count(0)
    no_page_errors(page)
    no_page_errors(resident)


def test_a_seance_is_edited_until_it_starts_then_only_its_next_agenda(
    demo: Demo, new_context: Any
) -> None:
    context = new_context(DESKTOP)
    page = new_page(context)
    sign_in_facilitator(page, demo)
    page.goto(f"{demo.http}/animation/{demo.session_id}")
    page.get_by_role("link", name="Modifier la séance", exact=True).click()
    expect(
        page.get_by_role("heading", level=1, name=re.compile("Modifier la séance"))
    ).to_be_visible()
    expect(page.get_by_test_id("seance-started")).to_be_hidden()
    place = page.get_by_label("Lieu", exact=True)
    expect(place).to_have_value("L’Aubette")
    # The seed's date is past: warned, not refused.
    expect(page.get_by_text(re.compile("est passé : la séance sera enregistrée"))).to_be_visible()
    # The seed gives no start time: asked, as on creation.
    page.get_by_role("button", name="Enregistrer la séance").click()
    expect(page.get_by_role("alert")).to_have_text("L’heure de début est obligatoire.")
    page.get_by_label("Début", exact=True).fill("18:30")
    place.fill("Salle des fêtes de la Robertsau")
    # Point 2's step will switch the proposals to amendments (issue 20, #4): a labelled select,
    # reached and changed with the keyboard from the point's duration.
    writing = page.get_by_label("Écriture", exact=True).nth(1)
    expect(writing).to_have_value("")
    page.get_by_label("Durée (min)").nth(1).focus()
    page.keyboard.press("Tab")
    expect(writing).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(writing).to_have_value("amendements")
    expect(writing.locator("option:checked")).to_have_text("amendements")
    check_axe(page, "modifier la séance", every_impact=True)
    shoot(page, "edit-03-seance")
    page.get_by_role("button", name="Enregistrer la séance").click()
    page.wait_for_url(re.compile(rf"/atelier/{demo.atelier_id}\?seance="))
    expect(page.get_by_text(re.compile("18:30 — Salle des fêtes de la Robertsau"))).to_be_visible()

    # The form is open again when the séance starts, from the console in another tab.
    page.get_by_role("link", name="Modifier la séance", exact=True).click()
    expect(place).to_have_value("Salle des fêtes de la Robertsau")
    expect(writing).to_have_value("amendements")
    expect(page.get_by_label("Écriture", exact=True).first).to_have_value("")
    console = new_page(context)
    console.goto(f"{demo.http}/animation/{demo.session_id}")
    console.get_by_role("button", name="Commencer la séance").click()
    expect(console.get_by_role("button", name="Commencer la séance")).to_have_count(0)
    no_page_errors(console)
    console.close()
    place.fill("Ailleurs")
    next_agenda = page.get_by_label("Ordre du jour de la séance suivante")
    next_agenda.press("Control+End")
    next_agenda.type("\nBilan de la Robertsau")
    page.get_by_role("button", name="Enregistrer la séance").click()
    # Refused by the server: the reason, the fields back to what is stored and disabled, the
    # next agenda kept as typed.
    expect(page.get_by_role("alert")).to_contain_text("La séance vient de commencer")
    reason = page.get_by_test_id("seance-started")
    expect(reason).to_have_text(
        "La séance a commencé : seul l’ordre du jour de la séance suivante peut encore changer."
    )
    expect(place).to_be_disabled()
    expect(place).to_have_value("Salle des fêtes de la Robertsau")
    expect(page.get_by_label("Date", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Ajouter un point")).to_be_disabled()
    expect(next_agenda).to_be_enabled()
    expect(next_agenda).to_be_focused()
    expect(next_agenda).to_have_value(re.compile("Bilan de la Robertsau$"))
    page.get_by_role("button", name="Enregistrer la séance").click()
    page.wait_for_url(re.compile(rf"/atelier/{demo.atelier_id}\?seance="))

    # Opened once started: the reason from the start; the next agenda still changes.
    page.get_by_role("link", name="Modifier la séance", exact=True).click()
    expect(reason).to_be_visible()
    expect(place).to_be_disabled()
    expect(next_agenda).to_have_value(re.compile("Bilan de la Robertsau$"))
    check_axe(page, "modifier la séance (commencée)", every_impact=True)
    shoot(page, "edit-04-seance-started")
    next_agenda.press("Control+End")
    next_agenda.type("\nCalendrier 2018")
    page.get_by_role("button", name="Enregistrer la séance").click()
    page.wait_for_url(re.compile(rf"/atelier/{demo.atelier_id}\?seance="))
    page.get_by_role("link", name="Modifier la séance", exact=True).click()
    expect(next_agenda).to_have_value(re.compile("Bilan de la Robertsau\nCalendrier 2018$"))
    expect(place).to_have_value("Salle des fêtes de la Robertsau")
    # The step's writing mode is kept through the edits made once started.
    expect(writing).to_be_disabled()
    expect(writing).to_have_value("amendements")
    no_page_errors(page)


def test_only_facilitators_edit(demo: Demo, new_context: Any) -> None:
    page = new_page(new_context())
    join_by_ui(page, demo, "Jules")
    expect(page.get_by_role("link", name="Modifier l’atelier")).to_have_count(0)
    expect(page.get_by_role("link", name="Modifier la séance")).to_have_count(0)
    page.goto(f"{demo.http}/atelier/{demo.atelier_id}/modifier")
    expect(page.get_by_text("Seul·e l’animateur·rice de l’atelier le modifie")).to_be_visible()
    page.goto(f"{demo.http}/seance/{demo.session_id}/modifier")
    expect(page.get_by_text("Seul·e l’animateur·rice de l’atelier programme")).to_be_visible()
    no_page_errors(page)

"""« Propositions » in the facilitator's console (issue 19, #5), with the editor open in other
browsers: a rename (an empty title refused with the server's words); a lock that turns a
participant's open editor read-only, saying « verrouillée par l'animation », and an unlock
that gives writing back (what is typed then reaches another browser); an archive, asked
first, that moves the proposal under « Archivées » (no longer a vote option nor something to
hand over; apart on the atelier page) and a restore; the draft restarted from version 1 (the
open editor says so and opens the new one); a copy of version 1 into a new proposal, which
opens. axe-core at every impact on the panel and the locked editor; screenshots at
1366×768 and 390×844 in tests/web/screenshots/console-proposals-*."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import (
    SCREENSHOTS,
    Demo,
    check_axe,
    join_by_ui,
    new_page,
    no_page_errors,
    screenshot,
    sign_in_facilitator,
)

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def both_sizes(page: Any, name: str, part: Any = None) -> None:
    """The screen at 1366×768 and at 390×844 (and ``part`` of it alone, the console being
    long), then back to the page's own size."""
    own = page.viewport_size
    for label, size in (("1366", LAPTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        screenshot(page, f"console-proposals-{name}-{label}")
        if part is not None:
            part.screenshot(path=str(SCREENSHOTS / f"console-proposals-{name}-{label}-part.png"))
    page.set_viewport_size(own)


def editor(page: Any, section: str = "constat") -> Any:
    return page.locator(f'[data-section="{section}"] .ProseMirror')


def open_editor(page: Any, demo: Demo, proposal_id: str) -> None:
    page.goto(f"{demo.http}/proposition/{proposal_id}")
    page.get_by_test_id("sync-state").filter(has_text="En ligne").wait_for()


def no_visible_toolbar(page: Any) -> None:
    for toolbar in page.get_by_role("toolbar").all():
        expect(toolbar).to_be_hidden()


def test_the_facilitator_renames_locks_archives_and_copies_a_proposal_from_the_console(
    demo: Demo, new_context: Any
) -> None:
    title = "Des bancs place Kléber"
    proposal = demo.new_proposal(title)
    lead = new_page(new_context(LAPTOP))
    sign_in_facilitator(lead, demo)
    lead.goto(f"{demo.http}/animation/{demo.session_id}")
    lead.get_by_role("status").filter(has_text="En direct").wait_for()
    panel = lead.get_by_test_id("proposals-panel")
    item = panel.locator(f'[data-proposal="{proposal}"]')

    # Renamed in place; an empty title is refused with the server's words, in the field.
    item.get_by_role("button", name=f"Renommer « {title} »").click()
    field = item.get_by_label(f"Nouveau titre de « {title} »")
    expect(field).to_be_focused()
    field.fill("   ")
    field.press("Enter")
    item.get_by_text("Le titre est obligatoire.").wait_for()
    expect(field).to_have_attribute("aria-invalid", "true")
    renamed = "Des bancs et de l’ombre place Kléber"
    field.fill(renamed)
    field.press("Enter")
    panel.get_by_role("status").filter(has_text=f"s’appelle maintenant « {renamed} »").wait_for()
    expect(item.get_by_role("heading", name=renamed)).to_be_visible()

    # Two participants have the editor open: Awa on her phone, Bruno on a laptop.
    awa = new_page(new_context(PHONE))
    join_by_ui(awa, demo, "Awa")
    open_editor(awa, demo, proposal)
    awa.get_by_role("heading", name=renamed).wait_for()
    bruno = new_page(new_context(LAPTOP))
    join_by_ui(bruno, demo, "Bruno")
    open_editor(bruno, demo, proposal)
    editor(awa).click()
    awa.keyboard.type("Il manque des bancs.")
    editor(bruno).get_by_text("Il manque des bancs.").wait_for()

    # Locked: Awa's open editor turns read-only and says why; its toolbar and hint go away.
    lock = item.get_by_role("button", name=f"Verrouiller « {renamed} »")
    expect(lock).to_have_attribute("aria-pressed", "false")
    lock.click()
    expect(lock).to_have_attribute("aria-pressed", "true")
    item.get_by_text("verrouillée par l’animation").wait_for()
    notice = awa.get_by_test_id("access-notice")
    expect(notice).to_have_text(
        "Verrouillée par l’animation : le texte est en lecture seule pour l’instant."
    )
    expect(editor(awa)).to_have_attribute("contenteditable", "false")
    expect(awa.get_by_text(re.compile("Chaque partie est une zone de texte"))).to_be_hidden()
    no_visible_toolbar(awa)
    awa.get_by_test_id("sync-state").filter(has_text="le texte se met à jour en direct").wait_for()
    check_axe(awa, "locked editor", every_impact=True)
    both_sizes(awa, "locked-editor")

    # Unlocked: editable again, said politely; what Awa types reaches Bruno.
    lock.click()
    expect(lock).to_have_attribute("aria-pressed", "false")
    expect(notice).to_have_text(
        "L’animation a rouvert le texte : vous pouvez de nouveau le modifier."
    )
    expect(editor(awa)).to_have_attribute("contenteditable", "true")
    editor(awa).click()
    awa.keyboard.press("End")
    awa.keyboard.type(" Et de l’ombre.")
    editor(bruno).get_by_text("Il manque des bancs. Et de l’ombre.").wait_for()

    # Archived after a confirmation: under « Archivées », read-only for Awa, no longer a vote
    # option nor a line to hand over.
    options = lead.locator(".from-proposals label", has_text=renamed)
    expect(options).to_have_count(1)
    item.get_by_role("button", name=f"Archiver « {renamed} »").click()
    item.get_by_text(f"Archiver « {renamed} » ? Elle passera en lecture seule").wait_for()
    expect(item.get_by_role("button", name="Oui, archiver")).to_be_focused()
    check_axe(lead, "console proposals, archive asked", every_impact=True)
    both_sizes(lead, "archive-asked", panel)
    item.get_by_role("button", name="Oui, archiver").click()
    archived = panel.get_by_test_id("proposals-archived").locator(f'[data-proposal="{proposal}"]')
    archived.wait_for()
    expect(archived.get_by_role("button", name=f"Restaurer « {renamed} »")).to_be_focused()
    expect(notice).to_have_text(re.compile("^Archivée par l’animation"))
    expect(options).to_have_count(0)
    expect(lead.locator(".hand-over li", has_text=renamed)).to_have_count(0)
    bruno.goto(f"{demo.http}/atelier/{demo.atelier_id}")
    apart = bruno.get_by_test_id("proposals-archived")
    apart.get_by_role("heading", name="Archivées").wait_for()
    apart.get_by_role("link", name=renamed).wait_for()
    expect(bruno.get_by_test_id("proposals").get_by_role("link", name=renamed)).to_have_count(0)

    # Brought back, then frozen from the console: version 1 is copied into a new proposal.
    archived.get_by_role("button", name=f"Restaurer « {renamed} »").click()
    panel.get_by_test_id("proposals-current").locator(f'[data-proposal="{proposal}"]').wait_for()
    expect(notice).to_have_text(re.compile("vous pouvez de nouveau le modifier"))
    lead.get_by_role("button", name="Figer les propositions de la séance").click()
    lead.get_by_role("button", name="Oui, figer maintenant").click()
    lead.get_by_text(re.compile(r"Versions figées : \d+\.")).wait_for()
    # The draft restarts from version 1, after a confirmation: Awa's open editor says its text
    # was replaced, and opens the new draft, where she writes.
    item.get_by_role("button", name="Reprendre la version 1 comme brouillon").click()
    item.get_by_text("Le texte en cours sera remplacé par celui de la version 1").wait_for()
    again = item.get_by_role("button", name="Oui, reprendre la version 1")
    expect(again).to_be_focused()
    again.click()
    panel.get_by_role("status").filter(has_text="repart de la version 1").wait_for()
    awa.get_by_test_id("sync-state").filter(has_text="repris une version figée").wait_for()
    awa.get_by_role("button", name="Ouvrir le nouveau brouillon").click()
    awa.get_by_test_id("sync-state").filter(has_text="En ligne").wait_for()
    expect(editor(awa)).to_have_attribute("contenteditable", "true")
    editor(awa).get_by_text("Il manque des bancs. Et de l’ombre.").wait_for()
    copy = item.get_by_role("button", name="Copier la version 1 dans une nouvelle proposition")
    copy.click()
    copy_title = item.get_by_label("Titre de la nouvelle proposition")
    expect(copy_title).to_have_value(f"{renamed} (copie)")
    copy_title.fill("Des bancs, variante ombragée")
    item.get_by_role("button", name="Créer la proposition").click()
    opened = panel.get_by_role(
        "link", name="Ouvrir « Des bancs, variante ombragée » dans l’éditeur"
    )
    expect(opened.first).to_be_focused()
    check_axe(lead, "console proposals", every_impact=True)
    both_sizes(lead, "panel", panel)
    opened.first.click()
    lead.get_by_role("heading", name="Des bancs, variante ombragée").wait_for()
    lead.get_by_test_id("sync-state").filter(has_text="En ligne").wait_for()
    editor(lead).get_by_text("Il manque des bancs. Et de l’ombre.").wait_for()
    for page in (lead, awa, bruno):
        no_page_errors(page)

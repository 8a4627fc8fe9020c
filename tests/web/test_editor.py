"""The proposal editor: two people co-edit a section and see each other's text, cursor and
name; roles that cannot edit read; axe-core on the editor; screenshots saved."""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import (
    DESKTOP,
    Demo,
    check_axe,
    join_by_ui,
    new_page,
    no_page_errors,
    screenshot,
    tab_to,
)


def editor(page: Any, section: str) -> Any:
    return page.locator(f'[data-section="{section}"] .ProseMirror')


def open_proposal(page: Any, demo: Demo, proposal_id: str) -> None:
    page.goto(f"{demo.http}/proposition/{proposal_id}")
    page.get_by_test_id("sync-state").filter(has_text="En ligne").wait_for()


def test_two_people_co_edit_a_section_and_see_each_other(demo: Demo, new_context: Any) -> None:
    proposal = demo.new_proposal("Un jardin partagé rue du Jeu-des-Enfants")
    awa = new_page(new_context(DESKTOP))
    bruno = new_page(new_context())
    join_by_ui(awa, demo, "Awa")
    join_by_ui(bruno, demo, "Bruno", role="agent", invitation=demo.invitation("agent"))
    open_proposal(awa, demo, proposal)
    open_proposal(bruno, demo, proposal)
    # Each sees the other in "who is here", with their role.
    awa.get_by_test_id("here").get_by_text("Bruno").wait_for()
    bruno.get_by_test_id("here").get_by_text("Awa").wait_for()
    assert "agent de la ville" in awa.get_by_test_id("here").inner_text()

    editor(awa, "constat").click()
    awa.keyboard.type("Les enfants n’ont pas d’espace vert.")
    # Bruno sees Awa's words, and her cursor labelled with her name and role, in that section.
    editor(bruno, "constat").get_by_text("Les enfants n’ont pas d’espace vert.").wait_for()
    label = bruno.locator('[data-section="constat"] .remote-cursor-label')
    label.filter(has_text="Awa (habitant·e)").wait_for()
    assert bruno.locator('[data-section="proposition"] .remote-cursor-label').count() == 0

    editor(bruno, "proposition").click()
    bruno.keyboard.type("Un jardin partagé, ouvert le mercredi.")
    editor(awa, "proposition").get_by_text("Un jardin partagé, ouvert le mercredi.").wait_for()
    awa.locator('[data-section="proposition"] .remote-cursor-label').filter(
        has_text="Bruno (agent de la ville)"
    ).wait_for()
    # Bruno's edit elsewhere left Awa's section as she wrote it.
    assert editor(awa, "constat").inner_text().strip() == "Les enfants n’ont pas d’espace vert."
    screenshot(awa, "10-editor-desktop")
    screenshot(bruno, "11-editor-phone")
    check_axe(awa, "editor")
    no_page_errors(awa)
    no_page_errors(bruno)


def test_what_is_written_reaches_the_server_document(demo: Demo, new_context: Any) -> None:
    proposal = demo.new_proposal("Des bancs place Kléber")
    page = new_page(new_context())
    join_by_ui(page, demo, "Chloé")
    open_proposal(page, demo, proposal)
    editor(page, "intitule").click()
    page.keyboard.type("Des bancs")
    # A newcomer, on another device, reads it from the server.
    later = new_page(new_context())
    join_by_ui(later, demo, "Dominique")
    open_proposal(later, demo, proposal)
    editor(later, "intitule").get_by_text("Des bancs").wait_for()


def test_an_observer_reads_but_cannot_write(demo: Demo, new_context: Any) -> None:
    proposal = demo.new_proposal("Un marché de producteurs")
    writer = new_page(new_context())
    join_by_ui(writer, demo, "Éva")
    open_proposal(writer, demo, proposal)
    editor(writer, "constat").click()
    writer.keyboard.type("Pas de marché le samedi.")

    observer = new_page(new_context())
    join_by_ui(observer, demo, "Fanny", role="observateur")
    open_proposal(observer, demo, proposal)
    observer.get_by_text("Lecture seule").wait_for()
    area = editor(observer, "constat")
    area.get_by_text("Pas de marché le samedi.").wait_for()
    assert area.get_attribute("contenteditable") == "false"
    assert area.get_attribute("aria-readonly") == "true"
    area.click()
    observer.keyboard.type("intrus")
    # What the observer typed went nowhere: not on their screen, not on the writer's.
    writer.get_by_test_id("here").get_by_text("Fanny").wait_for()
    assert "intrus" not in area.inner_text()
    assert "intrus" not in editor(writer, "constat").inner_text()
    screenshot(observer, "12-editor-read-only")
    check_axe(observer, "editor read-only")


def test_the_demo_proposal_shows_its_sections_in_order(demo: Demo, new_context: Any) -> None:
    page = new_page(new_context())
    join_by_ui(page, demo, "Gaby")
    page.get_by_role("link", name=re.compile("ateliers de quartier")).click()
    page.get_by_test_id("sync-state").filter(has_text="En ligne").wait_for()
    titles = page.locator("section.section h2").all_inner_texts()
    assert titles == [
        "Intitulé",
        "Constat",
        "Proposition",
        "Acteurs et instances concernés",
        "Modalités de co-construction",
        "Moyens",
        "Calendrier",
        "Limites, risques et aléas",
    ]
    assert "Créer des ateliers de quartier" in editor(page, "intitule").inner_text()


def test_writing_with_the_keyboard_alone(demo: Demo, new_context: Any) -> None:
    proposal = demo.new_proposal("Une boîte à livres")
    page = new_page(new_context())
    join_by_ui(page, demo, "Rémi")
    open_proposal(page, demo, proposal)
    # Tab reaches the first section's area; Tab again leaves it for the next one (no trap).
    tab_to(page, "el.closest('[data-section=intitule]')")
    page.keyboard.type("Une boîte à livres ")
    page.keyboard.press("Control+b")
    page.keyboard.type("devant l’école")
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('[data-section=constat]')")
    page.keyboard.type("Les livres dorment dans les caves.")
    reader = new_page(new_context())
    join_by_ui(reader, demo, "Sacha")
    open_proposal(reader, demo, proposal)
    editor(reader, "intitule").locator("strong", has_text="devant l’école").wait_for()
    editor(reader, "constat").get_by_text("Les livres dorment dans les caves.").wait_for()

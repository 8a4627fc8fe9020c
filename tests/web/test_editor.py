"""The proposal editor: two people co-edit a section and see each other's text, cursor and
name; roles that cannot edit read; axe-core on the editor; screenshots saved."""

from __future__ import annotations

import asyncio
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


def test_handed_to_the_council_the_open_editor_turns_read_only_and_says_which_version(
    demo: Demo, new_context: Any
) -> None:
    """H4: frozen without its lock, then transmitted while Éva writes: at once, without a
    reload, her editor says the council got version 1 and this text no longer changes, and
    what she types goes nowhere."""
    proposal = demo.new_proposal("Un composteur de quartier")
    page = new_page(new_context())
    join_by_ui(page, demo, "Éva")
    open_proposal(page, demo, proposal)
    area = editor(page, "constat")
    area.click()
    page.keyboard.type("Le texte remis.")
    page.get_by_test_id("sync-state").filter(has_text="vos modifications sont partagées").wait_for()
    assert demo.api("POST", f"/api/proposals/{proposal}/freeze", json={})["number"] == 1
    demo.api("POST", f"/api/proposals/{proposal}/transmit")

    notice = page.get_by_test_id("access-notice")
    said = "Transmise au conseil : le texte remis est la version 1 ; il ne se modifie plus ici."
    notice.filter(has_text=said).wait_for()
    page.get_by_test_id("sync-state").filter(has_text="le texte se met à jour en direct").wait_for()
    assert area.get_attribute("contenteditable") == "false"
    assert area.get_attribute("aria-readonly") == "true"
    area.click()
    page.keyboard.type("intrus")
    assert "intrus" not in area.inner_text()
    assert "Le texte remis." in area.inner_text()
    # A reload says the same.
    page.reload()
    notice.filter(has_text="le texte remis est la version 1").wait_for()
    check_axe(page, "editor handed to the council")
    screenshot(page, "12-editor-transmitted")
    no_page_errors(page)


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


def test_what_another_client_wrote_survives_being_opened_and_edited(
    demo: Demo, new_context: Any
) -> None:
    """A heading, a quote, a line break and struck text written by another client (Tiptap, a
    script): y-prosemirror deletes what the editor's schema lacks, so opening the section used
    to destroy them. They stay, in the browser and in the frozen version."""
    from concurrent.futures import ThreadPoolExecutor

    from pycrdt import XmlElement, XmlFragment, XmlText

    from tests.server.test_versions_api import write

    proposal = demo.new_proposal("Une halle couverte")
    doc_id = demo.api("GET", f"/api/proposals/{proposal}/token")["doc_id"]

    def rich(doc: Any) -> None:
        fragment = doc.get("constat", type=XmlFragment)
        heading = fragment.children.append(XmlElement("heading", {"level": "1"}))
        heading.children.append(XmlText("Le marché"))
        quote = fragment.children.append(XmlElement("blockquote"))
        inner = quote.children.append(XmlElement("paragraph"))
        inner.children.append(XmlText("« Il pleut sur les étals »"))
        line = fragment.children.append(XmlElement("paragraph"))
        text = line.children.append(XmlText("barré"))
        text.format(0, 5, {"strike": {}})
        line.children.append(XmlElement("hardBreak"))
        line.children.append(XmlText("à la ligne"))

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, write(demo.server, doc_id, demo.facilitator_token, rich)).result(
            timeout=30
        )
    page = new_page(new_context())
    join_by_ui(page, demo, "Gaëlle")
    open_proposal(page, demo, proposal)
    area = editor(page, "constat")
    area.locator("h3", has_text="Le marché").wait_for()
    area.locator("blockquote", has_text="Il pleut sur les étals").wait_for()
    area.locator("s", has_text="barré").wait_for()
    assert area.locator("br").count() >= 1
    area.locator("h3").click()
    page.keyboard.press("End")
    page.keyboard.type(" couvert")
    area.locator("h3", has_text="Le marché couvert").wait_for()
    # Read back from the server: nothing the other client wrote was lost.
    version = demo.api("POST", f"/api/proposals/{proposal}/freeze", json={})
    content = demo.api("GET", f"/api/proposals/{proposal}/versions/{version['number']}")
    (constat,) = [s for s in content["content"]["sections"] if s["key"] == "constat"]
    kinds = [block["type"] for block in constat["blocks"]]
    assert kinds[:3] == ["heading", "blockquote", "paragraph"], kinds
    assert constat["blocks"][0]["runs"][0][0] == "Le marché couvert"
    assert ["barré", ["strike"]] in constat["blocks"][2]["runs"]
    no_page_errors(page)

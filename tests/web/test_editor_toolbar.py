"""The formatting bar (issue 20, #2): bold, italic, lists and links from buttons that say their
state, reached with the keyboard without trapping Tab between sections, compact on a phone
with a hint for touch; a link the bar made reaches the other browser and the frozen version's
Markdown, and an address a browser would run is refused."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.web.conftest import (
    DESKTOP,
    PHONE,
    Demo,
    check_axe,
    join_by_ui,
    new_page,
    no_page_errors,
    screenshot,
    tab_to,
)
from tests.web.test_editor import editor, open_proposal


def bar(page: Any, section: str) -> Any:
    return page.locator(f'section:has([data-section="{section}"])').get_by_role("toolbar")


def test_the_bar_formats_what_is_written_and_others_see_it(demo: Demo, new_context: Any) -> None:
    proposal = demo.new_proposal("Un composteur de quartier")
    lea = new_page(new_context(DESKTOP))
    join_by_ui(lea, demo, "Léa")
    open_proposal(lea, demo, proposal)
    reader = new_page(new_context())
    join_by_ui(reader, demo, "Malik")
    open_proposal(reader, demo, proposal)

    constat = bar(lea, "constat")
    expect(constat).to_have_accessible_name("Mise en forme : Constat")
    editor(lea, "constat").click()
    bold = constat.get_by_role("button", name="Gras")
    expect(bold).to_have_attribute("aria-pressed", "false")
    bold.click()
    expect(bold).to_have_attribute("aria-pressed", "true")
    lea.keyboard.type("Trop de déchets verts")
    bold.click()
    expect(bold).to_have_attribute("aria-pressed", "false")
    editor(reader, "constat").locator("strong", has_text="Trop de déchets verts").wait_for()

    # A bulleted list of two items, then turned into a numbered one.
    lea.keyboard.press("Enter")
    constat.get_by_role("button", name="Puces").click()
    expect(constat.get_by_role("button", name="Puces")).to_have_attribute("aria-pressed", "true")
    lea.keyboard.type("un bac par immeuble")
    lea.keyboard.press("Enter")
    lea.keyboard.type("une collecte le samedi")
    expect(editor(reader, "constat").locator("ul > li")).to_have_count(2)
    constat.get_by_role("button", name="Numéros").click()
    expect(constat.get_by_role("button", name="Numéros")).to_have_attribute("aria-pressed", "true")
    expect(constat.get_by_role("button", name="Puces")).to_have_attribute("aria-pressed", "false")
    expect(editor(reader, "constat").locator("ol > li")).to_have_count(2)
    expect(editor(reader, "constat").locator("ol > li").nth(1)).to_contain_text(
        "une collecte le samedi"
    )

    # A link on the last word: an address a browser would run is refused with the reason.
    lea.keyboard.press("Shift+Control+ArrowLeft")
    lea.keyboard.press("Control+k")
    address = lea.get_by_role("textbox", name="Adresse du lien")
    expect(address).to_be_focused()
    address.fill("javascript:alert(1)")
    address.press("Enter")
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(lea.get_by_text("Adresse non valable")).to_be_visible()
    address.fill("www.strasbourg.eu")
    address.press("Enter")
    expect(address).to_be_hidden()
    expect(editor(lea, "constat")).to_be_focused()
    link = editor(reader, "constat").locator('a[href="https://www.strasbourg.eu"]')
    expect(link).to_have_accessible_name("samedi")
    # Others' cursors are seen, not read aloud in the middle of the text.
    cursor = reader.locator('[data-section="constat"] .remote-cursor').first
    expect(cursor).to_have_attribute("aria-hidden", "true")
    screenshot(lea, "editor-toolbar-desktop")
    check_axe(lea, "editor toolbar", every_impact=True)

    # The frozen version says the same: bold, a numbered list, the link with its address.
    version = demo.api("POST", f"/api/proposals/{proposal}/freeze", json={})
    markdown = httpx.get(
        f"{demo.http}/api/proposals/{proposal}/versions/{version['number']}/markdown",
        headers={"authorization": f"Bearer {demo.facilitator_token}"},
        timeout=10,
    ).text
    assert "**Trop de déchets verts**" in markdown
    assert "1. un bac par immeuble" in markdown
    assert "[samedi](<https://www.strasbourg.eu>)" in markdown
    no_page_errors(lea)
    no_page_errors(reader)


def test_tab_goes_from_text_to_text_and_shift_tab_reaches_the_bar(
    demo: Demo, new_context: Any
) -> None:
    proposal = demo.new_proposal("Des bancs à l’ombre")
    page = new_page(new_context(DESKTOP))
    join_by_ui(page, demo, "Nour")
    open_proposal(page, demo, proposal)
    tab_to(page, "el.closest('[data-section=intitule]')")
    page.keyboard.press("Tab")  # the next section's text, not its bar
    assert page.evaluate("() => !!document.activeElement.closest('[data-section=constat]')")
    page.keyboard.press("Shift+Tab")  # back: this section's bar
    constat = bar(page, "constat")
    expect(constat.get_by_role("button", name="Gras")).to_be_focused()
    page.keyboard.press("ArrowRight")
    italic = constat.get_by_role("button", name="Italique")
    expect(italic).to_be_focused()
    page.keyboard.press("Enter")
    expect(italic).to_have_attribute("aria-pressed", "true")
    # The bar hands the focus back to the text, with its choice in force.
    assert page.evaluate("() => !!document.activeElement.closest('[data-section=constat]')")
    page.keyboard.type("sous les tilleuls")
    editor(page, "constat").locator("em", has_text="sous les tilleuls").wait_for()
    # Alt+F10 from the text reaches the bar too, where the focus last was.
    page.keyboard.press("Alt+F10")
    expect(italic).to_be_focused()
    no_page_errors(page)


def test_on_a_phone_the_bar_fits_and_the_hint_speaks_of_it(demo: Demo, new_context: Any) -> None:
    proposal = demo.new_proposal("Une fontaine")
    phone = new_page(new_context(PHONE, has_touch=True, is_mobile=True))
    join_by_ui(phone, demo, "Inès")
    open_proposal(phone, demo, proposal)
    expect(phone.get_by_text("la barre au-dessus de chacune met en forme")).to_be_visible()
    expect(phone.get_by_text("Tab passe à la suivante")).to_have_count(0)
    first = bar(phone, "intitule")
    box = first.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= PHONE["width"]
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "editor-toolbar-phone")

    observer = new_page(new_context())
    join_by_ui(observer, demo, "Yves", role="observateur")
    open_proposal(observer, demo, proposal)
    observer.get_by_text("Lecture seule").wait_for()
    expect(observer.get_by_role("toolbar")).to_have_count(0)
    no_page_errors(phone)


def test_a_name_label_stays_inside_the_text_on_a_phone(demo: Demo, new_context: Any) -> None:
    """Issue 20, #6: on a 390 px screen, someone's label at the right edge of the first line
    is neither cut by the screen's edge nor drawn over the bar above the text."""
    proposal = demo.new_proposal("Un abri à vélos")
    writer = new_page(new_context(DESKTOP))
    join_by_ui(writer, demo, "Zoé")
    open_proposal(writer, demo, proposal)
    phone = new_page(new_context(PHONE))
    join_by_ui(phone, demo, "Paul")
    open_proposal(phone, demo, proposal)
    area = editor(phone, "intitule")
    bounds = area.bounding_box()
    assert bounds is not None
    editor(writer, "intitule").click()
    typed = ""
    # One letter at a time, each seen on the phone, until Zoé's caret nears its right edge.
    for _ in range(120):
        writer.keyboard.type("m")
        typed += "m"
        expect(area).to_contain_text(typed)
        caret = phone.locator('[data-section="intitule"] .remote-cursor').bounding_box()
        if caret is not None and caret["x"] > bounds["x"] + bounds["width"] - 60:
            break
    else:
        raise AssertionError("the caret never reached the right edge")
    label = phone.locator('[data-section="intitule"] .remote-cursor-label')
    expect(label).to_have_class(re.compile(r"\bto-left\b"))
    box = label.bounding_box()
    assert box is not None
    assert box["x"] >= bounds["x"]
    assert box["x"] + box["width"] <= bounds["x"] + bounds["width"]
    assert box["y"] >= bounds["y"]  # in the text's top padding, not over the bar
    screenshot(phone, "editor-label-at-the-edge-phone")

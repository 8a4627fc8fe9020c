"""A proposal's history in the browser (issue 20, #5): two people type, one opens
« Historique », moves the slider with the keyboard to an earlier revision and reads the text as
it was, coloured by author (named only by choice); the colours switch off and stay off; « Restaurer
cette section » makes that past text the live one, and the other person's open editor shows it;
on a text locked or handed to the council it is not offered, and one line says why.
Axe on the screen; screenshots at 1366 × 768 and 390 × 844."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import (
    PHONE,
    Demo,
    check_axe,
    join_by_ui,
    new_page,
    no_page_errors,
    screenshot,
)
from tests.web.test_editor import editor, open_proposal

LAPTOP = {"width": 1366, "height": 768}
SECTION = "proposition"
AWA = "Un jardin partagé derrière l’école."
BRUNO = " Avec des bancs pour les parents."


def join_named(page: Any, demo: Demo, name: str) -> None:
    """Join as ``join_by_ui`` does, consenting to be named."""
    page.goto(f"{demo.http}/rejoindre/{demo.join_code}")
    page.get_by_label("J’ai lu la charte et je l’accepte").check()
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Votre prénom, nom ou pseudonyme").fill(name)
    page.locator("input[name=role][value=habitant]").check()
    page.locator("#show-name").check()
    page.get_by_role("button", name="Rejoindre la séance").click()
    page.wait_for_url(re.compile(r"/atelier/"))
    page.get_by_text(f"Vous : {name}").wait_for()


def history_text(page: Any) -> Any:
    return page.locator(f'[data-testid="history-sections"] [data-section="{SECTION}"]')


def slider(page: Any) -> Any:
    return page.get_by_test_id("history-slider")


def showing(page: Any, n: int) -> None:
    """Wait until the sections drawn are those of revision ``n``."""
    expect(page.get_by_test_id("history-sections")).to_have_attribute("data-revision", str(n))
    expect(page.get_by_test_id("history-sections")).not_to_have_attribute("aria-busy", "true")


def test_the_slider_shows_an_earlier_state_and_a_restore_reaches_the_other_editor(
    demo: Demo, new_context: Any
) -> None:
    proposal = demo.new_proposal("Un jardin derrière l’école")
    awa = new_page(new_context(LAPTOP))
    join_named(awa, demo, "Awa")
    bruno = new_page(new_context(PHONE))
    join_by_ui(bruno, demo, "Bruno")  # not named: « Participant·e 2 » in the history
    open_proposal(awa, demo, proposal)
    open_proposal(bruno, demo, proposal)

    # Awa writes her sentence, then Bruno adds his after it.
    editor(awa, SECTION).click()
    awa.keyboard.press("Control+End")
    awa.keyboard.type(AWA)
    expect(editor(bruno, SECTION)).to_contain_text(AWA)
    editor(bruno, SECTION).click()
    bruno.keyboard.press("Control+End")
    bruno.keyboard.type(BRUNO)
    expect(editor(awa, SECTION)).to_contain_text(BRUNO.strip())

    # Awa opens the history from the proposal: the last revision, both sentences, coloured.
    awa.get_by_role("link", name="Historique").click()
    awa.wait_for_url(re.compile(r"/historique$"))
    expect(slider(awa)).to_be_visible()
    last = int(slider(awa).get_attribute("max") or 0)
    assert last >= 2, last  # Awa's revision, then Bruno's (after the template's text, if any)
    showing(awa, last)
    expect(history_text(awa)).to_contain_text(AWA)
    expect(history_text(awa)).to_contain_text(BRUNO.strip())
    expect(slider(awa)).to_have_attribute(
        "aria-valuetext", re.compile(rf"^Révision {last} sur {last} — .+, par Participant·e 2$")
    )
    legend = awa.get_by_role("list", name="Auteurs")
    expect(legend).to_contain_text("Awa")
    expect(legend).to_contain_text("Participant·e 2")
    expect(history_text(awa).locator('.by-author[data-author="1"]')).to_contain_text(AWA)
    expect(history_text(awa).locator('.by-author[data-author="2"]')).to_contain_text(BRUNO.strip())
    coloured = history_text(awa).locator('.by-author[data-author="1"]').first
    colour = coloured.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent"), colour
    screenshot(awa, "history-laptop")
    check_axe(awa, "history", every_impact=True)

    # The keyboard moves the slider back one revision: Awa's text alone, said by its value.
    slider(awa).focus()
    awa.keyboard.press("ArrowLeft")
    showing(awa, last - 1)
    expect(history_text(awa)).to_contain_text(AWA)
    expect(history_text(awa)).not_to_contain_text(BRUNO.strip())
    expect(slider(awa)).to_have_attribute(
        "aria-valuetext", re.compile(rf"^Révision {last - 1} sur {last} — .+, par Awa$")
    )
    awa.keyboard.press("Home")
    showing(awa, 1)
    expect(history_text(awa)).not_to_contain_text(BRUNO.strip())
    awa.keyboard.press("End")
    showing(awa, last)
    expect(history_text(awa)).to_contain_text(BRUNO.strip())
    awa.get_by_role("button", name="Révision précédente").click()
    showing(awa, last - 1)
    expect(history_text(awa)).not_to_contain_text(BRUNO.strip())

    # The authors' colours switch off, and stay off after a reload.
    toggle = awa.get_by_test_id("history-colours")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    plain = (
        history_text(awa)
        .locator(".by-author")
        .first.evaluate("el => getComputedStyle(el).backgroundColor")
    )
    assert plain in ("rgba(0, 0, 0, 0)", "transparent"), plain
    expect(legend).to_be_hidden()
    awa.reload()
    expect(awa.get_by_test_id("history-colours")).to_have_attribute("aria-pressed", "false")
    awa.get_by_test_id("history-colours").click()
    expect(awa.get_by_test_id("history-colours")).to_have_attribute("aria-pressed", "true")

    # Restore the section as it was at Awa's revision: a new edit Bruno's editor shows live.
    showing(awa, last)
    slider(awa).focus()
    awa.keyboard.press("ArrowLeft")
    showing(awa, last - 1)
    awa.get_by_test_id(f"restore-{SECTION}").click()
    confirm = awa.get_by_test_id(f"restore-{SECTION}-confirm")
    expect(confirm).to_be_focused()
    awa.keyboard.press("Enter")
    expect(awa.get_by_test_id("history-told")).to_contain_text(
        f"a repris le texte de la révision {last - 1}"
    )
    expect(editor(bruno, SECTION)).not_to_contain_text(BRUNO.strip())
    expect(editor(bruno, SECTION)).to_contain_text(AWA)
    # The history went forward: one revision more, the last; the earlier ones unchanged.
    expect(slider(awa)).to_have_attribute("max", str(last + 1))
    showing(awa, last + 1)
    expect(history_text(awa)).not_to_contain_text(BRUNO.strip())
    slider(awa).focus()
    awa.keyboard.press("ArrowLeft")
    showing(awa, last)
    expect(history_text(awa)).to_contain_text(BRUNO.strip())

    # On a phone, Bruno reads the history too; it fits 390 px.
    phone = new_page(bruno.context)
    phone.goto(f"{demo.http}/proposition/{proposal}/historique")
    showing(phone, last + 1)
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screenshot(phone, "history-phone")
    check_axe(phone, "history on a phone", every_impact=True)
    for page in (awa, bruno, phone):
        no_page_errors(page)


def test_no_restore_is_offered_on_a_text_that_no_longer_changes_and_the_screen_says_why(
    demo: Demo, new_context: Any
) -> None:
    """Locked by the facilitator, then handed to the council: the history still reads every
    revision but offers no « Restaurer cette section » (the server would refuse it), and one
    line says why, in the editor's words; unlocked, it is offered again."""
    proposal = demo.new_proposal("Un banc sous le tilleul")
    awa = new_page(new_context(LAPTOP))
    join_named(awa, demo, "Awa")
    bruno = new_page(new_context(PHONE))
    join_by_ui(bruno, demo, "Bruno")
    open_proposal(awa, demo, proposal)
    open_proposal(bruno, demo, proposal)
    # Two people, two revisions: an earlier one to restore.
    for page, words, other in ((awa, AWA, bruno), (bruno, BRUNO, awa)):
        editor(page, SECTION).click()
        page.keyboard.press("Control+End")
        page.keyboard.type(words)
        expect(editor(other, SECTION)).to_contain_text(words.strip())
    history = f"{demo.http}/proposition/{proposal}/historique"

    def earlier_revision() -> None:
        awa.goto(history)
        # The server replays the text on its worker pool: the first time, on a loaded
        # machine, the pool may take a while to start.
        expect(slider(awa)).to_be_visible(timeout=60_000)
        sections = awa.get_by_test_id("history-sections")
        last = int(slider(awa).get_attribute("max") or 0)
        assert last >= 2, last
        expect(sections).to_have_attribute("data-revision", str(last), timeout=60_000)
        slider(awa).focus()
        awa.keyboard.press("Home")
        expect(sections).to_have_attribute("data-revision", "1", timeout=60_000)
        expect(sections).not_to_have_attribute("aria-busy", "true")

    demo.api("POST", f"/api/proposals/{proposal}/lock", json={"locked": True})
    earlier_revision()
    told = awa.get_by_test_id("history-read-only")
    expect(told).to_have_text(
        "Verrouillée par l’animation : le texte est en lecture seule pour l’instant."
    )
    expect(awa.get_by_test_id(f"restore-{SECTION}")).to_have_count(0)
    check_axe(awa, "history of a locked text", every_impact=True)

    demo.api("POST", f"/api/proposals/{proposal}/lock", json={"locked": False})
    earlier_revision()
    expect(awa.get_by_test_id(f"restore-{SECTION}")).to_be_visible()
    expect(awa.get_by_test_id("history-read-only")).to_have_count(0)

    demo.api("POST", f"/api/proposals/{proposal}/freeze")
    demo.api("POST", f"/api/proposals/{proposal}/transmit")
    earlier_revision()
    expect(awa.get_by_test_id("history-read-only")).to_have_text(
        "Transmise au conseil : le texte remis est la version 1 ; il ne se modifie plus ici."
    )
    expect(awa.get_by_test_id(f"restore-{SECTION}")).to_have_count(0)
    for page in (awa, bruno):
        no_page_errors(page)

"""XSS, in a real browser: markup typed into a name, a proposal's title and text, a poll's
title and options is shown as text on every screen that shows it — the atelier screen, the
editor (who is here, cursor labels), the console, the projector, the ballot, the council's
screens and the version view — and never runs."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import (
    DESKTOP,
    Demo,
    join_by_ui,
    new_page,
    no_page_errors,
    screenshot,
    sign_in_facilitator,
)
from tests.web.test_council import handed_over, open_as_staff
from tests.web.test_editor import editor, open_proposal
from tests.web.test_votes import open_poll

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'


def assert_inert(page: Any, *literals: str) -> None:
    """Each literal is on the page as text; no markup from it exists or ran."""
    for literal in literals:  # rendered text (innerText leaves out what is hidden)
        page.wait_for_function("t => document.body.innerText.includes(t)", arg=literal)
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("script:not([src])").count() == 0  # the CSP allows only files anyway
    no_page_errors(page)


def test_a_hostile_name_title_and_text_stay_text_in_the_atelier_and_the_editor(
    demo: Demo, new_context: Any
) -> None:
    title = f"Titre {SCRIPT}"
    proposal = demo.new_proposal(title)
    writer = new_page(new_context(DESKTOP))
    join_by_ui(writer, demo, IMG)
    writer.goto(f"{demo.http}/atelier/{demo.atelier_id}")
    assert_inert(writer, title, IMG)

    reader = new_page(new_context(DESKTOP))
    join_by_ui(reader, demo, "Bruno")
    open_proposal(writer, demo, proposal)
    open_proposal(reader, demo, proposal)
    editor(writer, "constat").click()
    writer.keyboard.type(f"{SCRIPT} {IMG}")
    editor(reader, "constat").get_by_text(f"{SCRIPT} {IMG}").wait_for()
    reader.get_by_test_id("here").get_by_text(IMG).wait_for()
    label = reader.locator('[data-section="constat"] .remote-cursor-label')
    label.filter(has_text=IMG).wait_for()
    screenshot(reader, "xss-editor")
    assert_inert(reader, title, IMG)
    assert_inert(writer, title)


def test_hostile_poll_options_stay_text_on_the_console_projector_and_ballot(
    demo: Demo, new_context: Any
) -> None:
    question = f"Vote {IMG}"
    options = [f"Option {SCRIPT}", f"Option {IMG}"]
    # Public: its options are drawn live on the projector (a secret poll shows a ballot box).
    poll_id = open_poll(demo, question, "plurality", options, secret=False)

    lead = new_page(new_context(DESKTOP))
    sign_in_facilitator(lead, demo)
    lead.goto(f"{demo.http}/animation/{demo.session_id}")
    lead.locator("article.poll", has_text=question).wait_for()  # options: in its paper form
    assert_inert(lead, question)

    phone = new_page(new_context())
    join_by_ui(phone, demo, "Chloé")
    phone.goto(f"{demo.http}/vote/{poll_id}")
    phone.get_by_label(options[1]).check()
    phone.get_by_role("button", name="Envoyer mon vote").click()
    phone.get_by_role("status").filter(has_text="enregistré").wait_for()
    screenshot(phone, "xss-ballot")
    assert_inert(phone, question, *options)

    screen = new_page(new_context(DESKTOP))
    sign_in_facilitator(screen, demo)
    screen.goto(f"{demo.http}/projection/{demo.session_id}")
    screen.get_by_role("status").filter(has_text="En direct").wait_for()
    screen.locator("section.projected-poll", has_text="1 bulletin").wait_for()
    screenshot(screen, "xss-projector")
    assert_inert(screen, question, *options)


def test_a_hostile_proposal_stays_text_on_the_council_screens(demo: Demo, new_context: Any) -> None:
    title = f"Conseil {IMG}"
    proposal = handed_over(demo, title, f"{SCRIPT} {IMG}")
    page = new_page(new_context(DESKTOP))
    open_as_staff(page, demo, proposal)
    page.get_by_role("button", name="Lire la version 1").click()
    page.get_by_role("article", name="Version 1").get_by_text(f"{SCRIPT} {IMG}").wait_for()
    screenshot(page, "xss-council-version")
    assert_inert(page, title, f"{SCRIPT} {IMG}")
    page.goto(f"{demo.http}/conseil")
    assert_inert(page, title)

"""Amendments (issue 20, #4), in real browsers against a real server: the facilitator switches a
proposal to « Amendements » in the console; Awa, whose text turns read-only, chooses a passage
with Shift+arrows and proposes a replacement with the keyboard; Bruno sees it inline with her
name; accepted, the server writes it into the live text of every browser; rejected, the text
stays; competing amendments put to the vote in one action, voted on the phones' ballots, closed:
the winner is in the text; two facilitators accepting at once apply it once; a passage deleted
meanwhile leaves its amendment detached, still decidable: accepted, its words go where the
passage was."""

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
    press,
    screenshot,
    sign_in_facilitator,
)
from tests.web.test_editor import editor as section_editor
from tests.web.test_editor import open_proposal

LAPTOP = {"width": 1366, "height": 768}
SENTENCE = "Installer un composteur dans chaque cour."
SECTION = "proposition"


def editor(page: Any, section: str = SECTION) -> Any:
    return section_editor(page, section)


def panel(page: Any, section: str = SECTION) -> Any:
    return (
        page.locator(f'[data-section="{section}"]')
        .locator("xpath=ancestor::section[1]")
        .locator(".section-amendments")
    )


def card(page: Any, replacement: str, section: str = SECTION) -> Any:
    return panel(page, section).locator("li.amendment", has_text=replacement)


def text_is(page: Any, words: str, section: str = SECTION) -> None:
    """Wait until the section's own text reads ``words``: without the proposed words shown
    inline and without the others' cursor labels, which are drawn in the text but not in it."""
    page.wait_for_function(
        """([section, words]) => {
            const area = document.querySelector(`[data-section="${section}"] .ProseMirror`);
            if (!area) return false;
            const copy = area.cloneNode(true);
            copy.querySelectorAll(".amendment-inline, .remote-cursor").forEach((el) => el.remove());
            return copy.textContent === words;
        }""",
        arg=[section, words],
    )


def lead_editor(new_context: Any, demo: Demo, proposal: str) -> Any:
    page = new_page(new_context(LAPTOP))
    sign_in_facilitator(page, demo)
    open_proposal(page, demo, proposal)
    return page


def participant(new_context: Any, demo: Demo, proposal: str, name: str, size: Any = None) -> Any:
    page = new_page(new_context(size or LAPTOP))
    join_by_ui(page, demo, name)
    open_proposal(page, demo, proposal)
    return page


def write(page: Any, words: str, section: str = SECTION) -> None:
    editor(page, section).click()
    page.keyboard.type(words)
    text_is(page, words, section)


def amendment_mode(demo: Demo, proposal: str, on: bool = True) -> None:
    demo.api("PUT", f"/api/proposals/{proposal}/amendment-mode", json={"enabled": on})


def read_only_for_amendments(page: Any) -> None:
    expect(page.get_by_test_id("access-notice")).to_contain_text("Mode amendements")
    expect(editor(page)).to_have_attribute("aria-readonly", "true")


def propose(page: Any, before: str, words: str, replacement: str, why: str = "") -> None:
    """Choose ``words`` (after ``before``) with the keyboard, open the form with Ctrl+Alt+A,
    write the replacement (the box holds the passage at first) and send it."""
    editor(page).click()
    page.keyboard.press("Control+Home")
    press(page, "ArrowRight", len(before))
    press(page, "Shift+ArrowRight", len(words))
    expect(panel(page).get_by_role("button", name="Proposer un amendement")).to_be_visible()
    page.keyboard.press("Control+Alt+A")
    box = panel(page).get_by_role("textbox", name="Texte proposé")
    expect(box).to_be_focused()
    expect(box).to_have_value(words)
    expect(panel(page).locator(".amendment-form")).to_contain_text(f"« {words} »")
    page.keyboard.type(replacement)  # the passage is selected in the box: typed over
    page.keyboard.press("Tab")  # « Pourquoi ? », optional
    if why:
        page.keyboard.type(why)
    page.keyboard.press("Tab")  # « Envoyer »
    page.keyboard.press("Enter")
    # The server finds the passage in the stored text on its worker pool: the first time,
    # on a loaded machine, the pool may take a while to start.
    expect(card(page, replacement)).to_be_visible(timeout=60_000)


def test_a_participant_proposes_and_the_facilitator_accepts(demo: Demo, new_context: Any) -> None:
    title = "Des composteurs dans les cours"
    proposal = demo.new_proposal(title)
    lead = lead_editor(new_context, demo, proposal)
    write(lead, SENTENCE)
    awa = participant(new_context, demo, proposal, "Awa")
    bruno = participant(new_context, demo, proposal, "Bruno")
    text_is(awa, SENTENCE)

    # The facilitator switches the proposal to amendments from the console.
    console = new_page(lead.context)
    console.goto(f"{demo.http}/animation/{demo.session_id}")
    console.get_by_role("status").filter(has_text="En direct").wait_for()
    item = console.get_by_test_id("proposals-panel").locator(f'[data-proposal="{proposal}"]')
    modes = item.get_by_role("group", name=f"Mode d’écriture de « {title} »")
    free = modes.get_by_role("button", name="Écriture libre")
    amending = modes.get_by_role("button", name="Amendements", exact=True)
    expect(free).to_have_attribute("aria-pressed", "true")
    amending.click()
    expect(amending).to_have_attribute("aria-pressed", "true")
    expect(free).to_have_attribute("aria-pressed", "false")
    item.get_by_text("mode amendements").wait_for()

    # Awa's text turns read-only, live, and says how to amend it; what she types does nothing.
    read_only_for_amendments(awa)
    expect(awa.get_by_test_id("amendments-guide")).to_contain_text("Proposer un amendement")
    editor(awa).click()
    awa.keyboard.press("End")
    awa.keyboard.type("xyz")
    propose(awa, "Installer un ", "composteur", "bac à compost", "Moins cher à entretenir.")
    text_is(awa, SENTENCE)  # nothing she typed went in: the passage is only proposed

    # Bruno sees it inline, struck through with the proposed words and Awa's name, and beside.
    struck_through(bruno, "composteur")
    inline = editor(bruno).locator(".amendment-inline")
    expect(inline).to_contain_text("bac à compost")
    expect(inline).to_contain_text("Awa")
    seen = card(bruno, "bac à compost")
    expect(seen).to_contain_text("« composteur »")
    expect(seen).to_contain_text("Moins cher à entretenir.")
    expect(seen).to_contain_text("Proposé par Awa")
    expect(seen).to_contain_text("Proposé")
    expect(seen.get_by_role("button", name="Accepter")).to_have_count(0)  # not his to decide
    expect(card(awa, "bac à compost").get_by_role("button", name="Retirer")).to_be_visible()
    expect(bruno.get_by_test_id("amendments-status")).to_contain_text("Nouvel amendement de Awa")
    region = bruno.get_by_role("region", name="Amendements : Proposition")
    expect(region).to_be_visible()
    text_box = editor(bruno).bounding_box()
    side = region.bounding_box()
    assert side["x"] >= text_box["x"] + text_box["width"], (side, text_box)
    check_axe(bruno, "amendments beside the text", every_impact=True)
    screenshot(bruno, "amendments-laptop")
    bruno.set_viewport_size(PHONE)
    text_box = editor(bruno).bounding_box()
    below = region.bounding_box()
    assert below["y"] >= text_box["y"] + text_box["height"], (below, text_box)
    assert below["width"] <= PHONE["width"]
    check_axe(bruno, "amendments below the text", every_impact=True)
    screenshot(bruno, "amendments-phone")

    # The facilitator accepts: the server writes it into the text of every browser.
    check_axe(lead, "amendments with the facilitator's actions", every_impact=True)
    screenshot(lead, "amendments-facilitator")
    card(lead, "bac à compost").get_by_role("button", name="Accepter").click()
    accepted = "Installer un bac à compost dans chaque cour."
    for page in (lead, awa, bruno):
        text_is(page, accepted)
        decided = panel(page).locator(".amendments-decided")
        expect(decided.locator("li.amendment", has_text="bac à compost")).to_contain_text("Accepté")
        expect(editor(page).locator("del.amendment-passage")).to_have_count(0)
    expect(bruno.get_by_test_id("amendments-status")).to_contain_text("Amendement accepté")

    # Back to free writing: Awa writes again.
    free.click()
    expect(free).to_have_attribute("aria-pressed", "true")
    expect(editor(awa)).to_have_attribute("aria-readonly", "false")
    expect(editor(awa)).not_to_have_attribute("inputmode", "none")
    for page in (lead, awa, bruno, console):
        no_page_errors(page)


def test_rejected_then_a_deleted_passage_is_detached_and_still_accepted(
    demo: Demo, new_context: Any
) -> None:
    proposal = demo.new_proposal("Un compost rejeté")
    lead = lead_editor(new_context, demo, proposal)
    write(lead, SENTENCE)
    amendment_mode(demo, proposal)
    awa = participant(new_context, demo, proposal, "Awa", PHONE)
    read_only_for_amendments(awa)
    text_is(awa, SENTENCE)

    # Rejected with a reason: the text does not change, the fate and the reason are shown.
    propose(awa, "Installer un ", "composteur", "lombricomposteur")
    mine = card(lead, "lombricomposteur")
    mine.get_by_role("button", name="Rejeter", exact=True).click()
    mine.get_by_label("Motif (facultatif)").fill("Trop fragile en hiver.")
    mine.get_by_role("button", name="Rejeter l’amendement").click()
    for page in (lead, awa):
        fate = panel(page).locator(".amendments-decided li.amendment", has_text="lombricomposteur")
        expect(fate).to_contain_text("Rejeté")
        expect(fate).to_contain_text("Trop fragile en hiver.")
        text_is(page, SENTENCE)

    # Awa amends « chaque cour »; the facilitator deletes that passage meanwhile.
    propose(awa, "Installer un composteur dans ", "chaque cour", "chaque résidence")
    pending = card(lead, "chaque résidence")
    pending.get_by_role("button", name=re.compile("Aller au passage")).click()
    expect(editor(lead)).to_be_focused()
    lead.keyboard.press("Backspace")
    text_is(lead, "Installer un composteur dans .")
    for page in (lead, awa):
        text_is(page, "Installer un composteur dans .")
        detached = panel(page).locator(".amendments-detached")
        expect(detached).to_contain_text("Passage supprimé")
        expect(detached.locator("li.amendment")).to_contain_text("« chaque cour »")
        expect(detached.locator("li.amendment")).to_contain_text("chaque résidence")
    # Detached, it can still be accepted: its words go where the passage was.
    detached = panel(lead).locator(".amendments-detached li.amendment")
    detached.get_by_role("button", name="Accepter").click()
    for page in (lead, awa):
        text_is(page, "Installer un composteur dans chaque résidence.")
        fate = panel(page).locator(".amendments-decided li.amendment", has_text="chaque résidence")
        expect(fate).to_contain_text("Accepté")
        expect(panel(page).locator(".amendments-detached")).to_be_hidden()
    no_page_errors(lead)
    no_page_errors(awa)


def test_competing_amendments_put_to_the_vote_and_the_winner_applied(
    demo: Demo, new_context: Any
) -> None:
    proposal = demo.new_proposal("Un composteur ou un silo")
    lead = lead_editor(new_context, demo, proposal)
    write(lead, SENTENCE)
    amendment_mode(demo, proposal)
    awa = participant(new_context, demo, proposal, "Awa", PHONE)
    bruno = participant(new_context, demo, proposal, "Bruno", PHONE)
    read_only_for_amendments(bruno)
    propose(awa, "Installer un ", "composteur", "bac collectif")
    text_is(bruno, SENTENCE)
    propose(bruno, "Installer un ", "composteur", "silo à compost")

    # On the same passage: one group, put to the vote together in one action.
    group = panel(lead).locator(".amendment-group")
    expect(group).to_contain_text("2 amendements sur le même passage")
    group.get_by_role("button", name="Mettre au vote ensemble").click()
    together = group.locator(":scope > .amendment-vote")  # each one has its own, hidden
    expect(together.get_by_label("Méthode du vote")).to_be_focused()
    together.get_by_label("Méthode du vote").select_option(label="Vote à un choix")
    check_axe(lead, "competing amendments, the vote's method", every_impact=True)
    screenshot(lead, "amendments-vote-together")
    together.get_by_role("button", name="Ouvrir le vote").click()
    for page in (lead, awa, bruno):
        expect(card(page, "bac collectif")).to_contain_text("Au vote")
        expect(card(page, "silo à compost")).to_contain_text("Au vote")
    href = (
        card(lead, "bac collectif").get_by_role("link", name="Suivre le vote").get_attribute("href")
    )
    poll_id = href.rsplit("/", 1)[1]

    # The participants vote on their phones' ballot, as for any poll of the séance.
    for page in (awa, bruno):
        page.get_by_test_id("vote-call").get_by_role("link", name="Aller au bulletin").click()
        page.get_by_label(re.compile("« silo à compost »")).check()
        page.get_by_role("button", name="Envoyer mon vote").click()
        page.get_by_role("status").filter(has_text="enregistré").wait_for()
        open_proposal(page, demo, proposal)

    # Closed: the winner is in the text of every browser; the other is rejected.
    closed = demo.api("POST", f"/api/polls/{poll_id}/close")
    assert closed["results"]["total"]["winner"] == "o3", closed  # « silo à compost »
    won = "Installer un silo à compost dans chaque cour."
    for page in (lead, awa, bruno):
        text_is(page, won)
        decided = panel(page).locator(".amendments-decided")
        expect(decided.locator("li.amendment", has_text="silo à compost")).to_contain_text(
            "Accepté"
        )
        expect(decided.locator("li.amendment", has_text="bac collectif")).to_contain_text("Rejeté")
    for page in (lead, awa, bruno):
        no_page_errors(page)


def struck_through(page: Any, passage: str) -> None:
    """Wait until the text shows ``passage`` struck through as an amendment's passage. Another
    decoration inside it (someone's cursor) may cut it into several elements."""
    page.wait_for_function(
        """(passage) => [...document.querySelectorAll(
              '[data-section="proposition"] .ProseMirror del.amendment-passage')]
            .map((struck) => struck.textContent).join('') === passage""",
        arg=passage,
    )


_DECIDED = "Cet amendement était déjà décidé"
_RECORD_STATUS = """() => {
  window.__said = [];
  let last = null;
  new MutationObserver(() => {
    const line = document.querySelector('[data-testid="amendments-status"]');
    const text = line ? line.textContent.trim() : null;
    if (text && text !== last) { window.__said.push(text); last = text; }
  }).observe(document.body, {childList: true, characterData: true, subtree: true});
}"""


def test_two_facilitators_accepting_at_once_apply_it_once(demo: Demo, new_context: Any) -> None:
    proposal = demo.new_proposal("Deux animateurs")
    one = lead_editor(new_context, demo, proposal)
    write(one, SENTENCE)
    two = lead_editor(new_context, demo, proposal)
    text_is(two, SENTENCE)
    amendment_mode(demo, proposal)
    awa = participant(new_context, demo, proposal, "Awa")
    read_only_for_amendments(awa)
    propose(awa, "Installer un ", "composteur", "grand bac")
    buttons = [
        card(page, "grand bac").get_by_role("button", name="Accepter") for page in (one, two)
    ]
    for button in buttons:
        expect(button).to_be_visible()
    # Both presses before either answer arrives (a live refresh may hide the second button
    # in between: it is pressed all the same, as a person's click already on its way).
    pressed = [button.element_handle() for button in buttons]
    for page in (one, two):  # what the status line says, in order (a live refresh follows)
        page.evaluate(_RECORD_STATUS)
    accepting = lambda response: response.url.endswith("/accept")  # noqa: E731
    with one.expect_response(accepting) as first, two.expect_response(accepting) as second:
        for handle in pressed:
            handle.evaluate("(el) => el.click()")
    answers = {first.value.status: one, second.value.status: two}
    assert sorted(answers) == [200, 409], answers  # one accept, one « already decided »
    # Whoever came second is told what became of it, in words, not with an error page: its
    # fate when the answer left, « Accepté », or « En cours d’application » if the first was
    # still editing the text (the live refresh then says it was applied).
    second = answers[409]
    second.wait_for_function(f"() => window.__said.some(t => t.startsWith({_DECIDED!r}))")
    told = [t for t in second.evaluate("() => window.__said") if t.startswith(_DECIDED)]
    assert told[0] in (f"{_DECIDED} : Accepté.", f"{_DECIDED} : En cours d’application."), told
    once = "Installer un grand bac dans chaque cour."
    for page in (one, two, awa):
        text_is(page, once)
        decided = panel(page).locator(".amendments-decided li.amendment", has_text="grand bac")
        expect(decided).to_contain_text("Accepté")
        expect(page.locator(".section-amendments [role=alert]:visible")).to_have_count(0)
    for page in (one, two, awa):
        no_page_errors(page)


def test_a_passage_over_two_paragraphs_is_refused_with_why_and_an_amendment_withdrawn(
    demo: Demo, new_context: Any
) -> None:
    proposal = demo.new_proposal("Deux paragraphes")
    lead = lead_editor(new_context, demo, proposal)
    editor(lead).click()
    lead.keyboard.type("Un banc.")
    lead.keyboard.press("Enter")
    lead.keyboard.type("Deux arbres.")
    text_is(lead, "Un banc.Deux arbres.")
    amendment_mode(demo, proposal)
    awa = participant(new_context, demo, proposal, "Awa", PHONE)
    read_only_for_amendments(awa)
    expect(editor(awa)).to_have_attribute("inputmode", "none")  # no keyboard pops up on a tap
    text_is(awa, "Un banc.Deux arbres.")

    # From « banc. » into the next paragraph: the button says why it cannot be used.
    editor(awa).click()
    awa.keyboard.press("Control+Home")
    press(awa, "ArrowRight", len("Un "))
    press(awa, "Shift+ArrowRight", len("banc.") + 1 + len("Deux"))
    start = panel(awa).get_by_role("button", name="Proposer un amendement")
    expect(start).to_have_attribute("aria-disabled", "true")
    why = panel(awa).get_by_text("Un amendement porte sur un seul paragraphe")
    expect(why).to_be_visible()
    expect(start).to_have_accessible_description(re.compile("un seul paragraphe"))
    awa.keyboard.press("Control+Alt+A")
    expect(awa.get_by_test_id("amendments-status")).to_contain_text("un seul paragraphe")
    expect(panel(awa).locator(".amendment-form")).to_be_hidden()
    check_axe(awa, "a passage over two paragraphs", every_impact=True)

    # Within one paragraph it works; Awa then withdraws it, and everyone sees it withdrawn.
    propose(awa, "Un ", "banc", "banc ombragé")
    struck_through(lead, "banc")
    card(awa, "banc ombragé").get_by_role("button", name="Retirer").click()
    for page in (lead, awa):
        fate = panel(page).locator(".amendments-decided li.amendment", has_text="banc ombragé")
        expect(fate).to_contain_text("Retiré")
        expect(editor(page).locator("del.amendment-passage")).to_have_count(0)
        text_is(page, "Un banc.Deux arbres.")
    no_page_errors(lead)
    no_page_errors(awa)


def test_an_observer_reads_why_no_amendment_is_offered(demo: Demo, new_context: Any) -> None:
    """In amendment mode an observer reads one line saying that her role reads the text and
    its amendments and proposes none (as comments say to a role that may not comment); choosing
    a passage offers her no « Proposer un amendement ». Back to free writing, the line goes."""
    proposal = demo.new_proposal("Une fontaine place du marché")
    lead = lead_editor(new_context, demo, proposal)
    write(lead, SENTENCE)
    amendment_mode(demo, proposal)
    olga = new_page(new_context(LAPTOP))
    join_by_ui(olga, demo, "Olga", role="observateur")
    open_proposal(olga, demo, proposal)
    text_is(olga, SENTENCE)
    guide = olga.get_by_test_id("amendments-guide")
    expect(guide).to_have_text(
        "Mode amendements : votre rôle permet de lire le texte et ses amendements, "
        "pas d’en proposer."
    )
    editor(olga).get_by_text(SENTENCE).dblclick()  # a word chosen, as one would to amend it
    expect(panel(olga).get_by_role("button", name="Proposer un amendement")).to_be_hidden()
    check_axe(olga, "mode amendements, observateur·rice", every_impact=True)
    amendment_mode(demo, proposal, on=False)
    expect(guide).to_be_hidden()
    no_page_errors(olga)


def test_a_role_that_may_not_amend_is_told_it_may_not_propose_an_amendment(
    demo: Demo, new_context: Any
) -> None:
    """The facilitator makes Noémie an observer while her page is open in amendment mode: her
    amendment is refused, and the form names what she tried, « proposer un amendement » (the
    permission is the one of commenting, its name was « commenter »); her words stay."""
    proposal = demo.new_proposal("Un banc sous le tilleul")
    lead = lead_editor(new_context, demo, proposal)
    write(lead, SENTENCE)
    noemie = participant(new_context, demo, proposal, "Noémie")
    text_is(noemie, SENTENCE)
    amendment_mode(demo, proposal)
    read_only_for_amendments(noemie)
    people = demo.api("GET", f"/api/ateliers/{demo.atelier_id}/participants")
    (her,) = [p["id"] for p in people if p["display_name"] == "Noémie"]
    demo.api("POST", f"/api/participants/{her}/role", json={"role": "observateur"})

    editor(noemie).click()
    noemie.keyboard.press("Control+Home")
    press(noemie, "ArrowRight", len("Installer un "))
    press(noemie, "Shift+ArrowRight", len("composteur"))
    noemie.keyboard.press("Control+Alt+A")
    box = panel(noemie).get_by_role("textbox", name="Texte proposé")
    expect(box).to_be_focused()
    noemie.keyboard.type("banc")
    panel(noemie).get_by_role("button", name="Envoyer").click()
    said = panel(noemie).locator(".amendment-form .field-error")
    expect(said).to_have_text(
        "Votre rôle (observateur·rice) ne permet pas de proposer un amendement."
    )
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_be_focused()
    expect(box).to_have_value("banc")  # nothing lost: she may copy it elsewhere
    assert demo.api("GET", f"/api/proposals/{proposal}/amendments") == []
    check_axe(noemie, "amendement refusé au rôle", every_impact=True)
    no_page_errors(noemie)


def test_a_vote_that_closes_after_the_hand_over_says_its_winner_was_not_applied(
    demo: Demo, new_context: Any
) -> None:
    """Put to the vote, then the proposal is handed to the council before the vote closes: the
    winner is not written into the text the council received, and every screen says so on its
    card (and to a screen reader), instead of showing a text that changed behind everyone's
    back (H5)."""
    proposal = demo.new_proposal("Un composteur à la remise")
    lead = lead_editor(new_context, demo, proposal)
    write(lead, SENTENCE)
    amendment_mode(demo, proposal)
    awa = participant(new_context, demo, proposal, "Awa", PHONE)
    propose(awa, "Installer un ", "composteur", "bac collectif")
    mine = card(lead, "bac collectif")
    expect(mine).to_contain_text("Proposé par Awa")
    mine.get_by_role("button", name="Mettre au vote").click()
    mine.get_by_role("button", name="Ouvrir le vote").click()
    for page in (lead, awa):
        expect(card(page, "bac collectif")).to_contain_text("Au vote")
    href = mine.get_by_role("link", name="Suivre le vote").get_attribute("href")
    poll_id = href.rsplit("/", 1)[1]
    awa.get_by_test_id("vote-call").get_by_role("link", name="Aller au bulletin").click()
    awa.get_by_label(re.compile("« bac collectif »")).check()
    awa.get_by_role("button", name="Envoyer mon vote").click()
    awa.get_by_role("status").filter(has_text="enregistré").wait_for()
    open_proposal(awa, demo, proposal)
    expect(card(awa, "bac collectif")).to_contain_text("Au vote")

    demo.api("POST", f"/api/proposals/{proposal}/freeze")
    demo.api("POST", f"/api/proposals/{proposal}/transmit")
    closed = demo.api("POST", f"/api/polls/{poll_id}/close")
    assert closed["results"]["total"]["winner"] == "o2", closed  # « bac collectif »
    told = (
        "Adopté par le vote, non appliqué : la proposition avait été transmise au conseil, "
        "son texte ne change plus."
    )
    for page in (lead, awa):
        expect(card(page, "bac collectif").get_by_test_id("amendment-not-applied")).to_have_text(
            told
        )
        expect(card(page, "bac collectif")).to_contain_text("Proposé")
        text_is(page, SENTENCE)
    expect(awa.get_by_test_id("amendments-status")).to_contain_text(
        "Amendement adopté par le vote mais non appliqué"
    )
    # Nothing to decide on a text the council received: no button offers it.
    for offered in ("Accepter", "Rejeter", "Mettre au vote"):
        expect(card(lead, "bac collectif").get_by_role("button", name=offered)).to_have_count(0)
    check_axe(awa, "amendment not applied after the hand-over", every_impact=True)
    for page in (lead, awa):
        no_page_errors(page)

"""Comments anchored to a passage (issue 20, #3), in two browsers: Awa chooses a passage and
comments it with the keyboard; Bruno sees the thread live beside the text and replies; text
typed before the passage leaves the highlight on the same words; the passage deleted, the
thread stays under « Passage supprimé » with its quote; resolved, it folds away; on a phone the
threads are below the text."""

from __future__ import annotations

from typing import Any

import httpx
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
)
from tests.web.test_editor import editor, open_proposal

LAPTOP = {"width": 1366, "height": 768}
SENTENCE = "Installer un composteur dans chaque cour."


def comments(page: Any, section: str) -> Any:
    return page.locator(f'[data-comments="{section}"]')


def highlight(page: Any, section: str) -> Any:
    return editor(page, section).locator(".comment-anchor")


def highlighted(page: Any, section: str, words: str) -> None:
    """Wait until the highlighted passage reads ``words`` (another person's selection or caret
    may cut its highlight into several pieces)."""
    page.wait_for_function(
        """([section, words]) => [
            ...document.querySelectorAll(`[data-section="${section}"] .comment-anchor`),
        ].map((piece) => piece.textContent).join("") === words""",
        arg=[section, words],
    )


def test_a_comment_follows_its_passage_and_outlives_it(demo: Demo, new_context: Any) -> None:
    proposal = demo.new_proposal("Des composteurs partagés")
    awa = new_page(new_context(LAPTOP))
    join_by_ui(awa, demo, "Awa")
    open_proposal(awa, demo, proposal)
    bruno = new_page(new_context(LAPTOP))
    join_by_ui(bruno, demo, "Bruno")
    open_proposal(bruno, demo, proposal)

    # Awa writes, chooses « composteur » with the keyboard and comments it.
    editor(awa, "proposition").click()
    awa.keyboard.type(SENTENCE)
    awa.keyboard.press("Home")
    press(awa, "ArrowRight", len("Installer un "))
    press(awa, "Shift+ArrowRight", len("composteur"))
    start = comments(awa, "proposition").get_by_role("button", name="Commenter")
    expect(start).to_be_visible()
    awa.keyboard.press("Tab")  # from the text to « Commenter »
    expect(start).to_be_focused()
    awa.keyboard.press("Enter")
    box = comments(awa, "proposition").get_by_role("textbox", name="Votre commentaire")
    expect(box).to_be_focused()
    expect(comments(awa, "proposition").get_by_text("« composteur »")).to_be_visible()
    awa.keyboard.press("Tab")  # « Publier » with nothing written: the form says why
    awa.keyboard.press("Enter")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(
        comments(awa, "proposition").get_by_text("Le commentaire est obligatoire.")
    ).to_be_visible()
    box.fill("Un seul bac suffit-il pour un grand immeuble ?")
    box.press("Tab")
    awa.keyboard.press("Enter")
    thread = comments(awa, "proposition").locator(".thread")
    expect(thread).to_contain_text("Un seul bac suffit-il pour un grand immeuble ?")
    highlighted(awa, "proposition", "composteur")

    # Bruno sees it live, beside the text on a laptop, the same words highlighted.
    seen = comments(bruno, "proposition").locator(".thread")
    expect(seen).to_contain_text("Awa (habitant·e)")
    expect(bruno.get_by_test_id("comments-status")).to_contain_text("Nouveau commentaire de Awa")
    highlighted(bruno, "proposition", "composteur")
    text_box = editor(bruno, "proposition").bounding_box()
    side = comments(bruno, "proposition").bounding_box()
    assert side["x"] >= text_box["x"] + text_box["width"], (side, text_box)
    assert side["y"] < text_box["y"] + text_box["height"], (side, text_box)
    # His reply looks like markup: it is shown as the text he typed.
    seen.get_by_role("button", name="Répondre").click()
    seen.get_by_role("textbox", name="Votre réponse").fill("Deux, <b>un par cage</b> d’escalier.")
    seen.get_by_role("button", name="Envoyer").click()
    reply = thread.locator(".comment.reply .comment-body")
    expect(reply).to_have_text("Deux, <b>un par cage</b> d’escalier.")
    assert reply.locator("b").count() == 0

    # Awa types before the passage: the highlight stays on the same word, in both browsers.
    editor(awa, "proposition").click()
    awa.keyboard.press("Control+Home")
    awa.keyboard.type("Demain : ")
    expect(editor(bruno, "proposition")).to_contain_text("Demain :")  # then Awa's caret, seen
    highlighted(awa, "proposition", "composteur")
    highlighted(bruno, "proposition", "composteur")
    screenshot(awa, "comments-laptop")
    check_axe(awa, "comments beside the text", every_impact=True)

    # Bruno goes to the passage from its thread and deletes it: the thread is kept, detached.
    seen.get_by_role("button", name="Aller au passage : « composteur »").click()
    expect(editor(bruno, "proposition")).to_be_focused()
    bruno.keyboard.press("Backspace")
    expect(editor(awa, "proposition")).not_to_contain_text("composteur")
    for page in (awa, bruno):
        detached = comments(page, "proposition").locator(".comments-detached")
        expect(detached).to_contain_text("Passage supprimé")
        expect(detached.locator(".thread")).to_contain_text("« composteur »")
        expect(detached.locator(".thread")).to_contain_text("Un seul bac suffit-il")
        expect(highlight(page, "proposition")).to_have_count(0)

    # Awa started the thread: she resolves it, and it folds away under « Résolus (1) ».
    detached = comments(awa, "proposition").locator(".comments-detached")
    detached.get_by_role("button", name="Résoudre").click()
    for page in (awa, bruno):
        folded = comments(page, "proposition").locator(".comments-resolved")
        expect(folded.locator("summary")).to_have_text("Résolus (1)")
        expect(folded.get_by_text("Un seul bac suffit-il")).to_be_hidden()
        expect(comments(page, "proposition").locator(".comments-detached")).to_be_hidden()
    folded = comments(bruno, "proposition").locator(".comments-resolved")
    folded.locator("summary").click()
    expect(folded).to_contain_text("Résolu par Awa")

    # On a phone the threads come below the text, as wide as it.
    bruno.set_viewport_size(PHONE)
    text_box = editor(bruno, "proposition").bounding_box()
    below = comments(bruno, "proposition").bounding_box()
    assert below["y"] >= text_box["y"] + text_box["height"], (below, text_box)
    assert below["x"] < text_box["x"] + 10
    assert below["width"] <= PHONE["width"]
    screenshot(bruno, "comments-phone")
    check_axe(bruno, "comments below the text", every_impact=True)
    no_page_errors(awa)
    no_page_errors(bruno)


def test_an_observer_reads_the_comments_and_is_told_why_not_to_write(
    demo: Demo, new_context: Any
) -> None:
    proposal = demo.new_proposal("Un banc sous le tilleul")
    joined = httpx.post(
        f"{demo.http}/api/join/{demo.join_code}",
        json={"display_name": "Ana", "role": "habitant", "accept_charter_version": 1},
        timeout=10,
    )
    ana = joined.json()["token"]
    demo.api(
        "POST",
        f"/api/proposals/{proposal}/comments",
        token=ana,
        json={"section": "constat", "body": "<img src=x onerror=alert(1)> Et l’ombre ?"},
    )
    olga = new_page(new_context())
    join_by_ui(olga, demo, "Olga", role="observateur")
    open_proposal(olga, demo, proposal)
    reason = "Votre rôle permet de lire les commentaires, pas d’en écrire."
    expect(olga.get_by_test_id("comments-guide")).to_have_text(reason)
    # She reads the discussion, as text, and is offered nothing to write.
    region = olga.get_by_role("region", name="Commentaires : Constat")
    expect(region.locator(".comment-body")).to_have_text(
        "<img src=x onerror=alert(1)> Et l’ombre ?"
    )
    expect(region).to_contain_text("Sur toute la partie")
    expect(region).to_contain_text(reason)
    assert olga.locator(".comment-body img").count() == 0
    expect(region.get_by_role("button", name="Répondre")).to_be_hidden()
    editor(olga, "proposition").click()
    olga.keyboard.press("Control+a")
    starts = olga.get_by_role("button", name="Commenter", include_hidden=True)
    assert starts.count() == 8  # one per section, none shown to her
    for button in starts.all():
        expect(button).to_be_hidden()
    no_page_errors(olga)


def test_a_locked_text_is_still_commented(demo: Demo, new_context: Any) -> None:
    proposal = demo.new_proposal("Un texte verrouillé")
    page = new_page(new_context(LAPTOP))
    join_by_ui(page, demo, "Lou")
    open_proposal(page, demo, proposal)
    editor(page, "constat").click()
    page.keyboard.type("La place manque d’ombre.")
    editor(page, "constat").get_by_text("La place manque d’ombre.").wait_for()
    demo.api("POST", f"/api/proposals/{proposal}/lock", json={"locked": True})
    expect(page.get_by_test_id("access-notice")).to_contain_text("Verrouillée")
    expect(editor(page, "constat")).to_have_attribute("contenteditable", "false")
    # The text takes no focus now; choosing a word with the mouse still offers « Commenter ».
    editor(page, "constat").get_by_text("La place manque d’ombre.").dblclick(
        position={"x": 5, "y": 8}
    )
    start = comments(page, "constat").get_by_role("button", name="Commenter")
    start.click()
    page.get_by_role("textbox", name="Votre commentaire").fill("Des arbres, plutôt ?")
    page.get_by_role("button", name="Publier").click()
    expect(comments(page, "constat").locator(".thread")).to_contain_text("Des arbres, plutôt ?")
    highlighted(page, "constat", "La")
    no_page_errors(page)

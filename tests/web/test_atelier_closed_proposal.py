"""A proposal open in two browsers while its atelier closes (real server, real browsers): without
a reload, the page drops what the server now refuses (409 ``atelier_closed``) — « Répondre »,
« Résoudre » and « Supprimer » on comments, « Accepter », « Rejeter », « Mettre au vote » and
« Retirer » on amendments, and « Commenter » or « Proposer un amendement » on a chosen passage —
and says « Atelier clos » as a fresh load does; reloaded, the same. The atelier is closed for
good here, so this module has its own demo server."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from tests.web.conftest import Demo, check_axe, no_page_errors
from tests.web.test_amendments import (
    SENTENCE,
    amendment_mode,
    card,
    lead_editor,
    panel,
    participant,
    propose,
    read_only_for_amendments,
    text_is,
    write,
)
from tests.web.test_comments import comments
from tests.web.test_editor import editor, open_proposal

CLOSED_TEXT = "Atelier clos : le texte se lit, il ne se modifie plus. Rien n’a été effacé."
CLOSED_COMMENTS = "Atelier clos : ses commentaires se lisent, ils ne s’écrivent plus."
DECIDING = ("Accepter", "Rejeter", "Mettre au vote")


def choose_first_word(page: Any) -> None:
    """Choose « Installer » with the mouse (a read-only text takes no keyboard selection)."""
    page.locator('[data-section="proposition"] .ProseMirror p').first.dblclick(
        position={"x": 5, "y": 8}
    )
    page.wait_for_function("() => window.getSelection().toString().trim() === 'Installer'")


def thread(page: Any) -> Any:
    return comments(page, "constat").locator(".thread")


def offered_before(lead: Any, awa: Any) -> None:
    for name in DECIDING:
        expect(card(lead, "bac à compost").get_by_role("button", name=name)).to_be_visible()
    expect(card(awa, "bac à compost").get_by_role("button", name="Retirer")).to_be_visible()
    expect(thread(lead).get_by_role("button", name="Résoudre")).to_be_visible()
    for page in (lead, awa):
        expect(thread(page).get_by_role("button", name="Répondre")).to_be_visible()
    choose_first_word(awa)
    expect(panel(awa).get_by_role("button", name="Proposer un amendement")).to_be_visible()
    expect(comments(awa, "proposition").get_by_role("button", name="Commenter")).to_be_visible()


def closed_now(page: Any) -> None:
    """« Atelier clos », said as on a fresh load; nothing offered that the server refuses."""
    expect(page.get_by_test_id("access-notice")).to_have_text(CLOSED_TEXT)
    expect(page.get_by_test_id("comments-guide")).to_have_text(CLOSED_COMMENTS)
    expect(editor(page, "proposition")).to_have_attribute("contenteditable", "false")
    amendment = card(page, "bac à compost")
    expect(amendment).to_contain_text("Proposé")  # still listed, undecided
    for name in (*DECIDING, "Retirer"):
        expect(amendment.get_by_role("button", name=name)).to_have_count(0)
    expect(thread(page)).to_contain_text("Et les immeubles sans cour ?")
    for name in ("Répondre", "Résoudre", "Supprimer"):
        expect(thread(page).get_by_role("button", name=name)).to_have_count(0)
    choose_first_word(page)
    expect(panel(page).get_by_role("button", name="Proposer un amendement")).to_be_hidden()
    expect(comments(page, "proposition").get_by_role("button", name="Commenter")).to_be_hidden()


def test_an_open_proposal_drops_comment_and_amendment_actions_when_the_atelier_closes(
    demo: Demo, new_context: Any
) -> None:
    proposal = demo.new_proposal("Des composteurs dans les cours")
    lead = lead_editor(new_context, demo, proposal)
    write(lead, SENTENCE)
    ana = httpx.post(
        f"{demo.http}/api/join/{demo.join_code}",
        json={"display_name": "Ana", "role": "habitant", "accept_charter_version": 1},
        timeout=10,
    ).json()["token"]
    demo.api(
        "POST",
        f"/api/proposals/{proposal}/comments",
        token=ana,
        json={"section": "constat", "body": "Et les immeubles sans cour ?"},
    )
    awa = participant(new_context, demo, proposal, "Awa")
    text_is(awa, SENTENCE)
    amendment_mode(demo, proposal)
    read_only_for_amendments(awa)
    propose(awa, "Installer un ", "composteur", "bac à compost")
    expect(card(lead, "bac à compost")).to_be_visible()
    offered_before(lead, awa)

    # The facilitator closes the atelier from elsewhere (the API): both pages follow, live.
    demo.api("POST", f"/api/ateliers/{demo.atelier_id}/close", json={"reason": "Projet livré"})
    for page in (lead, awa):
        closed_now(page)
    check_axe(awa, "proposition d’un atelier clos, sans rechargement", every_impact=True)
    check_axe(lead, "proposition d’un atelier clos, côté animation", every_impact=True)

    # A fresh load says and offers the same.
    for page in (lead, awa):
        open_proposal(page, demo, proposal)
        closed_now(page)
        no_page_errors(page)

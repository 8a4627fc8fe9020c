"""Votes run from the console (issue 19, #6, #7, #8): who votes, a grade scale, options from the
proposals; the announcement on every participant screen, the editor included; closing in two
steps; the élu who does not vote is not offered « Voter »; codes read aloud, grouped, typed back
in any case; the console as a dashboard on a laptop and a phone. axe-core with no violation of
any impact on the screens changed; screenshots in /tmp/shots (1366×768 and 390×844)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

from tests.web.conftest import (
    PHONE,
    Demo,
    check_axe,
    join_by_ui,
    new_page,
    no_page_errors,
    sign_in_facilitator,
)

LAPTOP = {"width": 1366, "height": 768}
PHONE_844 = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots")


def shot(page: Any, name: str) -> None:
    """The first screen as a person sees it, and the whole page."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.screenshot(path=str(SHOTS / f"{name}-full.png"), full_page=True)


def console(page: Any, demo: Demo) -> None:
    sign_in_facilitator(page, demo)
    page.goto(f"{demo.http}/animation/{demo.session_id}")
    page.get_by_role("status").filter(has_text="En direct").wait_for()


def test_an_elu_in_the_editor_is_told_a_vote_opened_follows_the_link_and_votes(
    demo: Demo, new_context: Any
) -> None:
    title = "Quelle action d’abord ?"
    proposal = demo.new_proposal("Un kiosque à livres")
    lead = new_page(new_context(LAPTOP))
    console(lead, demo)

    # An invitation code, shown grouped to be read aloud, typed back in lower case.
    lead.get_by_label("Rôle", exact=True).select_option("elu")
    lead.get_by_role("button", name="Créer un code d’invitation").click()
    code = lead.locator(".invite-code .code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code), code
    elu = new_page(new_context(PHONE))
    join_by_ui(elu, demo, "Mme l’adjointe", role="elu", invitation=code.lower())
    elu.goto(f"{demo.http}/proposition/{proposal}")
    elu.get_by_test_id("sync-state").filter(has_text="En ligne").wait_for()
    calls = elu.get_by_test_id("vote-call")
    assert calls.get_attribute("aria-live") == "polite"

    # Prepared in the console: dots, one option from the proposals and one typed, élus vote.
    lead.get_by_label("Question").fill(title)
    lead.get_by_label("Méthode").select_option("dots")
    lead.locator("form.new-poll").get_by_label("Un kiosque à livres").check()
    lead.get_by_label("Options", exact=True).fill("Une fresque")
    lead.get_by_label("Les élu·es et les agents votent aussi").check()
    lead.get_by_role("button", name="Préparer le vote").click()
    card = lead.locator("article.poll", has_text=title)
    card.get_by_text(re.compile("votent : .*élu·e")).wait_for()
    card.get_by_role("button", name="Ouvrir le vote").click()
    card.get_by_role("button", name="Clore le vote").wait_for()
    poll_id = card.get_attribute("data-poll-id")

    # The editor says so, politely, with the way to the ballot.
    calls.get_by_text(f"Un vote est ouvert : « {title} ».").wait_for()
    calls.get_by_text("Votre rôle vote.").wait_for()
    check_axe(elu, "editor with a vote announced", every_impact=True)
    shot(elu, "editor-vote-announced-390")
    calls.get_by_role("link", name="Aller au bulletin").click()
    elu.get_by_role("heading", name=re.compile(re.escape(title))).wait_for()
    elu.get_by_role("button", name="Ajouter une gommette à Un kiosque à livres").click()
    elu.get_by_role("button", name="Envoyer mon vote").click()
    elu.get_by_role("status").filter(has_text="enregistré").wait_for()

    # Closing is final: it asks first, and nothing is closed before the answer.
    card.get_by_role("button", name="Clore le vote").click()
    card.get_by_text("C’est définitif").wait_for()
    assert demo.api("GET", f"/api/polls/{poll_id}")["status"] == "open"
    check_axe(lead, "console asking to close", every_impact=True)
    shot(lead, "console-close-confirmation-1366")
    card.get_by_role("button", name="Annuler").click()
    card.get_by_role("button", name="Clore le vote").click()
    card.get_by_role("button", name="Oui, clore définitivement").click()
    # The ballot screen says it is closed.
    elu.get_by_text("Le vote est clos.").wait_for()
    check_axe(elu, "ballot closed", every_impact=True)
    shot(elu, "ballot-closed-390")
    no_page_errors(elu)
    no_page_errors(lead)


def test_an_elu_whose_role_does_not_vote_is_not_offered_to_vote(
    demo: Demo, new_context: Any
) -> None:
    title = "Quel nom pour la place ?"
    lead = new_page(new_context(LAPTOP))
    console(lead, demo)
    # A séance code typed on the home screen in lower case, with its dash.
    resident = new_page(new_context(PHONE_844))
    resident.goto(demo.http)
    resident.get_by_label("Code de la séance").fill(
        f"{demo.join_code[:4]}-{demo.join_code[4:]}".lower()
    )
    resident.get_by_role("button", name="Continuer").click()
    resident.get_by_role("heading", name=re.compile(demo.join_code[:4])).wait_for()
    join_by_ui(resident, demo, "Yasmine")
    elu = new_page(new_context(PHONE_844))
    join_by_ui(elu, demo, "M. le conseiller", role="elu", invitation=demo.invitation("elu"))

    # Majority judgment on the 7-grade scale, residents alone (the default).
    lead.get_by_label("Question").fill(title)
    lead.get_by_label("Méthode").select_option("majority_judgment")
    lead.get_by_label("Échelle de mentions").select_option("7")
    lead.get_by_label("Options", exact=True).fill("Place des Tilleuls\nPlace du Marché")
    lead.get_by_role("button", name="Préparer le vote").click()
    card = lead.locator("article.poll", has_text=title)
    card.get_by_role("button", name="Ouvrir le vote").click()

    votes = elu.get_by_test_id("polls")
    votes.get_by_text("Votre rôle (élu·e) ne vote pas dans ce scrutin.").wait_for()
    assert elu.get_by_role("link", name=re.compile("^Voter")).count() == 0
    elu.get_by_test_id("vote-call").get_by_role("link", name="Suivre le vote").wait_for()
    check_axe(elu, "atelier, élu not voting", every_impact=True)
    shot(elu, "atelier-elu-not-voting-390")
    # The announcement can be put away, and stays away.
    elu.get_by_role("button", name="Masquer l’annonce").click()
    assert elu.get_by_test_id("vote-call").get_by_role("link").count() == 0

    resident.get_by_role("link", name=f"Voter : {title}").click()
    tilleuls = resident.get_by_role("group", name="Place des Tilleuls")
    tilleuls.get_by_label("Excellent", exact=True).check()
    resident.get_by_role("group", name="Place du Marché").get_by_label(
        "À rejeter", exact=True
    ).check()
    check_axe(resident, "ballot, 7 grades", every_impact=True)
    shot(resident, "ballot-7-grades-390")
    resident.get_by_role("button", name="Envoyer mon vote").click()
    resident.get_by_role("status").filter(has_text="enregistré").wait_for()


def test_the_console_shows_step_next_action_vote_and_presence_on_one_laptop_screen(
    demo: Demo, new_context: Any
) -> None:
    title = "Quel créneau pour la prochaine séance ?"
    lead = new_page(new_context(LAPTOP))
    console(lead, demo)
    resident = new_page(new_context(PHONE))
    join_by_ui(resident, demo, "Zoé")
    resident.get_by_role("button", name="Je suis présent·e").click()
    lead.get_by_test_id("checked-in").locator("li", has_text="habitant·e").wait_for()
    lead.get_by_label("Question").fill(title)
    lead.get_by_label("Options", exact=True).fill("Mardi soir\nSamedi matin\nMercredi midi")
    lead.get_by_role("button", name="Préparer le vote").click()
    lead.locator("article.poll", has_text=title).get_by_role(
        "button", name="Ouvrir le vote"
    ).click()
    vote = lead.get_by_test_id("tile-vote").locator("article.poll", has_text=title)
    vote.get_by_role("button", name="Clore le vote").wait_for()
    lead.evaluate("() => window.scrollTo(0, 0)")
    shot(lead, "console-1366")

    # What matters while running the séance, inside the first 1366×768 screen.
    essentials = {
        "step": lead.get_by_test_id("tile-step").locator(".step-now"),
        "next": lead.get_by_test_id("tile-next").get_by_role("button"),
        "vote": vote.get_by_role("button", name="Clore le vote"),
        "checked in": lead.get_by_test_id("checked-in"),
        "connected": lead.get_by_test_id("connected"),
    }
    for name, locator in essentials.items():
        box = locator.first.bounding_box()
        assert box is not None, name
        assert box["x"] >= 0, (name, box)
        assert box["y"] >= 0, (name, box)
        assert box["x"] + box["width"] <= LAPTOP["width"], (name, box)
        assert box["y"] + box["height"] <= LAPTOP["height"], (name, box)
    for tile in ("step", "next", "vote", "here"):
        box = lead.get_by_test_id(f"tile-{tile}").bounding_box()
        assert box is not None, tile
        assert box["y"] + box["height"] <= LAPTOP["height"], (tile, box)
    check_axe(lead, "console dashboard", every_impact=True)

    # On a phone the tiles stack, in reading order, with nothing wider than the screen.
    phone = new_page(new_context(PHONE_844))
    console(phone, demo)
    phone.get_by_test_id("tile-vote").locator("article.poll", has_text=title).get_by_role(
        "button", name="Clore le vote"
    ).wait_for()
    shot(phone, "console-390")
    tiles = ("next", "step", "vote", "here")
    boxes = [phone.get_by_test_id(f"tile-{tile}").bounding_box() for tile in tiles]
    for above, below in itertools.pairwise(boxes):
        assert above is not None
        assert below is not None
        assert below["y"] >= above["y"] + above["height"], (above, below)
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE_844["width"]
    check_axe(phone, "console on a phone", every_impact=True)
    no_page_errors(lead)

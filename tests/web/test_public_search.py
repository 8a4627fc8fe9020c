"""Search on the public door in a browser (issue 22, « Show »): once the demo atelier has frozen
its proposal, a visitor with no token searches « quartiers » from the directory and finds
« Créer des ateliers de quartier … », the word marked, linked to the atelier's page; the choice
of kind narrows the results; the page reads without JavaScript, is axe-clean and fits 390 px."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import expect

from domain.demo import PROPOSAL_QUARTIER_ID, PROPOSAL_QUARTIER_TITLE
from tests.web.conftest import PHONE, Demo, check_axe, new_page, no_page_errors, screenshot

TITLE = "Évolution des instances de démocratie locale"
SEARCHBOX = "Rechercher dans les ateliers, propositions, sujets et projets"


def test_a_visitor_searches_quartiers_and_finds_the_published_proposal(
    demo: Demo, new_context: Any
) -> None:
    # The atelier publishes its proposal: frozen (the render workers may take a while).
    frozen = httpx.post(
        f"{demo.http}/api/proposals/{PROPOSAL_QUARTIER_ID}/freeze",
        headers={"authorization": f"Bearer {demo.facilitator_token}"},
        json={},
        timeout=120,
    )
    assert frozen.status_code == 201, frozen.text

    page = new_page(new_context(viewport=PHONE, java_script_enabled=False))
    page.goto(demo.http + "/decouvrir/ateliers")
    page.get_by_role("searchbox", name=SEARCHBOX).fill("quartiers")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recherche : « quartiers »")
    found = page.get_by_role("link", name=PROPOSAL_QUARTIER_TITLE)
    expect(found).to_be_visible()
    expect(found.locator("mark")).to_have_text("quartier")
    hit = page.locator("li.hit", has=found)
    expect(hit).to_contain_text("Proposition")
    expect(hit).to_contain_text(f"de l’atelier « {TITLE} »")
    results = page.url

    # One kind only: the ateliers, where the proposal is not.
    page.get_by_label("Type", exact=True).select_option("atelier")
    page.get_by_role("button", name="Rechercher").click()
    expect(page).to_have_url(re.compile(r"kind=atelier"))
    expect(page.get_by_label("Type", exact=True)).to_have_value("atelier")
    expect(page.get_by_role("link", name=PROPOSAL_QUARTIER_TITLE)).to_have_count(0)
    page.get_by_label("Type", exact=True).select_option("proposal")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("link", name=PROPOSAL_QUARTIER_TITLE)).to_be_visible()
    expect(page.get_by_role("link", name=TITLE)).to_have_count(0)

    # The result leads to the atelier's page, where the proposal is listed.
    page.get_by_role("link", name=PROPOSAL_QUARTIER_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(page.get_by_text(PROPOSAL_QUARTIER_TITLE).first).to_be_visible()

    # Where scripts may run (axe needs one): the same results, checked, on a phone.
    checked = new_page(new_context(viewport=PHONE))
    checked.goto(results)
    expect(checked.get_by_role("link", name=PROPOSAL_QUARTIER_TITLE)).to_be_visible()
    check_axe(checked, "public search results", every_impact=True)
    assert checked.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(checked, "public-search-quartiers")
    checked.goto(demo.http + "/decouvrir/recherche?q=%22*%20NEAR%20-%27;&lang=en")
    expect(checked.get_by_role("heading", level=1)).to_contain_text("Search")
    check_axe(checked, "public search page, nothing found, in English", every_impact=True)
    no_page_errors(checked)

"""Zoom: every screen reflows at 320 CSS pixels wide (WCAG 1.4.10, what 400 % zoom of a
1280-pixel window leaves; 200 % is 640): nothing needs horizontal scrolling."""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import Demo, join_by_ui, new_page, screenshot, sign_in_facilitator

NARROW = {"width": 320, "height": 640}


def assert_reflows(page: Any, name: str) -> None:
    overflow = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('body *')].filter((el) => {
                const box = el.getBoundingClientRect();
                return box.width > 0 && box.right > width + 1;
            });
            return {scroll: document.documentElement.scrollWidth, width,
                    wide: wide.slice(0, 5).map((el) => el.outerHTML.slice(0, 120))};
        }"""
    )
    assert overflow["scroll"] <= overflow["width"], f"{name} overflows: {overflow}"
    screenshot(page, f"80-narrow-{name}")


def test_every_screen_reflows_at_320_pixels(demo: Demo, new_context: Any) -> None:
    poll = demo.api(
        "POST",
        f"/api/sessions/{demo.session_id}/polls",
        json={
            "title": "Quelles priorités pour le quartier cette année ?",
            "method": "majority_judgment",
            "options": [{"label": "Jardin partagé au pied des immeubles"}, {"label": "Bancs"}],
        },
    )
    demo.api("POST", f"/api/polls/{poll['id']}/open")
    page = new_page(new_context(NARROW))
    page.goto(f"{demo.http}/")
    page.get_by_label("Code de la séance").wait_for()
    assert_reflows(page, "home")
    page.goto(f"{demo.http}/rejoindre/{demo.join_code}")
    page.get_by_role("heading", name=re.compile("La charte")).wait_for()
    assert_reflows(page, "join")
    join_by_ui(page, demo, "Quentin")
    page.get_by_role("status").filter(has_text="En direct").wait_for()
    assert_reflows(page, "atelier")
    page.get_by_role("link", name=re.compile("ateliers de quartier")).click()
    page.get_by_test_id("sync-state").filter(has_text="En ligne").wait_for()
    assert_reflows(page, "proposal")
    page.get_by_role("link", name="Historique").click()
    page.get_by_role("heading", name=re.compile("Historique")).wait_for()
    page.locator('[data-testid="history-sections"][data-revision]').wait_for()
    assert_reflows(page, "history")
    page.goto(f"{demo.http}/vote/{poll['id']}")
    page.get_by_role("group", name="Bancs").wait_for()
    assert_reflows(page, "ballot")

    lead = new_page(new_context(NARROW))
    sign_in_facilitator(lead, demo)
    lead.goto(f"{demo.http}/animation/{demo.session_id}")
    lead.get_by_role("heading", name="Votes").wait_for()
    assert_reflows(lead, "console")
    lead.goto(f"{demo.http}/projection/{demo.session_id}")
    lead.locator(".big-code").wait_for()
    assert_reflows(lead, "projection")
    # The facilitator's forms, and the public door, as narrow.
    for path, name in (
        (f"/atelier/{demo.atelier_id}/modifier", "edit-atelier"),
        (f"/atelier/{demo.atelier_id}/nouvelle-seance", "new-seance"),
        (f"/seance/{demo.session_id}/modifier", "edit-seance"),
        ("/nouvel-atelier", "new-atelier"),
        ("/connexion", "staff-sign-in"),
        ("/decouvrir/ateliers", "public-directory"),
        (f"/decouvrir/ateliers/{demo.atelier_id}", "public-atelier"),
        ("/decouvrir/instances/CQ", "public-instance"),
    ):
        lead.goto(f"{demo.http}{path}")
        lead.locator("h1").first.wait_for()
        lead.wait_for_load_state("networkidle")
        assert_reflows(lead, name)

"""Handing proposals to the council from the facilitator's console: « Transmettre au conseil » on
each frozen proposal of the séance, in two steps. axe-core on the screen; a screenshot."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.server.test_versions_api import paragraph, write
from tests.web.conftest import (
    DESKTOP,
    Demo,
    check_axe,
    new_page,
    no_page_errors,
    screenshot,
    sign_in_facilitator,
)


def frozen(demo: Demo, title: str, *texts: str) -> str:
    """A proposal of the demo séance with one version per text (each added to « Constat »)."""
    proposal = demo.new_proposal(title)
    doc_id = demo.api("GET", f"/api/proposals/{proposal}/token")["doc_id"]
    for text in texts:
        # The Python y-websocket client, acknowledged by the server before the freeze; in a
        # thread of its own, since Playwright's sync API holds this thread's event loop.
        edit = write(demo.server, doc_id, demo.facilitator_token, paragraph("constat", text))
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, edit).result(timeout=30)
        demo.api("POST", f"/api/proposals/{proposal}/freeze")
    return proposal


def test_the_facilitator_transmits_a_frozen_proposal_from_the_console(
    demo: Demo, new_context: Any
) -> None:
    title = "Une boîte à livres au square"
    proposal = frozen(demo, title, "Pas de livres en libre accès.")
    lead = new_page(new_context(DESKTOP))
    sign_in_facilitator(lead, demo)
    lead.goto(f"{demo.http}/animation/{demo.session_id}")
    line = lead.locator(".hand-over li", has_text=f"« {title} »")
    line.get_by_text("— figée").wait_for()
    line.get_by_role("button", name="Transmettre au conseil").click()
    line.get_by_text(f"Transmettre « {title} » au conseil municipal maintenant ?").wait_for()
    check_axe(lead, "console transmit")
    line.get_by_role("button", name="Oui, transmettre").click()
    lead.get_by_text(f"« {title} » est transmise au conseil municipal.").wait_for()
    line.get_by_text("— transmise au conseil").wait_for()
    assert line.get_by_role("button").count() == 0
    screenshot(lead, "96-console-transmitted")
    assert demo.api("GET", f"/api/proposals/{proposal}/versions")["status"] == "transmise"
    no_page_errors(lead)

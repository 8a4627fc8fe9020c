"""A frozen version's public page in a browser, from an empty instance, on a phone (390 px) and
with the keyboard: from the project's timeline to version 2, its fingerprint wrapped within the
screen, back along the chain to version 1, and on to the record that verifies it; axe-core with
no violation at any impact; no script."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.auth import mint_council_token
from tests.conftest import TEST_SECRET
from tests.web.conftest import PHONE, check_axe, new_page, no_page_errors, tab_to
from tests.web.test_atelier_from_empty_part1 import Empty, running_empty, shoot

pytest.importorskip("playwright")
from playwright.sync_api import expect


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Empty]:
    yield from running_empty(tmp_path_factory)


def adopted_project(empty: Empty) -> tuple[str, str]:
    """A city atelier's proposal frozen twice and adopted: (proposal id, project id)."""

    def call(path: str, token: str, **body: Any) -> Any:
        answer = httpx.post(
            f"{empty.http}{path}",
            json=body or None,
            headers={"authorization": f"Bearer {token}"},
            timeout=20,
        )
        assert answer.is_success, answer.text
        return answer.json()

    created = call(
        "/api/ateliers",
        empty.server.staff_token(),
        title="Jardins du Neudorf",
        subject="Des jardins partagés.",
        kind="projet",
        scope="quartier",
        neighbourhood="Neudorf",
        facilitator_name="Claire",
        charter_text="Respect, écoute.",
        min_residents=3,
    )
    facilitator = created["facilitator"]["token"]
    proposal = call(
        f"/api/ateliers/{created['atelier']['id']}/proposals", facilitator, title="Un jardin"
    )
    for step in ("freeze", "freeze", "transmit"):
        call(f"/api/proposals/{proposal['id']}/{step}", facilitator)
    council = mint_council_token(TEST_SECRET, "Direction de la démocratie locale", 600)
    decided = call(
        f"/api/proposals/{proposal['id']}/decision",
        council,
        outcome="adoptee",
        answer="Adoptée.",
        deliberation_ref="DEL-2031-7",
    )
    return proposal["id"], decided["decision"]["project_id"]


def fits(page: Any) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_visitor_reads_a_frozen_version_and_finds_how_to_verify_it(
    empty: Empty, new_context: Any
) -> None:
    proposal_id, project_id = adopted_project(empty)
    page = new_page(new_context())
    scripts: list[str] = []
    page.on(
        "response",
        lambda r: scripts.append(r.url) if r.request.resource_type == "script" else None,
    )
    page.goto(f"{empty.http}/decouvrir/projets/{project_id}")
    tab_to(page, "el.textContent.includes('version 2')")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/decouvrir/propositions/{proposal_id}/versions/2$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("« Un jardin » — version 2")
    expect(page.get_by_role("heading", name="Vérifier l’empreinte")).to_be_visible()
    check_axe(page, "version figée", every_impact=True)
    fits(page)
    shoot(page, "version-01-v2")

    tab_to(page, "el.textContent === 'version 1'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("« Un jardin » — version 1")
    expect(page.get_by_text("aucune : c’est la première version")).to_be_visible()
    check_axe(page, "version 1", every_impact=True)
    fits(page)

    tab_to(page, "el.textContent.includes('(JSON)')")
    href = page.evaluate("() => document.activeElement.href")
    assert href.endswith(f"/api/proposals/{proposal_id}/versions/1/public")
    assert httpx.get(href, timeout=20).json()["number"] == 1
    assert scripts == []  # the public door loads no script
    no_page_errors(page)

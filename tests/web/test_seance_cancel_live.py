"""A séance cancelled while people have it open, in the browser: a resident follows it on their
phone, the facilitator has the console open on a laptop; in another tab the facilitator
cancels it with a reason. Without reloading, the resident's screen says « Cette séance est
annulée. » and the reason in a status region; the console says it cannot start, offers no
« Commencer la séance » nor « Nouveau code », and shows no QR code but what the invitations
now say. Restored, the
resident reads that it takes place, the console offers to start it and shows its QR code again.
axe with no violation at any impact on the resident's screen with the banner."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.web.conftest import DESKTOP, check_axe, new_page, no_page_errors, press
from tests.web.test_atelier_from_empty_part1 import Empty, running_empty, shoot
from tests.web.test_seance_cancel import REASON, atelier_with_a_seance

pytest.importorskip("playwright")
from playwright.sync_api import expect


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Empty]:
    yield from running_empty(tmp_path_factory)


def resident_token(empty: Empty, seance: str, token: str) -> str:
    """Zoé joins through the séance's code (from her phone: only the token matters here)."""
    got = httpx.get(
        f"{empty.http}/api/sessions/{seance}",
        headers={"authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert got.status_code == 200, got.text
    joined = httpx.post(
        f"{empty.http}/api/join/{got.json()['join_code']}",
        json={"display_name": "Zoé", "role": "habitant", "accept_charter_version": 1},
        timeout=20,
    )
    assert joined.status_code == 201, joined.text
    return str(joined.json()["token"])


def live(page: Any) -> None:
    """The screen follows the séance's live channel (its snapshot arrived)."""
    expect(page.locator(".live-state[data-state=open]")).to_have_text("En direct")


def test_open_screens_learn_of_the_cancellation_and_the_restoring_without_reloading(
    empty: Empty, new_context: Any
) -> None:
    atelier, seance, token = atelier_with_a_seance(empty)
    zoe = new_page(new_context())
    mine = resident_token(empty, seance, token)
    zoe.goto(f"{empty.http}/atelier/{atelier}?seance={seance}#token={mine}")
    expect(zoe.get_by_role("heading", name="Séance 1")).to_be_visible()
    banner = zoe.get_by_test_id("cancel-banner")
    expect(banner).to_have_attribute("role", "status")
    expect(banner).to_be_empty()
    live(zoe)

    facilitator = new_context(viewport=DESKTOP)
    console = new_page(facilitator)
    console.goto(f"{empty.http}/atelier/{atelier}?seance={seance}#token={token}")
    console.get_by_role("link", name="Console d’animation").wait_for()
    console.goto(f"{empty.http}/animation/{seance}")
    start = console.get_by_role("button", name="Commencer la séance")
    expect(start).to_be_visible()
    qr = console.locator("img.qr")
    expect(qr).to_be_visible()
    new_code = console.get_by_role("button", name="Nouveau code")
    expect(new_code).to_be_visible()
    sheet = console.get_by_role("button", name="Imprimer la feuille d’émargement")
    expect(sheet).to_be_visible()
    live(console)

    # In another tab, the facilitator cancels the séance with a reason.
    edit = new_page(facilitator)
    edit.goto(f"{empty.http}/seance/{seance}/modifier")
    edit.get_by_label("Motif (facultatif)").fill(REASON)
    edit.get_by_role("button", name="Annuler la séance…").click()
    edit.get_by_role("button", name="Oui, annuler la séance").click()
    expect(edit.get_by_role("status").filter(has_text="La séance est annulée")).to_be_visible()

    # Zoé's screen says so, with the reason, where a screen reader hears it.
    said = zoe.get_by_role("status").filter(has_text="Cette séance est annulée.")
    expect(said).to_contain_text(f"Motif : {REASON}")
    check_axe(zoe, "séance annulée sous les yeux d’une habitante", every_impact=True)
    shoot(zoe, "cancel-live-01-resident")

    # The console: it cannot start, and its code has no QR code any more.
    expect(
        console.get_by_role("status").filter(has_text="Cette séance est annulée.")
    ).to_contain_text(REASON)
    expect(
        console.get_by_text("La séance est annulée : elle ne peut pas commencer.")
    ).to_be_visible()
    expect(start).to_have_count(0)
    expect(qr).to_be_hidden()
    expect(new_code).to_be_hidden()  # a new code would open nothing either (the server: 409)
    expect(sheet).to_be_hidden()  # nobody comes to sign (the server: 409 session_cancelled)
    expect(console.get_by_test_id("join-cancelled")).to_contain_text(
        "son code et son QR code n’ouvrent plus rien"
    )
    shoot(console, "cancel-live-02-console")

    # Restored in the other tab: Zoé reads that it takes place; the console may start it.
    edit.get_by_role("button", name="Rétablir la séance…").click()
    edit.get_by_role("button", name="Oui, rétablir la séance").click()
    expect(edit.get_by_role("status").filter(has_text="La séance est rétablie")).to_be_visible()
    expect(banner).to_have_text("Cette séance est rétablie : elle a bien lieu.")
    expect(zoe.get_by_text("Cette séance est annulée.")).to_have_count(0)
    expect(start).to_be_visible()
    expect(qr).to_be_visible()
    expect(new_code).to_be_visible()
    expect(sheet).to_be_visible()
    expect(console.get_by_test_id("join-cancelled")).to_be_hidden()
    start.focus()
    press(console, "Enter")
    expect(console.get_by_text("Étape en cours : 1. Accueil").first).to_be_visible()
    for page in (zoe, console, edit):
        no_page_errors(page)

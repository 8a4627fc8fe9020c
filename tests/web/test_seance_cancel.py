"""Cancelling a séance in the browser, from an empty instance, on a phone (390 px) and with the
keyboard: the city's staff open an atelier and schedule a séance ahead (the only HTTP calls);
the facilitator, on the séance's edit screen, types a public reason and cancels in two steps
(« Annuler la séance… », then « Oui, annuler la séance »); the screen says it is done where the
focus is, the form is gone, the public page says « annulée » with the reason, the console offers
no « Commencer »; « Rétablir la séance… » gives it back, form and all. axe-core with no
violation at any impact on the edit screen before and after; no sideways scrolling. Someone
typing the code of a cancelled séance reads, on the join screen, that it is cancelled, when and
why."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.web.conftest import PHONE, check_axe, new_page, no_page_errors, press
from tests.web.test_atelier_from_empty_part1 import Empty, running_empty, shoot

pytest.importorskip("playwright")
from playwright.sync_api import expect

REASON = "Salle indisponible : travaux"


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Empty]:
    yield from running_empty(tmp_path_factory)


def atelier_with_a_seance(empty: Empty) -> tuple[str, str, str]:
    """The staff's atelier de projet (listed) and its séance in 2031: (atelier, séance, token)."""
    staff = {"authorization": f"Bearer {empty.server.staff_token()}"}
    body = {
        "title": "Jardins du Neudorf",
        "subject": "Des jardins partagés.",
        "kind": "projet",
        "scope": "quartier",
        "neighbourhood": "Neudorf",
        "facilitator_name": "Claire",
        "charter_text": "Respect, écoute.",
        "min_residents": 3,
    }
    created = httpx.post(f"{empty.http}/api/ateliers", json=body, headers=staff, timeout=20)
    assert created.status_code == 201, created.text
    atelier = created.json()["atelier"]["id"]
    token = created.json()["facilitator"]["token"]
    seance = httpx.post(
        f"{empty.http}/api/ateliers/{atelier}/sessions",
        json={
            "date": "2031-03-04",
            "start_time": "18:00:00",
            "mode": "presentiel",
            "place": "Le Shadok",
            "agenda": [{"title": "Choisir le lieu du jardin", "minutes": 30}],
            "method_steps": ["Accueil", "Échanges"],
        },
        headers={"authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert seance.status_code == 201, seance.text
    return atelier, seance.json()["id"], token


def focused_text(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement?.textContent ?? ''"))


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_cancel_then_restore_a_seance_with_the_keyboard_on_a_phone(
    empty: Empty, new_context: Any
) -> None:
    atelier, seance, token = atelier_with_a_seance(empty)
    page = new_page(new_context())
    page.goto(f"{empty.http}/atelier/{atelier}?seance={seance}#token={token}")
    page.get_by_role("link", name="Console d’animation").wait_for()
    page.goto(f"{empty.http}/seance/{seance}/modifier")
    section = page.locator("section.cancel-seance")
    expect(section.get_by_role("heading", name="Annuler la séance")).to_be_visible()
    check_axe(page, "modifier la séance, annulation proposée", every_impact=True)
    no_sideways_scroll(page)

    reason = page.get_by_label("Motif (facultatif)")
    reason.focus()
    page.keyboard.type(REASON)
    press(page, "Tab")
    expect(page.get_by_role("button", name="Annuler la séance…")).to_be_focused()
    press(page, "Enter")
    # The question, then « yes » focused; Escape-free: « Ne pas annuler » puts it back.
    confirm = page.get_by_role("button", name="Oui, annuler la séance")
    expect(confirm).to_be_focused()
    expect(section).to_contain_text("Annuler la séance 1 du mardi 4 mars 2031 ?")
    check_axe(page, "confirmation d’annulation", every_impact=True)
    shoot(page, "cancel-01-ask")
    press(page, "Enter")

    done = page.get_by_role("status").filter(has_text="La séance est annulée")
    expect(done).to_be_focused()
    expect(page.locator("form.new-seance")).to_have_count(0)  # nothing left to change
    expect(page.get_by_test_id("seance-cancelled")).to_contain_text("a été annulée le")
    expect(section).to_contain_text(f"Motif : {REASON}")
    check_axe(page, "séance annulée", every_impact=True)
    no_sideways_scroll(page)
    shoot(page, "cancel-02-cancelled")

    public = new_page(new_context())
    public.goto(f"{empty.http}/decouvrir/ateliers/{atelier}")
    item = public.locator("li.seance.cancelled")
    expect(item).to_contain_text("annulée")
    expect(item).to_contain_text("Cette séance est annulée.")
    expect(item).to_contain_text(f"Motif : {REASON}")
    check_axe(public, "page publique, séance annulée", every_impact=True)

    page.goto(f"{empty.http}/animation/{seance}")
    expect(page.get_by_text("La séance est annulée : elle ne peut pas commencer.")).to_be_visible()
    expect(page.get_by_role("button", name="Commencer la séance")).to_have_count(0)

    page.goto(f"{empty.http}/seance/{seance}/modifier")
    restore = page.get_by_role("button", name="Rétablir la séance…")
    restore.focus()
    press(page, "Enter")
    expect(page.get_by_role("button", name="Oui, rétablir la séance")).to_be_focused()
    press(page, "Enter")
    expect(page.get_by_role("status").filter(has_text="La séance est rétablie")).to_be_focused()
    expect(page.locator("form.new-seance")).to_be_visible()
    expect(page.get_by_role("textbox", name="Lieu")).to_have_value("Le Shadok")  # as it was
    expect(page.get_by_role("button", name="Annuler la séance…")).to_be_visible()
    public.reload()
    expect(public.locator("li.seance.cancelled")).to_have_count(0)
    no_page_errors(page)


def test_the_code_of_a_cancelled_seance_says_so_on_a_phone(empty: Empty, new_context: Any) -> None:
    """Someone types, on the home screen, the code of a séance cancelled with a reason: the join
    screen says, in words, that it is cancelled, on which day and why, in its alert; no charter,
    no form, a link to type another code; axe with no violation at any impact."""
    _, seance, token = atelier_with_a_seance(empty)
    cancelled = httpx.post(
        f"{empty.http}/api/sessions/{seance}/cancel",
        json={"reason": REASON},
        headers={"authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert cancelled.status_code == 200, cancelled.text
    code = cancelled.json()["join_code"]

    page = new_page(new_context())
    page.goto(f"{empty.http}/")
    typed = page.get_by_label("Code de la séance")
    typed.focus()
    page.keyboard.type(f"{code[:4]}-{code[4:]}".lower())  # as read aloud in the room
    press(page, "Enter")
    said = page.get_by_role("alert")
    expect(said).to_contain_text("La séance 1 de l’atelier « Jardins du Neudorf »")
    expect(said).to_contain_text("prévue le mardi 4 mars 2031 à 18 h, est annulée.")
    expect(said).to_contain_text(f"Motif : {REASON}")
    expect(page.get_by_role("checkbox")).to_have_count(0)  # no charter to accept
    expect(page.get_by_role("link", name="Saisir un autre code")).to_be_visible()
    check_axe(page, "code d’une séance annulée", every_impact=True)
    no_sideways_scroll(page)
    shoot(page, "cancel-03-code")
    no_page_errors(page)

"""The séance, live: the facilitator's console moves the steps and everyone's screen follows;
check-ins show up by role; the projector shows how to join. axe-core on each; screenshots."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import (
    DESKTOP,
    Demo,
    check_axe,
    join_by_ui,
    new_page,
    no_page_errors,
    screenshot,
    sign_in_facilitator,
)


def test_the_console_leads_the_steps_and_every_screen_follows(demo: Demo, new_context: Any) -> None:
    lead = new_page(new_context(DESKTOP))
    sign_in_facilitator(lead, demo)
    # The token left the address bar once adopted.
    assert "token=" not in lead.url
    lead.get_by_role("link", name="Console d’animation").click()
    lead.get_by_role("heading", name=re.compile("Console d’animation")).wait_for()
    lead.get_by_role("status").filter(has_text="En direct").wait_for()

    resident = new_page(new_context())
    join_by_ui(resident, demo, "Lina")
    resident.get_by_role("status").filter(has_text="En direct").wait_for()

    lead.get_by_role("button", name="Commencer la séance").click()
    first = "Étape en cours : 1. Rappel de la démarche du Sommet Citoyen"
    resident.get_by_text(re.compile(re.escape(first))).wait_for()
    lead.get_by_role("button", name="Étape suivante").click()
    second = "Étape en cours : 2. Présentation des différents rôles"
    resident.get_by_text(re.compile(re.escape(second))).wait_for()
    current = resident.locator("ol.steps li[aria-current=step]")
    assert current.inner_text().startswith("Présentation des différents rôles")
    lead.get_by_role("button", name="Aller à l’étape 5").click()
    resident.get_by_text(re.compile(r"Étape en cours : 5\. Lecture des propositions")).wait_for()

    # A check-in on the phone appears in the console, by role.
    resident.get_by_role("button", name="Je suis présent·e").click()
    lead.get_by_test_id("checked-in").locator("li", has_text="habitant·e").wait_for()
    check_axe(lead, "console")
    screenshot(lead, "30-console")
    screenshot(resident, "31-atelier-live")
    check_axe(resident, "atelier live")
    no_page_errors(lead)
    no_page_errors(resident)


def test_the_projector_shows_the_code_and_the_step(demo: Demo, new_context: Any) -> None:
    lead = new_page(new_context(DESKTOP))
    sign_in_facilitator(lead, demo)
    lead.get_by_role("link", name="Vue projection").click()
    lead.get_by_role("heading", name=re.compile("Projection")).wait_for()
    code = f"{demo.join_code[:4]}-{demo.join_code[4:]}"
    lead.locator(".big-code", has_text=code).wait_for()
    lead.get_by_role("status").filter(has_text="En direct").wait_for()
    # The QR code is drawn in a render worker: the projector shows it once it has loaded.
    lead.wait_for_function(
        "() => { const img = document.querySelector('img.qr-large');"
        " return img !== null && img.complete && img.naturalWidth > 0; }"
    )
    check_axe(lead, "projection")
    screenshot(lead, "40-projection")


def test_the_console_is_for_facilitators_only(demo: Demo, new_context: Any) -> None:
    page = new_page(new_context())
    join_by_ui(page, demo, "Malo")
    page.goto(f"{demo.http}/animation/{demo.session_id}")
    page.get_by_text("réservée à l’animation").wait_for()
    assert page.get_by_role("button", name="Étape suivante").count() == 0


def test_the_seance_screen_catches_up_after_losing_the_network(
    demo: Demo, new_context: Any
) -> None:
    if demo.api("GET", f"/api/sessions/{demo.session_id}")["details"].get("current_step") is None:
        # Run alone, no earlier test has started the séance: a step is moved only once started.
        demo.api("POST", f"/api/sessions/{demo.session_id}/step", json={"move": "start"})
    phone_context = new_context()
    phone = new_page(phone_context)
    join_by_ui(phone, demo, "Théo")
    live = phone.get_by_role("status").filter(has_text=re.compile("En direct|Hors ligne"))
    live.filter(has_text="En direct").wait_for()

    phone_context.set_offline(True)
    live.filter(has_text="Hors ligne — reconnexion automatique").wait_for()
    # While the phone is away, the facilitator moves on.
    session = demo.api("GET", f"/api/sessions/{demo.session_id}")
    current = session["details"].get("current_step")
    target = 2 if current != 2 else 3
    demo.api(
        "POST", f"/api/sessions/{demo.session_id}/step", json={"move": "goto", "index": target}
    )
    phone_context.set_offline(False)
    live.filter(has_text="En direct").wait_for()
    # The fresh snapshot brings the step it missed.
    phone.get_by_text(re.compile(rf"Étape en cours : {target + 1}\.")).wait_for()
    screenshot(phone, "32-atelier-back-online")


def test_a_revoked_participant_is_told_at_once(demo: Demo, new_context: Any) -> None:
    proposal = demo.new_proposal("Un terrain de pétanque")
    page = new_page(new_context())
    join_by_ui(page, demo, "Ulysse")
    page.goto(f"{demo.http}/proposition/{proposal}")
    banner = page.get_by_test_id("sync-state")
    banner.filter(has_text="En ligne").wait_for()
    people = demo.api("GET", f"/api/ateliers/{demo.atelier_id}/participants")
    ulysse = next(p for p in people if p["display_name"] == "Ulysse")
    demo.api("POST", f"/api/participants/{ulysse['id']}/revoke")
    banner.filter(has_text="Accès au document refusé").wait_for()
    assert page.locator('[data-section="constat"] .ProseMirror').count() == 1


def test_freezing_the_seance_locks_the_texts_people_have_open(demo: Demo, new_context: Any) -> None:
    # Last in this module: the séance's proposals stay locked afterwards.
    proposal = demo.new_proposal("Une fresque sur le mur de l’école")
    writer = new_page(new_context())
    join_by_ui(writer, demo, "Xavier")
    writer.goto(f"{demo.http}/proposition/{proposal}")
    writer.get_by_test_id("sync-state").filter(has_text="En ligne").wait_for()
    area = writer.locator('[data-section="constat"] .ProseMirror')
    area.click()
    writer.keyboard.type("Le mur est gris.")

    lead = new_page(new_context(DESKTOP))
    sign_in_facilitator(lead, demo)
    # The facilitator sees the sentence arrive (so the server has it) before freezing.
    lead.goto(f"{demo.http}/proposition/{proposal}")
    lead.locator('[data-section="constat"] .ProseMirror').get_by_text("Le mur est gris.").wait_for()
    lead.goto(f"{demo.http}/animation/{demo.session_id}")
    lead.get_by_label("Verrouiller les textes").check()
    lead.get_by_role("button", name="Figer les propositions de la séance").click()
    # Two steps: nothing is frozen before the confirmation.
    lead.get_by_text("et les passer en lecture seule ?").wait_for()
    check_axe(lead, "console freeze")
    lead.get_by_role("button", name="Oui, figer maintenant").click()
    lead.get_by_text(re.compile(r"Versions figées : \d+\.")).wait_for()
    lead.get_by_text(re.compile("« Une fresque sur le mur de l’école » : version 1")).wait_for()
    screenshot(lead, "33-console-frozen")

    # The open editor turns read-only and says why; the frozen text is the one typed.
    writer.get_by_text("Ce texte est figé et verrouillé").wait_for()
    writer.wait_for_function(
        "() => document.querySelector('[data-section=\"constat\"] .ProseMirror')"
        ".getAttribute('contenteditable') === 'false'"
    )
    assert area.get_attribute("aria-readonly") == "true"
    writer.get_by_test_id("sync-state").filter(
        has_text="le texte se met à jour en direct"
    ).wait_for()
    versions = demo.api("GET", f"/api/proposals/{proposal}/versions")
    assert versions["locked"] is True
    version = demo.api("GET", f"/api/proposals/{proposal}/versions/1")
    assert "Le mur est gris." in str(version["content"])
    # Everyone reads the frozen version in the client, with its fingerprint.
    writer.get_by_text("Versions figées").click()
    writer.get_by_text("Statut : figée.").wait_for()
    writer.get_by_role("button", name="Lire la version 1").click()
    frozen = writer.get_by_role("article", name="Version 1")
    frozen.get_by_text("Le mur est gris.").wait_for()
    assert version["hash"] in frozen.inner_text()
    check_axe(writer, "frozen version")
    screenshot(writer, "34-frozen-version")

    # The séance's minutes, built from the frozen versions, download from the console.
    with lead.expect_download() as download:
        lead.get_by_role("button", name="Télécharger le compte-rendu (Markdown)").click()
    minutes = Path(download.value.path()).read_text(encoding="utf-8")
    assert minutes.startswith("# Compte-rendu de l’atelier")
    assert "version 1 de «\xa0Une fresque sur le mur de l’école\xa0»" in minutes


def test_a_seance_without_steps_says_how_to_start_it_rather_than_fail(
    demo: Demo, new_context: Any
) -> None:
    """H3: a first facilitator fills the agenda and leaves « Déroulé » empty; the console's
    « Commencer la séance » then only answered « ajoutez au moins une étape », with no way
    there. The console says it first and leads to the séance's edit screen; once the steps are
    written, the séance starts."""
    seance = demo.api(
        "POST",
        f"/api/ateliers/{demo.atelier_id}/sessions",
        json={
            "date": "2031-05-06",
            "start_time": "18:00:00",
            "mode": "presentiel",
            "place": "Salle des fêtes",
            "agenda": [{"title": "Tour de table", "minutes": 15}],
        },
    )
    lead = new_page(new_context(DESKTOP))
    sign_in_facilitator(lead, demo)
    lead.goto(f"{demo.http}/animation/{seance['id']}")
    lead.get_by_role("status").filter(has_text="En direct").wait_for()
    tile = lead.locator(".next-text").locator("xpath=..")
    expect(tile).to_contain_text("La séance n’a pas encore de déroulé")
    expect(lead.get_by_role("button", name="Commencer la séance")).to_have_count(0)
    check_axe(lead, "console, séance sans déroulé", every_impact=True)
    tile.get_by_role("link", name="Modifier la séance").click()
    lead.get_by_label("Déroulé : les étapes de la méthode").fill("Accueil\nÉchanges")
    lead.get_by_role("button", name="Enregistrer la séance").click()
    lead.wait_for_url(re.compile(r"/atelier/"))
    lead.goto(f"{demo.http}/animation/{seance['id']}")
    lead.get_by_role("button", name="Commencer la séance").click()
    expect(lead.locator(".step-now")).to_have_text("Étape en cours : 1. Accueil")
    no_page_errors(lead)

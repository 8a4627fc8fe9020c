"""The council staff's screens: signing in with the council credential (`atelier
council-token`), the proposals handed over by status, one proposal's versions, their diff and
downloads, the fingerprint chain checked, the instruction and the decision; and the facilitator's
« Transmettre au conseil » in the console. axe-core on each screen; screenshots."""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from server.auth import mint_council_token
from tests.conftest import TEST_SECRET
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
from tests.web.test_reflow import NARROW, assert_reflows

SERVICE = "Direction de la démocratie locale"
TOKEN_LABEL = "Jeton d’accès du conseil municipal"


def council_token(ttl: int = 3600, now: float | None = None) -> str:
    """Minted by the server's own code, as `atelier council-token` does."""
    return mint_council_token(TEST_SECRET, SERVICE, ttl, now=now)


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


def handed_over(demo: Demo, title: str, *texts: str) -> str:
    proposal = frozen(demo, title, *texts)
    demo.api("POST", f"/api/proposals/{proposal}/transmit")
    return proposal


def sign_in(page: Any, demo: Demo, token: str) -> None:
    page.goto(f"{demo.http}/conseil")
    page.get_by_label(TOKEN_LABEL).fill(token)
    page.get_by_role("button", name="Se connecter").click()


def open_as_staff(page: Any, demo: Demo, proposal: str) -> None:
    """Straight to a proposal, signed in by a link (`#jeton=…`)."""
    page.goto(f"{demo.http}/conseil/proposition/{proposal}#jeton={council_token()}")
    page.get_by_role("heading", name="Suite à donner").wait_for()


def test_staff_sign_in_and_find_a_transmitted_proposal_under_transmise(
    demo: Demo, new_context: Any
) -> None:
    title = "Un composteur au pied des immeubles"
    handed_over(demo, title, "Les déchets verts partent à la benne.", "Un composteur partagé.")
    page = new_page(new_context(DESKTOP))
    page.goto(f"{demo.http}/conseil")
    page.get_by_role("heading", name="Espace du conseil municipal").wait_for()
    check_axe(page, "council sign-in")
    screenshot(page, "90-council-sign-in")
    # The keyboard alone: the field, then Enter.
    page.get_by_label(TOKEN_LABEL).fill(council_token())
    page.keyboard.press("Enter")

    page.get_by_role("heading", name="Propositions transmises au conseil municipal").wait_for()
    page.get_by_text(f"Connecté·e : {SERVICE}").wait_for()
    transmitted = page.get_by_role("region", name=re.compile(r"^Transmise"))
    link = transmitted.get_by_role("link", name=title)
    item = transmitted.locator("li", has=page.get_by_role("link", name=title))
    item.get_by_text(re.compile(r"^Version 2 du .*, empreinte")).wait_for()
    # The browser keeps the sign-in, out of every script's reach (an HttpOnly cookie), never in
    # the address or a storage; another tab is signed in without pasting the token again.
    assert page.evaluate("() => sessionStorage.getItem('atelier.council')") is None
    assert page.evaluate("() => localStorage.getItem('atelier.council')") is None
    assert "atelier_council" not in page.evaluate("() => document.cookie")
    assert "eyJ" not in page.url
    other_tab = new_page(page.context)
    other_tab.goto(f"{demo.http}/conseil")
    other_tab.get_by_text(f"Connecté·e : {SERVICE}").wait_for()
    other_tab.close()
    check_axe(page, "council desk")
    screenshot(page, "91-council-desk")

    # Filtered by status, from the server; the others are not shown.
    page.get_by_label("Statut").select_option("adoptee")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("status").filter(has_text="0 proposition").wait_for()
    assert "statut=adoptee" in page.url
    page.get_by_role("button", name="Tout afficher").click()
    link.click()
    page.get_by_role("heading", name=title).wait_for()
    page.wait_for_function("() => document.activeElement?.id === 'page-title'")
    page.get_by_text("Statut : transmise au conseil.").wait_for()
    no_page_errors(page)


def test_staff_read_compare_download_and_verify_the_versions(demo: Demo, new_context: Any) -> None:
    proposal = handed_over(demo, "Des bancs à l’ombre", "Peu de bancs.", "Aucune ombre l’été.")
    page = new_page(new_context(DESKTOP, accept_downloads=True))
    open_as_staff(page, demo, proposal)
    page.get_by_role("button", name="Lire la version 1").wait_for()
    page.get_by_role("button", name="Lire la version 2").click()
    page.get_by_role("article", name="Version 2").get_by_text("Aucune ombre l’été.").wait_for()
    page.wait_for_function("() => document.activeElement?.textContent === 'Version 2'")

    # What changed from version 1 to 2, marked for the eye and for screen readers.
    page.get_by_role("button", name="Comparer", exact=True).click()
    heading = "De la version 1 à la version 2"
    diff = page.get_by_role("region", name=heading)
    added = diff.locator("ins", has_text="Aucune ombre l’été.")
    added.wait_for()
    assert "[début d’ajout]" in added.inner_text()
    assert diff.locator(".diff-text del").count() == 0  # only added: nothing struck through
    page.wait_for_function(f"() => document.activeElement?.textContent === '{heading}'")
    check_axe(page, "council diff")
    screenshot(page, "92-council-diff")

    downloads = page.get_by_role("group", name="Télécharger la version 2")
    with page.expect_download() as download:
        downloads.get_by_role("button", name="PDF").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    assert download.value.suggested_filename == f"proposition-{proposal}-v2.pdf"
    # The same version for the office suite: an OpenDocument text.
    with page.expect_download() as download:
        downloads.get_by_role("button", name="ODT").click()
    odt = Path(download.value.path()).read_bytes()
    assert odt[38:77] == b"application/vnd.oasis.opendocument.text"  # the stored mimetype
    assert download.value.suggested_filename == f"proposition-{proposal}-v2.odt"

    page.get_by_role("button", name="Vérifier la chaîne des empreintes").click()
    page.get_by_role("status").filter(has_text="Chaîne intègre.").wait_for()
    page.get_by_text("Les 2 versions sont exactement celles qui ont été figées.").wait_for()

    parcours = page.get_by_role("region", name="Parcours")
    for step in ("Figée en version 1", "Figée en version 2", "Transmise au conseil municipal"):
        parcours.get_by_text(step).wait_for()
    no_page_errors(page)


def test_staff_take_it_into_instruction_and_record_the_decision(
    demo: Demo, new_context: Any
) -> None:
    title = "Des bancs place du marché"
    proposal = handed_over(demo, title, "Peu de bancs.")
    page = new_page(new_context(DESKTOP))
    open_as_staff(page, demo, proposal)
    page.get_by_role("button", name="Prendre en instruction").click()
    page.get_by_text("Proposition prise en instruction.").wait_for()
    page.get_by_text("Statut : en instruction.").wait_for()
    parcours = page.get_by_role("region", name="Parcours")
    parcours.get_by_text(f"Prise en instruction par {SERVICE} (conseil municipal)").wait_for()
    assert page.get_by_role("button", name="Prendre en instruction").count() == 0

    # The decision: the form says what is missing before asking the server.
    page.get_by_label("Adoptée").check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.get_by_role("alert").filter(has_text="Une adoption cite la délibération").wait_for()
    page.get_by_label("Référence de la délibération").fill("2025-CM-042")
    page.get_by_label("Date de la décision").fill("2025-06-30")
    page.get_by_label("Réponse officielle").fill("Le conseil adopte les bancs ; pose à l’automne.")
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.get_by_text("Enregistrer la décision « adoptée » ?").wait_for()
    check_axe(page, "council decision")
    screenshot(page, "93-council-decision")
    page.get_by_role("button", name="Oui, enregistrer la décision").click()
    page.get_by_text("Décision enregistrée : adoptée.").wait_for()
    page.get_by_text("Statut : adoptée.").wait_for()
    page.get_by_text("2025-CM-042").wait_for()
    assert demo.api("GET", f"/api/proposals/{proposal}/versions")["status"] == "adoptee"

    # Follow-up of an adopted proposal: its project's card (tests/web/test_projects.py).
    page.get_by_role("heading", name="Le projet").wait_for()
    page.get_by_label("Jalon", exact=True).fill("Pose des bancs")
    page.get_by_label("Date prévue").fill("2025-10-15")
    page.get_by_role("button", name="Ajouter le jalon").click()
    page.get_by_text("Jalon ajouté : Pose des bancs.").wait_for()
    page.locator("ol.milestones").get_by_text("Pose des bancs", exact=True).wait_for()
    check_axe(page, "council decided")
    screenshot(page, "94-council-decided")

    page.get_by_role("link", name="Toutes les propositions transmises").click()
    adopted = page.get_by_role("region", name=re.compile(r"^Adoptée"))
    adopted.get_by_role("link", name=title).wait_for()
    no_page_errors(page)


def test_a_bad_or_expired_token_gets_a_clear_message(demo: Demo, new_context: Any) -> None:
    page = new_page(new_context())
    expired = council_token(ttl=60, now=time.time() - 3600)
    sign_in(page, demo, expired)
    alert = page.get_by_role("alert")
    alert.filter(has_text="Jeton refusé : Votre accès a expiré.").wait_for()
    assert "Demandez un nouveau jeton" in alert.inner_text()
    assert page.get_by_label(TOKEN_LABEL).get_attribute("aria-invalid") == "true"
    check_axe(page, "council refused")
    screenshot(page, "95-council-refused")

    page.get_by_label(TOKEN_LABEL).fill("pas-un-jeton")
    page.get_by_role("button", name="Se connecter").click()
    alert.filter(has_text="Jeton refusé : Jeton invalide.").wait_for()

    # A participant's token, even the facilitator's, does not open the council's desk.
    page.get_by_label(TOKEN_LABEL).fill(demo.facilitator_token)
    page.get_by_role("button", name="Se connecter").click()
    alert.filter(has_text="Ce jeton n’ouvre pas l’espace du conseil municipal").wait_for()
    assert not [c for c in page.context.cookies() if c["name"] == "atelier_council"]

    # A credential that expires while kept: the next screen asks again, saying why.
    page.context.add_cookies(
        [{"name": "atelier_council", "value": expired, "url": f"{demo.http}/api"}]
    )
    page.goto(f"{demo.http}/conseil")
    page.get_by_role("alert").filter(has_text="Votre accès a expiré.").wait_for()
    page.get_by_label(TOKEN_LABEL).wait_for()
    no_page_errors(page)


def test_a_link_signs_in_leaves_no_token_behind_and_speaks_english(
    demo: Demo, new_context: Any
) -> None:
    page = new_page(new_context())
    page.goto(f"{demo.http}/conseil#jeton={council_token()}")
    page.get_by_role("heading", name="Propositions transmises au conseil municipal").wait_for()
    assert "jeton" not in page.url
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Proposals handed to the city council").wait_for()
    page.get_by_text(f"Signed in: {SERVICE}").wait_for()
    page.get_by_role("button", name="Français").click()
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_text("Vous êtes déconnecté·e").wait_for()
    page.get_by_label(TOKEN_LABEL).wait_for()
    # Signed out in every tab: the browser forgot the sign-in.
    assert not [c for c in page.context.cookies() if c["name"] == "atelier_council"]
    page.goto(f"{demo.http}/conseil")
    page.get_by_label(TOKEN_LABEL).wait_for()
    no_page_errors(page)


def test_the_council_screens_reflow_on_a_narrow_screen(demo: Demo, new_context: Any) -> None:
    title = "Un abri à vélos devant la médiathèque"
    proposal = handed_over(demo, title, "Les vélos restent sous la pluie.")
    page = new_page(new_context(NARROW))
    page.goto(f"{demo.http}/conseil")
    page.get_by_label(TOKEN_LABEL).wait_for()
    assert_reflows(page, "council-sign-in")
    page.get_by_label(TOKEN_LABEL).fill(council_token())
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name=title).wait_for()
    assert_reflows(page, "council-desk")
    page.goto(f"{demo.http}/conseil/proposition/{proposal}")  # signed in: this tab keeps it
    page.get_by_role("button", name="Lire la version 1").click()
    page.get_by_role("article", name="Version 1").wait_for()
    page.get_by_role("button", name="Vérifier la chaîne des empreintes").click()
    page.get_by_role("status").filter(has_text="Chaîne intègre.").wait_for()
    assert_reflows(page, "council-proposal")


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

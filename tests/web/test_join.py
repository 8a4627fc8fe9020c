"""Joining: by keyboard alone from the QR link, the charter first, a name and a role; the
atelier's screen follows the séance live. axe-core on each screen; screenshots saved."""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import (
    Demo,
    check_axe,
    join_by_ui,
    new_page,
    no_page_errors,
    press,
    screenshot,
    sign_in_facilitator,
    tab_to,
)


def test_joining_with_the_keyboard_alone(demo: Demo, new_context: Any) -> None:
    page = new_page(new_context())
    page.goto(f"{demo.http}/")
    check_axe(page, "home")
    screenshot(page, "01-home")
    # The code typed by hand, as on the invitation (with its dash).
    tab_to(page, "el.id === 'join-code'")
    page.keyboard.type(f"{demo.join_code[:4]}-{demo.join_code[4:]}".lower())
    press(page, "Enter")
    page.get_by_role("heading", name=re.compile("La charte de l’atelier")).wait_for()
    check_axe(page, "join: charter")
    screenshot(page, "02-join-charter")
    # Continuing without accepting is refused, and says why.
    tab_to(page, "el.type === 'submit'")
    press(page, "Enter")
    page.get_by_role("alert").filter(has_text="acceptation de la charte").wait_for()
    tab_to(page, "el.id === 'accept-charter'")
    press(page, "Space")
    tab_to(page, "el.type === 'submit'")
    press(page, "Enter")
    page.get_by_role("heading", name="Qui êtes-vous ?").wait_for()
    check_axe(page, "join: who")
    screenshot(page, "03-join-who")
    tab_to(page, "el.id === 'display-name'")
    page.keyboard.type("Awa Keyboard")
    # Radio group: arrows move the choice; the open roles come first.
    tab_to(page, "el.name === 'role'")
    press(page, "ArrowDown")
    assert page.locator("input[name=role]:checked").get_attribute("value") == "observateur"
    press(page, "ArrowUp")
    assert page.locator("input[name=role]:checked").get_attribute("value") == "habitant"
    tab_to(page, "el.type === 'submit'")
    press(page, "Enter")
    page.wait_for_url(re.compile(rf"/atelier/{demo.atelier_id}"))
    page.get_by_text("Vous : Awa Keyboard").wait_for()
    page.get_by_role("status").filter(has_text="En direct").wait_for()
    # Focus moved to the new screen's title, for screen readers.
    assert page.evaluate("() => document.activeElement.id") == "page-title"
    page.get_by_role("heading", name="Participant·es par rôle").wait_for()
    assert (
        page.locator(".role-group", has_text="habitant·e").get_by_text("Awa Keyboard").count() == 1
    )
    check_axe(page, "atelier")
    screenshot(page, "04-atelier")
    no_page_errors(page)


def test_an_invited_role_needs_its_invitation_code(demo: Demo, new_context: Any) -> None:
    page = new_page(new_context())
    page.goto(f"{demo.http}/rejoindre/{demo.join_code}")
    page.get_by_label("J’ai lu la charte et je l’accepte").check()
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Votre prénom, nom ou pseudonyme").fill("Élu sans code")
    page.locator("input[name=role][value=elu]").check()
    invitation = page.get_by_label("Code d’invitation")
    assert invitation.is_visible()
    invitation.fill("PASUNCODE")
    page.get_by_role("button", name="Rejoindre la séance").click()
    # The server's refusal, in French, in the alert region; nobody joined.
    page.get_by_role("alert").wait_for()
    assert page.get_by_role("alert").inner_text().strip() != ""
    assert "/rejoindre/" in page.url
    # With a real invitation, the élu·e gets in.
    invitation.fill(demo.invitation("elu"))
    page.get_by_role("button", name="Rejoindre la séance").click()
    page.wait_for_url(re.compile(r"/atelier/"))
    page.locator(".role-badge", has_text="élu·e").wait_for()
    no_page_errors(page)


def test_an_unknown_code_says_so(demo: Demo, new_context: Any) -> None:
    page = new_page(new_context())
    page.goto(f"{demo.http}/rejoindre/ZZZZZZZZ")
    page.get_by_role("alert").filter(has_text="ne correspond à aucune séance").wait_for()
    check_axe(page, "join: unknown code")


def test_the_interface_speaks_english_on_request(demo: Demo, new_context: Any) -> None:
    page = new_page(new_context())
    page.goto(f"{demo.http}/rejoindre/{demo.join_code}")
    page.get_by_role("button", name="Switch to English").click()
    page.get_by_role("heading", name=re.compile("The atelier’s charter")).wait_for()
    assert page.evaluate("() => document.documentElement.lang") == "en"
    page.get_by_text("Session 1", exact=False).first.wait_for()  # not « Séance 1 » in English
    page.get_by_label("I have read the charter and I accept it").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Who are you?").wait_for()
    screenshot(page, "05-join-english")
    check_axe(page, "join in English")
    # The choice is kept: a reload stays in English.
    page.reload()
    page.get_by_role("button", name="Passer en français").wait_for()
    no_page_errors(page)


def test_home_lists_the_ateliers_this_device_joined(demo: Demo, new_context: Any) -> None:
    page = new_page(new_context())
    join_by_ui(page, demo, "Victor")
    page.get_by_role("link", name="Atelier", exact=True).click()
    mine = page.get_by_role("region", name="Vos ateliers sur cet appareil")
    mine.get_by_role("link", name="Évolution des instances de démocratie locale").click()
    page.get_by_text("Vous : Victor").wait_for()


def test_an_invitation_link_from_the_console_brings_its_role_and_code(
    demo: Demo, new_context: Any
) -> None:
    lead = new_page(new_context())
    sign_in_facilitator(lead, demo)
    lead.goto(f"{demo.http}/animation/{demo.session_id}")
    lead.get_by_label("Rôle", exact=True).select_option("agent")
    lead.get_by_role("button", name="Créer un code d’invitation").click()
    link = lead.locator(".invite-code a").get_attribute("href")
    assert link
    assert "#role=agent&invitation=" in link  # in the fragment: never in a server log

    guest = new_page(new_context())
    guest.goto(link)
    guest.get_by_label("J’ai lu la charte et je l’accepte").check()
    guest.get_by_role("button", name="Continuer").click()
    assert guest.locator("input[name=role]:checked").get_attribute("value") == "agent"
    guest.get_by_label("Votre prénom, nom ou pseudonyme").fill("Zoé")
    guest.get_by_role("button", name="Rejoindre la séance").click()
    guest.locator(".role-badge", has_text="agent de la ville").wait_for()


def test_a_seance_address_opens_its_atelier(demo: Demo, new_context: Any) -> None:
    page = new_page(new_context())
    join_by_ui(page, demo, "Walid")
    page.goto(f"{demo.http}/seance/{demo.session_id}")
    page.wait_for_url(re.compile(rf"/atelier/{demo.atelier_id}\?seance={demo.session_id}$"))
    page.get_by_role("heading", name="Séance 1").wait_for()


def test_someone_registered_at_the_door_gets_their_place_back_with_the_slip(
    demo: Demo, new_context: Any
) -> None:
    walk_in = demo.api(
        "POST",
        f"/api/sessions/{demo.session_id}/walk-ins",
        json={"display_name": "Mme Martin", "role": "habitant"},
    )
    page = new_page(new_context(viewport={"width": 390, "height": 844}))
    page.goto(f"{demo.http}/rejoindre/{demo.join_code}")
    page.get_by_label("J’ai lu la charte et je l’accepte").check()
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Votre prénom, nom ou pseudonyme").fill("Martine")
    # A resident needs no invitation; the slip's code is offered to whoever has one.
    slip = page.get_by_label("Code du ticket remis à l’accueil (facultatif)")
    slip.fill(walk_in["slip_code"].lower())
    check_axe(page, "join: slip", every_impact=True)
    page.get_by_role("button", name="Rejoindre la séance").click()
    page.wait_for_url(re.compile(rf"/atelier/{demo.atelier_id}"))
    page.get_by_text("Vous : Mme Martin").wait_for()  # the place kept at the door
    people = demo.api("GET", f"/api/ateliers/{demo.atelier_id}/participants")
    assert [p["display_name"] for p in people].count("Mme Martin") == 1
    no_page_errors(page)


def test_a_code_typed_while_offline_says_there_is_no_network(demo: Demo, new_context: Any) -> None:
    """The code typed on the home screen with no network (the join screen's code never loaded
    on this phone): the screen says so, with « Réessayer », and goes on once the network is
    back. The address changed and the home screen stayed as it was: « Continuer » seemed to do
    nothing (H7 walk)."""
    context = new_context()
    page = new_page(context)
    page.goto(demo.http + "/")
    page.get_by_label("Code de la séance").fill(demo.join_code.lower())
    context.set_offline(True)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("heading", name="Pas de réseau").wait_for()
    page.get_by_role("alert").filter(has_text="Réessayez quand la connexion revient").wait_for()
    assert page.evaluate("() => document.activeElement?.id") == "page-title"
    assert page.get_by_role("button", name="Réessayer").is_visible()
    # The network back, the join screen comes by itself (the browser's « online » event), or
    # with « Réessayer » should that first try come too early: pressed if it is still there.
    context.set_offline(False)
    charter = page.get_by_label("J’ai lu la charte et je l’accepte")
    page.evaluate(
        "() => [...document.querySelectorAll('main button')]"
        ".find((b) => b.textContent === 'Réessayer')?.click()"
    )
    charter.wait_for()
    assert page.get_by_role("heading", name="Pas de réseau").count() == 0

"""At the door, from the server's list (issue 19, #3 #4 #7): the facilitator checks in a
registered participant and someone without a phone, reloads the console and still sees both,
checks one out (the projector's count follows, and so does a second console), renews the join
code after a confirmation (the old code refused with a clear message, the new one typed in lower
case without its dash works). The city is in another time zone than the browsers (Montreal for
the server, Paris for the laptops): the times at the door and the séance form's « in the past »
warning are the city's. axe-core with no violation at any impact on the door and the join code;
screenshots at 1366×768 and 390×844."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.web.conftest import (
    AXE_JS,
    Demo,
    join_by_ui,
    new_page,
    no_page_errors,
    running_demo,
    screenshot,
    sign_in_facilitator,
)

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
HD = {"width": 1280, "height": 720}
CITY = ZoneInfo("America/Montreal")
BROWSERS = "Europe/Paris"  # six hours ahead of the city


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    yield from running_demo(tmp_path_factory, ATELIER_TIME_ZONE="America/Montreal")


def laptop(new_context: Any, viewport: dict[str, int] = LAPTOP) -> Any:
    return new_page(new_context(viewport, timezone_id=BROWSERS))


def console(page: Any, demo: Demo) -> Any:
    sign_in_facilitator(page, demo)
    page.goto(f"{demo.http}/animation/{demo.session_id}")
    page.get_by_role("status").filter(has_text="En direct").wait_for()
    return page.get_by_test_id("door")


def axe_on(page: Any, name: str, *selectors: str) -> None:
    """axe-core (WCAG 2.1 A and AA) on these parts of the page: no violation at any impact."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (include) => await axe.run({include}, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations'],
        })""",
        [[s] for s in selectors],
    )
    described = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in result["violations"]
    ]
    assert not described, f"axe on {name}:\n" + "\n".join(described)


def in_the_room(projector: Any) -> int:
    text = projector.locator(".projected-here").inner_text()
    found = re.match(r"(\d+) personnes? dans la salle", text)
    assert found, text
    return int(found.group(1))


def city_clock(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(CITY).strftime("%H:%M")


def test_who_is_here_comes_from_the_server_and_a_check_out_reaches_every_screen(
    demo: Demo, new_context: Any
) -> None:
    phone = new_page(new_context(PHONE))
    join_by_ui(phone, demo, "Élodie Marchal")
    lead = laptop(new_context)
    door = console(lead, demo)
    here = door.get_by_test_id("door-here")
    here.get_by_text("Personne n’est encore pointé·e présent·e.").wait_for()

    door.get_by_label("Nom de la personne").fill("elod")
    door.get_by_role("button", name="Pointer l’arrivée de Élodie Marchal").click()
    here.get_by_role("heading", name="1 personne dans la salle").wait_for()
    door.get_by_label("Prénom, nom ou pseudonyme").fill("Mme Martin")
    door.get_by_role("button", name="Inscrire et pointer").click()
    door.get_by_test_id("slip").get_by_role("heading", name="Ticket de Mme Martin").wait_for()
    here.get_by_role("heading", name="2 personnes dans la salle").wait_for()
    martin = here.locator("li", has_text="Mme Martin")
    martin.get_by_text("sans téléphone").wait_for()
    assert here.locator("li", has_text="Élodie Marchal").get_by_text("sans téléphone").count() == 0

    # The times are the city's (Montreal), not the laptop's (Paris).
    listed = demo.api("GET", f"/api/sessions/{demo.session_id}/attendance")["people"]
    arrived = {p["display_name"]: city_clock(p["checked_in_at"]) for p in listed}
    martin.get_by_text(f"arrivé·e à {arrived['Mme Martin']}").wait_for()

    # A reload: the list is the server's, not this page's memory.
    lead.reload()
    lead.get_by_role("status").filter(has_text="En direct").wait_for()
    here.get_by_role("heading", name="2 personnes dans la salle").wait_for()
    for name in ("Élodie Marchal", "Mme Martin"):
        here.locator("li", has_text=name).get_by_role(
            "button", name=f"Pointer le départ de {name}"
        ).wait_for()
    # So the search says she is here too.
    door.get_by_label("Nom de la personne").fill("elod")
    door.locator(".door-results li", has_text="Élodie Marchal").get_by_text("présent·e").wait_for()

    # Another screen: the projector's count, and a second facilitator's console on a phone.
    screen = new_page(new_context(HD))
    sign_in_facilitator(screen, demo)
    screen.goto(f"{demo.http}/projection/{demo.session_id}")
    screen.get_by_role("status").filter(has_text="En direct").wait_for()
    before = in_the_room(screen)
    small = laptop(new_context, PHONE)
    other_door = console(small, demo)
    other_here = other_door.get_by_test_id("door-here")
    other_here.get_by_role("heading", name="2 personnes dans la salle").wait_for()

    here.get_by_role("button", name="Pointer le départ de Élodie Marchal").click()
    door.get_by_role("status").filter(has_text="Départ de Élodie Marchal pointé.").wait_for()
    here.get_by_role("heading", name="1 personne dans la salle").wait_for()
    gone = here.locator(".gone li", has_text="Élodie Marchal")
    gone.get_by_text(re.compile(r"^parti·e à \d\d:\d\d$")).wait_for()
    assert lead.evaluate("() => document.activeElement?.id") == "here-title"
    screen.locator(".projected-here").filter(
        has_text=re.compile(rf"^{before - 1} personnes? dans la salle")
    ).wait_for()
    other_here.get_by_role("heading", name="1 personne dans la salle").wait_for()
    other_here.get_by_role("button", name="Pointer le retour de Élodie Marchal").wait_for()
    # The minutes will count her: she came.
    counts = demo.api("GET", f"/api/sessions/{demo.session_id}/attendance")
    assert (counts["here"], counts["came"]) == (1, 2)

    door.scroll_into_view_if_needed()
    axe_on(lead, "the door, one person gone", "[data-testid=door]")
    here.scroll_into_view_if_needed()
    screenshot(lead, "door-list-1366")
    other_here.scroll_into_view_if_needed()
    assert small.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    axe_on(small, "the door on a phone", "[data-testid=door]")
    screenshot(small, "door-list-390")

    # Back in, from the other console.
    other_here.get_by_role("button", name="Pointer le retour de Élodie Marchal").click()
    here.get_by_role("heading", name="2 personnes dans la salle").wait_for()
    screen.locator(".projected-here").filter(
        has_text=re.compile(rf"^{before} personnes? dans la salle")
    ).wait_for()
    for page in (lead, small, screen, phone):
        no_page_errors(page)


def test_the_seance_form_warns_of_the_past_by_the_citys_clock(demo: Demo, new_context: Any) -> None:
    page = laptop(new_context)
    sign_in_facilitator(page, demo)
    page.goto(f"{demo.http}/atelier/{demo.atelier_id}/nouvelle-seance")
    page.get_by_text("Heure de la ville (America/Montreal).").wait_for()
    date, start = page.get_by_label("Date", exact=True), page.get_by_label("Début")
    warning = page.locator("p.notice", has_text="la séance sera enregistrée comme déjà")
    # In two hours in Montreal: already past by the laptop's own clock (Paris), not the city's.
    soon = datetime.now(CITY) + timedelta(hours=2)
    date.fill(soon.strftime("%Y-%m-%d"))
    start.fill(soon.strftime("%H:%M"))
    start.dispatch_event("change")
    # An hour ago in Montreal: past.
    earlier = datetime.now(CITY) - timedelta(hours=1)
    assert warning.is_hidden()
    date.fill(earlier.strftime("%Y-%m-%d"))
    start.fill(earlier.strftime("%H:%M"))
    start.dispatch_event("change")
    warning.wait_for()
    if earlier.date() == datetime.now(CITY).date():  # today, an hour gone: the hour is said
        assert f"{earlier:%H:%M} est déjà passé aujourd’hui" in warning.inner_text()
    date.fill(soon.strftime("%Y-%m-%d"))
    start.fill(soon.strftime("%H:%M"))
    start.dispatch_event("change")
    warning.wait_for(state="hidden")
    no_page_errors(page)


def test_a_new_join_code_after_a_confirmation_the_old_one_refused_the_new_one_typed_loosely(
    demo: Demo, new_context: Any
) -> None:
    lead = laptop(new_context)
    console(lead, demo)
    screen = new_page(new_context(HD))
    sign_in_facilitator(screen, demo)
    screen.goto(f"{demo.http}/projection/{demo.session_id}")
    screen.get_by_role("status").filter(has_text="En direct").wait_for()
    old = demo.join_code
    grouped_old = f"{old[:4]}-{old[4:]}"
    box = lead.locator(".join-code-box")
    assert box.get_by_test_id("join-code").inner_text() == grouped_old
    assert screen.locator(".big-code").inner_text() == grouped_old

    box.get_by_role("button", name="Nouveau code").click()
    ask = box.get_by_text(f"Remplacer le code {grouped_old} ?")
    ask.wait_for()
    assert "ne permettront plus de rejoindre la séance" in ask.inner_text()
    assert lead.evaluate("() => document.activeElement?.textContent") == "Oui, changer le code"
    box.scroll_into_view_if_needed()
    axe_on(lead, "the join code, asking", ".join-code-box")
    screenshot(lead, "join-code-ask-1366")
    box.get_by_role("button", name="Annuler").click()
    assert ask.is_hidden()
    assert box.get_by_test_id("join-code").inner_text() == grouped_old
    box.get_by_role("button", name="Nouveau code").click()
    box.get_by_role("button", name="Oui, changer le code").click()
    said = box.get_by_role("status").filter(has_text="L’ancien ne fonctionne plus.")
    said.wait_for()
    shown = box.get_by_test_id("join-code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", shown), shown
    assert shown != grouped_old
    assert shown in said.inner_text()
    new = shown.replace("-", "")
    assert demo.api("GET", f"/api/sessions/{demo.session_id}")["join_code"] == new
    # The projector shows the new code and its QR code by itself.
    screen.locator(".big-code").filter(has_text=shown).wait_for()
    assert screen.locator("img.qr-large").get_attribute("src") == f"/api/join/{new}/qr.svg"
    assert box.get_by_role("img").get_attribute("src") == f"/api/join/{new}/qr.svg"

    phone = new_page(new_context(PHONE))
    phone.goto(f"{demo.http}/")
    code = phone.get_by_label("Code de la séance")
    code.fill(grouped_old.lower())
    phone.get_by_role("button", name="Continuer").click()
    phone.get_by_text("Ce code ne correspond à aucune séance").wait_for()
    phone.goto(f"{demo.http}/")
    phone.get_by_label("Code de la séance").fill(new.lower())
    phone.get_by_role("button", name="Continuer").click()
    phone.get_by_role("heading", level=1, name=re.compile(re.escape(shown))).wait_for()
    phone.get_by_label("J’ai lu la charte et je l’accepte").check()
    phone.get_by_role("button", name="Continuer").click()
    phone.get_by_label("Votre prénom, nom ou pseudonyme").fill("Yasmine")
    phone.get_by_role("button", name="Rejoindre la séance").click()
    phone.get_by_text("Vous : Yasmine").wait_for()
    # An address typed by hand, lower case with its dash: the same séance, the code as read;
    # and an élue's invitation code, read aloud in groups, typed the same way.
    late = new_page(new_context(PHONE))
    late.goto(f"{demo.http}/rejoindre/{shown.lower()}")
    late.get_by_role("heading", level=1, name=re.compile(re.escape(shown))).wait_for()
    late.get_by_label("J’ai lu la charte et je l’accepte").check()
    late.get_by_role("button", name="Continuer").click()
    late.get_by_label("Votre prénom, nom ou pseudonyme").fill("Mme l’adjointe")
    late.locator("input[name=role][value=elu]").check()
    invitation = demo.invitation("elu")
    late.get_by_label("Code d’invitation").fill(
        "-".join(invitation[i : i + 4] for i in range(0, len(invitation), 4)).lower()
    )
    late.get_by_role("button", name="Rejoindre la séance").click()
    late.get_by_text("Vous : Mme l’adjointe").wait_for()
    demo.join_code = new  # for whatever runs after
    for page in (lead, screen, phone, late):
        no_page_errors(page)

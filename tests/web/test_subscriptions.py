"""E-mail subscriptions in a browser (issue 22, #5): a visitor subscribes from the demo atelier's
public page, on a phone (the pages load no script); the confirmation mail reaches a real SMTP server
(aiosmtpd) that the test reads; its link opens the confirmation page in the browser; a séance
moved later brings a message whose unsubscribe link, opened in the browser, unsubscribes with
one button. Every page is axe-clean."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.mailbox import Mailbox
from tests.web.conftest import PHONE, Demo, check_axe, new_page, no_page_errors, running_demo

SEANCE_2 = "demo-instances-seance-2"
ADDRESS = "habitante@example.org"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def mail_demo(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Demo]:
    yield from running_demo(tmp_path_factory, **mailbox.env())


def fits(page: Any, width: int) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def test_a_visitor_subscribes_confirms_in_the_browser_and_unsubscribes_in_one_click(
    mail_demo: Demo, mailbox: Mailbox, new_context: Any
) -> None:
    demo = mail_demo
    page = new_page(new_context(viewport=PHONE))
    page.goto(f"{demo.http}/decouvrir/ateliers/{demo.atelier_id}")
    section = page.get_by_role("region", name="Recevoir les nouvelles par e-mail")
    expect(section).to_be_visible()
    fits(page, PHONE["width"])
    check_axe(page, "atelier page with the subscription form", every_impact=True)

    # An address the server refuses (no domain extension): the form again, saying why.
    field = section.get_by_label("Votre adresse e-mail")
    field.fill("habitante@exemple")
    section.get_by_role("button", name="S’abonner").click()
    expect(page.get_by_role("alert")).to_contain_text("ne semble pas valide")
    expect(page.get_by_label("Votre adresse e-mail")).to_have_value("habitante@exemple")
    check_axe(page, "subscription refused", every_impact=True)

    page.get_by_label("Votre adresse e-mail").fill(ADDRESS)
    page.get_by_role("button", name="S’abonner").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre boîte")
    expect(page.get_by_text(ADDRESS)).to_be_visible()
    fits(page, PHONE["width"])
    check_axe(page, "check your inbox", every_impact=True)

    mail = mailbox.wait_to(ADDRESS, "Confirmez votre abonnement")
    page.goto(mail.link("/decouvrir/abonnements/confirmer/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer votre abonnement")
    check_axe(page, "confirm the subscription", every_impact=True)
    page.get_by_role("button", name="Confirmer l’abonnement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Abonnement confirmé")
    expect(page.get_by_role("main")).to_contain_text("Évolution des instances de démocratie locale")
    check_axe(page, "subscription confirmed", every_impact=True)

    # The facilitator moves séance 2 to 18:00: the subscriber is told.
    details = demo.api("GET", f"/api/sessions/{SEANCE_2}")["details"]
    fields = ("date", "mode", "place", "objectives", "agenda", "method_steps", "next_agenda")
    body = {name: details[name] for name in fields if details.get(name) is not None}
    demo.api("PUT", f"/api/sessions/{SEANCE_2}", json={**body, "start_time": "18:00:00"})
    news = mailbox.wait_to(ADDRESS, "séance 2 change")
    assert "à 18 h" in news.text

    page.goto(news.message["List-Unsubscribe"].strip("<>"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Se désabonner")
    check_axe(page, "unsubscribe", every_impact=True)
    page.get_by_role("button", name="Me désabonner").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vous êtes désabonné·e")
    check_axe(page, "unsubscribed", every_impact=True)
    no_page_errors(page)


def test_the_forms_read_in_english(mail_demo: Demo, new_context: Any) -> None:
    page = new_page(new_context(viewport=PHONE))
    page.goto(f"{mail_demo.http}/decouvrir/instances/CQ?lang=en")
    section = page.get_by_role("region", name="Get the news by e-mail")
    section.get_by_label("Your e-mail address").fill("resident@example.org")
    section.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check_axe(page, "check your inbox (English)", every_impact=True)

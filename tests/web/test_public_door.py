"""The public door in a browser (issue 22, « Show »): a visitor with no token finds the demo
atelier from the home page, opens its public page, subscribes to its calendar (18:00 in
Strasbourg), reads an instance's page; every public page is axe-clean at every impact level,
loads no JavaScript and reads the same with JavaScript off, on a phone and on a laptop."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from icalendar import Calendar
from playwright.sync_api import expect

from tests.web.conftest import PHONE, Demo, check_axe, new_page, no_page_errors, screenshot

LAPTOP = {"width": 1366, "height": 768}
TITLE = "Évolution des instances de démocratie locale"
SEANCE_2 = "demo-instances-seance-2"


def seance_2_at_six(demo: Demo) -> None:
    """The facilitator sets séance 2's time (the seed gives none): 18:00, the city's clock."""
    details = demo.api("GET", f"/api/sessions/{SEANCE_2}")["details"]
    fields = ("date", "mode", "place", "objectives", "agenda", "method_steps", "next_agenda")
    body = {name: details[name] for name in fields if details.get(name) is not None}
    demo.api("PUT", f"/api/sessions/{SEANCE_2}", json={**body, "start_time": "18:00:00"})


def scripts_loaded(page: Any) -> list[str]:
    """Every script the page fetches from now on (a list that fills as the page loads)."""
    found: list[str] = []
    page.on(
        "response",
        lambda response: (
            found.append(response.url) if response.request.resource_type == "script" else None
        ),
    )
    return found


def fits(page: Any, width: int) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def test_a_visitor_finds_the_demo_atelier_and_subscribes_to_its_calendar(
    demo: Demo, new_context: Any
) -> None:
    seance_2_at_six(demo)
    for name, viewport in (("phone", PHONE), ("laptop", LAPTOP)):
        page = new_page(new_context(viewport=viewport))
        page.goto(demo.http + "/")
        page.get_by_role(
            "link", name="Pas de code ? Découvrir les ateliers près de chez vous"
        ).click()
        expect(page).to_have_url(re.compile(r"/decouvrir/ateliers$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Découvrir les ateliers")
        scripts = scripts_loaded(page)
        page.reload()  # the directory as it loads by itself, not after the client's page
        expect(page.get_by_role("heading", name="1 atelier")).to_be_visible()
        check_axe(page, f"public directory ({name})", every_impact=True)
        fits(page, viewport["width"])
        screenshot(page, f"public-directory-{name}")

        page.get_by_role("link", name=TITLE).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
        past = page.locator("section", has=page.get_by_role("heading", name="Séances passées"))
        expect(past).to_contain_text("Séance 2 — mercredi 31 janvier 2018 à 18 h")
        expect(past).to_contain_text("Centre Administratif")
        expect(past).to_contain_text("35 personnes présentes")
        expect(
            page.get_by_text("le code pour rejoindre l’atelier est donné sur place")
        ).to_be_visible()
        page.get_by_text("Lire la charte").click()
        expect(page.get_by_text("L’atelier est ouvert à toute personne")).to_be_visible()
        check_axe(page, f"public atelier page ({name})", every_impact=True)
        fits(page, viewport["width"])
        screenshot(page, f"public-atelier-{name}")

        subscribe = page.get_by_role("link", name="S’abonner au calendrier")
        href = subscribe.get_attribute("href")
        assert href == f"/api/ateliers/{demo.atelier_id}/seances.ics"
        feed = httpx.get(demo.http + href, timeout=10)
        assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
        events = {
            str(e["uid"]).split("@")[0]: e for e in Calendar.from_ical(feed.content).walk("VEVENT")
        }
        six = events[f"seance-{SEANCE_2}"].decoded("dtstart")
        assert six == dt.datetime(2018, 1, 31, 18, 0, tzinfo=ZoneInfo("Europe/Paris"))
        assert str(events[f"seance-{SEANCE_2}"]["location"]) == "Centre Administratif"
        # Séance 1 has no time in the seed: a whole day, not an invented hour.
        assert events["seance-demo-instances-seance-1"].decoded("dtstart") == dt.date(2017, 12, 12)

        page.get_by_role("link", name="Conseil de quartier (CQ)").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Conseil de quartier")
        expect(page.get_by_text("tirés au sort sur les listes électorales")).to_be_visible()
        expect(page.get_by_role("link", name=TITLE)).to_be_visible()
        calendar = page.get_by_role("link", name="S’abonner au calendrier").get_attribute("href")
        assert calendar == "/api/instances/CQ/seances.ics"
        instance_feed = Calendar.from_ical(httpx.get(demo.http + calendar, timeout=10).content)
        assert len(list(instance_feed.walk("VEVENT"))) == 2
        check_axe(page, f"public instance page ({name})", every_impact=True)
        fits(page, viewport["width"])
        screenshot(page, f"public-instance-{name}")

        assert scripts == [], scripts  # no JavaScript at all on the public pages
        no_page_errors(page)


def test_the_public_pages_read_and_filter_without_javascript(demo: Demo, new_context: Any) -> None:
    context = new_context(viewport=PHONE, java_script_enabled=False)
    page = new_page(context)
    page.goto(demo.http + "/decouvrir/ateliers")
    expect(page.get_by_role("heading", name="1 atelier")).to_be_visible()
    page.get_by_label("État", exact=True).select_option("termine")
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"etat=termine"))
    expect(page.get_by_text("Aucun atelier ne correspond à ces filtres.")).to_be_visible()
    page.get_by_label("État", exact=True).select_option("actif")
    page.get_by_label("Instance", exact=True).select_option("CDJ")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()

    # Search, accents and plurals aside: « democraties » finds the atelier, highlighted.
    page.get_by_role(
        "searchbox", name="Rechercher dans les ateliers, propositions, sujets et projets"
    ).fill("democraties")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recherche : « democraties »")
    expect(page.locator("mark").first).to_have_text("démocratie")
    search = page.url
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(page.get_by_role("heading", name="Le sujet")).to_be_visible()
    expect(page.get_by_text("Eurométropole de Strasbourg")).to_be_visible()
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Past séances")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    screenshot(page, "public-atelier-en-nojs")
    english = page.url

    # axe-core needs a script to run: the same pages, checked where scripts may run.
    checked = new_page(new_context(viewport=PHONE))
    checked.goto(english)
    expect(checked.get_by_role("heading", name="Past séances")).to_be_visible()
    check_axe(checked, "public atelier page in English", every_impact=True)
    checked.goto(search)
    expect(checked.get_by_role("heading", name=re.compile(r"^\d+ résultats?$"))).to_be_visible()
    check_axe(checked, "public search page", every_impact=True)
    fits(checked, PHONE["width"])
    checked.goto(demo.http + "/decouvrir/ateliers/not-an-atelier")
    expect(checked.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    check_axe(checked, "public 404 page", every_impact=True)


def test_a_visitor_reading_in_english_joins_in_english(demo: Demo, new_context: Any) -> None:
    """The public door read in English (its « English » link, or a browser that puts English
    first) leads to a join screen in English: « Join a séance » opened the home screen in
    French, for everyone who had not switched it on that device before (H7 walk)."""
    chose = new_page(new_context(viewport=PHONE))
    chose.goto(demo.http + "/decouvrir/ateliers")
    chose.get_by_role("link", name="English").click()
    expect(chose.get_by_role("heading", level=1)).to_have_text("Discover the ateliers")
    chose.get_by_role("navigation").get_by_role("link", name="Join a séance").click()
    expect(chose.get_by_label("Session code")).to_be_visible()
    expect(chose.locator("html")).to_have_attribute("lang", "en")
    # The choice is kept: the next screen opened on this phone is in English too.
    chose.goto(demo.http + f"/rejoindre/{demo.join_code}")
    expect(chose.get_by_role("button", name="Continue")).to_be_visible()
    no_page_errors(chose)

    browser_english = new_page(new_context(viewport=PHONE, locale="en-GB"))
    browser_english.goto(demo.http + "/decouvrir")
    expect(browser_english.locator("html")).to_have_attribute("lang", "en")
    browser_english.get_by_role("navigation").get_by_role("link", name="Join a séance").click()
    expect(browser_english.get_by_label("Session code")).to_be_visible()
    # Switching to French there is kept over the browser's language.
    browser_english.get_by_role("button", name="Passer en français").click()
    expect(browser_english.get_by_label("Code de la séance")).to_be_visible()
    browser_english.reload()
    expect(browser_english.get_by_label("Code de la séance")).to_be_visible()
    no_page_errors(browser_english)

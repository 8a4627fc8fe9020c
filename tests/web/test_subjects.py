"""A subject's way in, in a browser (issue 22, #2): a resident proposes it with the public form
(no script on the page), the city's staff publish it from their screen, three residents support
it from their own phones (a fourth, the same person typed differently, is told so), the staff
constitute an AIC from it, and the atelier's public page links back to the subject. axe on
every page; screenshots at 390 × 844."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import (
    PHONE,
    Demo,
    check_axe,
    new_page,
    no_page_errors,
    running_demo,
    screenshot,
)

TITLE = "Des bancs à l’ombre place du Marché"
SUPPORTERS = [
    ("Zéphyrin Quatrebarbes", "Neudorf"),
    ("Aglaé Tournesol", "Neudorf"),
    ("Barnabé Lion", "Gare"),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    yield from running_demo(tmp_path_factory, ATELIER_SUBJECT_MIN_SUPPORTS="3")


def scripts_loaded(page: Any) -> list[str]:
    found: list[str] = []
    page.on(
        "response",
        lambda r: found.append(r.url) if r.request.resource_type == "script" else None,
    )
    return found


def test_a_subject_proposed_published_supported_and_constituted(
    demo: Demo, new_context: Any
) -> None:
    assert PHONE == {"width": 390, "height": 844}
    # A resident proposes, from the list of subjects.
    resident = new_page(new_context())
    scripts = scripts_loaded(resident)
    resident.goto(demo.http + "/decouvrir/sujets")
    expect(resident.get_by_role("heading", level=1)).to_have_text("Les sujets proposés")
    check_axe(resident, "subjects list (empty)", every_impact=True)
    resident.get_by_role("link", name="Proposer un sujet").first.click()
    expect(resident.get_by_role("heading", level=1)).to_have_text("Proposer un sujet")
    resident.get_by_label("Titre du sujet").fill(TITLE)
    resident.get_by_label("Quartier concerné").fill("Neudorf")
    resident.get_by_label("Pourquoi ?").fill("Les anciens n’ont nulle part où s’asseoir l’été.")
    resident.get_by_label("Votre nom (ou un nom d’usage)").fill("Léontine Pradel")
    resident.get_by_label("Votre quartier").fill("Neudorf")
    resident.get_by_label(re.compile("Afficher mon nom")).check()
    check_axe(resident, "propose form", every_impact=True)
    screenshot(resident, "subject-propose-phone")
    resident.get_by_role("button", name="Proposer ce sujet").click()
    expect(resident.get_by_role("status")).to_contain_text("votre sujet est envoyé")
    expect(resident).to_have_url(re.compile(r"/decouvrir/sujets/proposer\?envoye=1$"))
    check_axe(resident, "propose confirmation", every_impact=True)
    assert scripts == [], scripts  # the public pages load no script
    no_page_errors(resident)

    # The city's staff publish it from their screen.
    staff = new_page(new_context())
    staff.goto(f"{demo.http}/connexion#jeton={demo.server.staff_token()}")
    queue = staff.locator(
        "section", has=staff.get_by_role("heading", name=re.compile("Sujets proposés"))
    )
    subject = queue.locator("article", has=staff.get_by_role("heading", name=TITLE))
    expect(subject).to_contain_text("Proposé par Léontine Pradel (Neudorf)")
    expect(subject).to_contain_text("0 / 3 soutiens")
    check_axe(staff, "staff subjects queue")
    screenshot(staff, "subject-staff-queue-phone")
    subject.get_by_role("button", name="Publier").click()
    expect(subject.get_by_role("status")).to_have_text(f"« {TITLE} » est publié.")
    no_page_errors(staff)

    # Three residents support it from their phones; a fourth is the first one again.
    subject_url = ""
    for index, (name, hood) in enumerate([*SUPPORTERS, ("  zephyrin QUATREBARBES", "neudorf")]):
        page = new_page(new_context())
        page.goto(demo.http + "/decouvrir/sujets")
        page.get_by_role("link", name=TITLE).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
        subject_url = page.url
        if index == 0:
            expect(page.get_by_text("Léontine Pradel")).to_be_visible()
            check_axe(page, "subject page", every_impact=True)
        page.get_by_label("Votre nom").fill(name)
        page.get_by_label("Votre quartier").fill(hood)
        page.get_by_role("button", name="Je soutiens").click()
        if index < len(SUPPORTERS):
            expect(page.get_by_role("status")).to_have_text("Merci : votre soutien est compté.")
            expect(page.locator(".facts")).to_contain_text(f"{index + 1} / 3 soutiens")
        else:
            expect(page.get_by_role("alert")).to_contain_text("Vous soutenez déjà ce sujet")
            expect(page.locator(".facts")).to_contain_text("3 / 3 soutiens")
            expect(page.locator(".facts")).to_contain_text("seuil atteint")
            check_axe(page, "subject page, threshold reached", every_impact=True)
            screenshot(page, "subject-threshold-phone")
        for supporter, _ in SUPPORTERS:
            assert supporter not in page.content()

    # The staff constitute an AIC from it; its public page links the subject.
    staff.reload()
    subject = queue.locator("article", has=staff.get_by_role("heading", name=TITLE))
    expect(subject).to_contain_text("Seuil atteint")
    subject.get_by_role("button", name="Constituer un AIC").click()
    expect(subject.get_by_role("status")).to_contain_text("devient un atelier d’initiative")
    subject.get_by_role("link", name="Voir sa page publique").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(staff.locator("main")).to_contain_text("en constitution")
    expect(staff.locator("main")).to_contain_text("Léontine Pradel")  # its porteur
    check_axe(staff, "AIC constituted from a subject", every_impact=True)
    screenshot(staff, "subject-aic-phone")
    staff.get_by_role("link", name=TITLE).click()
    expect(staff).to_have_url(subject_url)
    expect(staff.locator("main")).to_contain_text("devenu un atelier d’initiative citoyenne")
    expect(staff.get_by_role("button", name="Je soutiens")).to_have_count(0)
    check_axe(staff, "subject that became an AIC", every_impact=True)


def test_staff_propose_for_the_cq_and_rank_its_subjects_with_the_keyboard(
    demo: Demo, new_context: Any
) -> None:
    staff = new_page(new_context())
    staff.goto(f"{demo.http}/connexion#jeton={demo.server.staff_token()}")
    form = staff.locator(
        "form", has=staff.get_by_role("heading", name="Proposer un sujet au nom d’une instance")
    )
    queue = staff.locator(
        "section", has=staff.get_by_role("heading", name=re.compile("Sujets proposés"))
    )
    titles = ["Fête des voisins rue du Jura", "Un jardin partagé à la Musau"]
    for title in titles:
        form.get_by_label("Instance").select_option("CQ")
        form.get_by_label("Titre du sujet").fill(title)
        form.get_by_label("Quartier concerné (vide : toute la ville)").fill("Neudorf")
        form.get_by_label("Pourquoi ?").fill("Se rencontrer entre voisins.")
        form.get_by_role("button", name="Proposer ce sujet").click()
        expect(form.get_by_role("status")).to_have_text(
            f"« {title} » est proposé au nom de CQ : il attend la modération."
        )
        subject = queue.locator("article", has=staff.get_by_role("heading", name=title))
        expect(subject).to_contain_text("Proposé par l’instance CQ")
        subject.get_by_role("button", name="Publier").click()
        expect(subject.get_by_role("status")).to_have_text(f"« {title} » est publié.")

    ranking = staff.locator(
        "section", has=staff.get_by_role("heading", name="Priorisation des sujets par une instance")
    )
    ranking.get_by_label("Instance").select_option("CQ")
    items = ranking.locator("ol li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text(titles[0])
    # With the keyboard: the first subject goes down one place.
    ranking.get_by_role("button", name=f"Descendre « {titles[0]} »").focus()
    staff.keyboard.press("Enter")
    expect(ranking.get_by_role("status")).to_have_text(f"« {titles[0]} » est maintenant n° 2.")
    expect(items.nth(0)).to_contain_text(titles[1])
    assert staff.evaluate("() => document.activeElement.getAttribute('aria-label')") == (
        f"Monter « {titles[0]} »"
    )  # the focus stays with the subject moved
    ranking.get_by_role("button", name="Enregistrer le classement").click()
    expect(ranking.get_by_role("status")).to_have_text("Classement de l’instance CQ enregistré.")
    check_axe(staff, "staff ranking")
    screenshot(staff, "subject-ranking-phone")
    no_page_errors(staff)

    public = new_page(new_context())
    public.goto(demo.http + "/decouvrir/instances/CQ")
    section = public.locator(
        "section", has=public.get_by_role("heading", name="Sujets proposés et priorisés")
    )
    expect(section.locator("li").nth(0)).to_contain_text(titles[1])
    expect(section.locator("li").nth(1)).to_contain_text(titles[0])
    expect(section).to_contain_text("n° 1")
    check_axe(public, "instance page with its subjects", every_impact=True)


def test_the_staff_subject_forms_put_each_label_above_its_field_on_a_laptop(
    demo: Demo, new_context: Any
) -> None:
    """H3: at 1366 px « Pourquoi ? » sat beside the bottom of its text box and « Titre du sujet »
    beside its field, each at its own width, while every other form of the site puts the label
    above: the staff's two subject forms read as the others do."""
    staff = new_page(new_context({"width": 1366, "height": 768}))
    staff.goto(f"{demo.http}/connexion#jeton={demo.server.staff_token()}")
    form = staff.locator(
        "form", has=staff.get_by_role("heading", name="Proposer un sujet au nom d’une instance")
    )
    ranking = staff.locator(
        "section", has=staff.get_by_role("heading", name="Priorisation des sujets par une instance")
    )
    for where, label in (
        (form, "Instance"),
        (form, "Titre du sujet"),
        (form, "Quartier concerné (vide : toute la ville)"),
        (form, "Pourquoi ?"),
        (ranking, "Instance"),
    ):
        field = where.get_by_label(label)
        text = where.locator("label", has_text=label).first
        above = text.bounding_box()
        below = field.bounding_box()
        assert above is not None
        assert below is not None
        assert above["y"] + above["height"] <= below["y"] + 1, (label, above, below)
        assert abs(above["x"] - below["x"]) <= 1, (label, above, below)
    no_page_errors(staff)

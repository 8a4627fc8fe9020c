"""Votes: the facilitator prepares and opens a poll in the console, a resident votes on a phone,
the projector follows it — a secret poll as a ballot box (the ballots cast, counted at the
close: any live result would give a ballot away by difference), a public one with live results;
a ballot screen for every method; hidden results revealed; a tie's run-off; a paper ballot within
the headcount, and the voter it was entered for is told. axe-core on each screen; screenshots
saved."""

from __future__ import annotations

import re
from typing import Any

import pytest

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


def open_poll(demo: Demo, title: str, method: str, options: list[str], **extra: Any) -> str:
    poll = demo.api(
        "POST",
        f"/api/sessions/{demo.session_id}/polls",
        json={"title": title, "method": method, "options": [{"label": o} for o in options]} | extra,
    )
    demo.api("POST", f"/api/polls/{poll['id']}/open")
    return str(poll["id"])


def projector(demo: Demo, new_context: Any) -> Any:
    page = new_page(new_context(DESKTOP))
    sign_in_facilitator(page, demo)
    page.goto(f"{demo.http}/projection/{demo.session_id}")
    page.get_by_role("status").filter(has_text="En direct").wait_for()
    return page


def projected(page: Any, title: str) -> Any:
    return page.locator("section.projected-poll", has=page.get_by_role("heading", name=title))


def test_a_vote_cast_on_a_phone_appears_on_the_projector(demo: Demo, new_context: Any) -> None:
    lead = new_page(new_context(DESKTOP))
    sign_in_facilitator(lead, demo)
    lead.get_by_role("link", name="Console d’animation").click()
    lead.get_by_role("heading", name="Votes").wait_for()
    lead.get_by_label("Question").fill("Par quoi commencer ?")
    lead.get_by_label("Méthode").select_option("plurality")
    lead.get_by_label("Options").fill("Jardin partagé\nBancs place Kléber\nComposteur")
    lead.get_by_role("button", name="Préparer le vote").click()
    card = lead.locator("article.poll", has_text="Par quoi commencer ?")
    card.get_by_role("button", name="Ouvrir le vote").click()
    card.get_by_role("button", name="Clore le vote").wait_for()
    check_axe(lead, "console with a poll")
    screenshot(lead, "50-console-poll")

    screen = projector(demo, new_context)
    poll = projected(screen, "Par quoi commencer ?")
    poll.get_by_text("Dépouillement à la clôture.").wait_for()

    phone = new_page(new_context())
    join_by_ui(phone, demo, "Nina")
    phone.get_by_role("link", name="Voter : Par quoi commencer ?").click()
    phone.get_by_role("heading", name=re.compile("Par quoi commencer")).wait_for()
    check_axe(phone, "ballot plurality")
    phone.get_by_label("Bancs place Kléber").check()
    screenshot(phone, "51-ballot-phone")
    phone.get_by_role("button", name="Envoyer mon vote").click()
    phone.get_by_role("status").filter(has_text="enregistré et compté").wait_for()

    # The projector: a secret poll is a ballot box while it runs — the ballot is in, no result
    # (announced to screen readers too); the console shows the same.
    poll.get_by_text("1 bulletin déposé").wait_for()
    poll.get_by_text("Dépouillement à la clôture.").wait_for()
    assert poll.locator(".bars").count() == 0
    screen.get_by_test_id("announcer").filter(has_text="1 bulletin déposé").wait_for()
    check_axe(screen, "projection, secret poll running", every_impact=True)
    assert screen.evaluate("() => document.documentElement.scrollHeight <= innerHeight")
    screenshot(screen, "52-projection-ballot-box")
    card.get_by_text("1 bulletin déposé").wait_for()
    assert card.locator(".bars").count() == 0
    assert card.get_by_text("Résultats par rôle").count() == 0

    # The phone may change its vote until the close: still one ballot in the box.
    phone.get_by_label("Composteur").check()
    phone.get_by_role("button", name="Modifier mon vote").click()
    phone.get_by_role("status").filter(has_text="enregistré et compté").wait_for()
    assert poll.locator(".turnout").inner_text() == "1 bulletin déposé"

    # At the close, the count: the changed vote, not the first one.
    card.get_by_role("button", name="Clore le vote").click()
    card.get_by_role("button", name="Oui, clore définitivement").click()
    phone.get_by_text("Le vote est clos.").wait_for()
    poll.get_by_text("Résultat : Composteur.").wait_for()
    poll.locator(".bars li", has_text="Composteur").get_by_text("1 voix").wait_for()
    poll.locator(".bars li", has_text="Bancs place Kléber").get_by_text("0 voix").wait_for()
    screen.get_by_test_id("announcer").filter(has_text="Composteur").wait_for()
    check_axe(screen, "projection with results", every_impact=True)
    screenshot(screen, "52-projection-results")
    no_page_errors(phone)
    no_page_errors(screen)


# Each method's poll settings beyond the defaults.
BALLOTS: dict[str, dict[str, Any]] = {
    "approval": {},
    "dots": {"params": {"dots_per_voter": 3, "max_per_option": 2}},
    "score": {},
    "borda": {},
    "irv": {},
    "schulze": {},
    "majority_judgment": {},
}


def fill_ballot(page: Any, method: str) -> None:
    """What a person does on each ballot screen: Ruelle first (approval: Ruelle alone)."""
    if method == "approval":
        page.get_by_label("Ruelle").check()
    elif method == "dots":
        add = page.get_by_role("button", name="Ajouter une gommette à Ruelle")
        add.click()
        add.click()
        assert add.is_disabled()  # at most 2 on one option
        page.get_by_role("button", name="Ajouter une gommette à Parvis").click()
        page.get_by_text("Il vous reste 0 gommette.").wait_for()
        assert page.get_by_role("button", name="Ajouter une gommette à Square").is_disabled()
    elif method == "score":
        for option, score in (("Ruelle", "5"), ("Parvis", "3"), ("Square", "0")):
            page.get_by_role("group", name=option).get_by_label(score, exact=True).check()
    elif method == "majority_judgment":
        for option, grade in (
            ("Ruelle", "Très bien"),
            ("Parvis", "Passable"),
            ("Square", "À rejeter"),
        ):
            page.get_by_role("group", name=option).get_by_label(grade, exact=True).check()
    elif method == "borda":
        # Starts in option order (Square, Parvis, Ruelle): move Ruelle to the top.
        page.get_by_role("button", name="Monter Ruelle").click()
        page.get_by_role("button", name="Monter Ruelle").click()
        assert page.locator("ol.ranking li").all_inner_texts()[0].startswith("1.")
    else:  # irv, schulze: rank some
        page.get_by_role("button", name="Classer Ruelle").click()
        page.get_by_role("button", name="Classer Parvis").click()


@pytest.mark.parametrize("method", list(BALLOTS))
def test_every_method_has_a_phone_ballot_and_a_result_at_the_close(
    demo: Demo, new_context: Any, method: str
) -> None:
    title = f"Où installer les bancs ? ({method})"
    poll_id = open_poll(demo, title, method, ["Square", "Parvis", "Ruelle"], **BALLOTS[method])
    screen = projector(demo, new_context)
    phone = new_page(new_context())
    join_by_ui(phone, demo, f"Votant {method}")
    phone.get_by_role("link", name=f"Voter : {title}").click()
    phone.get_by_role("heading", name=re.compile(re.escape(title))).wait_for()
    fill_ballot(phone, method)
    check_axe(phone, f"ballot {method}")
    screenshot(phone, f"60-ballot-{method}")
    phone.get_by_role("button", name="Envoyer mon vote").click()
    phone.get_by_role("status").filter(has_text="enregistré et compté").wait_for()
    # Secret (the default): the projector counts the ballot in the box, and shows no result.
    poll = projected(screen, title)
    poll.get_by_text("1 bulletin déposé").wait_for()
    poll.get_by_text("Dépouillement à la clôture.").wait_for()
    assert poll.locator(".verdict").count() == 0
    # At the close Ruelle wins on the projector, whatever the method.
    demo.api("POST", f"/api/polls/{poll_id}/close")
    poll.get_by_text("Résultat : Ruelle.").wait_for()
    if method == "dots":
        assert poll.locator(".dots-chart li", has_text="Ruelle").locator(".dot").count() == 2
    if method == "majority_judgment":
        poll.locator(".profiles li", has_text="Ruelle").get_by_text(
            "mention majoritaire : Très bien"
        ).wait_for()
    check_axe(screen, f"projection {method}", every_impact=True)
    assert screen.evaluate("() => document.documentElement.scrollHeight <= innerHeight")
    screenshot(screen, f"61-projection-{method}")
    no_page_errors(phone)


def test_hidden_results_show_at_the_close_and_a_tie_gets_a_run_off(
    demo: Demo, new_context: Any
) -> None:
    title = "Quel nom pour l’atelier ?"
    poll_id = open_poll(demo, title, "plurality", ["Agora", "Forum"], hide_results=True)
    screen = projector(demo, new_context)
    voters = []
    for name, choice in (("Olga", "Agora"), ("Paul", "Forum")):
        phone = new_page(new_context())
        join_by_ui(phone, demo, name)
        phone.goto(f"{demo.http}/vote/{poll_id}")
        phone.get_by_label(choice).check()
        phone.get_by_role("button", name="Envoyer mon vote").click()
        phone.get_by_role("status").filter(has_text="enregistré").wait_for()
        voters.append(phone)
    poll = projected(screen, title)
    poll.get_by_text("2 bulletins").wait_for()
    poll.get_by_text("Résultats masqués jusqu’à la clôture du vote.").wait_for()
    assert poll.locator(".bars").count() == 0

    lead = new_page(new_context(DESKTOP))
    sign_in_facilitator(lead, demo)
    lead.goto(f"{demo.http}/animation/{demo.session_id}")
    card = lead.locator("article.poll", has_text=title)
    card.get_by_role("button", name="Clore le vote").click()
    card.get_by_role("button", name="Oui, clore définitivement").click()
    card.get_by_role("button", name="Révéler les résultats").click()
    poll.get_by_text("Égalité en tête : Agora, Forum.").wait_for()
    card.get_by_role("button", name="Second tour entre les ex æquo").click()
    # The run-off opens at once, between the tied options, on the phones too.
    runoff = lead.locator("article.poll", has_text="second tour")
    runoff.get_by_role("button", name="Clore le vote").wait_for()
    # One run-off per question: the button is gone from the first round.
    assert card.get_by_role("button", name="Second tour entre les ex æquo").count() == 0
    voters[0].goto(f"{demo.http}/atelier/{demo.atelier_id}")
    voters[0].get_by_role("link", name=re.compile(f"Voter : {title}")).wait_for()
    screenshot(lead, "70-console-runoff")


def test_a_paper_ballot_goes_in_the_box_within_the_headcount_and_its_voter_is_told(
    demo: Demo, new_context: Any
) -> None:
    title = "Quel jour pour le marché ?"
    poll_id = open_poll(demo, title, "approval", ["Mercredi", "Samedi"])
    screen = projector(demo, new_context)
    lead = new_page(new_context(DESKTOP))
    sign_in_facilitator(lead, demo)
    lead.goto(f"{demo.http}/animation/{demo.session_id}")
    card = lead.locator("article.poll", has_text=title)
    card.get_by_text("Saisir un bulletin papier ou une procuration").click()
    card.get_by_label("Rôle de la personne").select_option("habitant")
    card.get_by_label("Provenance").select_option("papier")
    card.get_by_label("Samedi").check()
    check_axe(lead, "console paper ballot")
    screenshot(lead, "53-console-paper-ballot")
    # A ballot without a name needs the room's headcount first (the seed's 35 is cleared here):
    # the console says so and leads to the field, at the door.
    count = lead.get_by_label("Nombre de personnes présentes")
    assert count.input_value() == "35"
    count.fill("")
    lead.get_by_role("button", name="Enregistrer le nombre").click()
    lead.get_by_text("Nombre de personnes présentes effacé.").wait_for()
    card.get_by_role("button", name="Enregistrer ce bulletin").click()
    card.get_by_text("Comptez d’abord les personnes présentes").wait_for()
    card.get_by_role("button", name="Saisir le nombre de personnes présentes").click()
    assert lead.evaluate("() => document.activeElement?.id") == "headcount"
    count.fill("1")
    lead.get_by_role("button", name="Enregistrer le nombre").click()
    lead.get_by_text("Enregistré : 1 personne présente.").wait_for()
    card.get_by_role("button", name="Enregistrer ce bulletin").click()
    # In the box: counted on the projector, no result before the close.
    poll = projected(screen, title)
    poll.get_by_text("1 bulletin déposé").wait_for()
    assert poll.locator(".bars").count() == 0
    card.get_by_text("1 bulletin déposé").wait_for()
    # A second nameless ballot would be a person more than the room holds.
    card.get_by_text("Saisir un bulletin papier ou une procuration").click()
    card.get_by_label("Rôle de la personne").select_option("habitant")
    card.get_by_label("Mercredi").check()
    card.get_by_role("button", name="Enregistrer ce bulletin").click()
    card.get_by_text("La salle compte 1 personnes").wait_for()
    card.get_by_role("button", name="Recompter la salle").wait_for()
    count.fill("35")
    lead.get_by_role("button", name="Enregistrer le nombre").click()
    lead.get_by_text("Enregistré : 35 personnes présentes.").wait_for()

    # A ballot entered for a named participant: their phone says so, and offers no vote.
    phone = new_page(new_context())
    join_by_ui(phone, demo, "Rosa sans téléphone")
    rosa = next(
        p["id"]
        for p in demo.api("GET", f"/api/ateliers/{demo.atelier_id}/participants")
        if p["display_name"] == "Rosa sans téléphone"
    )
    demo.api(
        "POST",
        f"/api/polls/{poll_id}/proxy-ballots",
        json={"ballot": {"approve": ["o2"]}, "on_behalf_of": rosa, "origin": "procuration"},
    )
    poll.get_by_text("2 bulletins déposés").wait_for()
    phone.goto(f"{demo.http}/vote/{poll_id}")
    phone.get_by_text("L’animation a saisi un bulletin pour vous.").wait_for()
    assert phone.get_by_role("button", name="Envoyer mon vote").count() == 0
    check_axe(phone, "ballot entered for me", every_impact=True)
    screenshot(phone, "54-ballot-entered-for-me")

    # At the close: the count, and by role a single habitant·e ballot is withheld.
    card.get_by_role("button", name="Clore le vote").click()
    card.get_by_role("button", name="Oui, clore définitivement").click()
    poll.locator(".bars li", has_text="Samedi").get_by_text("2 soutiens").wait_for()
    card.get_by_text("Résultats par rôle").click()
    card.locator(".by-role-results").get_by_text("moins de 3 bulletins").wait_for()
    no_page_errors(phone)


def test_a_public_poll_shows_its_results_live(demo: Demo, new_context: Any) -> None:
    title = "Quelle couleur pour les bancs ?"
    open_poll(demo, title, "plurality", ["Vert", "Bleu"], secret=False)
    screen = projector(demo, new_context)
    phone = new_page(new_context())
    join_by_ui(phone, demo, "Victor")
    phone.get_by_role("link", name=f"Voter : {title}").click()
    phone.get_by_label("Bleu").check()
    phone.get_by_role("button", name="Envoyer mon vote").click()
    phone.get_by_role("status").filter(has_text="enregistré et compté").wait_for()
    poll = projected(screen, title)
    poll.locator(".bars li", has_text="Bleu").get_by_text("1 voix").wait_for()
    poll.get_by_text("En tête : Bleu.").wait_for()
    assert poll.locator(".ballot-box").count() == 0
    check_axe(screen, "projection, public poll live", every_impact=True)
    screenshot(screen, "55-projection-public-live")


def test_the_dots_ballot_keeps_the_keyboard_focus_when_a_button_runs_out(
    demo: Demo, new_context: Any
) -> None:
    """A keyboard user pressing « + » up to an option's cap (or « − » down to zero) stays in
    the ballot: the button that just turned disabled hands the focus to its neighbour, where
    it used to drop to the page's top and the next key press went nowhere (H7 walk)."""
    title = "Combien de gommettes pour le parvis ?"
    open_poll(
        demo,
        title,
        "dots",
        ["Square", "Parvis"],
        params={"dots_per_voter": 3, "max_per_option": 2},
    )
    phone = new_page(new_context())
    join_by_ui(phone, demo, "Gaëlle au clavier")
    phone.get_by_role("link", name=f"Voter : {title}").click()
    add = phone.get_by_role("button", name="Ajouter une gommette à Parvis")
    remove = phone.get_by_role("button", name="Retirer une gommette de Parvis")
    add.focus()
    phone.keyboard.press("Enter")
    phone.keyboard.press("Enter")
    phone.get_by_text("Il vous reste 1 gommette.").wait_for()
    assert add.is_disabled()  # the cap of 2 on one option
    assert remove.evaluate("el => el === document.activeElement")
    phone.keyboard.press("Enter")
    phone.keyboard.press("Enter")
    phone.get_by_text("Il vous reste 3 gommettes.").wait_for()
    assert remove.is_disabled()
    assert add.evaluate("el => el === document.activeElement")
    no_page_errors(phone)


def test_a_ballot_sent_with_no_network_says_so_and_the_keyboard_sends_it_again(
    demo: Demo, new_context: Any
) -> None:
    """Enter on « Envoyer mon vote » while the phone is offline: the alert says there is no
    network, and the focus stays on the button (it used to fall to the page's top while the
    button was disabled), so Enter again, once back online, casts the ballot (H7 walk)."""
    title = "Quel arbre pour la cour ?"
    open_poll(demo, title, "plurality", ["Tilleul", "Érable"])
    context = new_context()
    phone = new_page(context)
    join_by_ui(phone, demo, "Omar hors ligne")
    phone.get_by_role("link", name=f"Voter : {title}").click()
    phone.get_by_label("Tilleul").check()
    send = phone.get_by_role("button", name="Envoyer mon vote")
    send.focus()
    context.set_offline(True)
    phone.keyboard.press("Enter")
    phone.get_by_role("alert").filter(has_text="Pas de réseau pour l’instant").wait_for()
    assert send.evaluate("el => el === document.activeElement")
    context.set_offline(False)
    phone.keyboard.press("Enter")
    phone.get_by_role("status").filter(has_text="enregistré").wait_for()
    change = phone.get_by_role("button", name="Modifier mon vote")
    assert change.evaluate("el => el === document.activeElement")
    assert phone.get_by_role("alert").filter(has_text="Pas de réseau").count() == 0
    no_page_errors(phone)


def test_the_console_enters_a_proxy_ballot_for_a_participant_by_name(
    demo: Demo, new_context: Any
) -> None:
    """« Saisir un bulletin papier ou une procuration » asks « Pour qui ? »: a participant by
    name (one ballot for them, and their phone then says it was entered for them) or someone
    unnamed of a role. The console offered the role alone, so a named proxy, and the guard
    against that person voting again on a phone, were out of the screens' reach (H7 walk)."""
    title = "Quelle heure pour la réunion publique ?"
    poll_id = open_poll(demo, title, "plurality", ["18 h", "20 h"])
    phone = new_page(new_context())
    join_by_ui(phone, demo, "Rosalie par procuration")
    lead = new_page(new_context(DESKTOP))
    sign_in_facilitator(lead, demo)
    lead.goto(f"{demo.http}/animation/{demo.session_id}")
    card = lead.locator("article.poll", has_text=title)
    card.get_by_text("Saisir un bulletin papier ou une procuration").click()
    who = card.get_by_label("Pour qui ?")
    who.locator("option", has_text="Rosalie par procuration").wait_for(state="attached")
    who.select_option(label="Rosalie par procuration — habitant·e")
    assert card.get_by_label("Rôle de la personne").is_hidden()  # hers, known to the server
    card.get_by_label("Provenance").select_option("procuration")
    card.get_by_label("20 h").check()
    check_axe(lead, "console proxy ballot for a participant")
    card.get_by_role("button", name="Enregistrer ce bulletin").click()
    card.get_by_text("1 bulletin déposé").wait_for()
    phone.goto(f"{demo.http}/vote/{poll_id}")
    phone.get_by_text("L’animation a saisi un bulletin pour vous.").wait_for()
    assert phone.get_by_role("button", name="Envoyer mon vote").count() == 0
    # A second ballot for her is refused, and the console says why.
    card.get_by_text("Saisir un bulletin papier ou une procuration").click()
    card.get_by_label("Pour qui ?").locator("option", has_text="Rosalie").wait_for(state="attached")
    card.get_by_label("Pour qui ?").select_option(label="Rosalie par procuration — habitant·e")
    card.get_by_label("18 h").check()
    card.get_by_role("button", name="Enregistrer ce bulletin").click()
    card.get_by_role("alert").filter(has_text=re.compile(r"\S")).wait_for()
    screenshot(lead, "56-console-proxy-by-name")
    no_page_errors(lead)


def test_a_majority_judgment_reads_its_grades_in_english_on_an_english_phone(
    demo: Demo, new_context: Any
) -> None:
    """The grades of a majority judgment are the poll's words, French by default: on a phone
    in English the ballot offered « Très bien … À rejeter » and the result « majority grade:
    Bien ». One of the console's scales now reads in the reader's language (H7 walk)."""
    title = "Which square first?"
    poll_id = open_poll(demo, title, "majority_judgment", ["Kléber", "Gutenberg"])
    phone = new_page(new_context(locale="en-GB"))
    join_by_ui_in_english(phone, demo, "Jane")
    phone.goto(f"{demo.http}/vote/{poll_id}")
    phone.get_by_role("heading", name=re.compile(title)).wait_for()
    assert phone.get_by_text("Très bien").count() == 0
    phone.get_by_role("group", name="Kléber").get_by_label("Very good", exact=True).check()
    phone.get_by_role("group", name="Gutenberg").get_by_label("Fair", exact=True).check()
    phone.get_by_role("button", name="Send my vote").click()
    phone.get_by_role("status").filter(has_text="recorded").wait_for()
    demo.api("POST", f"/api/polls/{poll_id}/close")
    phone.get_by_text("majority grade: Very good").wait_for()
    assert phone.get_by_text("Bien", exact=True).count() == 0
    no_page_errors(phone)


def join_by_ui_in_english(page: Any, demo: Demo, name: str) -> None:
    page.goto(f"{demo.http}/rejoindre/{demo.join_code}")
    page.get_by_label("I have read the charter and I accept it").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Your first name, name or nickname").fill(name)
    page.locator("input[name=role][value=habitant]").check()
    page.get_by_role("button", name="Join the session").click()
    page.wait_for_url(re.compile(r"/atelier/"))

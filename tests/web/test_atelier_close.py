"""Closing an atelier in the browser, with the keyboard: the facilitator, on the atelier's
screen, types a public reason and closes it in two steps (« Clore l'atelier… », then « Oui,
clore l'atelier »; « Ne pas clore » or Escape puts it back); the screen says it is done where the
focus is, shows the atelier « clos » with the reason, and no longer offers to schedule a séance,
edit the atelier or close it again. Someone then typing the séance's code on a phone reads on the
first screen that the atelier is closed, by name, and why. A proposal's editor open meanwhile
turns read-only and says « Atelier clos »; the séance's console offers no « Nouveau code ».
axe-core with no violation at any impact."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.web.conftest import check_axe, new_page, no_page_errors, press
from tests.web.test_atelier_from_empty_part1 import Empty, running_empty
from tests.web.test_seance_cancel import atelier_with_a_seance, no_sideways_scroll

pytest.importorskip("playwright")
from playwright.sync_api import expect

REASON = "Le jardin est livré : merci à toutes et à tous"


def one_notice(page: Any) -> None:
    """The console says once that the atelier is closed, and nothing of a cancellation."""
    expect(page.get_by_test_id("console-closed")).to_be_visible()
    expect(page.get_by_test_id("cancel-banner")).to_be_empty()
    expect(page.get_by_text("Cette séance est annulée.")).to_have_count(0)
    expect(page.get_by_role("status").filter(has_text="Atelier clos")).to_have_count(1)


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Empty]:
    yield from running_empty(tmp_path_factory)


def test_a_facilitator_closes_the_atelier_and_its_code_then_says_clos(
    empty: Empty, new_context: Any
) -> None:
    atelier, seance, token = atelier_with_a_seance(empty)
    page = new_page(new_context())
    page.goto(f"{empty.http}/atelier/{atelier}#token={token}")
    panel = page.locator("section.organiser")
    expect(panel.get_by_role("heading", name="Clore l’atelier")).to_be_visible()
    expect(panel.get_by_role("link", name="Programmer une séance")).to_be_visible()
    check_axe(page, "atelier, clôture proposée", every_impact=True)

    # In another window, the proposal's editor is open, writable.
    writer = new_page(new_context())
    writer.goto(f"{empty.http}/atelier/{atelier}#token={token}")
    expect(writer.locator("section.organiser")).to_be_visible()
    proposal = writer.evaluate(
        "async ([a, t]) => (await (await fetch(`/api/ateliers/${a}/proposals`, {method: 'POST',"
        " headers: {authorization: `Bearer ${t}`, 'content-type': 'application/json'},"
        " body: JSON.stringify({title: 'Un jardin partagé', kind: 'fiche_action'})})).json()).id",
        [atelier, token],
    )
    writer.goto(f"{empty.http}/proposition/{proposal}")
    writer.get_by_test_id("sync-state").filter(has_text="En ligne").wait_for()
    text = writer.locator('[data-section="constat"] .ProseMirror')
    expect(text).to_have_attribute("contenteditable", "true")

    reason = panel.get_by_label("Motif (facultatif)")
    reason.focus()
    page.keyboard.type(REASON)
    press(page, "Tab")
    start = panel.get_by_role("button", name="Clore l’atelier…")
    expect(start).to_be_focused()
    # Asked, then put back with Escape: nothing is closed, the focus is back where it was.
    press(page, "Enter")
    confirm = panel.get_by_role("button", name="Oui, clore l’atelier")
    expect(confirm).to_be_focused()
    expect(panel).to_contain_text("Clore l’atelier « Jardins du Neudorf » ?")
    check_axe(page, "confirmation de clôture", every_impact=True)
    press(page, "Escape")
    expect(start).to_be_focused()
    expect(confirm).to_be_hidden()
    press(page, "Enter")
    expect(confirm).to_be_focused()
    press(page, "Enter")

    done = page.get_by_role("status").filter(has_text="L’atelier est clos")
    expect(done).to_be_focused()
    closed = page.get_by_test_id("atelier-closed")
    expect(closed).to_contain_text("Atelier clos depuis le ")
    expect(page.get_by_test_id("constitution")).to_contain_text(f"Motif : {REASON}")
    # What no longer applies is gone; the séances stay listed, with no way to change them.
    panel = page.locator("section.organiser")
    expect(panel.get_by_role("link", name="Programmer une séance")).to_have_count(0)
    expect(panel.get_by_role("link", name="Modifier l’atelier")).to_have_count(0)
    expect(panel.get_by_role("button", name="Clore l’atelier…")).to_have_count(0)
    expect(panel.get_by_role("link", name="Séance 1")).to_be_visible()
    expect(panel.get_by_role("link", name="modifier", exact=False)).to_have_count(0)
    check_axe(page, "atelier clos", every_impact=True)
    # Read again from the server, it says the same.
    page.reload()
    expect(page.get_by_test_id("atelier-closed")).to_contain_text("Atelier clos depuis le ")
    no_page_errors(page)

    # The open editor turned read-only without a reload, and says why; the text is still there.
    expect(writer.get_by_test_id("access-notice")).to_have_text(
        "Atelier clos : le texte se lit, il ne se modifie plus. Rien n’a été effacé."
    )
    expect(text).to_have_attribute("contenteditable", "false")
    check_axe(writer, "éditeur d’un atelier clos", every_impact=True)
    no_page_errors(writer)
    # The séance's console offers no new code, and says why its code shows no QR code.
    writer.goto(f"{empty.http}/animation/{seance}")
    expect(writer.get_by_test_id("join-closed")).to_contain_text("L’atelier est clos")
    expect(writer.get_by_test_id("join-cancelled")).to_be_hidden()
    expect(writer.locator("img.qr")).to_be_hidden()
    expect(writer.get_by_role("button", name="Nouveau code")).to_be_hidden()
    # Said once, at the top, where a screen reader hears it; what the server now refuses (409
    # atelier_closed) is not offered: no walk-in, headcount, new proposal, poll nor next séance.
    expect(writer.get_by_test_id("console-closed")).to_have_text(
        "Atelier clos : rien ne s’y modifie plus — ni propositions, ni votes, ni inscriptions "
        "à l’accueil. Tout ce qu’il a écrit reste consultable."
    )
    expect(writer.get_by_test_id("console-closed")).to_have_attribute("role", "status")
    # Closing cancelled the séance too; the closed-atelier notice says it, alone: no second
    # notice « Cette séance est annulée. Motif : Atelier clos : … » beside it.
    one_notice(writer)
    for gone_now in ("Inscrire et pointer", "Enregistrer le nombre", "Préparer un nouveau vote"):
        expect(writer.get_by_role("button", name=gone_now)).to_have_count(0)
    expect(writer.locator("#new-proposal-title")).to_be_hidden()
    expect(writer.locator("#new-poll-title")).to_be_hidden()
    expect(writer.locator("#next-seance-title")).to_be_hidden()
    # Its proposal is listed, to open and read; not renamed, locked, archived nor redrafted.
    listed = writer.get_by_test_id("proposals-current")
    expect(listed.get_by_role("link", name="Ouvrir")).to_have_count(1)
    expect(listed.get_by_role("button")).to_have_count(0)
    # The séance was not held: its sign-in sheet is not offered either (409 session_cancelled).
    expect(writer.get_by_role("button", name="Imprimer la feuille d’émargement")).to_have_count(0)
    check_axe(writer, "console d’un atelier clos", every_impact=True)
    no_page_errors(writer)

    code = page.evaluate(
        "async ([s, t]) => (await (await fetch(`/api/sessions/${s}`,"
        " {headers: {authorization: `Bearer ${t}`}})).json()).join_code",
        [seance, token],
    )
    phone = new_page(new_context())
    phone.goto(f"{empty.http}/")
    typed = phone.get_by_label("Code de la séance")
    typed.focus()
    phone.keyboard.type(f"{code[:4]}-{code[4:]}".lower())  # as read aloud in the room
    press(phone, "Enter")
    said = phone.get_by_role("alert")
    expect(said).to_contain_text("L’atelier « Jardins du Neudorf » est clos")
    expect(said).to_contain_text("il n’accueille plus de participant·es.")
    expect(said).to_contain_text(f"Motif : {REASON}")
    expect(phone.get_by_role("checkbox")).to_have_count(0)  # no charter to accept
    expect(phone.get_by_role("link", name="Saisir un autre code")).to_be_visible()
    check_axe(phone, "code d’un atelier clos", every_impact=True)
    no_sideways_scroll(phone)
    no_page_errors(phone)


def test_a_console_open_while_the_atelier_closes_says_it_once(
    empty: Empty, new_context: Any
) -> None:
    """Closing cancels the séances ahead, live: the open console hears the cancellation
    (reason « Atelier clos : … ») and says only that the atelier is closed."""
    atelier, seance, token = atelier_with_a_seance(empty)
    console = new_page(new_context())
    console.goto(f"{empty.http}/atelier/{atelier}#token={token}")
    expect(console.locator("section.organiser")).to_be_visible()
    console.goto(f"{empty.http}/animation/{seance}")
    expect(console.get_by_role("button", name="Commencer la séance")).to_be_visible()
    expect(console.locator(".live-state[data-state=open]")).to_have_text("En direct")
    expect(console.get_by_test_id("console-closed")).to_be_hidden()

    closed = httpx.post(
        f"{empty.http}/api/ateliers/{atelier}/close",
        json={"reason": REASON},
        headers={"authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert closed.status_code == 200, closed.text
    one_notice(console)
    expect(console.get_by_role("button", name="Commencer la séance")).to_have_count(0)
    expect(console.get_by_role("button", name="Nouveau code")).to_be_hidden()
    check_axe(console, "console ouverte pendant la clôture", every_impact=True)
    # Read again from the server, the same single notice.
    console.reload()
    one_notice(console)
    no_page_errors(console)


def joined(empty: Empty, seance: str, token: str, name: str) -> dict[str, Any]:
    """``name`` joins the séance from a phone with its code: their token and participant."""
    auth = {"authorization": f"Bearer {token}"}
    code = httpx.get(f"{empty.http}/api/sessions/{seance}", headers=auth, timeout=20).json()
    body = {"display_name": name, "role": "habitant", "accept_charter_version": 1}
    answer = httpx.post(f"{empty.http}/api/join/{code['join_code']}", json=body, timeout=20)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_attendance_is_not_offered_once_the_atelier_closes(empty: Empty, new_context: Any) -> None:
    """The door and a participant's screen, open while the atelier closes, stop offering to
    check anyone in or out (the server answers 409 atelier_closed) and say why, live and on a
    fresh load; who was checked in is still listed."""
    atelier, seance, token = atelier_with_a_seance(empty)
    ana, bruno = (joined(empty, seance, token, name) for name in ("Ana", "Bruno"))
    here = httpx.post(
        f"{empty.http}/api/sessions/{seance}/check-in",
        headers={"authorization": f"Bearer {ana['token']}"},
        timeout=20,
    )
    assert here.status_code == 200, here.text
    console = new_page(new_context({"width": 1366, "height": 768}))
    console.goto(f"{empty.http}/atelier/{atelier}#token={token}")
    expect(console.locator("section.organiser")).to_be_visible()
    console.goto(f"{empty.http}/animation/{seance}")
    expect(console.locator(".live-state[data-state=open]")).to_have_text("En direct")
    door = console.get_by_test_id("door")
    door.get_by_label("Nom de la personne").fill("bru")
    check_in = door.get_by_role("button", name="Pointer l’arrivée de Bruno")
    check_out = door.get_by_role("button", name="Pointer le départ de Ana")
    expect(check_in).to_be_visible()
    expect(check_out).to_be_visible()
    expect(door.get_by_test_id("door-closed")).to_be_hidden()
    phone = new_page(new_context())
    phone.goto(f"{empty.http}/atelier/{atelier}?seance={seance}#token={bruno['token']}")
    expect(phone.get_by_role("button", name="Je suis présent·e")).to_be_visible()
    expect(phone.get_by_role("button", name="Je quitte la séance")).to_be_visible()
    expect(phone.get_by_test_id("check-in-closed")).to_be_hidden()

    closed = httpx.post(
        f"{empty.http}/api/ateliers/{atelier}/close",
        json={"reason": REASON},
        headers={"authorization": f"Bearer {token}"},
        timeout=20,
    )
    assert closed.status_code == 200, closed.text
    for fresh in (False, True):
        if fresh:  # read again from the server, the same
            console.reload()
            phone.reload()
            door = console.get_by_test_id("door")
            door.get_by_label("Nom de la personne").fill("bru")
        said = door.get_by_test_id("door-closed")
        expect(said).to_have_text(
            "Atelier clos : on ne pointe plus ni arrivée ni départ ; la liste de présence reste "
            "telle qu’à la clôture."
        )
        expect(door.locator(".door-results li", has_text="Bruno")).to_be_visible()
        expect(door.get_by_role("button", name=re.compile("^Pointer"))).to_have_count(0)
        expect(door.get_by_test_id("door-here")).to_contain_text("Ana")
        one_notice(console)  # the console's notice stays the only status that says it
        expect(phone.get_by_test_id("check-in-closed")).to_have_text(
            "Atelier clos : les présences ne se pointent plus ; celles déjà notées restent."
        )
        expect(phone.get_by_role("button", name="Je suis présent·e")).to_have_count(0)
        expect(phone.get_by_role("button", name="Je quitte la séance")).to_have_count(0)
    check_axe(console, "accueil d’un atelier clos", every_impact=True)
    check_axe(phone, "présences d’un atelier clos", every_impact=True)
    no_sideways_scroll(phone)
    no_page_errors(console)
    no_page_errors(phone)


def test_a_started_seances_screens_hear_the_atelier_close_and_reopen(
    empty: Empty, new_context: Any
) -> None:
    """A séance under way is not cancelled by the closing; a participant's screen, the console
    and the projector hear it all the same (``atelier_closed``) and stop offering what the server
    now refuses (the projected code opens nothing: 410), without a reload; reopened by the city
    (``atelier_reopened``), they offer it again."""
    atelier, seance, token = atelier_with_a_seance(empty)
    bruno = joined(empty, seance, token, "Bruno")
    auth = {"authorization": f"Bearer {token}"}
    started = httpx.post(
        f"{empty.http}/api/sessions/{seance}/step", json={"move": "start"}, headers=auth, timeout=20
    )
    assert started.status_code == 200, started.text
    console = new_page(new_context({"width": 1366, "height": 768}))
    console.goto(f"{empty.http}/atelier/{atelier}#token={token}")
    expect(console.locator("section.organiser")).to_be_visible()
    console.goto(f"{empty.http}/animation/{seance}")
    expect(console.locator(".live-state[data-state=open]")).to_have_text("En direct")
    expect(console.get_by_test_id("console-closed")).to_be_hidden()
    door = console.get_by_test_id("door")
    expect(door.get_by_test_id("door-closed")).to_be_hidden()
    projector = new_page(console.context)
    projector.set_viewport_size({"width": 1280, "height": 720})
    projector.goto(f"{empty.http}/projection/{seance}")
    expect(projector.locator(".live-state[data-state=open]")).to_have_text("En direct")
    expect(projector.locator("img.qr-large")).to_be_visible()
    expect(projector.get_by_test_id("projection-closed")).to_be_empty()
    phone = new_page(new_context())
    phone.goto(f"{empty.http}/atelier/{atelier}?seance={seance}#token={bruno['token']}")
    expect(phone.locator(".live-state[data-state=open]")).to_have_text("En direct")
    expect(phone.get_by_role("button", name="Je suis présent·e")).to_be_visible()
    expect(phone.get_by_test_id("atelier-closed")).to_have_count(0)

    closed = httpx.post(
        f"{empty.http}/api/ateliers/{atelier}/close",
        json={"reason": REASON},
        headers=auth,
        timeout=20,
    )
    assert closed.status_code == 200, closed.text
    # The participant: where the atelier stands says « clos » and why, and attendance is no
    # longer offered (409 atelier_closed), as on loading it.
    expect(phone.get_by_test_id("atelier-closed")).to_contain_text("Atelier clos depuis le ")
    expect(phone.get_by_test_id("constitution")).to_contain_text(f"Motif : {REASON}")
    expect(phone.get_by_test_id("check-in-closed")).to_be_visible()
    expect(phone.get_by_role("button", name="Je suis présent·e")).to_have_count(0)
    expect(phone.get_by_test_id("cancel-banner")).to_be_empty()  # a séance under way goes on
    # The console: the notice, once; no walk-in at the door, no new proposal nor poll.
    one_notice(console)
    expect(door.get_by_test_id("door-closed")).to_be_visible()
    expect(console.get_by_role("button", name="Inscrire et pointer")).to_have_count(0)
    expect(console.locator("#new-proposal-title")).to_be_hidden()
    expect(console.locator("#new-poll-title")).to_be_hidden()
    # The projector: « Atelier clos » and why, in place of a code and a QR code that open nothing.
    said = projector.get_by_test_id("projection-closed")
    expect(said).to_contain_text("Atelier clos depuis le ")
    expect(said).to_contain_text(f"Motif : {REASON}")
    expect(projector.locator("img.qr-large")).to_be_hidden()
    expect(projector.locator(".big-code")).to_be_hidden()
    expect(projector.get_by_test_id("cancel-banner")).to_be_empty()
    assert projector.evaluate("() => document.documentElement.scrollHeight") <= 720
    projector.reload()  # read again from the server, the same
    expect(projector.get_by_test_id("projection-closed")).to_contain_text(f"Motif : {REASON}")
    expect(projector.locator("img.qr-large")).to_be_hidden()
    check_axe(projector, "projection, atelier clos", every_impact=True)
    check_axe(phone, "séance en cours, atelier clos", every_impact=True)
    check_axe(console, "console d’une séance en cours, atelier clos", every_impact=True)
    no_sideways_scroll(phone)

    staff = {"authorization": f"Bearer {empty.server.staff_token()}"}
    reopened = httpx.post(f"{empty.http}/api/ateliers/{atelier}/reopen", headers=staff, timeout=20)
    assert reopened.status_code == 200, reopened.text
    expect(phone.get_by_role("button", name="Je suis présent·e")).to_be_visible()
    expect(phone.get_by_test_id("check-in-closed")).to_be_hidden()
    expect(phone.get_by_test_id("atelier-closed")).to_have_count(0)
    expect(console.get_by_test_id("console-closed")).to_be_hidden()
    expect(door.get_by_test_id("door-closed")).to_be_hidden()
    expect(console.locator("#new-proposal-title")).to_be_visible()
    expect(projector.locator("img.qr-large")).to_be_visible()
    expect(projector.get_by_test_id("projection-closed")).to_be_empty()
    no_page_errors(console)
    no_page_errors(projector)
    no_page_errors(phone)


def test_a_phone_offline_while_the_atelier_closes_says_it_once_back(
    empty: Empty, new_context: Any
) -> None:
    """A participant's phone that was offline (asleep) when the atelier closed, then when it
    reopened, reads it in the snapshot it gets on reconnecting: no reload needed."""
    atelier, seance, token = atelier_with_a_seance(empty)
    bruno = joined(empty, seance, token, "Bruno")
    auth = {"authorization": f"Bearer {token}"}
    started = httpx.post(
        f"{empty.http}/api/sessions/{seance}/step", json={"move": "start"}, headers=auth, timeout=20
    )
    assert started.status_code == 200, started.text
    context = new_context()
    phone = new_page(context)
    phone.goto(f"{empty.http}/atelier/{atelier}?seance={seance}#token={bruno['token']}")
    live = phone.locator(".live-state")
    expect(live).to_have_text("En direct")
    present = phone.get_by_role("button", name="Je suis présent·e")
    expect(present).to_be_visible()

    context.set_offline(True)
    expect(live).to_have_text(re.compile("^Hors ligne"))
    closed = httpx.post(
        f"{empty.http}/api/ateliers/{atelier}/close",
        json={"reason": REASON},
        headers=auth,
        timeout=20,
    )
    assert closed.status_code == 200, closed.text
    context.set_offline(False)
    expect(live).to_have_text("En direct")
    expect(phone.get_by_test_id("check-in-closed")).to_be_visible()
    expect(present).to_have_count(0)
    expect(phone.get_by_test_id("constitution")).to_contain_text(f"Motif : {REASON}")

    context.set_offline(True)
    expect(live).to_have_text(re.compile("^Hors ligne"))
    staff = {"authorization": f"Bearer {empty.server.staff_token()}"}
    reopened = httpx.post(f"{empty.http}/api/ateliers/{atelier}/reopen", headers=staff, timeout=20)
    assert reopened.status_code == 200, reopened.text
    context.set_offline(False)
    expect(live).to_have_text("En direct")
    expect(present).to_be_visible()
    expect(phone.get_by_test_id("atelier-closed")).to_have_count(0)
    no_page_errors(phone)

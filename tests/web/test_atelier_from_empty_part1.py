"""Issue 19, items 2 and 3 in the browser, from an EMPTY database (no demo): the city's staff
sign in with the link `atelier facilitator-invite` prints, create an atelier de projet with its
charter, upload its logo and schedule séance 1 with the seed's method steps; a resident with
no credential starts an atelier d'initiative citoyenne, which says it waits for approval, and
the staff approve it from /connexion; a revoked link says so. The test itself makes no HTTP
call: only the browser (and the operator's command line) act. axe-core with no violation at
any impact on each new screen; screenshots at 1366×768 and 390×844 in /tmp/shots/."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from tests.conftest import TEST_SECRET, ServerProcess
from tests.web.conftest import PHONE, _cli, check_axe, new_page, no_page_errors

pytest.importorskip("playwright")
from playwright.sync_api import expect

SHOTS = Path(os.environ.get("ATELIER_SHOTS", "/tmp/shots"))
DESKTOP = {"width": 1366, "height": 768}
STAFF = "Claire, démocratie locale"
METHOD_STEPS = [
    "Rappel de la démarche du Sommet Citoyen et des objectifs des ateliers de faisabilité",
    "Présentation des différents rôles (habitants, élus, agents, animatrices) au sein de l’atelier",
    "Présentation des agents de l’Eurométropole",
    "Introduction et présentation du cadre de travail",
    "Lecture des propositions issues de la fiche action",
    "Questionnements et échanges sur les processus souhaités de mise en place en regard de "
    "l’existant et des contraintes",
    "Liste des points à traiter lors du second volet en janvier 2018",
]


class Empty:
    """A server on an empty database, and the operator's command line on it."""

    def __init__(self, server: ServerProcess, env: dict[str, str]) -> None:
        self.server = server
        self.env = env

    @property
    def http(self) -> str:
        return self.server.http

    def cli(self, *args: str) -> str:
        return _cli(self.env, *args).strip().splitlines()[-1]

    def staff_link(self, name: str = STAFF) -> str:
        return self.cli("facilitator-invite", "--name", name, "--base-url", self.http)


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Empty]:
    yield from running_empty(tmp_path_factory)


def running_empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Empty]:
    """A server on an empty database (migrated, no demo), running while the caller holds it."""
    folder = tmp_path_factory.mktemp("empty")
    url = f"sqlite+aiosqlite:///{folder / 'atelier.db'}"
    env = {**os.environ, "ATELIER_DATABASE_URL": url, "ATELIER_SECRET_KEY": TEST_SECRET}
    _cli(env, "db", "upgrade")
    server = ServerProcess(url, log_path=folder / "server.log")
    with server.running():
        yield Empty(server, env)


def shoot(page: Any, name: str, folder: Path = SHOTS) -> None:
    """The screen at 1366×768 and at 390×844 (then back to the page's own size)."""
    folder.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for label, viewport in (("1366", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        # Two animation frames: the page has laid out and painted at its new width.
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(size)


def png(width: int = 64, height: int = 64) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (31, 58, 95)).save(out, format="PNG")
    return out.getvalue()


def test_staff_create_an_atelier_de_projet_with_charter_logo_and_seance(
    empty: Empty, new_context: Any
) -> None:
    page = new_page(new_context(DESKTOP))
    staff_create_the_ap_and_seance_1(page, empty, shoot)
    no_page_errors(page)


def staff_create_the_ap_and_seance_1(
    page: Any, empty: Empty, shot: Callable[[Any, str], None]
) -> tuple[str, str, str]:
    """The city's staff, from the operator's link: the AP with its charter and logo, then séance 1
    of the seed with its seven method steps. Returns the atelier, séance 1 and its join code."""
    # The link the operator's command prints signs in; the token leaves the address bar at once.
    page.goto(empty.staff_link())
    expect(page.get_by_text(f"Connecté·e : {STAFF}")).to_be_visible()
    assert "jeton" not in page.url
    expect(page.get_by_text("Aucun atelier n’attend d’approbation.")).to_be_visible()
    check_axe(page, "connexion", every_impact=True)
    shot(page, "01-connexion")

    page.get_by_role("link", name="Créer un atelier de projet").click()
    expect(page.get_by_role("heading", level=1, name="Créer un atelier de projet")).to_be_visible()
    expect(page.locator("input[name=kind][value=projet]")).to_be_checked()
    # The browser refuses an empty title with the server's words, on the field.
    page.get_by_role("button", name="Créer l’atelier").click()
    title = page.get_by_label("Titre de l’atelier")
    expect(page.get_by_role("alert")).to_have_text("Le titre est obligatoire.")
    expect(title).to_be_focused()
    expect(title).to_have_attribute("aria-invalid", "true")

    title.fill("Évolution des instances de démocratie locale")
    page.get_by_label("Sujet : de quoi s’agit-il ?").fill(
        "Étude de faisabilité des ateliers de quartier et des ateliers ville"
    )
    page.get_by_label("Toute la ville", exact=True).check()
    page.get_by_label("Conseil de quartier (CQ)").check()
    page.get_by_label("Conseil citoyen (CC)").check()
    page.get_by_label("Pilotes", exact=True).fill(
        "Mission démocratie locale\nDirection de la proximité"
    )
    page.get_by_label("Ligne budgétaire ou financement").fill("Ligne 6574, démocratie locale")
    expect(
        page.get_by_label("Nombre minimum d’habitant·es pour constituer l’atelier")
    ).to_have_value("5")
    expect(page.get_by_label("Votre nom, comme animateur·rice")).to_have_value(STAFF)
    page.get_by_label("Votre nom, comme animateur·rice").fill("Claire")
    # The charter starts from the default text; the preview follows what is typed.
    charter = page.get_by_label("Texte de la charte")
    preview = page.get_by_test_id("charter-preview")
    expect(preview).to_contain_text("Bienveillance")
    charter.press("Control+End")
    charter.type("\n8. Ponctualité — Les séances commencent et finissent à l’heure.")
    expect(preview).to_contain_text("8. Ponctualité")
    check_axe(page, "nouvel-atelier (AP)", every_impact=True)
    shot(page, "02-nouvel-atelier-projet")

    page.get_by_role("button", name="Créer l’atelier").dblclick()
    page.wait_for_url(re.compile(r"/atelier/[\w-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Évolution des instances de démocratie locale"
    )
    expect(page.get_by_text("0 / 5 habitant·es pour constituer l’atelier")).to_be_visible()
    expect(page.get_by_text("En attente d’approbation")).to_have_count(0)
    expect(page.get_by_role("heading", name="Animation de l’atelier")).to_be_visible()

    # The logo: what is not an image is refused with the server's words; a PNG is kept.
    logo = page.get_by_label("Image (PNG ou JPEG)")
    logo.set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": b"not an image at all"}
    )
    page.get_by_role("button", name="Envoyer le logo").click()
    expect(page.get_by_role("alert").filter(has_text="PNG ou JPEG")).to_be_visible()
    logo.set_input_files({"name": "logo.png", "mimeType": "image/png", "buffer": png()})
    page.get_by_role("button", name="Envoyer le logo").click()
    expect(page.get_by_text("Logo enregistré.")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Logo de l’atelier"))).to_be_visible()
    check_axe(page, "atelier (AP, no séance)", every_impact=True)
    shot(page, "03-atelier-projet")

    page.get_by_role("link", name="Programmer une séance").click()
    expect(
        page.get_by_role("heading", level=1, name=re.compile("Programmer une séance"))
    ).to_be_visible()
    page.get_by_label("Date", exact=True).fill("2017-12-12")
    page.get_by_label("Début", exact=True).fill("18:30")
    page.get_by_label("Fin", exact=True).fill("21:00")
    # A séance in the past is warned about, never refused.
    expect(page.get_by_text(re.compile("est passé : la séance sera enregistrée"))).to_be_visible()
    page.get_by_label("Objectifs", exact=True).fill(
        "Étude de faisabilité des ateliers de quartier et des ateliers ville"
    )
    page.get_by_label("Point 1", exact=True).fill("Rappel de la démarche")
    page.get_by_label("Durée (min)").fill("15")
    page.get_by_role("button", name="Ajouter un point").click()
    expect(page.get_by_label("Point 2", exact=True)).to_be_focused()
    page.get_by_label("Point 2", exact=True).fill("Échanges sur les processus souhaités")
    page.get_by_label("Durée (min)").nth(1).fill("90")
    expect(page.get_by_text("Durée totale prévue : 1 h 45")).to_be_visible()
    page.get_by_label("Déroulé : les étapes de la méthode").fill("\n".join(METHOD_STEPS))
    page.get_by_label("Ordre du jour de la séance suivante").fill(
        "Revoir les noms (atelier d’initiative citoyenne / atelier de projet)\n"
        "Existence d’une charte pour les ateliers ?"
    )
    # In person needs a place: the server's words, on the field.
    page.get_by_role("button", name="Programmer la séance").click()
    expect(page.get_by_role("alert")).to_have_text("Une séance en présentiel a besoin d’un lieu.")
    expect(page.get_by_label("Lieu", exact=True)).to_be_focused()
    page.get_by_label("Lieu", exact=True).fill("L’Aubette, place Kléber")
    check_axe(page, "nouvelle-seance", every_impact=True)
    shot(page, "04-nouvelle-seance")

    page.get_by_role("button", name="Programmer la séance").dblclick()
    expect(page.get_by_role("heading", level=1, name="Séance 1 programmée")).to_be_visible()
    join_code = page.get_by_test_id("join-code")
    expect(join_code).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    code = join_code.inner_text().replace("-", "")
    check_axe(page, "seance programmee", every_impact=True)
    shot(page, "05-seance-programmee")

    # The address is already the séance's own page, where « Ouvrir la séance » leads: a reload
    # shows the séance, not an empty form that would schedule a second one.
    opened = page.get_by_role("link", name="Ouvrir la séance").get_attribute("href")
    assert opened is not None
    assert re.fullmatch(r"/atelier/[\w-]+\?seance=[\w-]+", opened), opened
    expect(page).to_have_url(re.compile(re.escape(opened) + "$"))
    page.reload()
    expect(page.get_by_role("heading", name="Séance 1")).to_be_visible()
    expect(page.get_by_role("button", name="Programmer la séance")).to_have_count(0)
    expect(page.get_by_text(METHOD_STEPS[6])).to_be_visible()
    # One séance, though the button was clicked twice.
    expect(page.locator(".seance-list li")).to_have_count(1)
    shot(page, "06-atelier-seance")
    found = re.search(r"/atelier/([\w-]+)\?seance=([\w-]+)", page.url)
    assert found, page.url
    return found.group(1), found.group(2), code


def test_a_resident_starts_an_aic_that_waits_for_the_staff_approval(
    empty: Empty, new_context: Any
) -> None:
    resident = new_page(new_context(PHONE))
    resident.goto(empty.http + "/")
    resident.get_by_role("link", name="Lancer un atelier d’initiative citoyenne").click()
    expect(resident.get_by_role("heading", level=1, name="Lancer un atelier")).to_be_visible()
    # No credential: the atelier de projet is explained, not offered.
    expect(resident.get_by_text(re.compile("réservé aux services de la Ville"))).to_be_visible()
    expect(resident.locator("input[name=kind][value=projet]")).to_have_count(0)
    expect(resident.get_by_label("Atelier d’initiative citoyenne")).to_be_checked()
    resident.get_by_label("Titre de l’atelier").fill("Des bancs place du Marché")
    resident.get_by_label("Sujet : de quoi s’agit-il ?").fill(
        "S’asseoir à l’ombre place du Marché : où, combien, pour qui."
    )
    resident.get_by_role("button", name="Créer l’atelier").click()
    expect(resident.get_by_role("alert")).to_have_text(
        "Un atelier de quartier doit nommer son quartier."
    )
    resident.get_by_label("Quel quartier ?").fill("Neudorf")
    resident.get_by_label("Nombre minimum d’habitant·es pour constituer l’atelier").fill("3")
    resident.get_by_label("Votre nom, comme animateur·rice").fill("Samia")
    check_axe(resident, "nouvel-atelier (AIC)", every_impact=True)
    shoot(resident, "07-nouvel-atelier-aic")
    resident.get_by_role("button", name="Créer l’atelier").dblclick()
    resident.wait_for_url(re.compile(r"/atelier/[\w-]+$"))
    expect(resident.get_by_text("0 / 3 habitant·es pour constituer l’atelier")).to_be_visible()
    expect(
        resident.get_by_text("En attente d’approbation par la Ville, ou de sa constitution")
    ).to_be_visible()
    expect(
        resident.get_by_text(re.compile("Le logo pourra être ajouté quand la Ville"))
    ).to_be_visible()
    expect(resident.get_by_label("Image (PNG ou JPEG)")).to_have_count(0)
    check_axe(resident, "atelier (AIC, pending)", every_impact=True)
    shoot(resident, "08-atelier-aic-en-attente")

    # The staff see it waiting, once though it was sent twice, and approve it.
    staff = new_page(new_context(DESKTOP))
    staff.goto(empty.staff_link())
    pending = staff.locator("article.pending", has_text="Des bancs place du Marché")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("Quartier : Neudorf")
    shoot(staff, "09-connexion-en-attente")
    pending.get_by_role("button", name="Approuver").click()
    expect(staff.get_by_text("« Des bancs place du Marché » est approuvé")).to_be_visible()
    check_axe(staff, "connexion (approved)", every_impact=True)
    staff.reload()
    expect(staff.get_by_text(f"Connecté·e : {STAFF}")).to_be_visible()
    expect(staff.locator("article.pending", has_text="Des bancs place du Marché")).to_have_count(0)

    # Approved: the resident's atelier is public, and its logo may come.
    resident.reload()
    expect(resident.get_by_text("0 / 3 habitant·es pour constituer l’atelier")).to_be_visible()
    expect(resident.get_by_text("En attente d’approbation par la Ville")).to_have_count(0)
    expect(resident.get_by_label("Image (PNG ou JPEG)")).to_be_visible()

    schedule_a_hybrid_seance(resident)
    no_page_errors(resident)
    no_page_errors(staff)


def schedule_a_hybrid_seance(page: Any) -> None:
    """A séance to come, on site and remote: a place and a video link, a web address."""
    page.get_by_role("link", name="Programmer une séance").click()
    page.get_by_label("Date", exact=True).fill("2099-06-20")
    page.get_by_label("Début", exact=True).fill("18:00")
    expect(page.get_by_text(re.compile("est passé"))).to_have_count(0)
    page.get_by_label("Hybride").check()
    page.get_by_label("Lieu", exact=True).fill("Salle des fêtes du Neudorf")
    link = page.get_by_label("Lien de visioconférence", exact=True)
    link.fill("visio.example.org/bancs")
    page.get_by_role("button", name="Programmer la séance").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Le lien de connexion doit être une adresse web (http:// ou https://)."
    )
    expect(link).to_be_focused()
    link.fill("https://visio.example.org/bancs")
    page.get_by_role("button", name="Programmer la séance").click()
    expect(page.get_by_test_id("join-code")).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    page.get_by_role("link", name="Ouvrir la séance").click()
    expect(
        page.get_by_role("link", name="Rejoindre la séance à distance (visioconférence)")
    ).to_have_attribute("href", "https://visio.example.org/bancs")


def test_a_revoked_sign_in_link_says_so(empty: Empty, new_context: Any) -> None:
    link = empty.staff_link("Agent parti")
    token = link.split("#jeton=", 1)[1]
    empty.cli(
        "credential", "revoke", str(jwt.decode(token, options={"verify_signature": False})["jti"])
    )
    page = new_page(new_context(PHONE))
    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("Ce lien de connexion n’est plus valable")
    assert "jeton" not in page.url
    check_axe(page, "connexion (revoked)", every_impact=True)
    shoot(page, "10-connexion-refusee")
    # Nothing kept: creating offers the resident's atelier only.
    page.goto(empty.http + "/nouvel-atelier")
    expect(page.get_by_label("Atelier d’initiative citoyenne")).to_be_checked()
    expect(page.locator("input[name=kind][value=projet]")).to_have_count(0)
    no_page_errors(page)

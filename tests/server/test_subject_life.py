"""A subject's whole life in one story (issue 22, « Show »), on a real server, SQLite then
PostgreSQL, with a real SMTP server: a resident proposes a subject → the city publishes it →
residents support it to the threshold → it becomes an AIC en constitution → residents come to a
séance and constitute it → their proposal is frozen and handed to the council → a favourable
decision → a project with two milestones → « réalisée ». Every step is on the public pages and
in the quartier's feed; a subscriber to the quartier hears of the subject's answer, the séance, the
council and the project by e-mail, and nothing once unsubscribed; a follower of the subject
hears that it became an atelier.

Each feature has its own tests; this one checks that they hold together: the atelier's page
leads back to its subject, the project's page to its atelier and its subject, and the same
quartier key names the feed, the subscription and the calendar."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from server.auth import mint_council_token
from tests.conftest import TEST_SECRET, ServerProcess
from tests.mailbox import Mailbox, mailbox_fixture  # noqa: F401 (the fixture ``mailbox``)
from tests.server.test_ateliers_api import SEANCE
from tests.server.test_subscriptions import (
    CONFIRM,
    confirm,
    outbox,
    started,
    subscribe,
    subscriptions_of,
)

SUBSCRIBER = "voisine@example.org"
FOLLOWER = "suiveur@example.org"
TITLE = "Des bancs à l’ombre place du Marché"
RESIDENTS = ["Awa", "Bernard", "Chloé", "Dimitri", "Eugénie"]


def words(html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", text.replace("&#x27;", "'").replace("&amp;", "&"))


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def council_header() -> dict[str, str]:
    return bearer(mint_council_token(TEST_SECRET, "Direction des espaces publics", 3600))


@pytest.fixture
def http(server: ServerProcess) -> Any:
    with httpx.Client(base_url=server.http, timeout=30) as client:
        yield client


@pytest.fixture
def server(
    server_factory: type[ServerProcess], database_url: str, mailbox: Mailbox
) -> ServerProcess:
    return started(
        server_factory,
        database_url,
        mailbox,
        ATELIER_SUBJECT_MIN_SUPPORTS="3",
        ATELIER_SUPPORTS_PER_HOUR="100",
    )


def test_a_subject_becomes_an_aic_then_a_realised_project(  # noqa: PLR0915 (one story)
    server: ServerProcess, http: httpx.Client, mailbox: Mailbox, database_url: str
) -> None:
    staff = bearer(server.staff_token())

    # 1. Proposed, with the public form (no script), then published by the city's staff.
    sent = http.post(
        "/decouvrir/sujets/proposer",
        data={
            "titre": TITLE,
            "quartier": "Neudorf",
            "pourquoi": "Les anciens n’ont nulle part où s’asseoir l’été.",
            "nom": "Léontine Pradel",
            "mon_quartier": "Neudorf",
            "afficher_nom": "1",
        },
    )
    assert sent.status_code == 303, sent.text
    [waiting] = ok(http.get("/api/staff/subjects", headers=staff))
    subject_id = waiting["id"]
    ok(
        http.post(
            f"/api/subjects/{subject_id}/decision", json={"outcome": "publish"}, headers=staff
        )
    )
    assert TITLE in http.get("/decouvrir/sujets?quartier=neudorf").text

    # A neighbour subscribes to her quartier's news (a public subject is enough to follow it),
    # another person follows the subject itself, from its page; both confirm from the mail.
    assert 'name="scope" value="subject:' in http.get(f"/decouvrir/sujets/{subject_id}").text
    for scope, address in (("quartier:neudorf", SUBSCRIBER), (f"subject:{subject_id}", FOLLOWER)):
        asked = subscribe(http, scope, address)
        assert asked.status_code == 200, asked.text
        confirm(http, mailbox.wait_to(address, "Confirmez").link(CONFIRM))

    # 2. Supported by three residents: the threshold.
    for name in ("Zoé Martin", "Yann Keller", "Xavier Roth"):
        http.cookies.clear()  # each from their own phone
        ok(
            http.post(
                f"/api/subjects/{subject_id}/supports",
                json={"name": name, "neighbourhood": "Neudorf"},
            ),
            201,
        )
    assert "seuil atteint" in words(http.get(f"/decouvrir/sujets/{subject_id}").text)

    # 3. The city constitutes an AIC from it: en constitution, its page leads to the subject.
    made = ok(
        http.post(
            f"/api/subjects/{subject_id}/decision",
            json={"outcome": "constitute_aic"},
            headers=staff,
        )
    )
    atelier_id, facilitator = made["atelier_id"], made["facilitator"]["token"]
    for address in (SUBSCRIBER, FOLLOWER):
        became = mailbox.wait_to(address, "devient un atelier d’initiative citoyenne")
        assert f"{server.http}/decouvrir/sujets/{subject_id}" in became.text
    atelier_page = http.get(f"/decouvrir/ateliers/{atelier_id}")
    assert "en constitution" in words(atelier_page.text)
    assert f'href="/decouvrir/sujets/{subject_id}"' in atelier_page.text

    # 4. A séance: the subscriber hears of it; five residents come and the AIC is constituted.
    seance = ok(
        http.post(
            f"/api/ateliers/{atelier_id}/sessions",
            json={**SEANCE, "date": "2031-06-02", "start_time": "18:00:00", "place": "Le Shadok"},
            headers=bearer(facilitator),
        ),
        201,
    )
    news = mailbox.wait_to(SUBSCRIBER, "séance 1")
    assert f"{server.http}/decouvrir/ateliers/{atelier_id}" in news.text
    for name in RESIDENTS:
        http.cookies.clear()
        ok(
            http.post(
                f"/api/join/{seance['join_code']}",
                json={"display_name": name, "role": "habitant", "accept_charter_version": 1},
            ),
            201,
        )
    assert "en constitution" not in words(http.get(f"/decouvrir/ateliers/{atelier_id}").text)

    # 5. Their proposal, frozen and handed to the council; the council adopts it.
    proposal = ok(
        http.post(
            f"/api/ateliers/{atelier_id}/proposals",
            json={"title": "Six bancs place du Marché"},
            headers=bearer(facilitator),
        ),
        201,
    )
    pid = proposal["id"]
    ok(http.post(f"/api/proposals/{pid}/freeze", headers=bearer(facilitator)), 201)
    ok(http.post(f"/api/proposals/{pid}/transmit", headers=bearer(facilitator)))
    mailbox.wait_to(SUBSCRIBER, "transmise au conseil")
    decided = ok(
        http.post(
            f"/api/proposals/{pid}/decision",
            json={
                "outcome": "adoptee",
                "answer": "Six bancs seront posés avant l’été.",
                "deliberation_ref": "DEL-2031-17",
                "budget_line": "BP-2031-42",
            },
            headers=council_header(),
        )
    )
    told = mailbox.wait_to(SUBSCRIBER, "décision du conseil")
    assert "Six bancs seront posés avant l’été." in told.text
    project_id = decided["decision"]["project_id"]

    # 6. The project, moved by the council's services through two milestones to « réalisée ».
    base = f"/api/projects/{project_id}"
    for label, day in (("Commande des bancs", "2031-07-01"), ("Pose des bancs", "2031-08-01")):
        ok(
            http.post(
                f"{base}/milestones",
                json={"label": label, "planned_on": day},
                headers=council_header(),
            ),
            201,
        )
    ok(http.post(f"{base}/state", json={"state": "en_cours"}, headers=council_header()))
    mailbox.wait_to(SUBSCRIBER, "en cours")
    project = ok(http.get(base, headers=council_header()))
    for milestone in project["milestones"]:
        ok(http.post(f"{base}/milestones/{milestone['id']}/done", headers=council_header()))
    done = ok(
        http.post(
            f"{base}/state",
            json={"state": "realisee", "note": "Les bancs sont posés."},
            headers=council_header(),
        )
    )
    assert done["state"] == "realisee"
    last = mailbox.wait_to(SUBSCRIBER, "réalisé")
    assert f"{server.http}/decouvrir/projets/{project_id}" in last.text

    # Every step is public: the project's page goes back to its atelier and its subject...
    page = words(http.get(f"/decouvrir/projets/{project_id}").text)
    for fact in ("Commande des bancs", "Pose des bancs", "Les bancs sont posés.", TITLE):
        assert fact in page
    project_html = http.get(f"/decouvrir/projets/{project_id}").text
    assert f'href="/decouvrir/ateliers/{atelier_id}"' in project_html
    assert f'href="/decouvrir/sujets/{subject_id}"' in project_html
    assert "Six bancs place du Marché" in http.get("/decouvrir/projets?quartier=neudorf").text
    # ... and the quartier's feed links the subject and the atelier.
    feed = http.get("/api/quartiers/neudorf/activity.atom").text
    assert f"/decouvrir/sujets/{subject_id}" in feed
    assert f"/decouvrir/ateliers/{atelier_id}" in feed
    # No supporter's name anywhere public.
    for body in (page, feed, http.get(f"/decouvrir/sujets/{subject_id}").text):
        assert "Zoé Martin" not in body

    # Unsubscribed with the last message's one-click link: her address is gone, and the next
    # news (another séance) is written for no one.
    unsubscribe = last.message["List-Unsubscribe"].strip("<>")
    one_click = httpx.post(
        unsubscribe,
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
        timeout=20,
    )
    assert one_click.status_code == 200, one_click.text
    assert subscriptions_of(database_url, SUBSCRIBER) == []
    mailbox.wait_for(lambda _: outbox(database_url) == [], timeout=60)
    received = len(mailbox.to(SUBSCRIBER))
    ok(
        http.post(
            f"/api/ateliers/{atelier_id}/sessions",
            json={**SEANCE, "date": "2031-09-01", "start_time": "18:00:00"},
            headers=bearer(facilitator),
        ),
        201,
    )
    assert outbox(database_url) == []  # the news was written for no one
    assert len(mailbox.to(SUBSCRIBER)) == received

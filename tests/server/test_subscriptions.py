"""E-mail subscriptions end to end, with a real server process (SQLite, then PostgreSQL) and a
real SMTP server (aiosmtpd) whose received messages the tests read: double opt-in, news of a
séance, one-click unsubscribe that erases the address, retries while the SMTP server is down,
abuse limits, and no subscription offered without an SMTP host."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from server.db.models import MailOutboxRow, SubscriptionRow, SubscriptionTokenRow
from server.state import create_engine
from tests.conftest import ServerProcess
from tests.mailbox import Mailbox, mailbox_fixture  # noqa: F401 (the fixture ``mailbox``)
from tests.server.test_ateliers_api import SEANCE, Room

CONFIRM = "/decouvrir/abonnements/confirmer/"
UNSUBSCRIBE = "/decouvrir/abonnements/desabonner/"


def _query(database_url: str, statement: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(statement)).all()
        finally:
            await engine.dispose()

    return asyncio.run(run())


def subscriptions_of(database_url: str, email: str) -> list[Any]:
    return _query(
        database_url,
        select(SubscriptionRow.scope, SubscriptionRow.confirmed_at).where(
            SubscriptionRow.email == email
        ),
    )


def outbox(database_url: str) -> list[Any]:
    return _query(
        database_url,
        select(MailOutboxRow.kind, MailOutboxRow.attempts, MailOutboxRow.last_error),
    )


def started(
    factory: type[ServerProcess], database_url: str, box: Mailbox | None, **env: str
) -> ServerProcess:
    server = factory(database_url)
    server.env_overrides = {
        **(box.env() if box else {}),
        "ATELIER_PUBLIC_URL": server.http,
        **env,
    }
    server.start()
    return server


def subscribe(http: httpx.Client, scope: str, email: str, lang: str = "fr") -> httpx.Response:
    return http.post("/decouvrir/abonnements", data={"scope": scope, "email": email, "lang": lang})


def confirm(http: httpx.Client, link: str, database_url: str | None = None) -> httpx.Response:
    page = http.get(link)
    assert page.status_code == 200, page.text
    assert "Confirmer l’abonnement" in page.text  # a button: opening the link is not enough
    if database_url is not None:
        waiting = _query(
            database_url,
            select(func.count())
            .select_from(SubscriptionRow)
            .where(SubscriptionRow.confirmed_at.is_(None)),
        )
        assert waiting[0][0] > 0
    return http.post(link)


@pytest.fixture
def http_of() -> Iterator[Any]:
    clients: list[httpx.Client] = []

    def make(server: ServerProcess) -> httpx.Client:
        client = httpx.Client(base_url=server.http, timeout=20)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_subscribe_confirm_news_unsubscribe_and_nothing_after(  # noqa: PLR0915 (one story)
    server_factory: type[ServerProcess], database_url: str, mailbox: Mailbox, http_of: Any
) -> None:
    server = started(server_factory, database_url, mailbox)
    http = http_of(server)
    room = Room(http)
    atelier_id = room.atelier["id"]
    page = http.get(f"/decouvrir/ateliers/{atelier_id}")
    assert "Recevoir les nouvelles par e-mail" in page.text
    assert 'name="scope" value="atelier:' in page.text

    # Alice subscribes to the atelier, Carole to the CQ (the atelier is linked to it), Bob
    # subscribes to the atelier and never confirms.
    asked = subscribe(http, f"atelier:{atelier_id}", "alice@example.org")
    assert asked.status_code == 200, asked.text
    assert "Vérifiez votre boîte" in asked.text
    assert subscribe(http, "instance:CQ", "carole@example.org").status_code == 200
    assert subscribe(http, f"atelier:{atelier_id}", "bob@example.org").status_code == 200

    to_alice = mailbox.wait_to("alice@example.org", "Confirmez votre abonnement")
    assert to_alice.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Confirmer l’abonnement" in to_alice.text
    assert "Confirm the subscription:" in to_alice.text.split("English")[1]  # English below
    assert to_alice.html is not None
    assert to_alice.message["From"] == "Atelier <atelier@ville.example>"
    link = to_alice.link(CONFIRM)
    assert link.startswith(server.http)  # absolute, on the public address
    # Twice within the hour: one pending confirmation is enough.
    again = subscribe(http, f"atelier:{atelier_id}", "alice@example.org")
    assert again.status_code == 429
    assert "il y a moins d’une heure" in again.text
    assert again.headers["x-atelier-problem"] == "confirmation_pending"

    confirmed = confirm(http, link, database_url)
    assert confirmed.status_code == 200, confirmed.text
    assert "Abonnement confirmé" in confirmed.text
    assert "Évolution des instances de démocratie locale" in confirmed.text
    assert confirm(http, mailbox.wait_to("carole@example.org", "Confirmez").link(CONFIRM))
    assert http.post(link).status_code == 404  # a confirmation link works once
    mailbox.wait_to("bob@example.org", "Confirmez")
    [(_, confirmed_at)] = subscriptions_of(database_url, "alice@example.org")
    assert confirmed_at is not None

    # A séance is scheduled: Alice and Carole hear of it, Bob (unconfirmed) does not.
    scheduled = http.post(
        f"/api/ateliers/{atelier_id}/sessions",
        json={**SEANCE, "date": "2031-03-04", "start_time": "18:00:00", "place": "Le Shadok"},
        headers=room.auth(room.facilitator),
    )
    assert scheduled.status_code == 201, scheduled.text
    news = mailbox.wait_to("alice@example.org", "séance 2")
    assert "mardi 4 mars 2031 à 18 h" in news.text
    assert "Le Shadok" in news.text
    assert f"{server.http}/decouvrir/ateliers/{atelier_id}" in news.text
    mailbox.wait_to("carole@example.org", "séance 2")
    unsubscribe_url = news.message["List-Unsubscribe"].strip("<>")
    assert unsubscribe_url.startswith(f"{server.http}{UNSUBSCRIBE}")
    assert news.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_url in news.text  # and in the message, for people
    assert news.html is not None
    assert unsubscribe_url in news.html

    # A scanner (or the person) opening the link unsubscribes nobody: a button does.
    shown = http.get(unsubscribe_url)
    assert shown.status_code == 200
    assert "Me désabonner" in shown.text
    assert len(subscriptions_of(database_url, "alice@example.org")) == 1

    # The mail client's one-click POST (RFC 8058): done, the address is erased.
    one_click = httpx.post(
        unsubscribe_url,
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
        timeout=20,
    )
    assert one_click.status_code == 200, one_click.text
    assert subscriptions_of(database_url, "alice@example.org") == []
    tokens = _query(database_url, select(func.count()).select_from(SubscriptionTokenRow))
    assert tokens[0][0] > 0  # Carole's and Bob's links remain; none of Alice's:
    assert "déjà désabonné" in httpx.post(unsubscribe_url, timeout=20).text

    # The séance moves: Carole is told; Alice, unsubscribed, is not.
    session_id = scheduled.json()["id"]
    moved = http.put(
        f"/api/sessions/{session_id}",
        json={**SEANCE, "date": "2031-03-11", "start_time": "18:00:00", "place": "Le Shadok"},
        headers=room.auth(room.facilitator),
    )
    assert moved.status_code == 200, moved.text
    told = mailbox.wait_to("carole@example.org", "change")
    assert "mardi 11 mars 2031" in told.text
    mailbox.wait_for(lambda _: outbox(database_url) == [], timeout=60)
    assert [r.subject for r in mailbox.to("alice@example.org") if "change" in r.subject] == []
    assert [r for r in mailbox.to("bob@example.org") if "Confirmez" not in r.subject] == []


def test_a_decision_reaches_subscribers_with_its_answer(
    server_factory: type[ServerProcess], sqlite_url: str, mailbox: Mailbox, http_of: Any
) -> None:
    from server.auth import mint_council_token
    from tests.conftest import TEST_SECRET

    server = started(server_factory, sqlite_url, mailbox)
    http = http_of(server)
    room = Room(http)
    atelier_id = room.atelier["id"]
    subscribe(http, f"atelier:{atelier_id}", "dora@example.org", lang="en")
    confirm(http, mailbox.wait_to("dora@example.org", "Confirm").link(CONFIRM))
    proposal = http.post(
        f"/api/ateliers/{atelier_id}/proposals",
        json={"title": "Un jardin partagé"},
        headers=room.auth(room.facilitator),
    ).json()
    http.post(f"/api/proposals/{proposal['id']}/freeze", headers=room.auth(room.facilitator))
    transmitted = http.post(
        f"/api/proposals/{proposal['id']}/transmit", headers=room.auth(room.facilitator)
    )
    assert transmitted.status_code == 200, transmitted.text
    mailbox.wait_to("dora@example.org", "transmise au conseil municipal")
    city = room.auth(mint_council_token(TEST_SECRET, "Service démocratie locale", 600))
    decided = http.post(
        f"/api/proposals/{proposal['id']}/decision",
        json={"outcome": "rejetee", "answer": "Le terrain n’appartient pas à la ville."},
        headers=city,
    )
    assert decided.status_code == 200, decided.text
    news = mailbox.wait_to("dora@example.org", "décision du conseil municipal")
    assert "rejetée" in news.text
    assert "rejected" in news.text
    assert "Le terrain n’appartient pas à la ville." in news.text
    assert "#proposals-title" in news.text


def test_smtp_down_the_message_waits_and_is_sent_once_it_is_back(
    server_factory: type[ServerProcess], database_url: str, http_of: Any
) -> None:
    box = Mailbox()  # not listening yet: connections are refused
    server = started(server_factory, database_url, box)
    http = http_of(server)
    room = Room(http)
    asked = subscribe(http, f"atelier:{room.atelier['id']}", "eve@example.org")
    assert asked.status_code == 200, asked.text

    def retried(_: object) -> bool:
        rows = outbox(database_url)
        return len(rows) == 1 and rows[0][1] >= 2 and rows[0][2] is not None

    # Tried, failed, tried again (backoff from 0.2 s): still owed.
    wait_until(retried)
    box.start()
    try:
        got = box.wait_to("eve@example.org", "Confirmez votre abonnement")
        box.wait_for(lambda _: outbox(database_url) == [])
        assert len(box.to("eve@example.org")) == 1  # sent once
        assert confirm(http, got.link(CONFIRM)).status_code == 200
    finally:
        box.stop()


def wait_until(predicate: Any, timeout: float = 60) -> None:
    """Wait for the database to say something: the dispatcher writes its rows, and there is no
    event to hear from another process, so look every 0.1 s until ``timeout``."""
    stop = threading.Event()
    deadline = time.monotonic() + timeout
    while not predicate(None):
        assert time.monotonic() < deadline, "condition not met in time"
        stop.wait(0.1)


def test_bad_address_limits_and_unknown_scope_say_why(
    server_factory: type[ServerProcess], sqlite_url: str, mailbox: Mailbox, http_of: Any
) -> None:
    server = started(server_factory, sqlite_url, mailbox, ATELIER_SUBSCRIPTIONS_PER_HOUR="3")
    http = http_of(server)
    room = Room(http)
    scope = f"atelier:{room.atelier['id']}"

    bad = subscribe(http, scope, "not an address")
    assert bad.status_code == 400
    assert "ne semble pas valide" in bad.text
    assert 'aria-invalid="true"' in bad.text  # the form again, the field marked
    assert "does not look valid" in subscribe(http, scope, "x@", lang="en").text
    header_injection = subscribe(http, scope, "a@example.org\r\nBcc: all@example.org")
    assert header_injection.status_code == 400

    unknown = subscribe(http, "atelier:nope", "fred@example.org")
    assert unknown.status_code == 404
    assert "rien de public" in unknown.text
    assert subscribe(http, "instance:XX", "fred@example.org").status_code == 404

    # Three requests an hour from one client address; the fourth is refused, with a reason.
    for n in range(3):
        assert subscribe(http, scope, f"p{n}@example.org").status_code == 200
    refused = subscribe(http, scope, "p9@example.org")
    assert refused.status_code == 429
    assert "réessayez dans une heure" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    assert subscriptions_of(sqlite_url, "p9@example.org") == []


def test_without_smtp_no_subscription_is_offered(
    server_factory: type[ServerProcess], sqlite_url: str, http_of: Any
) -> None:
    server = started(server_factory, sqlite_url, None)
    http = http_of(server)
    room = Room(http)
    page = http.get(f"/decouvrir/ateliers/{room.atelier['id']}")
    assert "ne sont pas disponibles sur ce site" in page.text
    assert 'name="email"' not in page.text
    instance = http.get("/decouvrir/instances/CQ?lang=en")
    assert "not available on this site" in instance.text
    refused = subscribe(http, f"atelier:{room.atelier['id']}", "gus@example.org")
    assert refused.status_code == 503
    assert subscriptions_of(sqlite_url, "gus@example.org") == []


@pytest.mark.postgres
def test_two_instances_never_send_the_same_message_twice(
    server_factory: type[ServerProcess], mailbox: Mailbox, http_of: Any
) -> None:
    from tests.conftest import migrated_database

    with migrated_database("postgresql", None) as url:  # type: ignore[arg-type]
        first = started(server_factory, url, mailbox)
        second = started(server_factory, url, mailbox)
        one, two = http_of(first), http_of(second)
        room = Room(one)
        scope = f"atelier:{room.atelier['id']}"
        addresses = [f"h{n}@example.org" for n in range(16)]
        for n, address in enumerate(addresses):
            assert subscribe(one if n % 2 else two, scope, address).status_code == 200
        mailbox.wait_for(lambda got: {a for r in got for a in r.to} >= set(addresses))
        mailbox.wait_for(lambda _: outbox(url) == [])
        ids = [str(r.message["X-Atelier-Mail"]) for r in mailbox.received]
        assert len(ids) == len(set(ids)) == len(addresses)
        first.stop()
        second.stop()


def test_quartier_page_offers_the_form(
    server_factory: type[ServerProcess], sqlite_url: str, mailbox: Mailbox, http_of: Any
) -> None:
    server = started(server_factory, sqlite_url, mailbox)
    http = http_of(server)
    staff = server.staff_token()
    created = http.post(
        "/api/ateliers",
        json={
            "title": "Jardins du Neudorf",
            "subject": "Des jardins partagés",
            "kind": "projet",
            "scope": "quartier",
            "neighbourhood": "Neudorf",
            "facilitator_name": "Claire",
            "instances": ["CQ"],
            "charter_text": "Respect.",
            "min_residents": 3,
        },
        headers={"authorization": f"Bearer {staff}"},
    )
    assert created.status_code == 201, created.text
    page = http.get("/decouvrir/ateliers?quartier=Neudorf")
    found = re.search(r'name="scope" value="([^"]+)"', page.text)
    assert found
    assert found.group(1) == "quartier:neudorf"
    asked = subscribe(http, "quartier:Neudörf", "ida@example.org")
    assert asked.status_code == 200, asked.text
    assert "quartier Neudorf" in asked.text


def test_unconfirmed_addresses_are_erased_after_a_week(sqlite_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    from server.mail import MailDispatcher
    from server.settings import load_settings

    long_ago = datetime.now(UTC) - timedelta(days=8)

    async def run() -> None:
        engine = create_engine(sqlite_url)
        try:
            async with engine.begin() as conn:
                for email, confirmed, sent in (
                    ("old@example.org", None, long_ago),
                    ("recent@example.org", None, datetime.now(UTC)),
                    ("kept@example.org", long_ago, long_ago),
                ):
                    await conn.execute(
                        SubscriptionRow.__table__.insert().values(
                            email=email,
                            scope="instance:CQ",
                            lang="fr",
                            title_fr="x",
                            title_en="x",
                            page="/decouvrir/instances/CQ",
                            confirmed_at=confirmed,
                            confirm_sent_at=sent,
                            created_at=long_ago,
                        )
                    )
            settings = load_settings(
                {}, smtp_host="127.0.0.1", mail_from="a@ville.example", database_url=sqlite_url
            )
            await MailDispatcher(engine, settings)._prune()
        finally:
            await engine.dispose()

    asyncio.run(run())
    assert subscriptions_of(sqlite_url, "old@example.org") == []
    assert len(subscriptions_of(sqlite_url, "recent@example.org")) == 1
    assert len(subscriptions_of(sqlite_url, "kept@example.org")) == 1


def test_a_project_page_offers_the_form_and_its_state_is_news(
    server_factory: type[ServerProcess], sqlite_url: str, mailbox: Mailbox, http_of: Any
) -> None:
    from server.auth import mint_council_token
    from server.db.models import ProjectRow
    from tests.conftest import TEST_SECRET

    server = started(server_factory, sqlite_url, mailbox)
    http = http_of(server)
    room = Room(http)
    proposal = http.post(
        f"/api/ateliers/{room.atelier['id']}/proposals",
        json={"title": "Des bancs place du marché"},
        headers=room.auth(room.facilitator),
    ).json()
    http.post(f"/api/proposals/{proposal['id']}/freeze", headers=room.auth(room.facilitator))
    http.post(f"/api/proposals/{proposal['id']}/transmit", headers=room.auth(room.facilitator))
    city = room.auth(mint_council_token(TEST_SECRET, "Service démocratie locale", 600))
    decided = http.post(
        f"/api/proposals/{proposal['id']}/decision",
        json={
            "outcome": "adoptee",
            "answer": "Adoptée au budget 2032.",
            "deliberation_ref": "CM-2032-014",
        },
        headers=city,
    )
    assert decided.status_code == 200, decided.text
    [(project_id,)] = _query(
        sqlite_url, select(ProjectRow.id).where(ProjectRow.proposal_id == proposal["id"])
    )
    page = http.get(f"/decouvrir/projets/{project_id}")
    assert f'name="scope" value="project:{project_id}"' in page.text
    asked = subscribe(http, f"project:{project_id}", "jo@example.org")
    assert asked.status_code == 200, asked.text
    assert "le projet « Des bancs place du marché »" in asked.text
    confirm(http, mailbox.wait_to("jo@example.org", "Confirmez").link(CONFIRM))

    moved = http.post(
        f"/api/projects/{project_id}/state",
        json={"state": "en_cours", "note": "Les travaux commencent en mars."},
        headers=city,
    )
    assert moved.status_code == 200, moved.text
    news = mailbox.wait_to("jo@example.org", "en cours")
    assert "Les travaux commencent en mars." in news.text
    assert f"{server.http}/decouvrir/projets/{project_id}" in news.text

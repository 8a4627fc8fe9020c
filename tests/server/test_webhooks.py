"""Hand-off notifications: the back office receives each event, signed, retried until it
answers, even across a server killed in between; and an Atom feed per instance lists them."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from server.auth import mint_council_token
from tests.conftest import TEST_SECRET, ServerProcess, free_port
from tests.server.test_ateliers_api import Room

SECRET = "back-office-shared-secret"


class BackOffice:
    """A city back office on loopback: it fails until told to accept."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        self.accepting = False
        self.accepted = threading.Condition()
        office = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                status = 200 if office.accepting else 503
                with office.accepted:
                    office.received.append(
                        ({k.lower(): v for k, v in self.headers.items()}, body, status)
                    )
                    office.accepted.notify_all()
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def wait_for(self, predicate: Any, timeout: float = 30) -> None:
        with self.accepted:
            assert self.accepted.wait_for(lambda: predicate(self.received), timeout), self.received

    def delivered(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body, status in self.received if status == 200]


@pytest.fixture
def office() -> Iterator[BackOffice]:
    back_office = BackOffice()
    yield back_office
    back_office.httpd.shutdown()


def verify(headers: dict[str, str], body: bytes) -> bool:
    parts = dict(part.split("=", 1) for part in headers["x-atelier-signature"].split(","))
    expected = hmac.new(SECRET.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(parts["v1"], expected.hexdigest())


def test_hand_offs_reach_the_back_office_signed_retried_and_across_a_kill(
    server_factory: type[ServerProcess], sqlite_url: str, office: BackOffice
) -> None:
    env = {
        "ATELIER_WEBHOOK_URLS": office.url,
        "ATELIER_WEBHOOK_SECRET": SECRET,
        "ATELIER_WEBHOOK_RETRY_SECONDS": "0.05",
    }
    server = server_factory(sqlite_url, env_overrides=env)
    server.start()
    with httpx.Client(base_url=server.http, timeout=20) as http:
        room = Room(http)
        proposal = http.post(
            f"/api/ateliers/{room.atelier['id']}/proposals",
            json={"title": "Un jardin partagé"},
            headers=room.auth(room.facilitator),
        ).json()
        http.post(f"/api/proposals/{proposal['id']}/freeze", headers=room.auth(room.facilitator))
        transmitted = http.post(
            f"/api/proposals/{proposal['id']}/transmit", headers=room.auth(room.facilitator)
        )
        assert transmitted.status_code == 200, transmitted.text
        office.wait_for(lambda got: len(got) >= 2)  # refused twice (or more): it retries
        server.kill()  # the event is still owed
        office.accepting = True
        server.start()
        # A delivery the killed server had claimed is due again once its lease (15 s) ends.
        office.wait_for(lambda got: any(status == 200 for _, _, status in got), timeout=60)
        (event,) = office.delivered()
        assert event["kind"] == "proposal.transmise"
        assert event["proposal"]["id"] == proposal["id"]
        assert event["version"]["number"] == 1
        deliveries = {headers["x-atelier-delivery"] for headers, _, _ in office.received}
        assert deliveries == {str(event["id"])}  # every retry is the same delivery
        assert all(verify(headers, body) for headers, body, _ in office.received)

        city = room.auth(mint_council_token(TEST_SECRET, "Service démocratie locale", 600))
        decided = http.post(
            f"/api/proposals/{proposal['id']}/decision",
            json={"outcome": "rejetee", "answer": "Le terrain n’appartient pas à la ville."},
            headers=city,
        )
        assert decided.status_code == 200, decided.text
        office.wait_for(lambda got: sum(status == 200 for _, _, status in got) == 2)
        decision = office.delivered()[1]
        assert decision["kind"] == "proposal.rejetee"
        assert decision["decision"]["answer"] == "Le terrain n’appartient pas à la ville."

        feed = http.get("/api/instances/CQ/handoffs.atom")
        assert feed.headers["content-type"].startswith("application/atom+xml")
        assert "« Un jardin partagé » : décision du conseil municipal — rejetée" in feed.text
        assert "Le terrain n’appartient pas à la ville." in feed.text  # the official answer
        assert "« Un jardin partagé » : transmise au conseil (version 1)" in feed.text
        assert http.get("/api/instances/CDJ/handoffs.json").json()["items"] == []

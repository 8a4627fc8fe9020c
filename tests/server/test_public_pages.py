"""The public door over HTTP (issue 22, #1 and #5): the directory of ateliers, an atelier's
page, an instance's page and the séances' calendars, with no token — listed ateliers only, no
one's name, every value escaped, OpenGraph for a shared link, a calendar that says 18:00 in
Strasbourg."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from icalendar import Calendar

from tests.conftest import ServerProcess
from tests.server.test_ateliers_api import Room
from tests.server.test_versions_api import council, post

PARIS = ZoneInfo("Europe/Paris")
#: Names no page may ever show: the facilitator who created the atelier, a resident who came.
FACILITATOR = "Anatole Vérificateur-Zéphyr"
RESIDENT = "Zéphyrine Quatrebarbes"


@pytest.fixture(scope="module")
def http(shared_server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shared_server.http, timeout=20) as client:
        yield client


def staff(http: httpx.Client) -> dict[str, str]:
    from tests.conftest import RUNNING

    token = RUNNING[str(http.base_url).rstrip("/")].staff_token()
    return {"authorization": f"Bearer {token}"}


def create(http: httpx.Client, *, city: bool, **fields: Any) -> dict[str, Any]:
    """An atelier: an AP by the city's staff (listed), or an AIC by residents (unlisted)."""
    body = {
        "title": "Un atelier",
        "subject": "De quoi il s’agit.",
        "kind": "projet" if city else "initiative_citoyenne",
        "scope": "ville",
        "facilitator_name": FACILITATOR,
        "charter_text": "Respect, écoute, bienveillance.",
        "min_residents": 3,
        **fields,
    }
    http.cookies.clear()
    answer = http.post("/api/ateliers", json=body, headers=staff(http) if city else {})
    assert answer.status_code == 201, answer.text
    created = answer.json()
    return {"id": created["atelier"]["id"], "token": created["facilitator"]["token"]}


def seance(http: httpx.Client, atelier: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {
        "date": "2031-05-14",
        "start_time": "18:00:00",
        "mode": "presentiel",
        "place": "Maison des associations",
    }
    answer = http.post(
        f"/api/ateliers/{atelier['id']}/sessions",
        json={**body, **fields},
        headers={"authorization": f"Bearer {atelier['token']}"},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def join(http: httpx.Client, code: str, name: str) -> str:
    http.cookies.clear()
    body = {"display_name": name, "role": "habitant", "accept_charter_version": 1}
    answer = http.post(f"/api/join/{code}", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["token"])


class Page(HTMLParser):
    """What a reader and a link preview get from a page: its text, links and meta tags."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: dict[str, str] = {}
        self.meta: dict[str, str] = {}
        self.tags: set[str] = set()
        self._href: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.add(tag)
        if tag == "meta" and ("property" in found or "name" in found):
            self.meta[found.get("property") or found["name"]] = found.get("content", "")
        if tag == "a":
            self._href = found.get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._href = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._href is not None and data.strip():
            self.links[data.strip()] = self._href

    @property
    def words(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text))


def page(http: httpx.Client, path: str, status: int = 200, **headers: str) -> Page:
    answer = http.get(path, headers=headers)
    assert answer.status_code == status, (path, answer.status_code, answer.text[:300])
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    return Page(answer.text)


def events(http: httpx.Client, path: str) -> list[Any]:
    answer = http.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    return list(Calendar.from_ical(answer.content).walk("VEVENT"))


def test_only_listed_ateliers_are_public_and_an_unlisted_one_is_a_404_page(
    server_on: ServerProcess,
) -> None:
    """On SQLite and PostgreSQL: an AIC stays out of every public page and calendar until the
    city approves it; its constitution count is a number, never a list of names."""
    with httpx.Client(base_url=server_on.http, timeout=20) as http:
        create(http, city=True, title="Les jardins du Neudorf", instances=["CQ"])
        residents = create(
            http,
            city=False,
            title="Une cantine solidaire",
            scope="quartier",
            neighbourhood="Hautepierre",
            instances=["CQ"],
        )
        code = seance(http, residents, start_time="18:00:00")["join_code"]
        join(http, code, RESIDENT)

        directory = page(http, "/decouvrir/ateliers")
        assert "Les jardins du Neudorf" in directory.links
        assert "Une cantine solidaire" not in directory.words
        assert "Une cantine solidaire" not in page(http, "/decouvrir/instances/CQ").words
        hidden = page(http, f"/decouvrir/ateliers/{residents['id']}", status=404)
        assert "Page introuvable" in hidden.words
        assert "Une cantine solidaire" not in hidden.words
        assert page(http, "/decouvrir/ateliers/no-such-atelier", status=404).words == hidden.words
        calendar = http.get(f"/api/ateliers/{residents['id']}/seances.ics")
        assert (calendar.status_code, calendar.json()["code"]) == (404, "atelier_not_found")
        assert events(http, "/api/instances/CQ/seances.ics") == []

        approved = http.post(f"/api/ateliers/{residents['id']}/approval", headers=staff(http))
        assert approved.status_code == 200, approved.text
        assert "Une cantine solidaire" in page(http, "/decouvrir/ateliers").links
        shown = page(http, f"/decouvrir/ateliers/{residents['id']}")
        assert "1 / 3 habitant·es ont rejoint l’atelier et accepté sa charte" in shown.words
        assert "en constitution" in shown.words
        assert RESIDENT not in shown.words
        (event,) = events(http, "/api/instances/CQ/seances.ics")
        assert str(event["summary"]) == "Atelier « Une cantine solidaire » — séance 1"


def test_the_directory_filters_by_neighbourhood_instance_kind_and_state(
    http: httpx.Client,
) -> None:
    ap = create(http, city=True, title="Filtres : la halle ville", instances=["CD"])
    aic = create(
        http,
        city=False,
        title="Filtres : le verger de Koenigshoffen",
        scope="quartier",
        neighbourhood="Koenigshoffen",
        instances=["CQ", "CDJ"],
    )
    assert http.post(f"/api/ateliers/{aic['id']}/approval", headers=staff(http)).status_code == 200

    def titles(query: str) -> set[str]:
        return {
            t for t in page(http, f"/decouvrir/ateliers?{query}").links if t.startswith("Filtres")
        }

    both = {"Filtres : la halle ville", "Filtres : le verger de Koenigshoffen"}
    assert titles("") == both
    assert titles("quartier=Koenigshoffen") == {"Filtres : le verger de Koenigshoffen"}
    assert titles("quartier=ville") == {"Filtres : la halle ville"}
    assert titles("instance=CDJ") == {"Filtres : le verger de Koenigshoffen"}
    assert titles("instance=cd") == {"Filtres : la halle ville"}
    assert titles("type=ap") == {"Filtres : la halle ville"}
    assert titles("type=aic&etat=en_constitution") == {"Filtres : le verger de Koenigshoffen"}
    assert titles("etat=termine") == set()
    assert "Aucun atelier ne correspond" in page(http, "/decouvrir/ateliers?etat=termine").words
    assert titles("etat=n%27importe+quoi&type=%3Cb%3E") == both  # unknown values filter nothing
    # The neighbourhood is offered in the form, the chosen filters stay selected.
    form = http.get("/decouvrir/ateliers?quartier=Koenigshoffen&type=aic").text
    assert '<option value="Koenigshoffen" selected>' in form
    assert '<option value="aic" selected>' in form
    assert ap["id"] in page(http, "/decouvrir/instances/CD").links["Filtres : la halle ville"]
    # The neighbourhood's feed, however its name is typed; an unknown one is a 404.
    feed = http.get("/api/quartiers/koenigshoffen/activity.json")
    assert feed.status_code == 200, feed.text
    assert all(item["_atelier"]["id"] == aic["id"] for item in feed.json()["items"])
    assert feed.json()["items"]  # its creation, its approval
    assert feed.json()["items"][0]["url"].endswith(f"/decouvrir/ateliers/{aic['id']}")
    atom = http.get("/api/quartiers/KOENIGSHOFFEN/activity.atom")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    assert http.get("/api/quartiers/Nulle-part/activity.json").status_code == 404
    calendar = http.get("/api/quartiers/Koenigshoffen/seances.ics")
    assert calendar.status_code == 200, calendar.text
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert icalendar.Calendar.from_ical(calendar.content)  # parses
    assert http.get("/api/quartiers/Nulle-part/seances.ics").status_code == 404


def test_no_name_appears_on_any_public_page_or_calendar(http: httpx.Client) -> None:
    atelier = create(http, city=True, title="Personne nommée", instances=["CC"])
    first = seance(http, atelier, date="2018-01-31", start_time="18:00:00")
    seance(http, atelier, date="2031-06-02", start_time="18:30:00")
    resident = join(http, first["join_code"], RESIDENT)
    checked = http.post(
        f"/api/sessions/{first['id']}/check-in", headers={"authorization": f"Bearer {resident}"}
    )
    assert checked.status_code == 200, checked.text
    paths = [
        "/decouvrir/ateliers",
        f"/decouvrir/ateliers/{atelier['id']}",
        f"/decouvrir/ateliers/{atelier['id']}?lang=en",
        "/decouvrir/instances/CC",
        f"/api/ateliers/{atelier['id']}/seances.ics",
        "/api/instances/CC/seances.ics",
    ]
    for path in paths:
        answer = http.get(path)
        assert answer.status_code == 200, path
        for name in (RESIDENT, FACILITATOR, "Démocratie locale"):  # the staff credential too
            assert name not in answer.text, (path, name)
        assert first["join_code"] not in answer.text.replace("-", ""), path
    shown = page(http, f"/decouvrir/ateliers/{atelier['id']}")
    assert "Séance 2 — lundi 2 juin 2031 à 18 h 30" in shown.words
    assert "Séance 1 — mercredi 31 janvier 2018 à 18 h" in shown.words


def test_every_value_is_escaped(http: httpx.Client) -> None:
    title = '<script>alert("titre")</script> & co'
    atelier = create(
        http,
        city=True,
        title=title,
        subject='"><img src=x onerror=alert(1)> Un sujet',
        pilots=["<b>Service</b>"],
        instances=["CRE"],
    )
    seance(http, atelier, place="<i>Salle</i> « A »")
    for path in (
        "/decouvrir/ateliers",
        f"/decouvrir/ateliers/{atelier['id']}",
        "/decouvrir/instances/CRE",
        f"/decouvrir/ateliers?quartier={title}",
    ):
        answer = http.get(path)
        assert "<script>alert" not in answer.text, path
        assert "<img src=x" not in answer.text, path
        assert "<b>Service" not in answer.text, path
        assert "<i>Salle" not in answer.text, path
    shown = page(http, f"/decouvrir/ateliers/{atelier['id']}")
    assert title in shown.words  # read as the characters typed
    assert "<b>Service</b>" in shown.words
    assert shown.meta["og:title"] == title
    assert "script" not in shown.tags


def test_opengraph_tags_name_the_atelier_and_its_logo(http: httpx.Client) -> None:
    from PIL import Image

    atelier = create(
        http,
        city=True,
        title="Un logo pour la place",
        subject="Dessiner la place avec ses habitant·es.\n\nEn trois séances.",
    )
    picture = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 90, 160)).save(picture, format="PNG")
    uploaded = http.put(
        f"/api/ateliers/{atelier['id']}/image",
        content=picture.getvalue(),
        headers={"authorization": f"Bearer {atelier['token']}"},
    )
    assert uploaded.status_code == 200, uploaded.text
    shown = page(http, f"/decouvrir/ateliers/{atelier['id']}")
    base = str(http.base_url).rstrip("/")
    assert shown.meta["og:title"] == "Un logo pour la place"
    assert (
        shown.meta["og:description"] == "Dessiner la place avec ses habitant·es. En trois séances."
    )
    assert shown.meta["og:image"] == f"{base}/api/ateliers/{atelier['id']}/image"
    assert shown.meta["og:url"] == f"{base}/decouvrir/ateliers/{atelier['id']}"
    assert shown.meta["twitter:card"] == "summary"
    assert http.get(shown.meta["og:image"]).headers["content-type"] == "image/png"
    directory = page(http, "/decouvrir/ateliers")
    assert directory.meta["og:title"] == "Découvrir les ateliers"
    assert "og:image" not in page(http, "/decouvrir/instances/CQ").meta


def test_french_first_english_on_request(http: httpx.Client) -> None:
    french = http.get("/decouvrir/ateliers")
    assert '<html lang="fr">' in french.text
    assert "Découvrir les ateliers" in french.text
    assert french.headers["vary"] == "Accept-Language"
    asked = http.get("/decouvrir/ateliers", headers={"accept-language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert '<html lang="en">' in asked.text
    english = page(http, "/decouvrir/instances/CDJ?lang=en")
    assert "Youth council (CDJ)" in english.words
    assert "Young people aged 10 to 16" in english.words
    # Links keep the language chosen by ?lang=, and one link leads back to French.
    assert english.links["← All ateliers"] == "/decouvrir/ateliers?lang=en"
    assert english.links["Français"] == "/decouvrir/instances/CDJ?lang=fr"
    assert (
        http.get("/decouvrir?lang=en").headers["location"].endswith("/decouvrir/ateliers?lang=en")
    )
    unknown = page(http, "/decouvrir/instances/XYZ", status=404)
    assert "CQ, CC, CRE, CDJ, CD, ATP" in unknown.words


def test_published_proposals_show_where_they_stand_and_the_councils_answer(
    http: httpx.Client,
) -> None:
    atelier = create(http, city=True, title="Une piste cyclable")
    facilitator = {"authorization": f"Bearer {atelier['token']}"}

    def proposal(title: str) -> str:
        answer = http.post(
            f"/api/ateliers/{atelier['id']}/proposals", json={"title": title}, headers=facilitator
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    draft, decided, archived = proposal("Brouillon"), proposal("La piste"), proposal("Rangée")
    for pid in (decided, archived):
        assert http.post(f"/api/proposals/{pid}/freeze", headers=facilitator).status_code == 201
    stored = http.post(
        f"/api/proposals/{archived}/archive", json={"archived": True}, headers=facilitator
    )
    assert stored.status_code == 200, stored.text
    assert http.post(f"/api/proposals/{decided}/transmit", headers=facilitator).status_code == 200
    shown = page(http, f"/decouvrir/ateliers/{atelier['id']}")
    assert "La piste" in shown.words
    assert "Où elle en est : transmise au conseil" in shown.words
    assert "Brouillon" not in shown.words
    assert "Rangée" not in shown.words
    assert draft not in http.get(f"/decouvrir/ateliers/{atelier['id']}").text

    room = Room.__new__(Room)
    room.http, room.facilitator = http, atelier["token"]
    answer = post(
        room,
        f"/api/proposals/{decided}/decision",
        council(room),
        outcome="adoptee",
        answer="Le conseil adopte la piste.",
        deliberation_ref="DEL-2031-7",
        decided_on="2031-03-12",
    )
    assert answer.status_code == 200, answer.text
    shown = page(http, f"/decouvrir/ateliers/{atelier['id']}")
    assert "Décision du conseil municipal : adoptée le mercredi 12 mars 2031" in shown.words
    assert "Le conseil adopte la piste." in shown.words
    assert "Délibération : DEL-2031-7" in shown.words
    assert "Direction de la démocratie locale" not in shown.words  # who recorded it


def test_the_calendar_gives_the_city_time_and_keeps_its_uid_across_edits(
    http: httpx.Client,
) -> None:
    atelier = create(http, city=True, title="Réunion ; virgules, et « guillemets »")
    timed = seance(http, atelier, date="2018-01-31", start_time="18:00:00", end_time="20:00:00")
    later = seance(http, atelier, date="2031-07-01", start_time="14:00:00")
    ics = f"/api/ateliers/{atelier['id']}/seances.ics"
    first, second = events(http, ics)
    assert first.decoded("dtstart") == dt.datetime(2018, 1, 31, 18, 0, tzinfo=PARIS)
    assert first.decoded("dtstart").astimezone(dt.UTC).hour == 17  # CET, in winter
    assert first.decoded("dtend") == dt.datetime(2018, 1, 31, 20, 0, tzinfo=PARIS)
    assert str(first["summary"]) == "Atelier « Réunion ; virgules, et « guillemets » » — séance 1"
    assert str(first["location"]) == "Maison des associations"
    host = http.base_url.host
    assert str(first["uid"]) == f"seance-{timed['id']}@{host}"
    assert str(first["url"]).endswith(f"/decouvrir/ateliers/{atelier['id']}")
    assert second.decoded("dtstart") == dt.datetime(2031, 7, 1, 14, 0, tzinfo=PARIS)
    assert "dtend" not in second  # no end time given: none invented
    assert str(second["uid"]) == f"seance-{later['id']}@{host}"

    body = {"date": "2031-07-01", "start_time": "09:30:00", "mode": "presentiel", "place": "Ici"}
    edited = http.put(
        f"/api/sessions/{later['id']}",
        json=body,
        headers={"authorization": f"Bearer {atelier['token']}"},
    )
    assert edited.status_code == 200, edited.text
    _, again = events(http, ics)
    assert str(again["uid"]) == str(second["uid"])
    assert again.decoded("dtstart") == dt.datetime(2031, 7, 1, 9, 30, tzinfo=PARIS)  # CEST
    assert again.decoded("last-modified") >= second.decoded("last-modified")
    assert (int(second["sequence"]), int(again["sequence"])) == (0, 1)
    cal = Calendar.from_ical(http.get(ics).content)
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    unknown = http.get("/api/instances/XYZ/seances.ics")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_instance")


def test_public_pages_load_no_script_and_one_small_stylesheet(http: httpx.Client) -> None:
    shown = http.get("/decouvrir/ateliers").text
    assert "<script" not in shown
    (css,) = re.findall(r'<link rel="stylesheet" href="([^"]+)"', shown)
    style = http.get(css)
    assert style.headers["content-type"] == "text/css; charset=utf-8"
    assert "immutable" in style.headers["cache-control"]
    assert len(style.content) < 12_000

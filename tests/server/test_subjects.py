"""Subjects, the way in (issue 22, #2 and #6), on a real server, SQLite then PostgreSQL: a
resident proposes with the public form (no script), the city's staff moderate (audited),
residents support it — one support per person, whatever the case or accents, and a flood from
one address limited — until the threshold; then the city constitutes an AIC en constitution
with the initiator as porteur, or declines with a public reason; an instance ranks the
subjects of its territory. No supporter's name is ever shown, anywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ServerProcess

#: Names of supporters: stored nowhere, so shown nowhere.
SUPPORTERS = [
    ("Zéphyrin Quatrebarbes", "Neudorf"),
    ("Aglaé Tournesol-Vif", "Neudorf"),
    ("Barnabé Cœurdelion", "Krutenau"),
]
INITIATOR = "Léontine Pradel"
HIDDEN_INITIATOR = "Hippolyte Secret"


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    overrides = {"ATELIER_SUBJECT_MIN_SUPPORTS": "3", "ATELIER_SUPPORTS_PER_HOUR": "100"}
    with ServerProcess(
        database_url, env_overrides=overrides, log_path=tmp_path / "server.log"
    ).running() as srv:
        yield srv


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.http, timeout=30) as client:
        yield client


def staff(server: ServerProcess) -> dict[str, str]:
    return {"authorization": f"Bearer {server.staff_token()}"}


def words(html: str) -> str:
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", text.replace("&#x27;", "'").replace("&amp;", "&"))


def propose_form(http: httpx.Client, **fields: str) -> httpx.Response:
    body = {
        "titre": "Des bancs à l’ombre place du Marché",
        "quartier": "Neudorf",
        "pourquoi": "Les anciens n’ont nulle part où s’asseoir l’été.",
        "nom": INITIATOR,
        "mon_quartier": "Neudorf",
        "afficher_nom": "1",
        **fields,
    }
    return http.post("/decouvrir/sujets/proposer", data=body)


def queue(http: httpx.Client, server: ServerProcess) -> list[dict[str, Any]]:
    answer = http.get("/api/staff/subjects", headers=staff(server))
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def decide(
    http: httpx.Client, server: ServerProcess, subject_id: str, outcome: str, **more: Any
) -> httpx.Response:
    return http.post(
        f"/api/subjects/{subject_id}/decision",
        json={"outcome": outcome, **more},
        headers=staff(server),
    )


def support_form(http: httpx.Client, subject_id: str, name: str, hood: str) -> httpx.Response:
    http.cookies.clear()  # another person, another browser
    return http.post(
        f"/decouvrir/sujets/{subject_id}/soutenir", data={"name": name, "quartier": hood}
    )


def test_a_subject_s_life_from_the_form_to_an_aic_with_its_porteur(  # noqa: PLR0915 (one story)
    http: httpx.Client, server: ServerProcess
) -> None:
    # A resident proposes with the form: a redirect to a page that says it is sent.
    sent = propose_form(http)
    assert sent.status_code == 303
    assert sent.headers["location"] == "/decouvrir/sujets/proposer?envoye=1"
    confirmation = http.get(sent.headers["location"])
    assert "votre sujet est envoyé" in words(confirmation.text)
    # A bad field: the form again, saying which, with what was typed kept.
    bad = propose_form(http, titre="   ")
    assert bad.status_code == 422
    assert "Le titre est obligatoire" in words(bad.text) or "titre" in words(bad.text).lower()
    assert "Les anciens n’ont nulle part" in bad.text

    # Not public before moderation.
    [waiting] = queue(http, server)
    subject_id = waiting["id"]
    assert waiting["state"] == "en_moderation"
    assert waiting["initiator_name"] == INITIATOR
    assert http.get(f"/decouvrir/sujets/{subject_id}").status_code == 404
    assert http.get(f"/api/subjects/{subject_id}").status_code == 404
    assert "place du Marché" not in http.get("/decouvrir/sujets").text
    # Only staff moderate.
    assert (
        http.post(f"/api/subjects/{subject_id}/decision", json={"outcome": "publish"}).status_code
        == 401
    )

    published = decide(http, server, subject_id, "publish")
    assert published.status_code == 200, published.text
    page = http.get(f"/decouvrir/sujets/{subject_id}")
    assert page.status_code == 200
    text = words(page.text)
    assert "Des bancs à l’ombre place du Marché" in text
    assert INITIATOR in text  # she chose to show her name
    assert "0 / 3 soutiens" in text
    assert 'property="og:title" content="Des bancs à l’ombre place du Marché"' in page.text
    assert "place du Marché" in http.get("/decouvrir/sujets?quartier=neudorf").text

    # The threshold is not met: no AIC yet.
    early = decide(http, server, subject_id, "constitute_aic")
    assert (early.status_code, early.json()["code"]) == (409, "subject_threshold_not_met")

    # Residents support it; the same person again (any case, accents) is refused.
    for name, hood in SUPPORTERS[:2]:
        answer = support_form(http, subject_id, name, hood)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"].endswith("?soutenu=1")
        assert "votre soutien est compté" in words(http.get(answer.headers["location"]).text)
    again = support_form(http, subject_id, "  zephyrin QUATREBARBES ", "neudorf")
    assert again.status_code == 409
    assert "Vous soutenez déjà ce sujet" in words(again.text)
    # The same browser, another name: refused too (its cookie).
    http.cookies.clear()
    first = http.post(
        f"/api/subjects/{subject_id}/supports",
        json={"name": SUPPORTERS[2][0], "neighbourhood": "Krutenau"},
    )
    assert first.status_code == 201, first.text
    assert first.json() == {"supports": 3, "minimum": 3, "threshold_met": True}
    same_browser = http.post(
        f"/api/subjects/{subject_id}/supports",
        json={"name": "Quelqu’un d’autre", "neighbourhood": "Gare"},
    )
    assert (same_browser.status_code, same_browser.json()["code"]) == (409, "already_supported")

    reached = words(http.get(f"/decouvrir/sujets/{subject_id}").text)
    assert "3 / 3 soutiens" in reached
    assert "seuil atteint" in reached

    # The city constitutes an AIC from it: en constitution, listed, the initiator its porteur.
    made = decide(http, server, subject_id, "constitute_aic")
    assert made.status_code == 200, made.text
    atelier_id = made.json()["atelier_id"]
    assert made.json()["subject"]["state"] == "aic"
    assert made.json()["facilitator"]["token"]
    atelier = http.get(f"/decouvrir/ateliers/{atelier_id}")
    assert atelier.status_code == 200
    atelier_text = words(atelier.text)
    assert "en constitution" in atelier_text
    assert "Atelier d’initiative citoyenne" in atelier_text
    assert "Les anciens n’ont nulle part où s’asseoir" in atelier_text  # its purpose
    assert f"Porté par {INITIATOR}" in atelier_text
    assert f'href="/decouvrir/sujets/{subject_id}"' in atelier.text
    subject_page = http.get(f"/decouvrir/sujets/{subject_id}")
    assert f'href="/decouvrir/ateliers/{atelier_id}"' in subject_page.text
    assert "devenu un atelier d’initiative citoyenne" in words(subject_page.text)
    assert "Je soutiens" not in subject_page.text  # closed to support
    # Supporting a subject the city answered is refused.
    late = support_form(http, subject_id, "Nouvelle Personne", "Gare")
    assert late.status_code == 409

    # The audit trail: who, when, what.
    audit = http.get(f"/api/subjects/{subject_id}/audit", headers=staff(server)).json()
    assert [a["action"] for a in audit] == ["proposed", "publish", "constitute_aic"]
    assert audit[1]["actor"] == "Démocratie locale"
    assert all(a["created_at"] for a in audit)

    # The quartier's feed says so, with a link; no supporter anywhere.
    feed = http.get("/api/quartiers/neudorf/activity.atom")
    assert feed.status_code == 200
    assert f"/decouvrir/sujets/{subject_id}" in feed.text
    assert "devient un atelier d’initiative citoyenne" in feed.text
    everything = [
        feed.text,
        http.get("/decouvrir/sujets").text,
        subject_page.text,
        atelier.text,
        http.get("/api/subjects").text,
        http.get("/api/quartiers/neudorf/activity.json").text,
    ]
    for body in everything:
        for name, _ in SUPPORTERS:
            assert name not in body
            assert name.split()[0] not in body


def test_refuse_decline_and_the_instance_s_ranking(
    http: httpx.Client, server: ServerProcess
) -> None:
    ids = []
    for title, show in (("Un composteur rue des Lilas", False), ("Une piste cyclable", True)):
        answer = http.post(
            "/api/subjects",
            json={
                "title": title,
                "why": "Parce que.",
                "name": HIDDEN_INITIATOR,
                "neighbourhood": "Neudorf",
                "show_name": show,
            },
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    # An instance proposes through the staff; a resident may not claim one.
    forged = http.post(
        "/api/subjects",
        json={"title": "X", "why": "Y", "name": "Z", "instance": "CQ"},
    )
    assert (forged.status_code, forged.json()["code"]) == (403, "staff_required")
    by_cq = http.post(
        "/api/subjects",
        json={
            "title": "Fête des voisins",
            "why": "Se connaître.",
            "name": "CQ Neudorf",
            "instance": "CQ",
        },
        headers=staff(server),
    )
    assert by_cq.status_code == 201, by_cq.text
    ids.append(by_cq.json()["id"])
    refused_id = http.post(
        "/api/subjects", json={"title": "Spam", "why": "Achetez", "name": "Bot"}
    ).json()["id"]

    # Refusing needs a public reason.
    no_reason = decide(http, server, refused_id, "refuse")
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "reason_required")
    assert decide(http, server, refused_id, "refuse", reason="Publicité.").status_code == 200
    assert http.get(f"/decouvrir/sujets/{refused_id}").status_code == 404
    for sid in ids:
        assert decide(http, server, sid, "publish").status_code == 200
    # The hidden initiator stays hidden.
    assert HIDDEN_INITIATOR not in http.get(f"/decouvrir/sujets/{ids[0]}").text

    # Decline with a public reason.
    assert decide(http, server, ids[0], "decline").status_code == 422
    declined = decide(http, server, ids[0], "decline", reason="Le terrain est privé.")
    assert declined.status_code == 200
    page = words(http.get(f"/decouvrir/sujets/{ids[0]}").text)
    assert "décliné par la Ville" in page
    assert "Le terrain est privé." in page
    audit = http.get(f"/api/subjects/{ids[0]}/audit", headers=staff(server)).json()
    assert audit[-1]["action"] == "decline"
    assert audit[-1]["reason"] == "Le terrain est privé."

    # An AP opened by the city carries its budget line and pilot service; an AIC no budget.
    assert (
        decide(http, server, ids[1], "constitute_aic", financing="Ligne 6574").status_code == 409
    )  # nor the threshold
    opened = decide(
        http,
        server,
        ids[1],
        "open_ap",
        financing="Ligne 2152",
        pilot_service="Direction de territoire Neudorf",
    )
    assert opened.status_code == 200, opened.text
    ap = words(http.get(f"/decouvrir/ateliers/{opened.json()['atelier_id']}").text)
    assert "Atelier de projet" in ap
    assert "Ligne 2152" in ap
    assert "Service pilote Direction de territoire Neudorf" in ap
    assert "État actif" in ap  # no constitution threshold for the city's AP
    assert "en constitution" not in ap

    # The CQ ranks the published subjects of its territory.
    refused = http.put(
        "/api/instances/CQ/subject-ranking",
        json={"subject_ids": [refused_id]},
        headers=staff(server),
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "subject_not_public")
    order = [ids[2], ids[1]]
    ranked = http.put(
        "/api/instances/CQ/subject-ranking", json={"subject_ids": order}, headers=staff(server)
    )
    assert ranked.status_code == 200, ranked.text
    assert (
        http.get("/api/instances/cq/subject-ranking", headers=staff(server)).json()["subject_ids"]
        == order
    )
    assert (
        http.put("/api/instances/CQ/subject-ranking", json={"subject_ids": order}).status_code
        == 401
    )
    instance = http.get("/decouvrir/instances/CQ").text
    assert "Sujets proposés et priorisés" in instance
    assert instance.index("Fête des voisins") < instance.index("Une piste cyclable")
    listed = http.get("/decouvrir/sujets?instance=CQ").text
    assert listed.index("Fête des voisins") < listed.index("Une piste cyclable")
    feed = http.get("/api/instances/CQ/activity.atom").text
    assert "La Ville ouvre un atelier de projet" in feed


def test_floods_from_one_address_are_limited(
    server_factory: type[ServerProcess], sqlite_url: str
) -> None:
    server = server_factory(
        sqlite_url,
        env_overrides={"ATELIER_SUBJECTS_PER_HOUR": "2", "ATELIER_SUPPORTS_PER_HOUR": "2"},
    )
    server.start()
    with httpx.Client(base_url=server.http, timeout=30) as http:
        assert propose_form(http).status_code == 303
        body = {"title": "Deux", "why": "Pourquoi pas.", "name": "A"}
        assert http.post("/api/subjects", json=body).status_code == 201
        third = http.post("/api/subjects", json=body)
        assert (third.status_code, third.json()["code"]) == (429, "too_many_subjects")
        assert int(third.headers["retry-after"]) > 0
        page = propose_form(http)
        assert page.status_code == 429
        assert "Trop de sujets proposés depuis cette adresse" in words(page.text)
        english = http.post("/decouvrir/sujets/proposer?lang=en", data={"titre": "x"})
        assert "Too many subjects proposed from this address" in words(english.text)

        [first, *_] = queue(http, server)
        assert decide(http, server, first["id"], "publish").status_code == 200
        for name in ("Un", "Deux"):
            assert support_form(http, first["id"], name, "Gare").status_code == 303
        flood = support_form(http, first["id"], "Trois", "Gare")
        assert flood.status_code == 429
        assert "Trop de soutiens donnés depuis cette adresse" in words(flood.text)
        api = http.post(
            f"/api/subjects/{first['id']}/supports",
            json={"name": "Quatre", "neighbourhood": "Gare"},
        )
        assert (api.status_code, api.json()["code"]) == (429, "too_many_supports")


def test_bad_input_is_a_problem_never_a_500(http: httpx.Client, server: ServerProcess) -> None:
    long = http.post("/api/subjects", json={"title": "x" * 201, "why": "y", "name": "z"})
    assert long.status_code in (400, 422)
    assert http.post("/api/subjects", json={"title": "t", "why": "", "name": "z"}).status_code in (
        400,
        422,
    )
    assert http.get("/decouvrir/sujets/inconnu").status_code == 404
    assert (
        http.post(
            "/api/subjects/inconnu/supports", json={"name": "a", "neighbourhood": "b"}
        ).status_code
        == 404
    )
    assert decide(http, server, "inconnu", "publish").status_code == 404
    assert http.get("/decouvrir/sujets?etat=<script>&quartier=zzz").status_code == 200
    nul = http.get("/decouvrir/sujets?quartier=%00")
    assert nul.status_code in (200, 400), nul.text  # a refused NUL is a problem, not a 500
    weird = http.post("/decouvrir/sujets/inconnu/soutenir", data={"name": "a"})
    assert weird.status_code == 404


def test_what_each_kind_carries(http: httpx.Client, server: ServerProcess) -> None:
    """Item 6: an AP is the city's, with its budget line and pilot service; an AIC is carried by
    residents: no budget line, no pilot service."""
    base = {
        "title": "La halle",
        "subject": "Rénover la halle.",
        "scope": "ville",
        "facilitator_name": "Agent",
    }
    aic = {**base, "kind": "initiative_citoyenne"}
    refused = http.post("/api/ateliers", json={**aic, "pilot_service": "Direction des sports"})
    assert (refused.status_code, refused.json()["code"]) == (422, "pilot_service_for_projects")
    no_budget = http.post("/api/ateliers", json={**aic, "financing": "Ligne 1"})
    assert (no_budget.status_code, no_budget.json()["code"]) == (422, "financing_for_projects")
    ap = {
        **base,
        "kind": "projet",
        "financing": "Ligne 2313",
        "pilot_service": "Direction des sports",
    }
    assert http.post("/api/ateliers", json=ap).status_code == 403  # the city's only
    made = http.post("/api/ateliers", json=ap, headers=staff(server))
    assert made.status_code == 201, made.text
    atelier = made.json()["atelier"]
    assert (atelier["financing"], atelier["pilot_service"]) == (
        "Ligne 2313",
        "Direction des sports",
    )
    page = words(http.get(f"/decouvrir/ateliers/{atelier['id']}").text)
    assert "Service pilote Direction des sports" in page
    assert "Ligne 2313" in page

"""HTTP surface: health, OpenAPI, problem details."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.settings import load_settings


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:  # type: ignore[type-arg]
    app = create_app(load_settings({}, database_url=sqlite_url))
    with TestClient(app) as c:
        yield c


def test_health_reports_the_database_the_store_and_the_broker(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "store": "ok",
        "broker": "memory",
        "rooms": 0,
    }


def test_health_is_503_when_the_database_is_unreachable(tmp_path: object) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/missing-dir/none.db"
    with TestClient(create_app(load_settings({}, database_url=url))) as c:
        response = c.get("/health")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_openapi_document_is_served(client: TestClient) -> None:  # type: ignore[type-arg]
    document = client.get("/schema/openapi.json").json()
    assert document["info"]["title"] == "Atelier"
    assert "/health" in document["paths"]


def test_errors_are_problem_details(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


def test_invalid_input_names_the_fields_in_french_and_english(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.post(
        "/api/ateliers",
        json={
            "title": "",
            "subject": "x",
            "kind": "projet",
            "scope": "ville",
            "facilitator_name": "C",
            "min_residents": 0,
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_request"
    assert body["detail"].startswith("Données invalides")
    assert "title" in body["detail_en"]
    english = client.post("/api/ateliers", json={"title": ""}, headers={"Accept-Language": "en"})
    assert english.json()["detail"].startswith("Invalid data")


def test_a_neighbourhood_atelier_without_its_neighbourhood_is_refused_by_the_domain(
    client: TestClient,
) -> None:  # type: ignore[type-arg]
    response = client.post(
        "/api/ateliers",
        json={
            "title": "Parc",
            "subject": "",
            "kind": "initiative_citoyenne",
            "scope": "quartier",
            "facilitator_name": "Claire",
        },
    )
    assert response.status_code == 422
    assert response.json()["detail_en"]
    assert response.json()["code"]

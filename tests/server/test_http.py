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


def test_health_reports_the_database_and_the_broker(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "memory", "rooms": 0}


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

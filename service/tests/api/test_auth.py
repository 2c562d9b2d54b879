"""API key: required for document and search endpoints, never for health/metrics/docs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.redis_server import RedisServer

KEY = "s3cret-k\u00e9y"
ASCII_KEY = "s3cret-key"


@pytest.fixture
def secured(redis8: RedisServer, make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(redis8.url, api_key=ASCII_KEY)


PROTECTED = [
    ("post", "/v1/documents", {"json": {"title": "t", "text": "x"}}),
    ("post", "/v1/documents/upload", {"files": {"file": ("a.txt", b"hello", "text/plain")}}),
    ("get", "/v1/documents", {}),
    ("get", "/v1/documents/some-id", {}),
    ("delete", "/v1/documents/some-id", {}),
    ("post", "/v1/search", {"json": {"query": "x"}}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), PROTECTED)
def test_protected_without_key_is_401(secured: TestClient, method: str, path: str, kwargs: dict[str, Any]) -> None:
    response = getattr(secured, method)(path, **kwargs)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer wrong"},
        {"X-API-Key": "wrong"},
        {"Authorization": f"Basic {ASCII_KEY}"},
        {"Authorization": f"Bearer {ASCII_KEY}x"},
        {"X-API-Key": ASCII_KEY[:-1]},
    ],
)
def test_wrong_key_is_401(secured: TestClient, headers: dict[str, str]) -> None:
    response = secured.post("/v1/search", json={"query": "x"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["message"]


@pytest.mark.parametrize("headers", [{"Authorization": f"Bearer {ASCII_KEY}"}, {"X-API-Key": ASCII_KEY}])
def test_right_key_is_accepted(secured: TestClient, headers: dict[str, str]) -> None:
    created = secured.post("/v1/documents", json={"id": "d", "title": "t", "text": "hello"}, headers=headers)
    assert created.status_code == 201
    assert secured.get("/v1/documents/d", headers=headers).status_code == 200
    assert secured.get("/v1/documents", headers=headers).json()["total"] == 1
    assert secured.post("/v1/search", json={"query": "hello"}, headers=headers).json()["hits"]
    assert secured.delete("/v1/documents/d", headers=headers).status_code == 204


def test_auth_is_checked_before_validation(secured: TestClient) -> None:
    assert secured.post("/v1/search", json={"query": ""}).status_code == 401


@pytest.mark.parametrize("path", ["/v1/documents", "/v1/search"])
def test_auth_is_checked_before_the_body_is_parsed(secured: TestClient, path: str) -> None:
    response = secured.post(path, content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_unknown_routes_under_v1_need_the_key(secured: TestClient) -> None:
    assert secured.get("/v1/nothing-here").status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"])
def test_public_endpoints_need_no_key(secured: TestClient, path: str) -> None:
    assert secured.get(path).status_code == 200


def test_no_key_configured_means_open(client8: TestClient) -> None:
    assert client8.post("/v1/search", json={"query": "x"}).status_code == 200


def test_non_ascii_key(redis8: RedisServer, make_client: Callable[..., TestClient]) -> None:
    client = make_client(redis8.url, api_key=KEY)
    assert client.post("/v1/search", json={"query": "x"}, headers={"X-API-Key": "nope"}).status_code == 401


def test_openapi_declares_security(secured: TestClient) -> None:
    schema = secured.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert {"HTTPBearer", "APIKeyHeader"} <= set(schemes)


def test_protected_under_a_root_path(redis8: RedisServer, make_settings: Callable[..., Any]) -> None:
    # uvicorn --root-path /api (or a mount) puts the root path in scope["path"]; the router strips it, and so
    # must the key check.
    from docintel.main import create_app

    with TestClient(create_app(make_settings(redis8.url, api_key=ASCII_KEY)), root_path="/api") as client:
        assert client.get("/api/v1/documents").status_code == 401
        authorized = client.get("/api/v1/documents", headers={"Authorization": f"Bearer {ASCII_KEY}"})
        assert authorized.status_code == 200
        assert client.get("/api/healthz").status_code == 200

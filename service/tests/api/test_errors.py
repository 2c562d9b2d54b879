"""Every error is JSON ``{"error": {"code", "message"}}``, validation and routing errors included."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from docintel.api.errors import install_exception_handlers
from docintel.errors import ConflictError


def assert_error(response: httpx2.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str)
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    error: dict[str, Any] = body["error"]
    return error


def test_unknown_route_is_json_404(client8: TestClient) -> None:
    error = assert_error(client8.get("/nope"), 404, "not_found")
    assert "/nope" in error["message"]


def test_wrong_method_is_json_405(client8: TestClient) -> None:
    response = client8.put("/v1/search", json={})
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["allow"]


def test_invalid_json_is_422(client8: TestClient) -> None:
    response = client8.post("/v1/documents", content=b"{not json", headers={"Content-Type": "application/json"})
    error = assert_error(response, 422, "validation_error")
    assert "JSON" in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"title": "t", "text": ""},
        {"title": "t", "text": "   \n\t  "},
        {"title": "t", "text": "\u3000\u2003\n"},
        {"title": "", "text": "x"},
        {"text": "x"},
        {"title": "t"},
        {"title": "t", "text": 5},
        {"title": "t", "text": "\x00"},
        {"title": "t", "text": "\x00\x01\x1f \x7f\n\x85"},
        {"title": "\x00\x00", "text": "x"},
        {"title": "t", "text": "x", "metadata": "not an object"},
        [],
    ],
)
def test_invalid_documents_are_422(client8: TestClient, body: object) -> None:
    error = assert_error(client8.post("/v1/documents", json=body), 422, "validation_error")
    assert error["details"]


def test_metadata_over_64_kib_is_422_and_under_is_stored(client8: TestClient) -> None:
    too_large = {"title": "t", "text": "x", "metadata": {"blob": "M" * 70_000}}
    error = assert_error(client8.post("/v1/documents", json=too_large), 422, "validation_error")
    assert "at most 65536 bytes as JSON" in str(error["details"])
    fits = {"title": "t", "text": "x", "metadata": {"blob": "M" * 60_000}}
    assert client8.post("/v1/documents", json=fits).status_code == 201


def test_whitespace_text_message_is_clear(client8: TestClient) -> None:
    error = assert_error(client8.post("/v1/documents", json={"title": "t", "text": "  "}), 422)
    assert "whitespace" in error["message"]


def test_lone_surrogate_is_422(client8: TestClient) -> None:
    body = b'{"title": "t", "text": "bad \\ud800 surrogate"}'
    response = client8.post("/v1/documents", content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 422, "validation_error")


def test_wrong_content_type_is_415(client8: TestClient) -> None:
    response = client8.post("/v1/documents", content=b"title=x", headers={"Content-Type": "text/plain"})
    assert_error(response, 415, "unsupported_media_type")
    response = client8.post("/v1/search", content=b"<q/>", headers={"Content-Type": "application/xml"})
    assert_error(response, 415, "unsupported_media_type")


def test_json_without_content_type_is_415_and_says_what_to_send(client8: TestClient) -> None:
    response = client8.post("/v1/documents", content=b'{"title": "t", "text": "x"}')
    assert "content-type" not in response.request.headers
    assert_error(response, 415, "unsupported_media_type")
    assert "Content-Type: application/json" in response.json()["error"]["message"]
    assert client8.get("/v1/documents").json()["total"] == 0
    assert_error(client8.post("/v1/search"), 422, "validation_error")  # no body at all: what is missing


def test_json_subtypes_are_accepted(client8: TestClient) -> None:
    response = client8.post(
        "/v1/documents",
        content=b'{"title": "t", "text": "x"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


def test_nothing_stored_after_rejections(client8: TestClient) -> None:
    client8.post("/v1/documents", json={"title": "t", "text": " "})
    client8.post("/v1/documents", content=b"{", headers={"Content-Type": "application/json"})
    assert client8.get("/v1/documents").json()["total"] == 0


def test_conflict_is_409_and_retryable() -> None:
    app = FastAPI()
    install_exception_handlers(app)

    @app.get("/contended")
    def contended() -> None:
        raise ConflictError("document 'd' kept being changed by concurrent writes; retry the request")

    response = TestClient(app).get("/contended")
    error = assert_error(response, 409, "write_conflict")
    assert "retry" in error["message"]
    assert response.headers["retry-after"] == "1"


@pytest.mark.parametrize("path", ["/v1/documents/..%2F", "/v1/documents/", "/v1/documents/a/", "/v1/search/"])
def test_odd_paths_get_a_json_answer(client8: TestClient, path: str) -> None:
    response = client8.get(path, follow_redirects=False)
    assert_error(response, 404, "not_found")

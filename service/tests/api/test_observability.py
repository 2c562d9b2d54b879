"""Metrics, JSON logs, health endpoints, OpenAPI docs, and ``python -m docintel``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from docintel.core.logging import JsonFormatter
from tests.support.embedding_stub import EmbeddingStub
from tests.support.live_server import LiveServer
from tests.support.redis_server import RedisServer

SERVICE_DIR = Path(__file__).resolve().parents[1]


def metric_value(text: str, prefix: str) -> float:
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{prefix} not found in metrics")


def test_metrics(client8: TestClient) -> None:
    client8.post("/v1/documents", json={"id": "m", "title": "t", "text": "one\n\ntwo"})
    client8.post("/v1/documents", json={"id": "m2", "title": "t", "text": "one\n\ntwo"})
    client8.post("/v1/search", json={"query": "one"})
    client8.get("/v1/documents/m")
    client8.get("/v1/documents/unknown")
    client8.get("/no/such/route")
    response = client8.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert metric_value(text, 'docintel_http_requests_total{method="POST",route="/v1/documents",status="201"}') == 2
    one_doc = 'docintel_http_requests_total{method="GET",route="/v1/documents/{document_id}"'
    assert metric_value(text, one_doc + ',status="200"}') == 1
    assert metric_value(text, one_doc + ',status="404"}') == 1
    assert metric_value(text, 'docintel_http_requests_total{method="GET",route="unmatched",status="404"}') == 1
    assert metric_value(text, 'docintel_http_request_duration_seconds_count{method="POST",route="/v1/search"}') == 1
    assert metric_value(text, "docintel_documents_ingested_total") == 2
    assert metric_value(text, "docintel_chunks_ingested_total") == 2
    assert metric_value(text, 'docintel_embedding_calls_total{backend="openai"}') == 2  # doc + query
    assert metric_value(text, "docintel_embedding_cache_hits_total") == 1
    assert metric_value(text, 'docintel_searches_total{path="vectorset"}') == 1


def test_made_up_methods_share_one_label(client8: TestClient) -> None:
    # HTTP allows any token as a method: one label each would let anyone grow /metrics without bound.
    for method in ("BREW", "WHEN", "XYZZY"):
        client8.request(method, "/healthz")
    text = client8.get("/metrics").text
    other = [line for line in text.splitlines() if line.startswith('docintel_http_requests_total{method="OTHER"')]
    assert sum(float(line.rsplit(" ", 1)[1]) for line in other) == 3
    assert "BREW" not in text and "XYZZY" not in text


def test_healthz(client8: TestClient) -> None:
    response = client8.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_docs_and_openapi(client8: TestClient) -> None:
    assert "swagger" in client8.get("/docs").text.lower()
    paths = client8.get("/openapi.json").json()["paths"]
    assert {
        "/v1/documents",
        "/v1/documents/upload",
        "/v1/documents/{document_id}",
        "/v1/search",
        "/healthz",
        "/readyz",
    } <= set(paths)


def test_json_formatter_access_fields() -> None:
    record = logging.LogRecord("docintel.access", logging.INFO, __file__, 1, "request", None, None)
    record.method, record.path, record.status, record.duration_ms = "GET", "/x", 200, 1.5
    line = JsonFormatter().format(record)
    payload = json.loads(line)
    assert "\n" not in line
    assert payload["level"] == "INFO"
    assert payload["logger"] == "docintel.access"
    assert payload["message"] == "request"
    assert payload["method"] == "GET"
    assert payload["status"] == 200
    assert "time" in payload


def test_access_log_is_emitted(client8: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="docintel.access"):
        client8.get("/healthz")
    records = [r for r in caplog.records if r.name == "docintel.access"]
    assert records
    assert records[-1].__dict__["path"] == "/healthz"
    assert records[-1].__dict__["status"] == 200
    assert records[-1].__dict__["duration_ms"] >= 0


def test_python_m_docintel_serves_and_logs_json(redis8: RedisServer, stub: EmbeddingStub, tmp_path: Path) -> None:
    env = {"DOCINTEL_REDIS_URL": redis8.url, "DOCINTEL_OPENAI_BASE_URL": stub.url, "DOCINTEL_EMBEDDING_MODEL": "stub"}
    server = LiveServer(tmp_path, env).start()
    try:
        created = httpx.post(f"{server.url}/v1/documents", json={"title": "t", "text": "served"})
        assert created.status_code == 201
    finally:
        server.stop()
    log_path = server.log_path
    lines = [line for line in log_path.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    access = [r for r in records if r["logger"] == "docintel.access" and r.get("path") == "/v1/documents"]
    assert access
    assert access[0]["method"] == "POST"
    assert access[0]["status"] == 201
    assert {"time", "level", "logger", "message", "duration_ms"} <= set(access[0])

"""Redis going away and coming back; readiness reporting."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from loopback_ports import free_port
from tests.support.embedding_stub import EmbeddingStub
from tests.support.redis_server import RedisServer


def test_redis_restart_without_app_restart(private_redis: RedisServer, make_client: Callable[..., TestClient]) -> None:
    client = make_client(private_redis.url)
    assert client.post("/v1/documents", json={"id": "a", "title": "t", "text": "before outage"}).status_code == 201
    assert client.get("/readyz").status_code == 200

    private_redis.stop()
    for method, path, kwargs in [
        ("post", "/v1/documents", {"json": {"id": "b", "title": "t", "text": "during outage"}}),
        ("get", "/v1/documents/a", {}),
        ("get", "/v1/documents", {}),
        ("delete", "/v1/documents/a", {}),
        ("post", "/v1/search", {"json": {"query": "outage"}}),
    ]:
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code == 503, (path, response.text)
        error = response.json()["error"]
        assert error["code"] == "store_unavailable"
        assert "Redis is unavailable" in error["message"]
        assert ".;" not in error["message"]  # redis-py's full stop is not doubled by ours
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert "Redis" in ready.json()["reason"]
    assert client.get("/healthz").json() == {"status": "ok"}

    private_redis.start()  # same port, empty data set
    assert client.get("/readyz").status_code == 200
    assert client.post("/v1/documents", json={"id": "c", "title": "t", "text": "after outage"}).status_code == 201
    hits = client.post("/v1/search", json={"query": "after outage"}).json()["hits"]
    assert [hit["document_id"] for hit in hits] == ["c"]


def test_a_wrong_redis_password_says_so(
    server_factory: Callable[..., RedisServer], make_client: Callable[..., TestClient]
) -> None:
    # Not an outage: retrying cannot help, so the answer names the setting to fix and has no Retry-After.
    server = server_factory("8", password="the-right-pass")
    client = make_client(f"redis://:a-wrong-pass@127.0.0.1:{server.port}/0")
    for response in (
        client.post("/v1/documents", json={"id": "a", "title": "t", "text": "refused"}),
        client.post("/v1/search", json={"query": "refused"}),
    ):
        assert response.status_code == 503, response.text
        message = response.json()["error"]["message"]
        assert "Redis refused the service's credentials" in message and "DOCINTEL_REDIS_URL" in message
        assert "retry-after" not in response.headers
        assert "a-wrong-pass" not in response.text
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "refused the service's credentials" in ready.json()["reason"]


def test_redis_dies_mid_request(
    server_factory: Callable[..., RedisServer], make_client: Callable[..., TestClient], stub: EmbeddingStub
) -> None:
    server = server_factory("8")
    client = make_client(server.url)
    stub.state.on_request = server.stop  # Redis stops while the embedding request is in flight
    response = client.post("/v1/documents", json={"id": "x", "title": "t", "text": "mid-request outage"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "store_unavailable"
    stub.state.on_request = None
    server.start()
    assert client.get("/v1/documents/x").status_code == 404
    assert client.post("/v1/documents", json={"id": "x", "title": "t", "text": "mid-request outage"}).status_code == 201


@pytest.mark.parametrize(("first", "second"), [("8", "7"), ("7", "8")])
def test_capability_is_redetected_when_server_changes(
    first: str, second: str, server_factory: Callable[..., RedisServer], make_client: Callable[..., TestClient]
) -> None:
    port = free_port()
    server = server_factory(first, port=port)
    client = make_client(server.url)
    store = client.app.state.context.store  # type: ignore[attr-defined]
    client.post("/v1/documents", json={"id": "a", "title": "t", "text": "first server"})
    assert store.index_name() == ("vectorset" if first == "8" else "exact")

    server.stop()
    assert client.get("/readyz").status_code == 503  # the failure drops the cached capability
    server_factory(second, port=port)
    assert client.post("/v1/documents", json={"id": "b", "title": "t", "text": "second server"}).status_code == 201
    assert store.index_name() == ("vectorset" if second == "8" else "exact")
    hits = client.post("/v1/search", json={"query": "second server"}).json()["hits"]
    assert [hit["document_id"] for hit in hits] == ["b"]


def swapped_to_redis7(
    server_factory: Callable[..., RedisServer], make_client: Callable[..., TestClient]
) -> tuple[TestClient, RedisServer]:
    """A client that stored a document on Redis 8, whose server was then replaced by a Redis 7 on the same port."""
    port = free_port()
    server = server_factory("8", port=port)
    client = make_client(server.url)
    client.post("/v1/documents", json={"id": "a", "title": "t", "text": "on eight"})
    server.stop()
    return client, server_factory("7", port=port)


def test_swap_to_redis7_without_observed_outage(
    server_factory: Callable[..., RedisServer], make_client: Callable[..., TestClient]
) -> None:
    """Even if no request saw the outage, a refused VADD/VSIM triggers re-detection."""
    client, _ = swapped_to_redis7(server_factory, make_client)
    assert client.post("/v1/search", json={"query": "anything"}).status_code == 200
    assert client.post("/v1/documents", json={"id": "b", "title": "t", "text": "on seven"}).status_code == 201
    assert [h["document_id"] for h in client.post("/v1/search", json={"query": "on seven"}).json()["hits"]] == ["b"]


@pytest.mark.parametrize("first_request", ["ingest", "delete"])
def test_swap_detected_by_writes(
    first_request: str, server_factory: Callable[..., RedisServer], make_client: Callable[..., TestClient]
) -> None:
    client, seven = swapped_to_redis7(server_factory, make_client)
    if first_request == "delete":
        # the document is gone with the old server's data; seed one on the new server by hand
        with seven.client() as raw:
            raw.hset("docintel:doc:a", mapping={"id": "a", "generation": "g0", "chunks": 1})
        assert client.delete("/v1/documents/a").status_code == 204
    else:
        assert client.post("/v1/documents", json={"id": "b", "title": "t", "text": "on seven"}).status_code == 201
        hits = client.post("/v1/search", json={"query": "on seven"}).json()["hits"]
        assert [hit["document_id"] for hit in hits] == ["b"]
    assert client.app.state.context.store.index_name() == "exact"  # type: ignore[attr-defined]


def test_readyz_reports_unreachable_embedder(redis8: RedisServer, make_client: Callable[..., TestClient]) -> None:
    client = make_client(redis8.url, openai_base_url="http://127.0.0.1:9/v1", embedding_max_retries=0)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "embedding API" in body["reason"]
    assert body["checks"]["redis"] == "ok"


def test_readyz_openai_without_key(redis8: RedisServer, make_client: Callable[..., TestClient]) -> None:
    client = make_client(
        redis8.url, openai_base_url="https://api.openai.com/v1", embedding_model="text-embedding-3-small"
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "DOCINTEL_OPENAI_API_KEY" in response.json()["reason"]


def test_readyz_ok(client8: TestClient) -> None:
    body = client8.get("/readyz").json()
    assert body["status"] == "ok"
    assert body["checks"]["redis"] == "ok"
    assert "64 dimensions" in body["checks"]["embedder"]


def test_app_starts_without_redis(make_client: Callable[..., TestClient]) -> None:
    client = make_client(f"redis://127.0.0.1:{free_port()}/0")
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503
    assert client.post("/v1/search", json={"query": "x"}).status_code == 503


def test_hung_redis_is_503_after_one_socket_timeout(
    private_redis: RedisServer, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(private_redis.url, redis_socket_timeout=1.0)
    assert client.post("/v1/documents", json={"id": "a", "title": "t", "text": "before"}).status_code == 201
    pid = private_redis.freeze()
    try:
        start = time.monotonic()
        response = client.get("/v1/documents/a")
        elapsed = time.monotonic() - start
    finally:
        private_redis.thaw(pid)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "store_unavailable"
    assert response.headers["retry-after"] == "1"
    assert elapsed < 2.5  # one timeout of 1 s, not one per retry
    assert client.get("/v1/documents/a").status_code == 200

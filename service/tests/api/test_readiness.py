"""/readyz checks what it claims (Redis answers, the embedder answers with its dimension) within 2 s."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx2
from fastapi.testclient import TestClient

from tests.support.embedding_stub import EmbeddingStub
from tests.support.redis_server import RedisServer

# What an orchestrator's probe waits; /readyz must answer well within it.
PROBE_TIMEOUT = 4.0


def timed_readyz(client: TestClient) -> tuple[httpx2.Response, float]:
    start = time.monotonic()
    response = client.get("/readyz")
    return response, time.monotonic() - start


def test_restart_learns_the_dimension_though_the_probe_text_is_cached(
    redis8: RedisServer, make_client: Callable[..., TestClient]
) -> None:
    assert make_client(redis8.url).get("/readyz").status_code == 200  # caches the probe text's embedding
    restarted = make_client(redis8.url)  # a new process: same Redis, dimension not configured
    response = restarted.get("/readyz")
    assert response.status_code == 200, response.text
    assert "64 dimensions" in response.json()["checks"]["embedder"]


def test_embedder_failing_is_503(client8: TestClient, stub: EmbeddingStub) -> None:
    assert client8.get("/readyz").status_code == 200
    stub.fail_next(1000, status=500)
    response = client8.get("/readyz")
    assert response.status_code == 503
    assert "embedding API" in response.json()["reason"]
    assert response.json()["checks"]["redis"] == "ok"
    stub.fail_next(0)
    assert client8.get("/readyz").status_code == 200


def test_embedder_hanging_is_503_in_time(client8: TestClient, stub: EmbeddingStub) -> None:
    assert client8.get("/readyz").status_code == 200
    stub.state.delay = 10.0
    response, elapsed = timed_readyz(client8)
    assert response.status_code == 503
    assert elapsed < PROBE_TIMEOUT
    assert "embedding API" in response.json()["reason"]


def test_embedder_gone_is_503(redis8: RedisServer, make_client: Callable[..., TestClient]) -> None:
    own = EmbeddingStub().start()
    client = make_client(redis8.url, openai_base_url=own.url)
    assert client.get("/readyz").status_code == 200
    own.stop()
    response, elapsed = timed_readyz(client)
    assert response.status_code == 503
    assert elapsed < PROBE_TIMEOUT


def test_redis_hung_is_503_in_time(private_redis: RedisServer, make_client: Callable[..., TestClient]) -> None:
    client = make_client(private_redis.url)
    assert client.get("/readyz").status_code == 200
    pid = private_redis.freeze()
    try:
        response, elapsed = timed_readyz(client)
    finally:
        private_redis.thaw(pid)
    assert response.status_code == 503
    assert elapsed < PROBE_TIMEOUT
    assert "Redis" in response.json()["reason"]
    assert client.get("/readyz").status_code == 200

"""Redis 8: DOCINTEL_VECTOR_* reach the index; a service configured against a populated index says what to do."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.support.embedding_stub import stub_vector
from tests.support.redis_server import RedisServer

DOCUMENT = {"id": "doc", "title": "t", "text": "Basalt and lava.\n\nCoral reefs and fish."}


def test_the_settings_build_the_index(redis8: RedisServer, make_client: Callable[..., TestClient]) -> None:
    client = make_client(redis8.url, vector_quantization="BIN", vector_m=12)
    assert client.post("/v1/documents", json=DOCUMENT).status_code == 201
    with redis8.client() as redis:
        info = redis.execute_command("VINFO", "docintel:vset")
    fields = {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else str(v))
        for k, v in (info.items() if isinstance(info, dict) else zip(info[0::2], info[1::2], strict=True))
    }
    assert (fields["quant-type"], fields["hnsw-m"]) == ("bin", "12")


def test_a_mismatched_service_is_not_ready_and_refuses_with_advice(
    redis8: RedisServer, make_client: Callable[..., TestClient]
) -> None:
    assert make_client(redis8.url, vector_quantization="Q8").post("/v1/documents", json=DOCUMENT).status_code == 201
    other = make_client(redis8.url, vector_quantization="NOQUANT")
    ready = other.get("/readyz")
    assert ready.status_code == 503
    assert "DOCINTEL_VECTOR_QUANTIZATION=Q8" in ready.json()["reason"]
    response = other.post("/v1/documents", json={**DOCUMENT, "id": "other"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "index_settings_mismatch"
    assert "DOCINTEL_KEY_PREFIX" in response.json()["error"]["message"]
    assert make_client(redis8.url).get("/v1/documents/other").status_code == 404
    assert make_client(redis8.url).post("/v1/search", json={"query": "lava"}).json()["hits"]


def test_noquant_scores_are_exact_cosines(redis8: RedisServer, make_client: Callable[..., TestClient]) -> None:
    client = make_client(redis8.url, vector_quantization="NOQUANT")
    assert client.post("/v1/documents", json=DOCUMENT).status_code == 201
    hit = client.post("/v1/search", json={"query": "coral reef fish", "k": 1}).json()["hits"][0]
    expected = float(np.dot(stub_vector("coral reef fish", 64), stub_vector(hit["text"], 64)))
    assert hit["score"] == pytest.approx(expected, abs=1e-4)

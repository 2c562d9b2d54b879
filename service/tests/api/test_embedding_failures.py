"""Embedding failures through the app: the right status, and nothing stored."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.support.app import STUB_MODEL
from tests.support.embedding_stub import EmbeddingStub
from tests.support.redis_server import RedisServer


def test_api_timeout_is_504_and_nothing_stored(
    redis_server: RedisServer, make_client: Callable[..., TestClient], stub: EmbeddingStub
) -> None:
    client = make_client(redis_server.url, embedding_timeout=0.2, embedding_max_retries=1)
    stub.state.delay = 0.5
    response = client.post("/v1/documents", json={"id": "t", "title": "t", "text": "slow text"})
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "embedding_timeout"
    stub.state.delay = 0
    assert client.get("/v1/documents/t").status_code == 404
    assert client.get("/v1/documents").json()["total"] == 0


def test_wrong_dimension_is_502_and_nothing_stored(client: TestClient, stub: EmbeddingStub) -> None:
    assert client.post("/v1/documents", json={"id": "ok", "title": "t", "text": "first"}).status_code == 201
    stub.state.wrong_dimension = True
    response = client.post("/v1/documents", json={"id": "bad", "title": "t", "text": "second text"})
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "embedding_dimension_mismatch"
    assert "65-dimensional" in error["message"]
    replace = client.post("/v1/documents", json={"id": "ok", "title": "new", "text": "replacement text"})
    assert replace.status_code == 502
    stub.state.wrong_dimension = False
    assert client.get("/v1/documents/bad").status_code == 404
    assert client.get("/v1/documents/ok").json()["title"] == "t"
    assert client.get("/v1/documents").json()["total"] == 1


def test_configured_dimension_mismatch_is_502(redis8: RedisServer, make_client: Callable[..., TestClient]) -> None:
    client = make_client(redis8.url, embedding_dimension=128)
    response = client.post("/v1/documents", json={"title": "t", "text": "x"})
    assert response.status_code == 502
    assert "expected 128" in response.json()["error"]["message"]


def test_upstream_errors_are_502(client8: TestClient, stub: EmbeddingStub) -> None:
    stub.fail_next(10, status=500)
    response = client8.post("/v1/search", json={"query": "anything"})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "embedding_failed"


def test_retries_make_ingest_succeed(client8: TestClient, stub: EmbeddingStub) -> None:
    stub.fail_next(2, status=502)
    response = client8.post("/v1/documents", json={"title": "t", "text": "eventually stored"})
    assert response.status_code == 201
    assert stub.state.attempts == 4  # two failures, the text, then the model's fingerprint (asked once)


@pytest.mark.parametrize(
    ("dimension", "model", "code", "said"),
    [
        (32, "", "index_dimension_mismatch", "32-dimensional"),
        (64, "another model", "index_model_mismatch", "another embedding model"),
    ],
    ids=["another-dimension", "same-dimension"],
)
def test_vectors_of_another_model_are_refused(
    redis_server: RedisServer,
    make_client: Callable[..., TestClient],
    stub: EmbeddingStub,
    dimension: int,
    model: str,
    code: str,
    said: str,
) -> None:
    first = make_client(redis_server.url)
    assert first.post("/v1/documents", json={"id": "a", "title": "t", "text": "x"}).status_code == 201
    stub.reset(dimension=dimension)
    stub.state.model = model
    second = make_client(redis_server.url, embedding_model="other-model")
    unready = second.get("/readyz")  # its first probe
    assert unready.status_code == 503
    assert said in unready.json()["reason"]
    response = second.post("/v1/documents", json={"id": "b", "title": "t", "text": "y"})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == code
    assert said in response.json()["error"]["message"]
    assert second.get("/v1/documents/b").status_code == 404
    search = second.post("/v1/search", json={"query": "x"})
    assert search.status_code == 502
    assert search.json()["error"]["code"] == code


def test_an_emptied_index_takes_the_next_model_and_refuses_the_old_one(
    redis_server: RedisServer, make_client: Callable[..., TestClient], stub: EmbeddingStub
) -> None:
    first = make_client(redis_server.url)
    assert first.post("/v1/documents", json={"id": "a", "title": "t", "text": "coral reef"}).status_code == 201
    assert first.delete("/v1/documents/a").status_code == 204
    stub.state.model = "another model"
    second = make_client(redis_server.url, embedding_model="other-model")
    assert second.post("/v1/search", json={"query": "coral"}).json()["hits"] == []
    assert second.post("/v1/documents", json={"id": "b", "title": "t", "text": "coral reef"}).status_code == 201
    hits = second.post("/v1/search", json={"query": "coral reef"}).json()["hits"]
    assert [hit["document_id"] for hit in hits] == ["b"]
    assert hits[0]["score"] > 0.99
    stub.state.model = ""
    refused = first.post("/v1/search", json={"query": "coral"})
    assert refused.status_code == 502
    assert refused.json()["error"]["code"] == "index_model_mismatch"


def test_a_backend_that_changed_its_model_makes_the_app_unready_and_is_refused(
    client: TestClient, stub: EmbeddingStub
) -> None:
    assert client.post("/v1/documents", json={"id": "a", "title": "t", "text": "coral reef"}).status_code == 201
    assert client.get("/readyz").status_code == 200
    stub.state.model = "the server now runs another model"
    unready = client.get("/readyz")  # renews the app's fingerprint, then checks the index with it
    assert unready.status_code == 503
    assert "another embedding model" in unready.json()["reason"]
    refused = client.post("/v1/search", json={"query": "coral"})
    assert refused.status_code == 502
    assert refused.json()["error"]["code"] == "index_model_mismatch"
    assert "DOCINTEL_KEY_PREFIX" in refused.json()["error"]["message"]
    stub.state.model = ""
    assert client.get("/readyz").status_code == 200
    assert client.post("/v1/search", json={"query": "coral"}).json()["hits"][0]["document_id"] == "a"


def test_zero_vectors_are_rejected_and_never_cached(client: TestClient, stub: EmbeddingStub) -> None:
    text = "a text the model maps to nothing"
    stub.state.zero_for = frozenset({text})
    response = client.post("/v1/documents", json={"id": "z", "title": "t", "text": text})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "embedding_failed"
    assert "zero" in response.json()["error"]["message"]
    assert client.get("/v1/documents/z").status_code == 404
    stub.state.zero_for = frozenset()
    assert client.post("/v1/documents", json={"id": "z", "title": "t", "text": text}).status_code == 201
    hit = client.post("/v1/search", json={"query": text, "k": 1}).json()["hits"][0]
    assert hit["document_id"] == "z"
    assert hit["score"] > 0.99


def test_a_zero_vector_in_the_cache_is_not_used(client8: TestClient, redis8: RedisServer, stub: EmbeddingStub) -> None:
    text = "cached as zero by an older version"
    key = f"docintel:emb:openai/{STUB_MODEL}:{hashlib.sha256(text.encode()).hexdigest()}"
    with redis8.client() as raw:
        raw.set(key, np.zeros(64, dtype=np.float32).tobytes())
    assert client8.post("/v1/documents", json={"id": "c", "title": "t", "text": text}).status_code == 201
    hit = client8.post("/v1/search", json={"query": text, "k": 1}).json()["hits"][0]
    assert hit["score"] > 0.99
    assert [text] in stub.state.requests


def test_a_zero_query_vector_is_502(client8: TestClient, stub: EmbeddingStub) -> None:
    assert client8.post("/v1/documents", json={"title": "t", "text": "something"}).status_code == 201
    stub.state.zero_for = frozenset({"an unembeddable query"})
    response = client8.post("/v1/search", json={"query": "an unembeddable query"})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "embedding_failed"


def test_dimension_change_after_restart_is_a_clear_error(
    redis_server: RedisServer, make_client: Callable[..., TestClient], stub: EmbeddingStub
) -> None:
    cached = "alpha beta " * 60  # one chunk, whose 64-dimensional embedding stays cached
    first = make_client(redis_server.url)
    assert first.post("/v1/documents", json={"id": "a", "title": "t", "text": cached}).json()["chunks"] == 1
    stub.reset(dimension=32)  # the embeddings server now answers with another dimension, same model name
    restarted = make_client(redis_server.url)
    text = cached + "\n\n" + "gamma delta " * 60  # the cached chunk and a new one
    response = restarted.post("/v1/documents", json={"id": "b", "title": "t", "text": text})
    assert response.status_code == 502, response.text
    error = response.json()["error"]
    assert error["code"] == "index_dimension_mismatch"
    assert "64" in error["message"]
    assert "32" in error["message"]
    search = restarted.post("/v1/search", json={"query": cached})
    assert search.status_code == 502
    assert search.json()["error"]["code"] == "index_dimension_mismatch"

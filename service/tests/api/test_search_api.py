"""Search through the HTTP app: ranking, filters, scores, and which index path runs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.support.embedding_stub import EmbeddingStub, stub_vector
from tests.support.redis_server import RedisServer

DOCS = {
    "volcano": (
        "Volcanoes",
        "Volcanoes erupt when magma rises. Lava and volcanic ash follow an eruption.",
        {"topic": "geology", "year": 2020},
    ),
    "ocean": (
        "Oceans",
        "Ocean currents move warm water. Coral reefs and fish live in the ocean.",
        {"topic": "biology", "year": 2021},
    ),
    "space": (
        "Space",
        "Rockets launch satellites into orbit. Astronauts live on the space station.",
        {"topic": "astronomy", "year": 2020, "tags": ["a", "b"]},
    ),
}


@pytest.fixture
def loaded(client: TestClient) -> TestClient:
    for doc_id, (title, text, metadata) in DOCS.items():
        assert (
            client.post(
                "/v1/documents", json={"id": doc_id, "title": title, "text": text, "metadata": metadata}
            ).status_code
            == 201
        )
    return client


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("magma lava eruption", "volcano"),
        ("coral reefs in the ocean", "ocean"),
        ("astronauts in orbit", "space"),
    ],
)
def test_topic_ranks_first(loaded: TestClient, query: str, expected: str) -> None:
    response = loaded.post("/v1/search", json={"query": query, "k": 3})
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    assert len(hits) == 3
    assert hits[0]["document_id"] == expected
    assert hits[0]["title"] == DOCS[expected][0]
    assert hits[0]["metadata"] == DOCS[expected][2]
    assert hits[0]["chunk_index"] == 0
    assert hits[0]["text"] == DOCS[expected][1]
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0001 <= score <= 1.0001 for score in scores)


def test_score_is_cosine_similarity(loaded: TestClient) -> None:
    query = "magma lava eruption"
    hit = loaded.post("/v1/search", json={"query": query, "k": 1}).json()["hits"][0]
    expected = float(np.dot(stub_vector(query, 64), stub_vector(DOCS["volcano"][1], 64)))
    # Vector sets score the stored vectors, 8-bit quantised by default (exact with NOQUANT: test_vector_settings.py).
    exact = loaded.get("/readyz").json()["checks"]["index"] == "exact"
    assert hit["score"] == pytest.approx(expected, abs=1e-4 if exact else 1e-2)


def test_default_k_and_limit(loaded: TestClient) -> None:
    hits = loaded.post("/v1/search", json={"query": "water"}).json()["hits"]
    assert len(hits) == 3  # only three chunks exist; default k is 5
    assert len(loaded.post("/v1/search", json={"query": "water", "k": 1}).json()["hits"]) == 1


@pytest.mark.parametrize("k", [0, 101, -1, "many", None])
def test_k_out_of_range_is_422(loaded: TestClient, k: object) -> None:
    response = loaded.post("/v1/search", json={"query": "water", "k": k})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_filter_by_metadata(loaded: TestClient) -> None:
    def ids(filter_: dict[str, object]) -> list[str]:
        response = loaded.post("/v1/search", json={"query": "magma lava", "k": 10, "filter": filter_})
        assert response.status_code == 200, response.text
        return [hit["document_id"] for hit in response.json()["hits"]]

    assert ids({"topic": "biology"}) == ["ocean"]
    assert sorted(ids({"year": 2020})) == ["space", "volcano"]
    assert ids({"year": 2020.0, "topic": "astronomy"}) == ["space"]
    assert ids({"tags": ["a", "b"]}) == ["space"]
    assert ids({"year": "2020"}) == []
    assert ids({"topic": "geology", "year": 2021}) == []
    assert ids({"missing": True}) == []
    assert len(ids({})) == 3


def test_search_empty_index(client: TestClient) -> None:
    response = client.post("/v1/search", json={"query": "anything"})
    assert response.status_code == 200
    assert response.json() == {"hits": []}


def test_blank_query_is_422(client: TestClient) -> None:
    assert client.post("/v1/search", json={"query": "   "}).status_code == 422
    assert client.post("/v1/search", json={}).status_code == 422


def test_index_path_matches_server_version(loaded: TestClient, redis_server: RedisServer) -> None:
    store = loaded.app.state.context.store  # type: ignore[attr-defined]
    version = redis_server.version()
    expected = "vectorset" if version.startswith("8.") else "exact"
    assert store.index_name() == expected
    loaded.post("/v1/search", json={"query": "ocean"})
    metrics = loaded.get("/metrics").text
    assert f'docintel_searches_total{{path="{expected}"}} 1.0' in metrics
    assert loaded.get("/readyz").json()["checks"]["index"] == expected
    with redis_server.client() as redis_client:
        if expected == "vectorset":
            assert redis_client.execute_command("VCARD", "docintel:vset") == 3
            assert not redis_client.exists("docintel:vectors")
        else:
            assert redis_client.hlen("docintel:vectors") == 3
            assert not redis_client.exists("docintel:vset")


def test_many_chunks_rank_consistently(client: TestClient, stub: EmbeddingStub) -> None:
    topics = ["volcano magma", "ocean coral", "rocket orbit", "forest trees", "desert sand"]
    for i in range(40):
        topic = topics[i % len(topics)]
        text = "\n\n".join(f"Paragraph {j} about {topic} number {i}." for j in range(5))
        client.post(
            "/v1/documents",
            json={"id": f"d{i}", "title": topic, "text": text, "metadata": {"topic": topic}},
        )
    hits = client.post("/v1/search", json={"query": "desert sand", "k": 20}).json()["hits"]
    assert len(hits) == 20
    assert {hit["title"] for hit in hits[:5]} == {"desert sand"}
    filtered = client.post(
        "/v1/search", json={"query": "desert sand", "k": 100, "filter": {"topic": "forest trees"}}
    ).json()["hits"]
    assert len(filtered) == 8
    assert {hit["title"] for hit in filtered} == {"forest trees"}


def query_ttls(server: RedisServer) -> list[int]:
    """The TTL of every embedding-cache entry (-1: none)."""
    with server.client() as redis:
        return sorted(int(redis.ttl(key)) for key in redis.scan_iter(match="*:emb:*"))


def test_query_embeddings_are_cached_for_an_hour_not_a_month(
    redis8: RedisServer, make_client: Callable[..., TestClient]
) -> None:
    # Anyone who may search could otherwise fill Redis with a month of distinct queries.
    client = make_client(redis8.url)
    text = "Magma rises and lava follows."
    assert client.post("/v1/documents", json={"id": "v", "title": "V", "text": text}).status_code == 201
    [chunk_ttl] = query_ttls(redis8)
    assert chunk_ttl > 29 * 24 * 3600
    assert client.post("/v1/search", json={"query": "where does lava come from?"}).status_code == 200
    assert client.post("/v1/search", json={"query": text}).status_code == 200  # the chunk's entry, kept as it is
    ttls = query_ttls(redis8)
    assert len(ttls) == 2 and 0 < ttls[0] <= 3600 and ttls[1] > 29 * 24 * 3600

    uncached = make_client(redis8.url, embedding_query_cache_ttl=0, key_prefix="uncached")
    assert uncached.post("/v1/search", json={"query": "nothing kept"}).status_code == 200
    assert len(query_ttls(redis8)) == 2

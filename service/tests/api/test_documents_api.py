"""Document CRUD through the HTTP app, on Redis 7 and Redis 8."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi.testclient import TestClient

from tests.support.embedding_stub import EmbeddingStub
from tests.support.redis_server import RedisServer

PARAGRAPHS = [
    "Volcanoes erupt when magma rises through the crust. Lava flows and ash clouds follow.",
    "Glaciers carve valleys as ice moves slowly downhill over thousands of years.",
    "Coral reefs grow in warm shallow seas and shelter a large share of marine species.",
]


def long_text(paragraphs: int = 12) -> str:
    return "\n\n".join(PARAGRAPHS[i % 3] + f" Section {i}." for i in range(paragraphs))


def redis_keys(server: RedisServer, pattern: str) -> list[bytes]:
    with server.client() as client:
        return sorted(client.scan_iter(match=pattern))


def vector_count(server: RedisServer) -> int:
    with server.client() as client:
        if server.version().startswith("8"):
            return int(client.execute_command("VCARD", "docintel:vset"))
        return int(client.hlen("docintel:vectors"))


def test_create_and_read_document(client: TestClient) -> None:
    response = client.post(
        "/v1/documents",
        json={
            "id": "doc-1",
            "title": "Earth",
            "text": long_text(),
            "metadata": {"lang": "en", "n": 3},
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["id"] == "doc-1"
    assert created["chunks"] >= 1

    doc = client.get("/v1/documents/doc-1").json()
    assert doc["id"] == "doc-1"
    assert doc["title"] == "Earth"
    assert doc["text"] == long_text()
    assert doc["metadata"] == {"lang": "en", "n": 3}
    assert doc["chunks"] == created["chunks"]
    assert datetime.fromisoformat(doc["created_at"]) <= datetime.fromisoformat(doc["updated_at"])


def test_id_is_generated_when_absent(client: TestClient) -> None:
    first = client.post("/v1/documents", json={"title": "a", "text": "alpha"}).json()
    second = client.post("/v1/documents", json={"title": "b", "text": "beta"}).json()
    assert first["id"] != second["id"]
    assert len(first["id"]) == 32
    assert client.get(f"/v1/documents/{first['id']}").json()["text"] == "alpha"


def test_chunking_settings_apply(redis_server: RedisServer, make_client: Callable[..., TestClient]) -> None:
    small = make_client(redis_server.url, chunk_size=120, chunk_overlap=20)
    chunks = small.post("/v1/documents", json={"title": "t", "text": long_text(6)}).json()["chunks"]
    assert chunks >= 6


def test_pagination(client: TestClient) -> None:
    ids = [f"doc-{i:02d}" for i in range(7)]
    for doc_id in ids:
        body = {"id": doc_id, "title": doc_id, "text": f"text {doc_id}"}
        assert client.post("/v1/documents", json=body).status_code == 201
    page = client.get("/v1/documents", params={"offset": 0, "limit": 3}).json()
    assert page["total"] == 7
    assert page["offset"] == 0
    assert page["limit"] == 3
    assert [item["id"] for item in page["items"]] == ids[:3]
    assert "text" not in page["items"][0]
    collected: list[str] = []
    offset = 0
    while True:
        page = client.get("/v1/documents", params={"offset": offset, "limit": 3}).json()
        if not page["items"]:
            break
        collected += [item["id"] for item in page["items"]]
        offset += 3
    assert collected == ids
    assert client.get("/v1/documents", params={"offset": 100}).json()["items"] == []
    default = client.get("/v1/documents").json()
    assert default["offset"] == 0
    assert default["limit"] == 20
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "x"}):
        response = client.get("/v1/documents", params=bad)
        assert response.status_code == 422, bad
        assert response.json()["error"]["code"] == "validation_error"


def test_delete_removes_chunks_and_vectors(client: TestClient, redis_server: RedisServer) -> None:
    client.post("/v1/documents", json={"id": "keep", "title": "keep", "text": long_text(3)})
    client.post("/v1/documents", json={"id": "gone", "title": "gone", "text": long_text(9)})
    keep_vectors = client.get("/v1/documents/keep").json()["chunks"]
    assert redis_keys(redis_server, "docintel:chunks:gone:*")
    response = client.delete("/v1/documents/gone")
    assert response.status_code == 204
    assert response.content == b""
    assert client.get("/v1/documents/gone").status_code == 404
    assert redis_keys(redis_server, "docintel:chunks:gone:*") == []
    assert redis_keys(redis_server, "docintel:doc:gone") == []
    assert vector_count(redis_server) == keep_vectors
    hits = client.post("/v1/search", json={"query": "glaciers valleys", "k": 50}).json()["hits"]
    assert hits
    assert {hit["document_id"] for hit in hits} == {"keep"}
    assert client.get("/v1/documents").json()["total"] == 1

    missing = client.delete("/v1/documents/gone")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "document_not_found"


def test_replace_swaps_all_chunks(client: TestClient, redis_server: RedisServer) -> None:
    first = client.post("/v1/documents", json={"id": "r", "title": "v1", "text": long_text(12), "metadata": {"v": 1}})
    created_at = client.get("/v1/documents/r").json()["created_at"]
    second = client.post("/v1/documents", json={"id": "r", "title": "v2", "text": "Completely new text about deserts."})
    assert first.json()["chunks"] > 1
    assert second.json() == {"id": "r", "chunks": 1}
    doc = client.get("/v1/documents/r").json()
    assert doc["title"] == "v2"
    assert doc["metadata"] == {}
    assert doc["chunks"] == 1
    assert doc["created_at"] == created_at
    assert len(redis_keys(redis_server, "docintel:chunks:r:*")) == 1
    assert vector_count(redis_server) == 1
    assert client.get("/v1/documents").json()["total"] == 1
    hits = client.post("/v1/search", json={"query": "volcanoes magma", "k": 10}).json()["hits"]
    assert [hit["text"] for hit in hits] == ["Completely new text about deserts."]


def test_unknown_document_is_404(client: TestClient) -> None:
    response = client.get("/v1/documents/nope")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "document_not_found", "message": "document 'nope' not found"}}


def test_invalid_id_is_422(client8: TestClient) -> None:
    for bad in ("", "has space", "slash/inside", "x" * 201, "-leading"):
        response = client8.post("/v1/documents", json={"id": bad, "title": "t", "text": "x"})
        assert response.status_code == 422, bad


def test_too_long_title_and_query_say_how_long_in_characters(client8: TestClient) -> None:
    document = client8.post("/v1/documents", json={"title": "t" * 1001, "text": "x"})
    search = client8.post("/v1/search", json={"query": "q" * 20_001})
    for response, limit in ((document, 1000), (search, 20_000)):
        assert response.status_code == 422
        assert f"at most {limit} characters" in response.json()["error"]["message"]
    assert client8.post("/v1/documents", json={"title": "t" * 1000, "text": "x"}).status_code == 201


def test_embedding_cache_embeds_identical_text_once(client8: TestClient, stub: EmbeddingStub) -> None:
    text = long_text(6)
    client8.post("/v1/documents", json={"id": "a", "title": "a", "text": text})
    embedded = stub.texts_embedded
    assert embedded >= 1
    client8.post("/v1/documents", json={"id": "b", "title": "b", "text": text})
    assert stub.texts_embedded == embedded
    metrics = client8.get("/metrics").text
    assert "docintel_embedding_cache_hits_total" in metrics


def embedding_keys(server: RedisServer) -> list[bytes]:
    return redis_keys(server, "docintel:emb:*")


def test_deleting_documents_drops_their_cached_embeddings(client: TestClient, redis_server: RedisServer) -> None:
    for number in range(20):
        text = "\n\n".join(f"Document {number}, part {part}: " + "words " * 120 for part in range(3))
        assert client.post("/v1/documents", json={"id": f"d{number}", "title": "t", "text": text}).status_code == 201
    assert len(embedding_keys(redis_server)) >= 60
    for number in range(20):
        assert client.delete(f"/v1/documents/d{number}").status_code == 204
    assert embedding_keys(redis_server) == []


def test_replacing_keeps_the_embeddings_still_in_use(
    client: TestClient, redis_server: RedisServer, stub: EmbeddingStub
) -> None:
    kept, dropped, added = ("Kept part " + "k " * 400, "Dropped part " + "d " * 400, "Added part " + "a " * 400)
    assert (
        client.post("/v1/documents", json={"id": "r", "title": "t", "text": f"{kept}\n\n{dropped}"}).status_code == 201
    )
    assert client.post("/v1/documents", json={"id": "r", "title": "t", "text": f"{kept}\n\n{added}"}).status_code == 201
    assert len(embedding_keys(redis_server)) == client.get("/v1/documents/r").json()["chunks"]
    embedded = stub.texts_embedded
    assert client.post("/v1/documents", json={"id": "r", "title": "t", "text": f"{kept}\n\n{added}"}).status_code == 201
    assert stub.texts_embedded == embedded  # nothing re-embedded: the cache still has every chunk

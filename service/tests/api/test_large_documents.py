"""A large document: written in bounded batches, visible only when complete, answered truthfully.

One transaction holding every vector of a large document blocks Redis for
longer than a socket timeout (Redis 8 inserts each vector into its HNSW graph);
the client then sees a timeout for a write that went through, or a replay.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fastapi.testclient import TestClient

from docintel.store.redis_client import raw_command
from tests.support.embedding_stub import EmbeddingStub
from tests.support.redis_server import RedisServer

PARAGRAPHS = 3000


def large_text(paragraphs: int = PARAGRAPHS) -> str:
    """One chunk per paragraph with chunk_size=100."""
    return "\n\n".join(
        f"Paragraph {i} is about topic{i % 97}, word{i} and some filler text." for i in range(paragraphs)
    )


def stored_vectors(server: RedisServer) -> int:
    with server.client() as client:
        if server.version().startswith("8."):
            return int(client.execute_command("VCARD", "docintel:vset") or 0)
        return int(client.hlen("docintel:vectors"))


def chunk_keys(server: RedisServer, document_id: str) -> list[bytes]:
    with server.client() as client:
        return list(client.scan_iter(match=f"docintel:chunks:{document_id}:*"))


def test_large_document_is_stored_once_and_answered_truthfully(
    redis_server: RedisServer, make_client: Callable[..., TestClient]
) -> None:
    # The socket timeout is far below what one transaction with every vector takes.
    client = make_client(redis_server.url, chunk_size=100, chunk_overlap=0, redis_socket_timeout=0.5)
    response = client.post("/v1/documents", json={"id": "big", "title": "big", "text": large_text()})
    assert response.status_code == 201, response.text
    assert response.json()["chunks"] == PARAGRAPHS
    doc = client.get("/v1/documents/big").json()
    assert doc["chunks"] == PARAGRAPHS
    assert doc["created_at"] == doc["updated_at"]  # written once, never replayed
    assert stored_vectors(redis_server) == PARAGRAPHS
    assert len(chunk_keys(redis_server, "big")) == 1
    with redis_server.client() as raw:
        assert raw.zcard("docintel:pending") == 0
    hits = client.post("/v1/search", json={"query": "Paragraph 2999 is about topic89, word2999", "k": 1}).json()
    assert hits["hits"][0]["text"].startswith("Paragraph 2999 ")


def test_redis_hanging_mid_write_leaves_nothing_visible_or_behind(
    server_factory: Callable[..., RedisServer], make_client: Callable[..., TestClient], stub: EmbeddingStub
) -> None:
    server = server_factory("8")
    client = make_client(server.url, chunk_size=100, chunk_overlap=0, redis_socket_timeout=0.5, write_grace_seconds=1)
    assert (
        client.post("/v1/documents", json={"id": "big", "title": "old", "text": "the old version"}).status_code == 201
    )
    admin = server.client()
    paused = threading.Event()

    def pause_when_half_written() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if int(raw_command(admin, "VCARD", "docintel:vset") or 0) > PARAGRAPHS // 2:
                admin.client_pause(1500, all=False)  # writes hang for 1.5 s
                paused.set()
                return
            time.sleep(0.002)

    watcher = threading.Thread(target=pause_when_half_written)
    watcher.start()
    response = client.post("/v1/documents", json={"id": "big", "title": "new", "text": large_text()})
    watcher.join()
    assert paused.is_set()
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "store_unavailable"
    time.sleep(2.0)  # the pause ends; the unfinished write is now older than write_grace_seconds
    doc = client.get("/v1/documents/big").json()
    assert (doc["title"], doc["text"], doc["chunks"]) == ("old", "the old version", 1)
    hits = client.post("/v1/search", json={"query": "Paragraph 7 is about topic7", "k": 10}).json()["hits"]
    assert [hit["text"] for hit in hits] == ["the old version"]
    # The next write collects what the failed one left.
    assert client.post("/v1/documents", json={"id": "other", "title": "t", "text": "x"}).status_code == 201
    assert stored_vectors(server) == 2
    assert len(chunk_keys(server, "big")) == 1
    assert admin.zcard("docintel:pending") == 0
    admin.close()


def test_readers_never_see_a_half_written_version(
    private_redis: RedisServer, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(private_redis.url, chunk_size=100, chunk_overlap=0)
    assert client.post("/v1/documents", json={"id": "big", "title": "v1", "text": "version one"}).status_code == 201
    stop = threading.Event()
    problems: list[str] = []

    def read() -> None:
        while not stop.is_set():
            # A hit of the new version means it was committed: the document read afterwards must be all of it.
            hits = client.post("/v1/search", json={"query": "Paragraph about topic word filler", "k": 20}).json()
            doc = client.get("/v1/documents/big").json()
            if any(hit["text"].startswith("Paragraph") for hit in hits["hits"]) and doc["title"] != "v2":
                problems.append("a hit of the new version before it was committed")
            if doc["title"] == "v2" and doc["chunks"] != PARAGRAPHS // 3:
                problems.append(f"v2 with {doc['chunks']} chunks")

    reader = threading.Thread(target=read)
    reader.start()
    response = client.post("/v1/documents", json={"id": "big", "title": "v2", "text": large_text(PARAGRAPHS // 3)})
    stop.set()
    reader.join()
    assert response.status_code == 201
    assert problems == []

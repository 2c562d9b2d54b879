"""Redis 7: a write updates each process's copy of the vectors; searches do not reload all of them."""

from __future__ import annotations

import threading
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.support.redis_server import RedisServer

DOCUMENTS = 100
CHUNKS = 10
DIMENSION = 64


def output_bytes(server: RedisServer) -> int:
    with server.client() as client:
        return int(client.info("stats")["total_net_output_bytes"])


def test_a_write_does_not_make_searches_reload_every_vector(
    redis7: RedisServer, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(redis7.url, chunk_size=60, chunk_overlap=0)
    for number in range(DOCUMENTS):
        text = "\n\n".join(f"Document {number} paragraph {i} words{number * CHUNKS + i}." for i in range(CHUNKS))
        assert (
            client.post("/v1/documents", json={"id": f"d{number}", "title": "t", "text": text}).json()["chunks"]
            == CHUNKS
        )
    assert client.post("/v1/search", json={"query": "paragraph words"}).status_code == 200  # loads every vector
    all_vectors = DOCUMENTS * CHUNKS * DIMENSION * 4

    new_text = "\n\n".join(f"A new document, paragraph {i} novel{i}." for i in range(CHUNKS))
    assert client.post("/v1/documents", json={"id": "new", "title": "t", "text": new_text}).status_code == 201
    before = output_bytes(redis7)
    statuses: list[int] = []

    def search(number: int) -> None:
        statuses.append(client.post("/v1/search", json={"query": f"novel{number} paragraph"}).status_code)

    threads = [threading.Thread(target=search, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = output_bytes(redis7) - before
    assert statuses == [200] * 8
    assert sent < all_vectors // 4, f"{sent} bytes sent for 8 searches after one write (all vectors: {all_vectors})"
    hits = client.post("/v1/search", json={"query": "A new document, paragraph 3 novel3.", "k": 1}).json()["hits"]
    assert (hits[0]["document_id"], hits[0]["chunk_index"]) == ("new", 3)

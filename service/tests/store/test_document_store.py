"""The store owns search: hits come resolved, from whichever index the server supports."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import redis
from pydantic import JsonValue

from docintel.core.config import Settings
from docintel.errors import IndexDimensionMismatchError, WriteNotReplicatedError
from docintel.schemas import SearchHit
from docintel.store import DocumentStore, Keys, create_redis
from tests.support.embedding_stub import stub_vector
from tests.support.redis_server import RedisServer

DIM = 16
KEYS = Keys("docintel")


def vectors(texts: list[str]) -> np.ndarray:
    return np.stack([stub_vector(text, DIM) for text in texts]).astype(np.float32)


def put(
    store: DocumentStore, document_id: str, chunks: list[str], metadata: dict[str, JsonValue] | None = None
) -> None:
    store.put_document(
        document_id=document_id,
        title=document_id.upper(),
        text="\n\n".join(chunks),
        metadata=metadata or {},
        chunks=chunks,
        vectors=vectors(chunks),
    )


def test_index_matches_server(store: DocumentStore, redis_server: RedisServer) -> None:
    assert store.index_name() == ("vectorset" if redis_server.version().startswith("8.") else "exact")


def test_search_returns_resolved_hits(store: DocumentStore) -> None:
    put(store, "lava", ["magma and lava", "ash clouds"], {"topic": "geology"})
    put(store, "sea", ["coral reef fish"], {"topic": "biology"})
    hits = store.search(vector=vectors(["magma lava"])[0], k=2, metadata_filter={})
    assert all(isinstance(hit, SearchHit) for hit in hits)
    assert hits[0] == SearchHit(
        document_id="lava",
        chunk_index=0,
        text="magma and lava",
        score=hits[0].score,
        title="LAVA",
        metadata={"topic": "geology"},
    )
    expected = float(np.dot(vectors(["magma lava"])[0], vectors(["magma and lava"])[0]))
    # Vector sets score the stored vectors, 8-bit quantised by default.
    assert abs(hits[0].score - expected) < (1e-4 if store.index_name() == "exact" else 2e-2)
    filtered = store.search(vector=vectors(["magma lava"])[0], k=5, metadata_filter={"topic": "biology"})
    assert [hit.document_id for hit in filtered] == ["sea"]


def test_replaced_and_deleted_documents_leave_the_results(store: DocumentStore) -> None:
    put(store, "doc", ["old words here", "more old words"])
    put(store, "doc", ["new words"])
    hits = store.search(vector=vectors(["old words"])[0], k=10, metadata_filter={})
    assert [(hit.document_id, hit.text) for hit in hits] == [("doc", "new words")]
    assert store.delete_document(document_id="doc")
    assert not store.delete_document(document_id="doc")
    assert store.search(vector=vectors(["new words"])[0], k=10, metadata_filter={}) == []


def test_a_user_refused_vcard_is_an_error_not_an_empty_exact_search(
    redis8: RedisServer, make_redis: Callable[..., redis.Redis]
) -> None:
    # Only "unknown command" means a server without vector sets: a refusal (an ACL without VCARD) must not
    # make the store search an empty exact index and miss every document in the vector set.
    put(DocumentStore(make_redis(redis8), keys=KEYS), "lava", ["magma and lava"])
    with redis8.client() as admin:
        admin.acl_setuser(
            "no-vcard", enabled=True, passwords=["+no-vcard-pass"], keys=["*"], commands=["+@all", "-vcard"]
        )
    try:
        limited = create_redis(Settings(redis_url=f"redis://no-vcard:no-vcard-pass@127.0.0.1:{redis8.port}/0"))
        with limited, pytest.raises(redis.ResponseError, match="no permissions to run the 'VCARD' command"):
            DocumentStore(limited, keys=KEYS).search(vector=vectors(["magma"])[0], k=1, metadata_filter={})
    finally:
        with redis8.client() as admin:
            admin.acl_deluser("no-vcard")


def test_vectors_of_another_dimension_left_in_the_index_are_a_clear_error(
    redis8: RedisServer, make_redis: Callable[..., redis.Redis]
) -> None:
    store = DocumentStore(make_redis(redis8), keys=KEYS)
    put(store, "old", ["the old model's text"])
    store.delete_document(document_id="old")
    with redis8.client() as client:  # a cleanup that did not finish: one vector of the old model is left
        client.execute_command("VADD", KEYS.vset, "VALUES", DIM, *([0.25] * DIM), "leftover", "Q8", "M", 16)
    wider = np.ones((1, 2 * DIM), dtype=np.float32)
    with pytest.raises(IndexDimensionMismatchError, match="still holds vectors of another dimension"):
        store.put_document(document_id="new", title="N", text="new", metadata={}, chunks=["new"], vectors=wider)


def test_a_write_no_replica_confirms_still_removes_what_it_replaced(redis_server: RedisServer) -> None:
    # WAIT 1 on a server without replicas: every write is stored on the primary but never confirmed
    # (503 write_not_replicated). The version it replaced must be collected all the same.
    store = DocumentStore(redis_server.client(), keys=KEYS, wait_replicas=1, wait_timeout=0.05)
    for text in ("first version", "second version"):
        with pytest.raises(WriteNotReplicatedError, match="0 of the 1 replicas"):
            put(store, "doc", [text])
    with redis_server.client() as client:
        assert len(client.keys(KEYS.chunks("doc", "*"))) == 1
        assert client.zcard(KEYS.pending) == 0
    assert [
        hit.document_id for hit in store.search(vector=vectors(["second version"])[0], k=5, metadata_filter={})
    ] == ["doc"]

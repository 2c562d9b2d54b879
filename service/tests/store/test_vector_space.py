"""An index knows its model by a fingerprint: another model of the same dimension is refused, the same one is not."""

from __future__ import annotations

import numpy as np
import pytest

from docintel.errors import IndexModelMismatchError
from docintel.store import DocumentStore, Keys
from docintel.store.index import normalize
from tests.support.embedding_stub import stub_vector

DIM = 32
KEYS = Keys("docintel")


def fingerprint(model: str) -> np.ndarray:
    """A model's fingerprint, as the stub serving ``model`` would give it."""
    return normalize(stub_vector("dimension probe", DIM, model=model))


def put(store: DocumentStore, document_id: str, *, model: str, fingerprint_of: str | None) -> None:
    """Store one chunk embedded by ``model``, saying it comes from ``fingerprint_of``'s model (None: not saying)."""
    store.put_document(
        document_id=document_id,
        title=document_id,
        text="coral reef",
        metadata={},
        chunks=["coral reef"],
        vectors=stub_vector("coral reef", DIM, model=model)[None, :].astype(np.float32),
        fingerprint=None if fingerprint_of is None else fingerprint(fingerprint_of),
    )


def search(store: DocumentStore, *, model: str) -> list[str]:
    """The ids found for "coral reef" as ``model`` embeds it, with its fingerprint."""
    vector = stub_vector("coral reef", DIM, model=model).astype(np.float32)
    hits = store.search(vector=vector, k=3, metadata_filter={}, fingerprint=fingerprint(model))
    return [hit.document_id for hit in hits]


def test_another_model_of_the_same_dimension_is_refused_and_nothing_changes(store: DocumentStore) -> None:
    put(store, "a", model="A", fingerprint_of="A")
    with pytest.raises(IndexModelMismatchError, match="DOCINTEL_KEY_PREFIX"):
        put(store, "b", model="B", fingerprint_of="B")
    with pytest.raises(IndexModelMismatchError):
        search(store, model="B")
    assert store.get_document(document_id="b") is None
    assert search(store, model="A") == ["a"]


def test_a_fingerprint_within_rounding_of_the_stored_one_is_the_same_model(store: DocumentStore) -> None:
    put(store, "a", model="A", fingerprint_of="A")
    rng = np.random.default_rng(3)
    close = normalize(fingerprint("A") + rng.normal(0, 1e-3, DIM).astype(np.float32))  # cosine about 0.99998
    store.put_document(
        document_id="b", title="b", text="t", metadata={}, chunks=["t"], vectors=close[None, :], fingerprint=close
    )
    assert store.get_document(document_id="b") is not None


def test_an_index_without_a_fingerprint_takes_the_next_writers(store: DocumentStore) -> None:
    put(store, "old", model="A", fingerprint_of=None)  # as versions before the fingerprint wrote
    assert search(store, model="B") == ["old"]  # nothing recorded to refuse it by
    put(store, "a", model="A", fingerprint_of="A")
    with pytest.raises(IndexModelMismatchError):
        put(store, "b", model="B", fingerprint_of="B")
    put(store, "c", model="A", fingerprint_of=None)  # a writer that does not say keeps the recorded one
    with pytest.raises(IndexModelMismatchError):
        search(store, model="B")

"""A filter that few chunks match finds every one of them, on both indexes, among many that do not match."""

from __future__ import annotations

import numpy as np

from docintel.store import DocumentStore

DIM = 16
COMMON_CHUNKS = 12_000  # well over the filtered search's first bound (FILTER-EF 2000 for k 5)
# Enough queries that a graph walk ending before a match shows: with FILTER-EF set to the set's size
# instead of an exact scan, about one query in 160 found one match of the two.
QUERIES = 300


def test_a_selective_filter_finds_every_stored_match(store: DocumentStore) -> None:
    rng = np.random.default_rng(7)
    store.put_document(
        document_id="common",
        title="common",
        text="common",
        metadata={"tenant": "common"},
        chunks=[f"c{i}" for i in range(COMMON_CHUNKS)],
        vectors=rng.standard_normal((COMMON_CHUNKS, DIM)).astype(np.float32),
    )
    store.put_document(
        document_id="rare",
        title="rare",
        text="r0 r1",
        metadata={"tenant": "rare"},
        chunks=["r0", "r1"],
        vectors=rng.standard_normal((2, DIM)).astype(np.float32),
    )
    found = [
        sorted(
            (hit.document_id, hit.chunk_index)
            for hit in store.search(vector=query, k=5, metadata_filter={"tenant": "rare"})
        )
        for query in rng.standard_normal((QUERIES, DIM)).astype(np.float32)
    ]
    assert found == [[("rare", 0), ("rare", 1)]] * QUERIES

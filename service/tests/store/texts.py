"""Store helpers for the store tests: documents of given chunk texts with the stub's vectors, and search by text."""

from __future__ import annotations

import numpy as np

from docintel.store import DocumentStore
from tests.support.embedding_stub import stub_vector


def put_texts(store: DocumentStore, document_id: str, texts: list[str], *, dimension: int) -> None:
    """Store ``document_id`` with one chunk per text, embedded by the stub at ``dimension``."""
    store.put_document(
        document_id=document_id,
        title=document_id,
        text=" ".join(texts),
        metadata={},
        chunks=texts,
        vectors=np.stack([stub_vector(text, dimension) for text in texts]).astype(np.float32),
    )


def top(store: DocumentStore, text: str, *, dimension: int, k: int = 1) -> list[tuple[str, int]]:
    """(document id, chunk index) of the ``k`` best hits for ``text``."""
    hits = store.search(vector=stub_vector(text, dimension), k=k, metadata_filter={})
    return [(hit.document_id, hit.chunk_index) for hit in hits]

"""Semantic search use case."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue

from docintel.core.metrics import Metrics
from docintel.embeddings.base import Embedder
from docintel.schemas import SearchHit
from docintel.store.documents import DocumentStore

__all__ = ["search_chunks"]


def search_chunks(
    *,
    store: DocumentStore,
    embedder: Embedder,
    metrics: Metrics | None,
    query: str,
    k: int,
    metadata_filter: Mapping[str, JsonValue] | None,
) -> list[SearchHit]:
    """The ``k`` chunks most similar to ``query`` (cosine), best first."""
    vector = embedder.embed([query])[0]
    hits = store.search(vector=vector, k=k, metadata_filter=metadata_filter or {})
    if metrics is not None:
        metrics.searches.labels(store.index_name()).inc()
    return hits

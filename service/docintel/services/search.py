"""Semantic search use case."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue

from docintel.core.metrics import Metrics
from docintel.embeddings.base import Embedder
from docintel.store.documents import ChunkHit, DocumentStore
from docintel.store.filters import filter_tags
from docintel.store.vectors import VectorQuery

__all__ = ["search_chunks"]


def search_chunks(
    *,
    store: DocumentStore,
    embedder: Embedder,
    metrics: Metrics | None,
    query: str,
    k: int,
    metadata_filter: Mapping[str, JsonValue] | None,
) -> list[ChunkHit]:
    """The ``k`` chunks most similar to ``query`` (cosine), best first."""
    vector = embedder.embed([query])[0]
    vector_query = VectorQuery(vector=vector, k=k, filter_tags=filter_tags(metadata_filter or {}))
    matches = store.index.search(vector_query)
    if metrics is not None:
        metrics.searches.labels(store.index.mode().value).inc()
    return store.resolve_matches(matches=matches)

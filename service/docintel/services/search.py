"""Semantic search use case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import JsonValue

from docintel.core.metrics import Metrics
from docintel.embeddings.base import Embedder
from docintel.schemas import SearchHit
from docintel.store.documents import DocumentStore

__all__ = ["SearchService"]


@dataclass(frozen=True)
class SearchService:
    """Semantic search on one app's store, embedder and metrics (built once per app)."""

    store: DocumentStore
    embedder: Embedder
    metrics: Metrics | None = None

    def search(self, *, query: str, k: int, metadata_filter: Mapping[str, JsonValue] | None) -> list[SearchHit]:
        """The ``k`` chunks most similar to ``query`` (cosine), best first."""
        vector = self.embedder.embed([query], queries=True)[0]
        hits = self.store.search(
            vector=vector, k=k, metadata_filter=metadata_filter or {}, fingerprint=self.embedder.fingerprint()
        )
        if self.metrics is not None:
            self.metrics.searches.labels(self.store.index_name()).inc()
        return hits

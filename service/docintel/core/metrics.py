"""Prometheus metrics, kept in a registry owned by each app instance."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

__all__ = ["Metrics"]


class Metrics:
    """The service's Prometheus collectors, registered in a private registry.

    A private registry (instead of the process-global default) lets several apps
    live in one process, which the tests and the benchmark rely on.
    """

    def __init__(self) -> None:
        """Create the registry and all collectors."""
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = self._counter(
            "docintel_http_requests_total",
            "HTTP requests by method, route template and status code.",
            "method",
            "route",
            "status",
        )
        self.http_latency = Histogram(
            "docintel_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.documents_ingested = self._counter(
            "docintel_documents_ingested_total", "Documents stored (new or replaced)."
        )
        self.chunks_ingested = self._counter("docintel_chunks_ingested_total", "Chunks stored.")
        self.documents_deleted = self._counter("docintel_documents_deleted_total", "Documents deleted.")
        self.embedding_calls = self._counter(
            "docintel_embedding_calls_total",
            "Calls to the embedding backend (one per batch, retries not counted).",
            "backend",
        )
        self.embedding_texts = self._counter(
            "docintel_embedding_texts_total", "Texts sent to the embedding backend.", "backend"
        )
        self.embedding_cache_hits = self._counter(
            "docintel_embedding_cache_hits_total", "Texts whose embedding came from the Redis cache."
        )
        self.embedding_cache_misses = self._counter(
            "docintel_embedding_cache_misses_total", "Texts that were not in the embedding cache."
        )
        self.searches = self._counter("docintel_searches_total", "Searches by index path (vectorset or exact).", "path")

    def _counter(self, name: str, documentation: str, *labels: str) -> Counter:
        """A counter in this app's registry, with ``labels``."""
        return Counter(name, documentation, labels, registry=self.registry)

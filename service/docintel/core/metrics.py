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
        self.http_requests = Counter(
            "docintel_http_requests_total",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "docintel_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.documents_ingested = Counter(
            "docintel_documents_ingested_total",
            "Documents stored (new or replaced).",
            registry=self.registry,
        )
        self.chunks_ingested = Counter(
            "docintel_chunks_ingested_total",
            "Chunks stored.",
            registry=self.registry,
        )
        self.documents_deleted = Counter(
            "docintel_documents_deleted_total",
            "Documents deleted.",
            registry=self.registry,
        )
        self.embedding_calls = Counter(
            "docintel_embedding_calls_total",
            "Calls to the embedding backend (one per batch, retries not counted).",
            ["backend"],
            registry=self.registry,
        )
        self.embedding_texts = Counter(
            "docintel_embedding_texts_total",
            "Texts sent to the embedding backend.",
            ["backend"],
            registry=self.registry,
        )
        self.embedding_cache_hits = Counter(
            "docintel_embedding_cache_hits_total",
            "Texts whose embedding came from the Redis cache.",
            registry=self.registry,
        )
        self.embedding_cache_misses = Counter(
            "docintel_embedding_cache_misses_total",
            "Texts that were not in the embedding cache.",
            registry=self.registry,
        )
        self.searches = Counter(
            "docintel_searches_total",
            "Searches by index path (vectorset or exact).",
            ["path"],
            registry=self.registry,
        )

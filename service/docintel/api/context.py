"""The per-app bundle of long-lived objects (settings, Redis, embedder, store, use cases, secret masking)."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from docintel.core.config import Settings
from docintel.core.metrics import Metrics
from docintel.core.secrets import Redactor, secret_values
from docintel.embeddings.base import Embedder
from docintel.embeddings.factory import create_embedder, create_embedding_cache
from docintel.services.documents import DocumentService
from docintel.services.readiness import ReadinessChecker
from docintel.services.search import SearchService
from docintel.store.connect import RedisConnection, connect_redis
from docintel.store.documents import DocumentStore

__all__ = ["AppContext"]


@dataclass(frozen=True, slots=True)
class AppContext:
    """Everything request handlers need, created once per app."""

    settings: Settings
    redis: redis.Redis
    metrics: Metrics
    embedder: Embedder
    store: DocumentStore
    redact: Redactor
    readiness: ReadinessChecker
    documents: DocumentService
    search: SearchService
    connection: RedisConnection

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        """Create the Redis pool, embedder and store (no network I/O happens here)."""
        metrics = Metrics()
        connection = connect_redis(settings)
        cache = create_embedding_cache(settings, client=connection.redis, keys=connection.keys)
        store = connection.store(settings, forget_texts=cache.forget)
        embedder = create_embedder(settings, cache=cache, metrics=metrics)
        redact = Redactor(secret_values(settings))
        return cls(
            settings=settings,
            redis=connection.redis,
            metrics=metrics,
            embedder=embedder,
            store=store,
            redact=redact,
            readiness=ReadinessChecker(store=store, embedder=embedder, redact=redact),
            documents=DocumentService(store, embedder, settings, metrics),
            search=SearchService(store, embedder, metrics),
            connection=connection,
        )

    def close(self) -> None:
        """Release the readiness workers, the embedder's resources and the Redis pool."""
        self.readiness.close()
        self.embedder.close()
        self.store.close()
        self.connection.close()

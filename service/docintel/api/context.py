"""The per-app bundle of long-lived objects (settings, Redis, embedder, store)."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from docintel.core.config import Settings
from docintel.core.metrics import Metrics
from docintel.embeddings.base import Embedder
from docintel.embeddings.factory import create_embedder
from docintel.store.documents import DocumentStore
from docintel.store.keys import Keys
from docintel.store.redis_client import create_redis

__all__ = ["AppContext"]


@dataclass(frozen=True, slots=True)
class AppContext:
    """Everything request handlers need, created once per app."""

    settings: Settings
    redis: redis.Redis
    metrics: Metrics
    embedder: Embedder
    store: DocumentStore

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        """Create the Redis pool, embedder and store (no network I/O happens here)."""
        client = create_redis(settings)
        metrics = Metrics()
        keys = Keys(settings.key_prefix)
        store = DocumentStore(client, keys=keys)
        embedder = create_embedder(settings, client=client, metrics=metrics)
        return cls(settings=settings, redis=client, metrics=metrics, embedder=embedder, store=store)

    def close(self) -> None:
        """Release the embedder's resources and the Redis pool."""
        self.embedder.close()
        self.redis.close()

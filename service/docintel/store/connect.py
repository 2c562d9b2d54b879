"""The Redis a service's settings describe: one server, or shards on a Redis Cluster; and the store on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import redis

from docintel.core.config import Settings
from docintel.store.cluster import cluster_clients, shard_prefixes
from docintel.store.documents import DocumentStore
from docintel.store.keys import Keys
from docintel.store.redis_client import create_redis
from docintel.store.shard_count import ShardCount, shard_count_key
from docintel.store.vectorset_layout import VectorSetOptions

__all__ = ["RedisConnection", "connect_redis"]


@dataclass(frozen=True, slots=True)
class RedisConnection:
    """A client and key prefix per shard (one without a cluster); the first also serves the embedding cache.

    ``shard_count`` (on a cluster) checks that the documents were placed in as many shards.
    """

    shards: Sequence[tuple[redis.Redis, Keys]]
    shard_count: ShardCount | None = None

    @property
    def redis(self) -> redis.Redis:
        """The first shard's client."""
        return self.shards[0][0]

    @property
    def keys(self) -> Keys:
        """The first shard's keys."""
        return self.shards[0][1]

    def store(self, settings: Settings, *, forget_texts: Callable[[Sequence[str]], None] | None) -> DocumentStore:
        """The document store over these shards, configured by ``settings``."""
        vectors = (settings.vector_quantization, settings.vector_m, settings.vector_build_ef, settings.vector_search_ef)
        return DocumentStore.sharded(
            self.shards,
            grace_seconds=settings.write_grace_seconds,
            forget_texts=forget_texts,
            vector_options=VectorSetOptions(*vectors, threaded_add=settings.vector_threaded_add),
            wait_replicas=settings.redis_wait_replicas,
            wait_timeout=settings.redis_wait_timeout,
            precheck=self.shard_count.check if self.shard_count is not None else None,
        )

    def close(self) -> None:
        """Close every client."""
        for client, _ in self.shards:
            client.close()
        if self.shard_count is not None:
            self.shard_count.close()


def connect_redis(settings: Settings) -> RedisConnection:
    """Clients for ``settings`` (no network I/O happens here)."""
    if not settings.redis_cluster:
        return RedisConnection([(create_redis(settings), Keys(settings.key_prefix))])
    prefixes = shard_prefixes(settings.key_prefix, settings.redis_cluster_shards)
    *clients, record_client = cluster_clients(settings, [*prefixes, shard_count_key(settings.key_prefix)])
    return RedisConnection(
        [(client, Keys(prefix)) for client, prefix in zip(clients, prefixes, strict=True)],
        ShardCount(record_client, prefix=settings.key_prefix, shards=settings.redis_cluster_shards),
    )

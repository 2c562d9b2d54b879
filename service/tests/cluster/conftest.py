"""A real 3-primary, 3-replica Redis Cluster from the pinned Redis 8, and stores on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from docintel.core.config import Settings
from docintel.store import DocumentStore
from docintel.store.connect import RedisConnection, connect_redis
from tests.support.redis_cluster import RedisCluster
from tests.support.redis_server import redis_binary


@pytest.fixture
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisCluster]:
    """A fresh cluster per test (the failover test kills a node)."""
    try:
        binary = redis_binary("8")
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    cluster = RedisCluster(binary, tmp_path_factory.mktemp("cluster")).start()
    yield cluster
    cluster.stop()


@pytest.fixture
def cluster_store(cluster: RedisCluster) -> Iterator[Callable[..., DocumentStore]]:
    """Stores on the cluster as the service builds them (3 shards), with setting overrides."""
    connections: list[tuple[RedisConnection, DocumentStore]] = []

    def build(**overrides: Any) -> DocumentStore:
        settings = Settings(redis_url=cluster.url, redis_cluster=True, **overrides)
        connection = connect_redis(settings)
        store = connection.store(settings, forget_texts=None)
        connections.append((connection, store))
        return store

    yield build
    for connection, store in connections:
        store.close()
        connection.close()

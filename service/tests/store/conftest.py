"""A DocumentStore (and its Redis client) on each real Redis version."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from docintel.core.config import Settings
from docintel.store import DocumentStore, Keys, create_redis
from tests.support.redis_server import RedisServer


@pytest.fixture
def make_redis() -> Iterator[Callable[..., redis.Redis]]:
    """The service's Redis client for a server, with setting overrides; closed afterwards."""
    clients: list[redis.Redis] = []

    def build(server: RedisServer, **overrides: Any) -> redis.Redis:
        client = create_redis(Settings(redis_url=server.url, **overrides))
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def store(redis_server: RedisServer, make_redis: Callable[..., redis.Redis]) -> DocumentStore:
    """A store on each Redis version (emptied), with the default key prefix."""
    return DocumentStore(make_redis(redis_server), keys=Keys("docintel"))

"""A DocumentStore (and its Redis client) on each real Redis version."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis

from docintel.store import DocumentStore, Keys
from tests.support.redis_server import RedisServer


@pytest.fixture
def store(redis_server: RedisServer, make_redis: Callable[..., redis.Redis]) -> DocumentStore:
    """A store on each Redis version (emptied), with the default key prefix."""
    return DocumentStore(make_redis(redis_server), keys=Keys("docintel"))

"""App clients (in-process ASGI) on real Redis servers, with the embeddings stub (make_client: ../conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.support.redis_server import RedisServer


@pytest.fixture
def client(redis_server: RedisServer, make_client: Callable[..., TestClient]) -> TestClient:
    """An app client on each Redis version."""
    return make_client(redis_server.url)


@pytest.fixture
def client8(redis8: RedisServer, make_client: Callable[..., TestClient]) -> TestClient:
    """An app client on Redis 8 only."""
    return make_client(redis8.url)

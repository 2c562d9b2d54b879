"""App clients (in-process ASGI) on real Redis servers, with the embeddings stub."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from docintel.core.config import Settings
from docintel.main import create_app
from tests.support.app import app_settings
from tests.support.embedding_stub import EmbeddingStub
from tests.support.redis_server import RedisServer


@pytest.fixture
def make_settings(stub: EmbeddingStub) -> Callable[..., Settings]:
    """Settings pointing at the stub and a given Redis, with fast retries."""

    def build(redis_url: str, **overrides: Any) -> Settings:
        return app_settings(embeddings_url=stub.url, redis_url=redis_url, **overrides)

    return build


@pytest.fixture
def make_client(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., TestClient]]:
    """Build TestClients (lifespan entered) for a Redis URL and setting overrides."""
    clients: list[TestClient] = []

    def build(redis_url: str, **overrides: Any) -> TestClient:
        client = TestClient(create_app(make_settings(redis_url, **overrides)))
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(redis_server: RedisServer, make_client: Callable[..., TestClient]) -> TestClient:
    """An app client on each Redis version."""
    return make_client(redis_server.url)


@pytest.fixture
def client8(redis8: RedisServer, make_client: Callable[..., TestClient]) -> TestClient:
    """An app client on Redis 8 only."""
    return make_client(redis8.url)

"""Shared fixtures: real Redis 7 and 8 servers, the embeddings stub and in-process app clients.

Redis binaries come from DOCINTEL_TEST_REDIS_7 and DOCINTEL_TEST_REDIS_8; a
missing variable fails the tests that need it (it is never skipped).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis
from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir

from tests.support.embedding_stub import EmbeddingStub
from tests.support.redis_server import RedisServer, redis_binary

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from docintel.core.config import Settings

# Hypothesis keeps its caches under service/.hypothesis whatever the current directory, and no
# example database: runs do not depend on what an earlier run happened to find.
set_hypothesis_home_dir(str(Path(__file__).resolve().parents[1] / ".hypothesis"))
hypothesis_settings.register_profile("docintel", database=None)
hypothesis_settings.load_profile("docintel")


def _start_server(version: str, workdir: Path, port: int | None = None, password: str | None = None) -> RedisServer:
    try:
        binary = redis_binary(version)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    server = RedisServer(binary, workdir, port=port, password=password).start()
    actual = server.version()
    if not actual.startswith(f"{version}."):
        server.stop()
        pytest.fail(f"{binary} is Redis {actual}, expected {version}.x", pytrace=False)
    return server


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's DOCINTEL_* variables (other than test ones) out of Settings."""
    for name in list(os.environ):
        if name.startswith("DOCINTEL_") and not name.startswith("DOCINTEL_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("PORT", raising=False)


@pytest.fixture(scope="session")
def redis7_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = _start_server("7", tmp_path_factory.mktemp("redis7"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis8_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = _start_server("8", tmp_path_factory.mktemp("redis8"))
    yield server
    server.stop()


@pytest.fixture(params=["7", "8"], ids=["redis7", "redis8"])
def redis_server(request: pytest.FixtureRequest) -> RedisServer:
    """Each Redis version in turn, emptied before the test."""
    server: RedisServer = request.getfixturevalue(f"redis{request.param}_server")
    with server.client() as client:
        client.flushall()
    return server


@pytest.fixture
def redis7(redis7_server: RedisServer) -> RedisServer:
    """The Redis 7 server, emptied (for tests of the exact-search path)."""
    with redis7_server.client() as client:
        client.flushall()
    return redis7_server


@pytest.fixture
def redis8(redis8_server: RedisServer) -> RedisServer:
    """The Redis 8 server, emptied (for tests where the version does not matter)."""
    with redis8_server.client() as client:
        client.flushall()
    return redis8_server


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """Start private servers (for stop/restart tests); all are stopped afterwards."""
    started: list[RedisServer] = []

    def start(version: str, port: int | None = None, password: str | None = None) -> RedisServer:
        server = _start_server(version, tmp_path / f"redis-{version}-{len(started)}", port=port, password=password)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(params=["7", "8"], ids=["redis7", "redis8"])
def private_redis(request: pytest.FixtureRequest, server_factory: Callable[..., RedisServer]) -> RedisServer:
    """A server of each Redis version in turn, for this test alone (to stop, freeze or restart)."""
    return server_factory(request.param)


@pytest.fixture
def make_redis() -> Iterator[Callable[..., redis.Redis]]:
    """The service's Redis client for a server, with setting overrides; closed afterwards."""
    from docintel.core.config import Settings
    from docintel.store import create_redis

    clients: list[redis.Redis] = []

    def build(server: RedisServer, **overrides: Any) -> redis.Redis:
        client = create_redis(Settings(redis_url=server.url, **overrides))
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def _stub_server() -> Iterator[EmbeddingStub]:
    stub = EmbeddingStub().start()
    yield stub
    stub.stop()


@pytest.fixture
def stub(_stub_server: EmbeddingStub) -> EmbeddingStub:
    """The embeddings stub, reset to normal behaviour."""
    _stub_server.reset()
    return _stub_server


@pytest.fixture
def make_settings(stub: EmbeddingStub) -> Callable[..., Settings]:
    """Settings pointing at the stub and a given Redis, with fast retries."""
    from tests.support.app import app_settings

    def build(redis_url: str, **overrides: Any) -> Settings:
        return app_settings(embeddings_url=stub.url, redis_url=redis_url, **overrides)

    return build


@pytest.fixture
def make_client(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., TestClient]]:
    """Build TestClients (lifespan entered) for a Redis URL and setting overrides.

    The app is imported here, not at the top: the suites without an app (unit,
    store) do not have its dependencies.
    """
    from fastapi.testclient import TestClient

    from docintel.main import create_app

    clients: list[TestClient] = []

    def build(redis_url: str, **overrides: Any) -> TestClient:
        client = TestClient(create_app(make_settings(redis_url, **overrides)))
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)

"""Redis 8 with an append-only file restarts with what the store wrote (Redis 8.0 cannot replay VADD CAS)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from docintel.store import DocumentStore, Keys
from docintel.store.vectorset_layout import VectorSetOptions
from tests.store.texts import put_texts, top
from tests.support.redis_server import RedisServer, redis_binary

DIM = 32
TEXTS = ["basalt lava flows", "coral reef fish", "orbit of a comet", "oak and pine forest"]


@pytest.fixture
def aof_redis8(tmp_path: Path) -> Iterator[RedisServer]:
    """A private Redis 8 that logs every write to its append-only file at once."""
    server = RedisServer(
        redis_binary("8"), tmp_path / "redis8-aof", extra_args=["--appendonly", "yes", "--appendfsync", "always"]
    )
    yield server.start()
    server.stop()


@pytest.mark.parametrize("threaded_add", [False, True], ids=["default", "threaded_add"])
def test_a_restart_from_the_aof_keeps_documents_and_vectors(
    threaded_add: bool, aof_redis8: RedisServer, make_redis: Callable[..., redis.Redis]
) -> None:
    store = DocumentStore(
        make_redis(aof_redis8), keys=Keys("docintel"), vector_options=VectorSetOptions(threaded_add=threaded_add)
    )
    put_texts(store, "doc", TEXTS, dimension=DIM)
    logged = b"".join(path.read_bytes() for path in (aof_redis8.workdir / "appendonlydir").glob("*.incr.aof"))
    assert b"VADD" in logged
    assert b"CAS" not in logged, "VADD CAS in the AOF: Redis 8.0 fails an assertion replaying it"

    aof_redis8.stop()
    aof_redis8.start()

    assert store.get_document(document_id="doc") is not None
    assert top(store, "orbit of a comet", dimension=DIM) == [("doc", 2)]

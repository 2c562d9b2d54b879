"""Redis 8: the vector set's quantisation and HNSW M are settings, recorded with the index and never mixed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import redis

from docintel.errors import IndexSettingsMismatchError
from docintel.store import DocumentStore, Keys
from docintel.store.vectorset_layout import VectorSetOptions
from tests.store.texts import put_texts
from tests.store.texts import top as hits_for
from tests.support.embedding_stub import stub_vector
from tests.support.redis_server import RedisServer

DIM = 32
KEYS = Keys("docintel")
VINFO_NAMES = {"NOQUANT": "f32", "Q8": "int8", "BIN": "bin"}

MakeStore = Callable[..., DocumentStore]


@pytest.fixture
def make_store(redis8: RedisServer, make_redis: Callable[..., redis.Redis]) -> MakeStore:
    """Stores (each a separate service process, as far as the index goes) on one emptied Redis 8."""

    def build(**options: Any) -> DocumentStore:
        return DocumentStore(make_redis(redis8), keys=KEYS, vector_options=VectorSetOptions(**options))

    return build


def put(store: DocumentStore, document_id: str, texts: list[str]) -> None:
    put_texts(store, document_id, texts, dimension=DIM)


def top(store: DocumentStore, text: str) -> tuple[str, int]:
    return hits_for(store, text, dimension=DIM)[0]


def vinfo(server: RedisServer) -> dict[str, str]:
    with server.client() as client:
        reply = client.execute_command("VINFO", KEYS.vset)
    values = reply if isinstance(reply, dict) else dict(zip(reply[0::2], reply[1::2], strict=True))
    return {
        (name.decode() if isinstance(name, bytes) else name): value.decode() if isinstance(value, bytes) else str(value)
        for name, value in values.items()
    }


def record(server: RedisServer) -> dict[str, object] | None:
    with server.client() as client:
        raw = client.get(KEYS.vset_layout)
    return None if raw is None else dict(json.loads(raw))


TEXTS = ["basalt lava flows", "coral reef fish", "orbit of a comet", "oak and pine forest"]


@pytest.mark.parametrize("quantization", ["NOQUANT", "Q8", "BIN"])
def test_the_configured_quantization_builds_the_index_and_is_recorded(
    quantization: str, make_store: MakeStore, redis8: RedisServer
) -> None:
    store = make_store(quantization=quantization, m=24)
    put(store, "doc", TEXTS)
    assert (vinfo(redis8)["quant-type"], vinfo(redis8)["hnsw-m"]) == (VINFO_NAMES[quantization], "24")
    assert record(redis8) == {"quantization": quantization, "m": 24}
    assert top(store, "orbit of a comet") == ("doc", 2)


def test_a_new_index_gets_q8_and_m16_by_default(make_store: MakeStore, redis8: RedisServer) -> None:
    put(make_store(), "doc", TEXTS)
    assert (vinfo(redis8)["quant-type"], vinfo(redis8)["hnsw-m"]) == ("int8", "16")
    assert record(redis8) == {"quantization": "Q8", "m": 16}


def test_an_index_created_without_a_record_keeps_working_as_it_was_built(
    make_store: MakeStore, redis8: RedisServer
) -> None:
    put(make_store(quantization="NOQUANT"), "old", TEXTS)  # what the service wrote before layouts were recorded
    with redis8.client() as client:
        client.delete(KEYS.vset_layout)
    store = make_store()  # nothing configured: the index stays as it is
    assert top(store, "coral reef fish") == ("old", 1)
    put(store, "new", ["granite and magma"])
    assert top(store, "granite and magma") == ("new", 0)
    assert vinfo(redis8)["quant-type"] == "f32"
    assert record(redis8) == {"quantization": "NOQUANT", "m": 16}
    assert make_store(quantization="NOQUANT").search(vector=stub_vector("x", DIM), k=5, metadata_filter={})


@pytest.mark.parametrize(("first", "second", "advice"), [
    ({"quantization": "Q8"}, {"quantization": "NOQUANT"}, "DOCINTEL_VECTOR_QUANTIZATION=Q8"),
    ({"quantization": "BIN"}, {"quantization": "Q8"}, "DOCINTEL_VECTOR_QUANTIZATION=BIN"),
    ({"m": 16}, {"m": 32}, "DOCINTEL_VECTOR_M=16"),
])  # fmt: skip
def test_another_setting_on_a_populated_index_is_refused_and_nothing_is_mixed(
    first: dict[str, Any], second: dict[str, Any], advice: str, make_store: MakeStore, redis8: RedisServer
) -> None:
    put(make_store(**first), "doc", TEXTS)
    before = vinfo(redis8)
    other = make_store(**second)
    with pytest.raises(IndexSettingsMismatchError) as refused:
        put(other, "other", ["granite and magma"])
    assert advice in refused.value.message and "DOCINTEL_KEY_PREFIX" in refused.value.message
    with pytest.raises(IndexSettingsMismatchError):
        other.search(vector=stub_vector("coral", DIM), k=3, metadata_filter={})
    assert other.get_document(document_id="other") is None
    assert vinfo(redis8) == before
    assert record(redis8) == {"quantization": "Q8", "m": 16} | first


def test_an_emptied_index_takes_the_new_setting(make_store: MakeStore, redis8: RedisServer) -> None:
    old = make_store(quantization="Q8")
    put(old, "doc", TEXTS)
    assert old.delete_document(document_id="doc")
    new = make_store(quantization="BIN")
    put(new, "doc", TEXTS)
    assert vinfo(redis8)["quant-type"] == "bin"
    assert record(redis8) == {"quantization": "BIN", "m": 16}
    assert top(new, "oak and pine forest") == ("doc", 3)


def test_a_process_that_checked_an_empty_index_is_refused_once_another_built_it(
    make_store: MakeStore, redis8: RedisServer
) -> None:
    late, early = make_store(quantization="Q8"), make_store(quantization="NOQUANT")
    assert late.index_name() == early.index_name() == "vectorset"  # both found the index empty
    put(early, "early", TEXTS)
    with pytest.raises(IndexSettingsMismatchError, match="DOCINTEL_VECTOR_"):
        put(late, "late", ["granite and magma"])
    assert late.get_document(document_id="late") is None
    with pytest.raises(IndexSettingsMismatchError, match="DOCINTEL_VECTOR_QUANTIZATION=NOQUANT"):
        put(late, "late", ["granite and magma"])
    assert vinfo(redis8)["size"] == str(len(TEXTS))

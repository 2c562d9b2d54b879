"""The onnx embedder with ONNX Runtime and the real model: loading, pipeline, app behaviour, errors."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from docintel.core.cpus import available_cpus
from docintel.embeddings.onnx_backend import ONNX_IMAGE_REQUIRED, OnnxEmbedder
from docintel.errors import EmbedderUnavailableError
from docintel_models.manifest import DEFAULT_MANIFEST_PATH
from tests.embedders.conftest import ONNX_MODEL, ready_after_loading
from tests.support.redis_server import RedisServer

CATS = "Cats are small domesticated felines. A cat purrs, sleeps most of the day and chases mice."
TAX = "Income tax law sets brackets, deductions and the deadlines for filing returns."
RUST = "Rust is a systems programming language with ownership and borrowing."


def embedder(model_dir: Path, **options: object) -> OnnxEmbedder:
    return OnnxEmbedder(model_name=ONNX_MODEL, model_dir=model_dir, batch_size=8, **options)  # type: ignore[arg-type]


def test_loads_lazily_and_embeds(onnx_mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCINTEL_MODEL_MIRROR", str(onnx_mirror))
    model = embedder(tmp_path)
    assert not any(tmp_path.iterdir())  # nothing fetched or loaded at construction
    vectors = model.embed([CATS, "which pet hunts rodents?", TAX])
    assert (tmp_path / ONNX_MODEL / "main" / "model.onnx").is_file()
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cats, query, tax = vectors
    assert float(query @ cats) > float(query @ tax) + 0.3
    assert model.dimension == 384


def test_threads_default_to_the_containers_cpus(model_cache: Path) -> None:
    assert embedder(model_cache).check_ready(timeout=30) == (
        f"onnx model {ONNX_MODEL}, {available_cpus()} threads (384 dimensions)"
    )
    assert (
        embedder(model_cache, threads=1).check_ready(timeout=30)
        == f"onnx model {ONNX_MODEL}, 1 threads (384 dimensions)"
    )


def test_padding_and_batching_do_not_change_vectors(model_cache: Path) -> None:
    texts = [CATS, "a", TAX, "ünïcødé 🚀", RUST * 3, "?!"]
    one_by_one = np.stack([embedder(model_cache).embed([text])[0] for text in texts])
    batched = OnnxEmbedder(model_name=ONNX_MODEL, model_dir=model_cache, batch_size=len(texts)).embed(texts)
    np.testing.assert_allclose(batched, one_by_one, atol=2e-6)


def test_truncates_at_max_seq_length(model_cache: Path) -> None:
    long_text = " ".join(f"{CATS} {TAX} {RUST}" for _ in range(20))  # about 1,000 tokens
    model = embedder(model_cache)
    kept, extended, shorter = model.embed([long_text, long_text + " Entirely new final words.", CATS])
    np.testing.assert_allclose(kept, extended, atol=1e-6)  # beyond 256 tokens nothing counts
    assert float(kept @ shorter) < 0.99


def test_concurrent_callers_get_the_same_vectors(model_cache: Path) -> None:
    model = embedder(model_cache)
    expected = model.embed([CATS])[0]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda text: model.embed([text])[0], [CATS] * 8))
    for vector in results:
        np.testing.assert_array_equal(vector, expected)


def test_through_the_app(redis8: RedisServer, make_client: Callable[..., TestClient], model_cache: Path) -> None:
    client = make_client(redis8.url, embedder="onnx", model_dir=model_cache, onnx_threads=2)
    ready = ready_after_loading(client)
    assert ready.status_code == 200
    assert ready.json()["checks"]["embedder"] == f"onnx model {ONNX_MODEL}, 2 threads (384 dimensions)"
    for doc_id, text in (("cats", CATS), ("tax", TAX), ("rust", RUST)):
        assert client.post("/v1/documents", json={"id": doc_id, "title": doc_id, "text": text}).status_code == 201
    # No word of the query is in the cat document: the word-hash stub would not find it.
    for _ in range(2):
        hits = client.post("/v1/search", json={"query": "which pet hunts rodents?", "k": 3}).json()["hits"]
        assert hits[0]["document_id"] == "cats"
    metrics = client.get("/metrics").text
    assert 'docintel_embedding_calls_total{backend="onnx"} 4.0' in metrics  # three documents, one query
    assert "docintel_embedding_cache_hits_total 1.0" in metrics  # the repeated query
    with redis8.client() as redis:
        digest = hashlib.sha256(b"which pet hunts rodents?").hexdigest()
        assert any(digest in key.decode() and f"onnx/{ONNX_MODEL}" in key.decode() for key in redis.keys("*"))


def test_model_missing_then_provided(
    redis8: RedisServer,
    make_client: Callable[..., TestClient],
    onnx_mirror: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCINTEL_MODEL_MIRROR", str(tmp_path / "no-mirror"))
    client = make_client(redis8.url, embedder="onnx", model_dir=tmp_path / "models")
    ready = client.get("/readyz")
    assert ready.status_code == 503
    reason = ready.json()["reason"]
    assert f"onnx model '{ONNX_MODEL}' is not available in {tmp_path / 'models'}" in reason
    assert "DOCINTEL_MODEL_MIRROR" in reason
    response = client.post("/v1/documents", json={"id": "d", "title": "t", "text": CATS})
    assert (response.status_code, response.json()["error"]["code"]) == (503, "embedder_unavailable")
    monkeypatch.setenv("DOCINTEL_MODEL_MIRROR", str(onnx_mirror))  # loading is retried on the next use
    assert ready_after_loading(client).status_code == 200
    assert client.post("/v1/documents", json={"id": "d", "title": "t", "text": CATS}).status_code == 201


def test_a_file_that_is_no_onnx_graph(tmp_path: Path, onnx_mirror: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for path in onnx_mirror.rglob("*"):
        if path.is_file() and path.name != "model.onnx":
            (mirror / path.relative_to(onnx_mirror)).parent.mkdir(parents=True, exist_ok=True)
            (mirror / path.relative_to(onnx_mirror)).symlink_to(path.resolve())
    garbage = b"not an onnx graph"
    (mirror / "model.onnx").write_bytes(garbage)
    manifest = json.loads(DEFAULT_MANIFEST_PATH.read_text())
    entry = next(m for m in manifest["models"] if m["name"] == ONNX_MODEL)
    entry["name"] = "broken"
    model_file = next(f for f in entry["files"] if f["path"] == "model.onnx")
    model_file.update(size=len(garbage), sha256=hashlib.sha256(garbage).hexdigest())
    (tmp_path / "manifest.json").write_text(json.dumps({"schema_version": 1, "models": [entry]}))
    monkeypatch.setenv("DOCINTEL_MODEL_MANIFEST", str(tmp_path / "manifest.json"))
    monkeypatch.setenv("DOCINTEL_MODEL_MIRROR", str(mirror))
    broken = OnnxEmbedder(model_name="broken", model_dir=tmp_path / "models", batch_size=4)
    with pytest.raises(EmbedderUnavailableError, match=r"opening onnx model 'broken' in .* failed"):
        broken.embed(["x"])


def test_missing_tokenizers_says_which_image(model_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tokenizers", None)
    with pytest.raises(EmbedderUnavailableError) as info:
        embedder(model_cache).embed(["x"])
    assert str(info.value) == ONNX_IMAGE_REQUIRED

"""The local embedder's loading sequence, where torch is absent.

This venv (like the light "base" image) has no torch, so the real import path
is exercised for its error.  The loading sequence is checked with fake
``torch``, ``sentence_transformers`` and ``docintel_models`` modules (the fake
model directory is empty, so the embedder falls back to sentence-transformers);
the real ``ensure_model`` (download and verification of model files) is tested
in models/, the real engines with torch in tests/embedders/.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from docintel.embeddings.local_backend import ML_IMAGE_REQUIRED, LocalEmbedder
from docintel.errors import EmbedderUnavailableError
from tests.support.redis_server import RedisServer


def _torch_installed() -> bool:
    try:
        import torch  # noqa: F401
    except Exception:
        return False
    return True


@pytest.mark.skipif(_torch_installed(), reason="only meaningful where torch is absent (base image)")
def test_missing_torch_gives_clear_error(tmp_path: Path) -> None:
    embedder = LocalEmbedder(model_name="all-MiniLM-L6-v2", model_dir=tmp_path, batch_size=8)
    with pytest.raises(EmbedderUnavailableError) as info:
        embedder.embed(["hello"])
    assert str(info.value) == ML_IMAGE_REQUIRED
    assert "DOCINTEL_EMBEDDER=openai" in ML_IMAGE_REQUIRED


def test_readyz_and_requests_report_missing_ml_image(
    redis8: RedisServer, make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import fails like in the base image
    client = make_client(redis8.url, embedder="local")
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["reason"] == ML_IMAGE_REQUIRED
    response = client.post("/v1/documents", json={"title": "t", "text": "x"})
    assert response.status_code == 503
    assert response.json()["error"] == {"code": "embedder_unavailable", "message": ML_IMAGE_REQUIRED}


class FakeSentenceTransformer:
    instances: list[FakeSentenceTransformer] = []

    def __init__(self, path: str, device: str) -> None:
        self.path, self.device = path, device
        FakeSentenceTransformer.instances.append(self)

    def get_embedding_dimension(self) -> int:
        return 3

    def encode(self, texts: list[str], **kwargs: object) -> np.ndarray:
        return np.array([[len(t), 1.0, 0.5] for t in texts], dtype=np.float32)


@pytest.fixture
def fake_ml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[str, Path]]:
    calls: list[tuple[str, Path]] = []

    def ensure_model(name: str, *, cache_dir: Path) -> Path:
        calls.append((name, cache_dir))
        path = cache_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    FakeSentenceTransformer.instances = []
    fake_ml_libraries(monkeypatch)
    monkeypatch.setitem(sys.modules, "docintel_models", types.SimpleNamespace(ensure_model=ensure_model))
    return calls


def fake_ml_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch (never used: the empty model directory sends the embedder to sentence-transformers) and
    sentence-transformers as the fake above."""
    monkeypatch.setitem(
        sys.modules, "torch", types.SimpleNamespace(set_num_threads=lambda threads: None, get_num_threads=lambda: 3)
    )
    monkeypatch.setitem(
        sys.modules, "sentence_transformers", types.SimpleNamespace(SentenceTransformer=FakeSentenceTransformer)
    )


def test_model_is_loaded_lazily_once(fake_ml: list[tuple[str, Path]], tmp_path: Path) -> None:
    embedder = LocalEmbedder(model_name="all-MiniLM-L6-v2", model_dir=tmp_path, batch_size=2)
    assert fake_ml == []  # nothing loaded at construction
    vectors = embedder.embed(["a", "bb", "ccc"])
    assert vectors.shape == (3, 3)
    assert embedder.dimension == 3
    assert fake_ml == [("all-MiniLM-L6-v2", tmp_path)]
    [model] = FakeSentenceTransformer.instances
    assert model.path == str(tmp_path / "all-MiniLM-L6-v2")
    assert model.device == "cpu"
    embedder.embed(["dddd"])
    assert len(FakeSentenceTransformer.instances) == 1


def test_local_embedder_through_the_app(
    fake_ml: list[tuple[str, Path]], redis8: RedisServer, make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    client = make_client(redis8.url, embedder="local", model_dir=tmp_path / "models", local_model="mini")
    assert (
        client.get("/readyz").json()["checks"]["embedder"]
        == "local model mini on sentence-transformers, 3 threads (3 dimensions)"
    )
    assert client.post("/v1/documents", json={"id": "d", "title": "t", "text": "hello"}).status_code == 201
    assert client.post("/v1/search", json={"query": "hello"}).json()["hits"][0]["document_id"] == "d"
    assert fake_ml[0] == ("mini", tmp_path / "models")


def test_missing_models_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_ml_libraries(monkeypatch)
    monkeypatch.setitem(sys.modules, "docintel_models", None)
    with pytest.raises(EmbedderUnavailableError, match="docintel_models"):
        LocalEmbedder(model_name="m", model_dir=tmp_path, batch_size=1).embed(["x"])


def test_ensure_model_failure_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def ensure_model(name: str, *, cache_dir: Path) -> Path:
        raise OSError("checksum mismatch")

    fake_ml_libraries(monkeypatch)
    monkeypatch.setitem(sys.modules, "docintel_models", types.SimpleNamespace(ensure_model=ensure_model))
    with pytest.raises(EmbedderUnavailableError, match="checksum mismatch"):
        LocalEmbedder(model_name="m", model_dir=tmp_path, batch_size=1).embed(["x"])

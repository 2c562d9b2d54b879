"""The onnx embedder where onnxruntime is absent, as in the base image: a clear 503, nothing stored.

This venv is the base image's (requirements/base.in), so the real import fails.
The embedder itself, with onnxruntime and the model, is tested in tests/embedders/.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from docintel.core.config import Settings
from docintel.embeddings.onnx_backend import ONNX_IMAGE_REQUIRED, OnnxEmbedder
from docintel.errors import EmbedderUnavailableError
from tests.support.redis_server import RedisServer


def test_this_venv_is_the_base_images() -> None:
    assert importlib.util.find_spec("onnxruntime") is None, "service_test must run without onnxruntime (base image)"


def test_missing_onnxruntime_gives_clear_error(tmp_path: Path) -> None:
    embedder = OnnxEmbedder(model_name="all-MiniLM-L6-v2-onnx", model_dir=tmp_path, batch_size=8)
    with pytest.raises(EmbedderUnavailableError) as info:
        embedder.embed(["hello"])
    assert str(info.value) == ONNX_IMAGE_REQUIRED
    assert "ml_onnx image" in ONNX_IMAGE_REQUIRED and "DOCINTEL_EMBEDDER=openai" in ONNX_IMAGE_REQUIRED
    assert list(tmp_path.iterdir()) == []  # nothing fetched before the libraries are known to be there


def test_readyz_and_requests_report_missing_onnx_image(
    redis8: RedisServer, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(redis8.url, embedder="onnx")
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["reason"] == ONNX_IMAGE_REQUIRED
    response = client.post("/v1/documents", json={"id": "d", "title": "t", "text": "x"})
    assert response.status_code == 503
    assert response.json()["error"] == {"code": "embedder_unavailable", "message": ONNX_IMAGE_REQUIRED}
    assert client.get("/v1/documents/d").status_code == 404


def test_onnx_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCINTEL_EMBEDDER", "onnx")
    monkeypatch.setenv("DOCINTEL_ONNX_THREADS", "3")
    settings = Settings()
    assert (settings.onnx_model, settings.onnx_threads) == ("all-MiniLM-L6-v2-onnx", 3)
    assert settings.embedding_cache_model == "onnx/all-MiniLM-L6-v2-onnx"
    monkeypatch.setenv("DOCINTEL_ONNX_THREADS", "0")
    with pytest.raises(ValidationError, match="onnx_threads"):
        Settings()

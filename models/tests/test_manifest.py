"""The manifest: real hashes and sizes, and validation of bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from docintel_models import ManifestError, ModelSpec, UnknownModelError, load_manifest
from docintel_models.manifest import DEFAULT_MANIFEST_PATH
from support import sha256

# The mirror's files that the service never reads: the model card, the list of
# training data and the hub repository's .gitattributes.
NOT_SERVED = {".gitattributes", "README.md", "data_config.json"}


def test_manifest_lists_minilm(spec: ModelSpec, mirror_dir: Path) -> None:
    assert spec.name == "all-MiniLM-L6-v2"
    assert spec.source.kind == "hf"
    assert spec.source.repo == "sentence-transformers/all-MiniLM-L6-v2"
    assert spec.dimension == 384
    in_mirror = {path.relative_to(mirror_dir).as_posix() for path in mirror_dir.rglob("*") if path.is_file()}
    assert {f.path for f in spec.files} == in_mirror - NOT_SERVED


def test_manifest_matches_the_real_files(spec: ModelSpec, mirror_dir: Path) -> None:
    for model_file in spec.files:
        real = mirror_dir / model_file.path
        assert real.stat().st_size == model_file.size, model_file.path
        assert sha256(real) == model_file.sha256, model_file.path


def test_unknown_model_lists_known_names() -> None:
    with pytest.raises(UnknownModelError) as info:
        load_manifest().get("no-such-model")
    assert "no-such-model" in str(info.value)
    assert "all-MiniLM-L6-v2" in str(info.value)


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(data))
    return path


def _real() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_MANIFEST_PATH.read_text())
    return data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda m: m["models"][0]["files"][0].update(path="../evil"), "plain relative"),
        (lambda m: m["models"][0]["files"][0].update(path="/etc/passwd"), "plain relative"),
        (lambda m: m["models"][0]["files"][0].update(sha256="abc"), "sha256"),
        (lambda m: m["models"][0]["files"][0].update(size=-1), "size"),
        (lambda m: m["models"][0].update(dimension=0), "dimension"),
        (lambda m: m["models"][0].update(name="a/b"), "name"),
        (lambda m: m["models"][0].update(revision="refs/pr/1"), "revision"),
        (lambda m: m["models"][0]["source"].update(kind="s3"), "source kind"),
        (lambda m: m["models"].append(m["models"][0]), "duplicate model"),
        (lambda m: m["models"][0]["files"].append(m["models"][0]["files"][0]), "duplicate file"),
        (lambda m: m.update(schema_version=2), "schema_version"),
    ],
)
def test_invalid_manifests_are_rejected(tmp_path: Path, mutate: Any, message: str) -> None:
    data = _real()
    mutate(data)
    with pytest.raises(ManifestError, match=message):
        load_manifest(_write(tmp_path, data))


def test_manifest_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _real()
    data["models"][0]["name"] = "renamed"
    monkeypatch.setenv("DOCINTEL_MODEL_MANIFEST", str(_write(tmp_path, data)))
    assert load_manifest().names == ["renamed", "all-MiniLM-L6-v2-onnx", "all-MiniLM-L6-v2-onnx-int8"]


def test_unreadable_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read"):
        load_manifest(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ManifestError, match="not valid JSON"):
        load_manifest(bad)

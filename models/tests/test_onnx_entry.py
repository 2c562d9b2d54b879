"""The ONNX variants' entries: all-MiniLM-L6-v2's files plus a model.onnx this build makes.

DOCINTEL_TEST_ONNX_MODEL names the exported model.onnx (//models:minilm_onnx_model),
DOCINTEL_TEST_ONNX_INT8_MODEL its int8 quantisation (//models:minilm_onnx_int8_model).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from docintel_models import Manifest, ManifestError, ModelSpec, SourceUnavailableError, ensure_model, load_manifest
from support import link_mirror, sha256

ONNX_FILE = "model.onnx"


@dataclass(frozen=True)
class Variant:
    """One built ONNX entry: its name in manifest.json, the target making its model.onnx, the variable naming it."""

    model: str
    target: str
    built_variable: str


VARIANTS = [
    Variant("all-MiniLM-L6-v2-onnx", "//models:minilm_onnx_model", "DOCINTEL_TEST_ONNX_MODEL"),
    Variant("all-MiniLM-L6-v2-onnx-int8", "//models:minilm_onnx_int8_model", "DOCINTEL_TEST_ONNX_INT8_MODEL"),
]


@pytest.fixture(params=VARIANTS, ids=lambda variant: variant.model)
def variant(request: pytest.FixtureRequest) -> Variant:
    chosen: Variant = request.param
    return chosen


@pytest.fixture
def built_onnx(variant: Variant) -> Path:
    value = os.environ.get(variant.built_variable)
    if not value:
        pytest.fail(f"{variant.built_variable} is not set: it names the model.onnx of {variant.target}")
    return Path(value)


@pytest.fixture
def onnx_spec(manifest: Manifest, variant: Variant) -> ModelSpec:
    return manifest.get(variant.model)


@pytest.fixture
def onnx_mirror(mirror_dir: Path, built_onnx: Path, tmp_path: Path) -> Path:
    """all-MiniLM-L6-v2's files and the built model.onnx, side by side."""
    mirror = link_mirror(mirror_dir, tmp_path / "mirror")
    (mirror / ONNX_FILE).symlink_to(built_onnx.resolve())
    return mirror


def test_entry_is_built_not_downloaded(onnx_spec: ModelSpec, variant: Variant) -> None:
    assert onnx_spec.source.kind == "bazel"
    assert onnx_spec.source.target == variant.target
    assert onnx_spec.source.origin == "bazel:" + variant.target
    assert onnx_spec.dimension == 384


def test_built_model_onnx_is_the_pinned_one(onnx_spec: ModelSpec, built_onnx: Path, variant: Variant) -> None:
    pinned = next(f for f in onnx_spec.files if f.path == ONNX_FILE)
    assert (built_onnx.stat().st_size, sha256(built_onnx)) == (pinned.size, pinned.sha256), (
        f"{variant.target}'s output changed: if on purpose, put its size and sha256 in models/manifest.json"
    )


def test_other_files_are_minilms_own(onnx_spec: ModelSpec, spec: ModelSpec) -> None:
    minilm = {f.path: f for f in spec.files}
    shared = [f for f in onnx_spec.files if f.path != ONNX_FILE]
    assert {f.path for f in shared} == set(minilm) - {"model.safetensors"}
    for model_file in shared:
        assert model_file == minilm[model_file.path]


def test_fetch_and_verify_from_a_mirror(
    onnx_mirror: Path, cache_dir: Path, onnx_spec: ModelSpec, variant: Variant
) -> None:
    path = ensure_model(variant.model, cache_dir=cache_dir, source=str(onnx_mirror))
    assert path == cache_dir / variant.model / "main"
    for model_file in onnx_spec.files:
        assert sha256(path / model_file.path) == model_file.sha256, model_file.path


def test_the_hub_is_never_asked(cache_dir: Path, variant: Variant) -> None:
    with pytest.raises(SourceUnavailableError) as info:
        ensure_model(variant.model, cache_dir=cache_dir, source="hub")
    message = str(info.value)
    assert f"is not on the hub: it is built by {variant.target}" in message
    assert "DOCINTEL_MODEL_MIRROR" in message


@pytest.mark.parametrize("target", ["models:minilm_onnx_model", "//models", "@repo//x:y", ""])
def test_bazel_source_needs_a_label(tmp_path: Path, manifest: Manifest, target: str) -> None:
    data = json.loads(manifest.path.read_text())
    data["models"][1]["source"]["target"] = target
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ManifestError, match="target"):
        load_manifest(path)

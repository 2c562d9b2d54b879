"""The local embedder with torch and the real model: the torch engine, what it imports, the fallback, the app.

Its vectors are compared with sentence-transformers' in test_parity.py.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from docintel.core.cpus import available_cpus
from docintel.embeddings.bert_encoder import BertEncoder, UnsupportedModelError, read_config
from docintel.embeddings.local_backend import LocalEmbedder
from docintel.errors import EmbedderUnavailableError
from tests.embedders.conftest import LOCAL_MODEL, ready_after_loading
from tests.support.processes import run_python
from tests.support.redis_server import RedisServer

HEAVY_MODULES = ("sentence_transformers", "transformers", "scipy", "sklearn")
"""What importing sentence-transformers loads, and the torch engine must not."""

_IMPORTS_PROBE = """
import json, sys
from pathlib import Path
from docintel.embeddings.local_backend import LocalEmbedder
from docintel.errors import EmbedderUnavailableError
embedder = LocalEmbedder(model_name=sys.argv[1], model_dir=Path(sys.argv[2]), batch_size=8)
vector = embedder.embed(["which pet hunts rodents?"])[0]
print(json.dumps({"describe": embedder.describe(), "norm": float((vector * vector).sum()),
                  "loaded": sorted(name for name in sys.modules if name.split(".")[0] in sys.argv[3:])}))
"""


def test_the_torch_engine_runs_without_sentence_transformers(local_model_cache: Path) -> None:
    found = run_python(_IMPORTS_PROBE, LOCAL_MODEL, str(local_model_cache), *HEAVY_MODULES, timeout=300)
    assert found.returncode == 0, found.stderr
    answer = json.loads(found.stdout.splitlines()[-1])
    assert answer["describe"] == f"local model {LOCAL_MODEL} on torch, {available_cpus()} threads"
    assert answer["norm"] == pytest.approx(1.0, abs=1e-5)
    assert answer["loaded"] == []


def _pooling_variant(
    mode: str, minilm_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[LocalEmbedder, Path]:
    """all-MiniLM-L6-v2 pooled by ``pooling_mode_<mode>`` instead of the mean, and an embedder opening
    it. The manifest pins only real models, so the variant is handed to the embedder as its verified
    directory (the one seam: ``_model_files``)."""
    variant = tmp_path / f"{mode}-pooling"
    shutil.copytree(minilm_dir, variant)
    pooling = variant / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    config.update({"pooling_mode_mean_tokens": False, f"pooling_mode_{mode}": True})
    pooling.write_text(json.dumps(config))
    embedder = LocalEmbedder(model_name=f"{mode}-variant", model_dir=tmp_path / "unused", batch_size=8)
    monkeypatch.setattr(embedder, "_model_files", lambda: variant)
    return embedder, variant


_TEXTS = ["Cats purr.", "Tax brackets and deadlines for filing returns, and the penalties for filing late."]


@pytest.mark.parametrize("mode", ["cls_token", "max_tokens"])
def test_cls_and_max_pooling_run_on_torch(
    mode: str, minilm_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sentence_transformers import SentenceTransformer

    embedder, variant = _pooling_variant(mode, minilm_dir, tmp_path, monkeypatch)
    vectors = embedder.embed(_TEXTS)  # two lengths: the shorter text is padded
    assert embedder.describe() == f"local model {mode}-variant on torch, {available_cpus()} threads"
    expected = SentenceTransformer(str(variant), device="cpu").encode(_TEXTS, convert_to_numpy=True)
    assert np.abs(vectors - expected).max() <= 1e-6


def test_another_pipeline_falls_back_to_sentence_transformers(
    minilm_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from sentence_transformers import SentenceTransformer

    embedder, variant = _pooling_variant("mean_sqrt_len_tokens", minilm_dir, tmp_path, monkeypatch)
    with caplog.at_level(logging.INFO, logger="docintel.embeddings.local_backend"):
        vectors = embedder.embed(_TEXTS)
    assert embedder.describe() == (
        f"local model mean_sqrt_len_tokens-variant on sentence-transformers, {available_cpus()} threads"
    )
    assert "runs on sentence-transformers" in caplog.text and "pooling modes" in caplog.text
    expected = SentenceTransformer(str(variant), device="cpu").encode(_TEXTS, convert_to_numpy=True)
    assert np.abs(vectors - expected).max() <= 1e-6


def test_another_pipeline_without_sentence_transformers(
    minilm_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in the ml image, which does not install sentence-transformers: here a ``None`` in
    ``sys.modules`` makes its import fail the way a missing package does (the package itself is
    installed for the test above). The error names the model, why torch alone cannot run it and what to do."""
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    embedder, _ = _pooling_variant("mean_sqrt_len_tokens", minilm_dir, tmp_path, monkeypatch)
    with pytest.raises(EmbedderUnavailableError) as info:
        embedder.embed(["Cats purr."])
    message = str(info.value)
    assert message.startswith("local model 'mean_sqrt_len_tokens-variant' cannot run on torch alone (")
    assert "pooling modes ['pooling_mode_mean_sqrt_len_tokens']" in message
    assert "sentence-transformers, which would run it, is not installed" in message
    assert "use a BERT model with mean, CLS or max pooling, such as all-MiniLM-L6-v2" in message
    with pytest.raises(EmbedderUnavailableError) as again:  # /readyz says the same, every time
        embedder.check_ready(timeout=60)
    assert str(again.value) == message


def test_what_the_encoder_refuses(minilm_dir: Path, tmp_path: Path) -> None:
    import safetensors.torch
    import torch

    config = read_config(minilm_dir)
    assert (config.layers, config.heads, config.hidden) == (6, 12, 384)
    weights = safetensors.torch.load_file(str(minilm_dir / "model.safetensors"))
    del weights["encoder.layer.5.output.dense.weight"]
    with pytest.raises(UnsupportedModelError, match=r"lacks 1 BERT weights, encoder.layer.5.output.dense.weight"):
        BertEncoder(torch, config, weights)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "roberta", "hidden_act": "gelu"}))
    with pytest.raises(UnsupportedModelError, match="not a BERT encoder"):
        read_config(tmp_path)


def test_the_app_on_the_torch_engine(
    local_model_cache: Path, redis8: RedisServer, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(redis8.url, embedder="local", model_dir=local_model_cache, local_model=LOCAL_MODEL)
    ready = ready_after_loading(client)
    expected = f"local model {LOCAL_MODEL} on torch, {available_cpus()} threads (384 dimensions)"
    assert ready.json()["checks"]["embedder"] == expected
    for document_id, text in (("cats", "A cat purrs and chases mice."), ("tax", "Income tax brackets and deadlines.")):
        assert client.post("/v1/documents", json={"id": document_id, "title": "t", "text": text}).status_code == 201
    hits = client.post("/v1/search", json={"query": "which pet hunts rodents?"}).json()["hits"]
    assert [hit["document_id"] for hit in hits] == ["cats", "tax"]

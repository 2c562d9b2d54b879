"""The fetched directory loads offline with sentence-transformers and embeds sensibly."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from docintel_models import ensure_model
from support import MODEL_NAME


def test_fetched_model_loads_and_embeds(
    mirror_dir: Path,
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # read when huggingface_hub is first imported
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    path = ensure_model(MODEL_NAME, cache_dir=cache_dir, source=str(mirror_dir))

    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(path), device="cpu")
    cat_a, cat_b, tax = model.encode(
        [
            "The cat curled up on the warm windowsill and purred.",
            "A kitten is sleeping in a patch of sunlight.",
            "Capital gains are taxed under section 1202 of the tax code.",
        ],
        normalize_embeddings=True,
    )
    assert cat_a.shape == (384,)
    cats = float(cat_a @ cat_b)
    law = float(cat_a @ tax)
    assert cats > law + 0.2, (cats, law)

    started = time.perf_counter()
    again = ensure_model(MODEL_NAME, cache_dir=cache_dir, source="/nonexistent")
    second_call = time.perf_counter() - started
    started = time.perf_counter()
    SentenceTransformer(str(again), device="cpu")
    reload = time.perf_counter() - started
    with capsys.disabled():
        print(
            f"\n[timing] second ensure_model: {second_call * 1000:.1f} ms; "
            f"reload: {reload:.2f} s; similarity cats={cats:.3f} vs tax law={law:.3f}"
        )

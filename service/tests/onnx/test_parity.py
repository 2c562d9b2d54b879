"""Parity: the onnx embedder gives sentence-transformers' vectors and rankings for the same model.

sentence-transformers (torch) loads all-MiniLM-L6-v2 from its pinned safetensors; the onnx
embedder runs the model.onnx exported from them, through the service's own code path
(batches of 32, padded per batch). Every text's cosine must be >= 0.9999 (and every
coordinate within 1e-4), and the top 10 of every query over the corpus the same documents in
the same order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.onnx.conftest import ONNX_MODEL
from tests.onnx.corpus import QUERIES, corpus
from tests.onnx.vectors import TOP_K, Embedded, embed_both, text_cosines, top

MIN_COSINE = 0.9999
MAX_DIFFERENCE = 1e-4
MAX_SEQ_LENGTH = 256


@pytest.fixture(scope="module")
def embedded(model_cache: Path, minilm_dir: Path) -> Embedded:
    return embed_both(ONNX_MODEL, model_cache, minilm_dir)


def test_the_corpus_is_varied_enough(model_cache: Path) -> None:
    from tokenizers import Tokenizer

    texts = corpus()
    assert len(texts) >= 200
    assert len({text.lower() for text in texts}) == len(texts)
    tokenizer = Tokenizer.from_file(str(model_cache / ONNX_MODEL / "main" / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    lengths = [len(encoding.ids) for encoding in tokenizer.encode_batch(texts)]
    assert sum(length > MAX_SEQ_LENGTH for length in lengths) >= 20, "truncation must be exercised"
    assert sum(length <= 3 for length in lengths) >= 20, "single words and punctuation"
    assert any(not any(c.isalnum() for c in text) for text in texts), "punctuation only"
    assert any(ord(c) > 0x1F000 for text in texts for c in text), "emoji"
    assert len(QUERIES) >= 20


def test_every_vector_matches(embedded: Embedded, capsys: pytest.CaptureFixture[str]) -> None:
    found, worst = text_cosines(embedded)
    with capsys.disabled():
        print(
            f"\n[parity] {len(found)} texts: min cosine {found.min():.9f} (1 - cosine at most "
            f"{1 - found.min():.1e}); largest difference of one coordinate "
            f"{np.abs(embedded.onnx - embedded.reference).max():.1e}; worst text: {worst!r}"
        )
    below = [(embedded.texts[i][:60], round(float(found[i]), 6)) for i in np.flatnonzero(found < MIN_COSINE)]
    assert below == [], f"{len(below)} texts below cosine {MIN_COSINE}"
    # Cosine ignores length: the vectors themselves (unit length, as the model's Normalize makes them) agree too.
    assert np.abs(embedded.onnx - embedded.reference).max() <= MAX_DIFFERENCE


def test_top10_rankings_are_identical(embedded: Embedded, capsys: pytest.CaptureFixture[str]) -> None:
    differing = []
    margins = []
    for index, query in enumerate(QUERIES):
        onnx_scores = embedded.onnx @ embedded.onnx_queries[index]
        reference_scores = embedded.reference @ embedded.reference_queries[index]
        onnx_top = top(onnx_scores)
        reference_top = top(reference_scores, TOP_K + 1)
        margins.append(float(np.min(-np.diff(reference_scores[reference_top]))))
        if onnx_top != reference_top[:TOP_K]:
            differing.append(query)
    with capsys.disabled():
        print(
            f"[parity] {len(QUERIES)} queries: top-{TOP_K} identical for {len(QUERIES) - len(differing)}; "
            f"smallest score gap between neighbours in the reference's top {TOP_K + 1}: {min(margins):.2e}"
        )
    assert differing == [], f"top-{TOP_K} rankings differ for {differing}"

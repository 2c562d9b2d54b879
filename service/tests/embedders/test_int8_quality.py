"""Quality of the int8 variant: how far its vectors and rankings move from sentence-transformers'.

all-MiniLM-L6-v2-onnx-int8 is the exported model with int8 weights (dynamic quantisation, one
scale per channel). It is not equal to the float32 model, so this test does not assert parity: it
prints the min and mean cosine of its vectors to sentence-transformers' over the parity corpus
and the recall@10 of its rankings (the share of the reference's top 10 it finds, averaged over
the queries), and fails only below floors well under what it measures (README, "the int8
variant"), which a broken quantisation (say, one scale per tensor) would cross.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from docintel.embeddings.onnx_backend import OnnxEmbedder
from docintel.store.vector_space import SAME_MODEL_COSINE
from tests.embedders.conftest import ONNX_INT8_MODEL, ONNX_MODEL
from tests.embedders.corpus import QUERIES
from tests.embedders.vectors import TOP_K, Embedded, embed_both, fingerprint_cosine, text_cosines, top

MIN_COSINE_FLOOR = 0.95
MEAN_COSINE_FLOOR = 0.98
RECALL_FLOOR = 0.85


@pytest.fixture(scope="module")
def embedded(int8_model_cache: Path, minilm_dir: Path) -> Embedded:
    embedder = OnnxEmbedder(model_name=ONNX_INT8_MODEL, model_dir=int8_model_cache, batch_size=32)
    return embed_both(embedder, minilm_dir)


def test_vectors_stay_close(embedded: Embedded, capsys: pytest.CaptureFixture[str]) -> None:
    found, worst = text_cosines(embedded)
    below = int((found < 0.99).sum())
    with capsys.disabled():
        print(f"\n[int8] {len(found)} texts: min cosine {found.min():.4f}, mean {found.mean():.4f}")
        print(f"[int8] texts below cosine 0.99: {below}")
        print(f"[int8] the text farthest from sentence-transformers': {worst!r}")
    assert found.min() >= MIN_COSINE_FLOOR
    assert found.mean() >= MEAN_COSINE_FLOOR


def test_rankings_keep_their_neighbours(embedded: Embedded, capsys: pytest.CaptureFixture[str]) -> None:
    recalls, identical, same_first = [], 0, 0
    for index in range(len(QUERIES)):
        found = top(embedded.ours @ embedded.ours_queries[index])
        expected = top(embedded.reference @ embedded.reference_queries[index])
        recalls.append(len(set(found) & set(expected)) / TOP_K)
        identical += found == expected
        same_first += found[0] == expected[0]
    recall = float(np.mean(recalls))
    with capsys.disabled():
        print(
            f"[int8] {len(QUERIES)} queries: recall@{TOP_K} {recall:.3f} (lowest {min(recalls):.1f}); "
            f"top {TOP_K} identical in order for {identical}, first result the same for {same_first}"
        )
    assert recall >= RECALL_FLOOR


def test_its_fingerprint_is_another_model(
    int8_model_cache: Path, model_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An index of the float32 model's vectors refuses the int8 model's (recall@10 0.90 against each other)."""
    int8 = OnnxEmbedder(model_name=ONNX_INT8_MODEL, model_dir=int8_model_cache, batch_size=32)
    float32 = OnnxEmbedder(model_name=ONNX_MODEL, model_dir=model_cache, batch_size=32)
    assert fingerprint_cosine(int8, float32, capsys) < SAME_MODEL_COSINE

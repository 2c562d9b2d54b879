"""Parity: the onnx embedder gives sentence-transformers' vectors and rankings for the same model.

sentence-transformers (torch) loads all-MiniLM-L6-v2 from its pinned safetensors; the onnx
embedder runs the model.onnx exported from them, through the service's own code path
(batches of 32, padded per batch). Every text's cosine must be >= 0.9999 (and every
coordinate within 1e-4), and the top 10 of every query over the corpus the same documents in
the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from docintel.embeddings.onnx_backend import OnnxEmbedder
from tests.onnx.conftest import ONNX_MODEL
from tests.onnx.corpus import QUERIES, corpus

MIN_COSINE = 0.9999
MAX_DIFFERENCE = 1e-4
TOP_K = 10
MAX_SEQ_LENGTH = 256

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Embedded:
    """The corpus and the queries, embedded by both sides."""

    texts: list[str]
    onnx: Matrix
    reference: Matrix
    onnx_queries: Matrix
    reference_queries: Matrix


@pytest.fixture(scope="module")
def embedded(model_cache: Path, minilm_dir: Path) -> Embedded:
    from sentence_transformers import SentenceTransformer  # HF_HUB_OFFLINE=1: never the hub

    texts = corpus()
    reference_model = SentenceTransformer(str(minilm_dir), device="cpu")
    onnx_model = OnnxEmbedder(model_name=ONNX_MODEL, model_dir=model_cache, batch_size=32)

    def reference(items: list[str]) -> Matrix:
        return np.asarray(reference_model.encode(items, batch_size=32, convert_to_numpy=True), dtype=np.float32)

    return Embedded(
        texts=texts,
        onnx=onnx_model.embed(texts),
        reference=reference(texts),
        onnx_queries=onnx_model.embed(QUERIES),
        reference_queries=reference(QUERIES),
    )


def cosines(a: Matrix, b: Matrix) -> npt.NDArray[np.float64]:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    return np.asarray((a64 * b64).sum(axis=1) / (np.linalg.norm(a64, axis=1) * np.linalg.norm(b64, axis=1)))


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
    found = cosines(embedded.onnx, embedded.reference)
    worst = int(np.argmin(found))
    with capsys.disabled():
        print(
            f"\n[parity] {len(found)} texts: min cosine {found.min():.9f} (1 - cosine at most "
            f"{1 - found.min():.1e}); largest difference of one coordinate "
            f"{np.abs(embedded.onnx - embedded.reference).max():.1e}; worst text: {embedded.texts[worst][:60]!r}"
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
        onnx_top = np.argsort(-onnx_scores, kind="stable")[:TOP_K].tolist()
        reference_top = np.argsort(-reference_scores, kind="stable")[: TOP_K + 1].tolist()
        margins.append(float(np.min(-np.diff(reference_scores[reference_top]))))
        if onnx_top != reference_top[:TOP_K]:
            differing.append(query)
    with capsys.disabled():
        print(
            f"[parity] {len(QUERIES)} queries: top-{TOP_K} identical for {len(QUERIES) - len(differing)}; "
            f"smallest score gap between neighbours in the reference's top {TOP_K + 1}: {min(margins):.2e}"
        )
    assert differing == [], f"top-{TOP_K} rankings differ for {differing}"

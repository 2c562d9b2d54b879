"""What the parity and quality tests compare: sentence-transformers' vectors of the corpus and the
queries, one of the service's embedders' (onnx, or local on torch alone), cosines and top-k rankings.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from docintel.embeddings.base import Embedder
from tests.embedders.corpus import QUERIES, corpus

TOP_K = 10

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Embedded:
    """The corpus and the queries, embedded by one of the service's embedders and by sentence-transformers."""

    texts: list[str]
    ours: Matrix
    reference: Matrix
    ours_queries: Matrix
    reference_queries: Matrix


def embed_both(embedder: Embedder, minilm_dir: Path) -> Embedded:
    """The corpus and the queries through ``embedder`` (the service's code path) and through
    sentence-transformers on the safetensors (HF_HUB_OFFLINE=1: never the hub)."""
    texts = corpus()
    reference, reference_queries = _reference(minilm_dir)
    return Embedded(
        texts=texts,
        ours=embedder.embed(texts),
        reference=reference,
        ours_queries=embedder.embed(QUERIES),
        reference_queries=reference_queries,
    )


@functools.cache
def _reference(minilm_dir: Path) -> tuple[Matrix, Matrix]:
    """sentence-transformers' vectors of the corpus and of the queries (batches of 32), computed once."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(minilm_dir), device="cpu")

    def encode(items: list[str]) -> Matrix:
        return np.asarray(model.encode(items, batch_size=32, convert_to_numpy=True), dtype=np.float32)

    return encode(corpus()), encode(QUERIES)


def cosines(a: Matrix, b: Matrix) -> npt.NDArray[np.float64]:
    """Row by row cosine of two matrices of the same shape, in float64."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    return np.asarray((a64 * b64).sum(axis=1) / (np.linalg.norm(a64, axis=1) * np.linalg.norm(b64, axis=1)))


def text_cosines(embedded: Embedded) -> tuple[npt.NDArray[np.float64], str]:
    """Each text's cosine between the two sides, and the start of the text whose cosine is lowest."""
    found = cosines(embedded.ours, embedded.reference)
    return found, embedded.texts[int(np.argmin(found))][:60]


def top(scores: npt.NDArray[np.float32], k: int = TOP_K) -> list[int]:
    """The indices of the ``k`` highest scores, best first (ties: the lower index first)."""
    order: list[int] = np.argsort(-scores, kind="stable")[:k].tolist()
    return order


def fingerprint_cosine(one: Embedder, other: Embedder, capsys: pytest.CaptureFixture[str]) -> float:
    """The cosine of two embedders' fingerprints, printed (an index takes both when it is at least
    :data:`~docintel.store.vector_space.SAME_MODEL_COSINE`)."""
    cosine = float(one.fingerprint() @ other.fingerprint())
    with capsys.disabled():
        print(f"\n[fingerprint] {one.describe()} against {other.describe()}: cosine {cosine:.7f}")
    return cosine

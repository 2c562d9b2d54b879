"""What the parity and quality tests compare: sentence-transformers' vectors of the corpus and the
queries (torch, in these tests only), an onnx embedder's, cosines and top-k rankings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from docintel.embeddings.onnx_backend import OnnxEmbedder
from tests.onnx.corpus import QUERIES, corpus

TOP_K = 10

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Embedded:
    """The corpus and the queries, embedded by the onnx embedder and by sentence-transformers."""

    texts: list[str]
    onnx: Matrix
    reference: Matrix
    onnx_queries: Matrix
    reference_queries: Matrix


def embed_both(model: str, model_cache: Path, minilm_dir: Path) -> Embedded:
    """The corpus and the queries through the service's onnx embedder (batches of 32) and through
    sentence-transformers on the safetensors (HF_HUB_OFFLINE=1: never the hub)."""
    from sentence_transformers import SentenceTransformer

    texts = corpus()
    reference_model = SentenceTransformer(str(minilm_dir), device="cpu")
    onnx_model = OnnxEmbedder(model_name=model, model_dir=model_cache, batch_size=32)

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
    """Row by row cosine of two matrices of the same shape, in float64."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    return np.asarray((a64 * b64).sum(axis=1) / (np.linalg.norm(a64, axis=1) * np.linalg.norm(b64, axis=1)))


def text_cosines(embedded: Embedded) -> tuple[npt.NDArray[np.float64], str]:
    """Each text's cosine between the two sides, and the start of the text whose cosine is lowest."""
    found = cosines(embedded.onnx, embedded.reference)
    return found, embedded.texts[int(np.argmin(found))][:60]


def top(scores: npt.NDArray[np.float32], k: int = TOP_K) -> list[int]:
    """The indices of the ``k`` highest scores, best first (ties: the lower index first)."""
    order: list[int] = np.argsort(-scores, kind="stable")[:k].tolist()
    return order

"""The embedder base class: batching, caching and validation around ``_embed``."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from docintel.core.metrics import Metrics
from docintel.embeddings.cache import EmbeddingCache
from docintel.errors import EmbeddingDimensionError, EmbeddingError

__all__ = ["Embedder", "EmbeddingMatrix"]

EmbeddingMatrix = npt.NDArray[np.float32]


class Embedder(ABC):
    """Turns texts into vectors.

    Subclasses implement :meth:`_embed` (one batch, no caching) and
    :attr:`dimension`; callers use :meth:`embed`, which deduplicates, consults
    the cache, batches by ``batch_size`` and validates every answer.
    """

    backend: ClassVar[str] = "base"

    def __init__(self, *, batch_size: int, cache: EmbeddingCache | None = None, metrics: Metrics | None = None) -> None:
        """Configure batching, the optional cache and optional metrics."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.batch_size = batch_size
        self._cache = cache
        self._metrics = metrics
        self._learned_dimension: int | None = None
        self._dimension_lock = threading.Lock()

    @property
    @abstractmethod
    def dimension(self) -> int:
        """Length of the vectors this embedder produces."""

    @abstractmethod
    def _embed(self, batch: Sequence[str]) -> EmbeddingMatrix:
        """Embed one batch (at most ``batch_size`` texts); shape ``(len(batch), d)``."""

    def _expected_dimension(self) -> int | None:
        """The dimension answers must have, if known without calling the backend."""
        return self._learned_dimension

    def check_ready(self) -> str:
        """Raise if the embedder cannot work; otherwise a short description."""
        return f"{self.backend} ({self.dimension} dimensions)"

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release network clients or models."""

    def embed(self, texts: Sequence[str]) -> EmbeddingMatrix:
        """Embed ``texts``; returns a float32 array of shape ``(len(texts), dimension)``."""
        texts = list(texts)
        unique = list(dict.fromkeys(texts))
        expected = self._expected_dimension()
        found = self._cache.get_many(unique, dimension=expected) if self._cache else {}
        if self._metrics is not None:
            self._metrics.embedding_cache_hits.inc(len(found))
            self._metrics.embedding_cache_misses.inc(len(unique) - len(found))
        missing = [text for text in unique if text not in found]
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            if self._metrics is not None:
                self._metrics.embedding_calls.labels(self.backend).inc()
                self._metrics.embedding_texts.labels(self.backend).inc(len(batch))
            matrix = self._validated(batch, self._embed(batch))
            fresh = dict(zip(batch, matrix, strict=True))
            if self._cache is not None:
                self._cache.put_many(fresh)
            found.update(fresh)
        if not texts:
            return np.zeros((0, self._expected_dimension() or 0), dtype=np.float32)
        return np.stack([found[text] for text in texts]).astype(np.float32, copy=False)

    def _validated(self, batch: Sequence[str], matrix: EmbeddingMatrix) -> EmbeddingMatrix:
        """Check count, shape, dimension and finiteness of one backend answer."""
        array = np.asarray(matrix, dtype=np.float32)
        if array.ndim != 2 or array.shape[0] != len(batch):
            raise EmbeddingError(
                f"embedding backend returned {array.shape[0] if array.ndim else 0} vectors for {len(batch)} texts"
            )
        got = int(array.shape[1])
        with self._dimension_lock:
            expected = self._expected_dimension()
            if expected is None:
                self._learned_dimension = got
                expected = got
        if got != expected:
            raise EmbeddingDimensionError(
                f"embedding backend returned {got}-dimensional vectors, expected {expected} "
                f"({self.backend} backend); check DOCINTEL_EMBEDDING_MODEL / DOCINTEL_EMBEDDING_DIMENSION"
            )
        if got == 0 or not np.isfinite(array).all():
            raise EmbeddingError("embedding backend returned empty or non-finite vectors")
        return array

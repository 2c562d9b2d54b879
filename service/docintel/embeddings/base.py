"""The embedder base class: batching, caching and validation around ``_embed``."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Required, TypedDict

import numpy as np
import numpy.typing as npt

from docintel.core.metrics import Metrics
from docintel.embeddings.cache import EmbeddingCache
from docintel.errors import EmbeddingDimensionError, EmbeddingError
from docintel.store.index import normalizable, normalize

__all__ = ["PROBE_TEXT", "Embedder", "EmbedderOptions", "EmbeddingMatrix"]

EmbeddingMatrix = npt.NDArray[np.float32]

PROBE_TEXT = "dimension probe"
"""What readiness checks embed (never from the cache: the point is to reach the backend)."""


class EmbedderOptions(TypedDict, total=False):
    """What every embedder takes besides its backend's own settings: see :class:`Embedder`."""

    batch_size: Required[int]
    cache: EmbeddingCache | None
    metrics: Metrics | None


class Embedder(ABC):
    """Turns texts into vectors.

    Subclasses implement :meth:`_embed` (one batch, no caching) and
    :meth:`describe`; callers use :meth:`embed`, which deduplicates, consults
    the cache, batches by ``batch_size`` and validates every answer.  Until the
    dimension is known, the backend answers first: cached vectors are only
    trusted once they can be checked against it.
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
        self._fingerprint: EmbeddingMatrix | None = None

    @abstractmethod
    def describe(self) -> str:
        """What this embedder is (backend, model, endpoint), with no secret in it."""

    @abstractmethod
    def _embed(self, batch: Sequence[str]) -> EmbeddingMatrix:
        """Embed one batch (at most ``batch_size`` texts); shape ``(len(batch), d)``."""

    def _probe(self, batch: Sequence[str], *, timeout: float) -> EmbeddingMatrix:
        """Embed ``batch`` for a readiness check, giving up after about ``timeout`` seconds where possible."""
        del timeout  # backends that cannot bound a call embed as usual
        return self._embed(batch)

    def _expected_dimension(self) -> int | None:
        """The dimension answers must have, if known without calling the backend."""
        return self._learned_dimension

    @property
    def dimension(self) -> int:
        """Length of the vectors this embedder produces (asking the backend once if not known)."""
        expected = self._expected_dimension()
        if expected is None:
            expected = int(self._embed_missing([PROBE_TEXT])[PROBE_TEXT].shape[0])
        return expected

    def fingerprint(self) -> EmbeddingMatrix:
        """The model's normalised vector of :data:`PROBE_TEXT`, from the backend, never the cache.

        The store records it with an index's first vectors, to tell this model's vectors from another's of
        the same dimension (:mod:`docintel.store.vector_space`).  Asked once, then renewed by every
        readiness check, so a backend that changed its model behind the same settings is noticed.
        """
        fingerprint = self._fingerprint
        if fingerprint is None:
            fingerprint = normalize(self._validated([PROBE_TEXT], self._embed([PROBE_TEXT])))[0]
            self._fingerprint = fingerprint
        return fingerprint

    def check_ready(self, *, timeout: float) -> str:
        """Embed a probe text with the backend itself; raise if it cannot, else describe the embedder."""
        matrix = self._validated([PROBE_TEXT], self._probe([PROBE_TEXT], timeout=timeout))
        self._fingerprint = normalize(matrix)[0]
        return f"{self.describe()} ({matrix.shape[1]} dimensions)"

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release network clients or models."""

    def embed(self, texts: Sequence[str], *, queries: bool = False) -> EmbeddingMatrix:
        """Embed ``texts`` (search queries, with ``queries``); a float32 array of shape ``(len(texts), dimension)``."""
        texts = list(texts)
        unique = list(dict.fromkeys(texts))
        if not unique:
            return np.zeros((0, self._expected_dimension() or 0), dtype=np.float32)
        found: dict[str, EmbeddingMatrix] = {}
        if self._expected_dimension() is None:
            # The cache may hold vectors of another dimension (the backend changed): learn it first.
            found.update(self._embed_missing(unique[: self.batch_size], queries=queries))
        rest = unique[len(found) :]
        cached = self._cache.get_many(rest, dimension=self._expected_dimension()) if self._cache else {}
        if self._metrics is not None:
            self._metrics.embedding_cache_hits.inc(len(cached))
            self._metrics.embedding_cache_misses.inc(len(unique) - len(cached))
        found.update(cached)
        found.update(self._embed_missing([text for text in rest if text not in cached], queries=queries))
        return np.stack([found[text] for text in texts]).astype(np.float32, copy=False)

    def _embed_missing(self, texts: Sequence[str], *, queries: bool = False) -> dict[str, EmbeddingMatrix]:
        """Embed ``texts`` with the backend in batches, validate, and cache the answers (as queries')."""
        fresh: dict[str, EmbeddingMatrix] = {}
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            if self._metrics is not None:
                self._metrics.embedding_calls.labels(self.backend).inc()
                self._metrics.embedding_texts.labels(self.backend).inc(len(batch))
            vectors = dict(zip(batch, self._validated(batch, self._embed(batch)), strict=True))
            if self._cache is not None:
                self._cache.put_many(vectors, queries=queries)
            fresh.update(vectors)
        return fresh

    def _validated(self, batch: Sequence[str], matrix: EmbeddingMatrix) -> EmbeddingMatrix:
        """Check count, shape, dimension, finiteness and non-zero length of one backend answer."""
        array = np.asarray(matrix, dtype=np.float32)
        if array.ndim != 2 or array.shape[0] != len(batch):
            raise EmbeddingError(
                f"embedding backend returned {array.shape[0] if array.ndim else 0} vectors for {len(batch)} texts"
            )
        got = int(array.shape[1])
        with self._dimension_lock:
            expected = self._expected_dimension()
            if expected is None and got:
                self._learned_dimension = got
                expected = got
        if got != expected:
            raise EmbeddingDimensionError(
                f"embedding backend returned {got}-dimensional vectors, expected {expected} "
                f"({self.backend} backend); check DOCINTEL_EMBEDDING_MODEL / DOCINTEL_EMBEDDING_DIMENSION"
            )
        if got == 0 or not np.isfinite(array).all():
            raise EmbeddingError("embedding backend returned empty or non-finite vectors; check the embedding model")
        zero = int(np.count_nonzero(~normalizable(array)))
        if zero:
            raise EmbeddingError(
                f"embedding backend returned an all-zero vector for {zero} of {len(batch)} texts (or one too close "
                "to zero to normalise); such a vector matches nothing by cosine similarity, so nothing was stored: "
                "check the embedding model or server"
            )
        return array

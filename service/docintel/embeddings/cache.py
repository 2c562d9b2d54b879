"""Redis cache of embeddings keyed by model and SHA-256 of the text."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import redis

from docintel.store.index import normalizable
from docintel.store.keys import Keys
from docintel.store.redis_client import redis_errors

__all__ = ["EmbeddingCache"]

_MGET_BATCH = 512


class EmbeddingCache:
    """Stores float32 embeddings so identical text is embedded once per model."""

    def __init__(
        self, client: redis.Redis, *, keys: Keys, model: str, ttl_seconds: int, query_ttl_seconds: int = 0
    ) -> None:
        """Cache entries for ``model`` expire after ``ttl_seconds`` (0 = never); queries' after ``query_ttl_seconds``.

        A query's entry is written only if the text has none (it never shortens a chunk's), and not at all
        with ``query_ttl_seconds`` 0.
        """
        self._redis = client
        self._keys = keys
        self._model = model
        self._ttl = ttl_seconds
        self._query_ttl = query_ttl_seconds

    def key(self, text: str) -> str:
        """The cache key of ``text``."""
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return self._keys.embedding(self._model, digest)

    def get_many(self, texts: Sequence[str], *, dimension: int | None) -> dict[str, npt.NDArray[np.float32]]:
        """Cached vectors for those ``texts`` that have one (of ``dimension``, if given)."""
        found: dict[str, npt.NDArray[np.float32]] = {}
        with redis_errors("reading the embedding cache"):
            for start in range(0, len(texts), _MGET_BATCH):
                batch = texts[start : start + _MGET_BATCH]
                values = self._redis.mget([self.key(text) for text in batch])
                for text, value in zip(batch, values, strict=True):
                    if not isinstance(value, bytes) or not value or len(value) % 4:
                        continue
                    vector = np.frombuffer(value, dtype=np.float32)
                    # Entries of another dimension, or unusable ones an older version stored, are misses.
                    usable = bool(normalizable(vector))  # also false for NaN or infinite values
                    if usable and (dimension is None or vector.shape[0] == dimension):
                        found[text] = vector
        return found

    def put_many(self, vectors: Mapping[str, npt.NDArray[np.float32]], *, queries: bool = False) -> None:
        """Store ``vectors`` (text → vector): chunk texts', or with ``queries`` search queries'."""
        if not vectors or (queries and not self._query_ttl):
            return
        with redis_errors("writing the embedding cache"), self._redis.pipeline(transaction=False) as pipe:
            for text, vector in vectors.items():
                payload = np.asarray(vector, dtype=np.float32).tobytes()
                if queries:
                    pipe.set(self.key(text), payload, ex=self._query_ttl, nx=True)
                elif self._ttl:
                    pipe.set(self.key(text), payload, ex=self._ttl)
                else:
                    pipe.set(self.key(text), payload)
            pipe.execute()

    def forget(self, texts: Sequence[str]) -> None:
        """Drop the entries of ``texts`` (e.g. the chunks of a deleted document)."""
        with redis_errors("dropping embedding-cache entries"):
            for start in range(0, len(texts), _MGET_BATCH):
                self._redis.unlink(*[self.key(text) for text in texts[start : start + _MGET_BATCH]])

"""Which model's vectors an index holds: their dimension, and the model's fingerprint.

The dimension (``{p}:dim``) tells few models apart: all-MiniLM-L6-v2, its
int8 variant and many others all give 384.  The fingerprint
(``{p}:fingerprint``) is the writing model's normalised vector of one fixed
text (:data:`~docintel.embeddings.base.PROBE_TEXT`), recorded with the first
document.  Another model's vector of that text points elsewhere: two
fingerprints with a cosine under :data:`SAME_MODEL_COSINE` come from models
whose vectors must not share an index (the ml image's torch model and the
ml_onnx image's float32 export give the same vectors and share one).

Both records are checked in the commit that makes a document live, and with
every search (read in the transaction that resolves its hits, so no round
trip is added); an index without documents takes the next writer's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import redis
from redis.client import Pipeline

from docintel.errors import IndexDimensionMismatchError, IndexModelMismatchError
from docintel.store.index import Vector
from docintel.store.keys import Keys

__all__ = [
    "SAME_MODEL_COSINE",
    "VectorSpace",
    "check_space",
    "check_space_replies",
    "queue_space_reads",
    "recorded_space",
    "stage_space",
]

SAME_MODEL_COSINE = 0.999
"""The least cosine between two fingerprints of one model (README: what the models here measure)."""


@dataclass(frozen=True, slots=True)
class VectorSpace:
    """What a writer's vectors are: their dimension and, if known, their model's fingerprint."""

    dimension: int
    fingerprint: Vector | None = None

    def check_fits(self, stored: VectorSpace) -> None:
        """Raise unless vectors of this space may join an index holding ``stored``'s."""
        if stored.dimension != self.dimension:
            raise IndexDimensionMismatchError(
                f"the index holds {stored.dimension}-dimensional vectors but the embedder produces "
                f"{self.dimension}-dimensional ones: restore the previous embedding model, or delete all documents "
                "and ingest them again with the new one"
            )
        if stored.fingerprint is not None and self.fingerprint is not None:
            _check_fingerprint(stored.fingerprint, self.fingerprint)


def recorded_space(dimension: bytes | str | None, fingerprint: bytes | str | None) -> VectorSpace | None:
    """The space recorded in ``{p}:dim`` and ``{p}:fingerprint`` (their values), or None if none is."""
    if dimension is None:
        return None
    vector = _vector(fingerprint)
    return VectorSpace(int(dimension), vector if vector is not None and len(vector) == int(dimension) else None)


def stage_space(pipe: Pipeline, keys: Keys, space: VectorSpace) -> None:
    """Queue the writes that record ``space`` as the stored vectors'."""
    pipe.set(keys.dim, space.dimension)
    if space.fingerprint is not None:
        pipe.set(keys.fingerprint, space.fingerprint.astype(np.float32).tobytes())
    else:
        pipe.delete(keys.fingerprint)


def queue_space_reads(pipe: Pipeline, keys: Keys) -> int:
    """Queue what :func:`check_space_replies` reads (the records and the document count); how many replies."""
    pipe.get(keys.dim)
    pipe.get(keys.fingerprint)
    pipe.zcard(keys.docs)
    return 3


def check_space_replies(replies: Sequence[Any], space: VectorSpace) -> None:
    """Raise unless ``space``'s vectors fit the stored ones, from :func:`queue_space_reads`' replies.

    An index without documents fits any space: the next writer records its own.
    """
    dimension, fingerprint, documents = replies
    stored = recorded_space(dimension, fingerprint)
    if stored is not None and documents:
        space.check_fits(stored)


def check_space(client: redis.Redis, keys: Keys, space: VectorSpace) -> None:
    """Raise unless ``space``'s vectors fit the ones stored under ``keys`` (read in one MULTI)."""
    with client.pipeline(transaction=True) as pipe:
        queue_space_reads(pipe, keys)
        replies = pipe.execute()
    check_space_replies(replies, space)


def _check_fingerprint(stored: Vector, fingerprint: Vector) -> None:
    """Raise unless two fingerprints of one dimension come from one model."""
    if _cosine(stored, fingerprint) < SAME_MODEL_COSINE:
        raise IndexModelMismatchError(
            "the index holds vectors of another embedding model than this service's (same dimension, other "
            "vectors): restore the previous model (DOCINTEL_EMBEDDER and its model setting), or give this model "
            "its own DOCINTEL_KEY_PREFIX and ingest the documents again"
        )


def _cosine(one: Vector, other: Vector) -> float:
    """The cosine of two vectors of one shape (0 if either has no length)."""
    lengths = float(np.linalg.norm(one) * np.linalg.norm(other))
    return float(np.dot(one, other)) / lengths if lengths else 0.0


def _vector(raw: bytes | str | None) -> Vector | None:
    """A recorded fingerprint, or None (absent or unreadable: then the next writer records one)."""
    if not isinstance(raw, bytes) or not raw or len(raw) % 4:
        return None
    return np.frombuffer(raw, dtype=np.float32)

"""The vector index interface, shared by its two implementations.

* :class:`~docintel.store.vectorset_index.VectorSetIndex`: Redis 8 vector sets
  (``VADD``/``VSIM``), searched by the server;
* :class:`~docintel.store.exact_index.ExactIndex`: Redis 7, vectors in a hash,
  searched exactly with numpy over an in-process copy.

Which one serves a server is decided once, by capability detection
(:mod:`docintel.store.capability`).  Writers queue commands into the caller's
pipelines: a generation's vectors go in with :meth:`VectorIndex.stage_add`
(before the generation is live), :meth:`VectorIndex.stage_publish` runs inside
the transaction that makes it live, and :meth:`VectorIndex.stage_remove`
deletes vectors of a generation that is no longer live.  Readers call
:meth:`VectorIndex.search`, whose matches may include generations that are not
(or no longer) live: the store drops those.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from redis.client import Pipeline

from docintel.store.keys import element_name

__all__ = ["Vector", "VectorBatch", "VectorIndex", "VectorMatch", "VectorQuery", "normalize", "ranked"]

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class VectorBatch:
    """The vectors of chunks ``first_index...`` of one document generation (rows normalised), with its tags."""

    document_id: str
    generation: str
    first_index: int
    vectors: Vector
    tags: frozenset[str]

    def names(self) -> list[str]:
        """The element name of each vector, in order."""
        return [element_name(self.document_id, self.generation, self.first_index + i) for i in range(len(self.vectors))]


@dataclass(frozen=True, slots=True)
class VectorQuery:
    """A nearest-neighbour query: the best ``count`` chunks having all ``filter_tags``.

    Matches of ``exclude_generations`` (generations the store found not to be
    live, e.g. a large document being written) are skipped by the index itself,
    so they cannot crowd out live matches.
    """

    vector: Vector
    count: int
    filter_tags: frozenset[str] = frozenset()
    exclude_generations: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class VectorMatch:
    """One index hit with its cosine similarity."""

    document_id: str
    generation: str
    chunk_index: int
    score: float


class VectorIndex(ABC):
    """Stores chunk vectors of document generations and answers similarity queries."""

    name: ClassVar[str]
    """Short name of the implementation (``vectorset`` or ``exact``), used in metrics and /readyz."""

    @abstractmethod
    def stage_add(self, pipe: Pipeline, batch: VectorBatch) -> None:
        """Queue the vectors of one batch of a generation (before the generation is live)."""

    @abstractmethod
    def stage_remove(self, pipe: Pipeline, *, document_id: str, generation: str, indexes: range) -> None:
        """Queue removal of the vectors of chunks ``indexes`` of a generation that is not live."""

    @abstractmethod
    def stage_publish(
        self, pipe: Pipeline, *, document_id: str, generation: str, count: int, tags: frozenset[str]
    ) -> None:
        """Queue, inside the transaction that makes ``generation`` live, what the index needs to know."""

    @abstractmethod
    def stage_unpublish(self, pipe: Pipeline, *, document_id: str) -> None:
        """Queue, inside the transaction that deletes the document, what the index needs to know."""

    @abstractmethod
    def search(self, query: VectorQuery) -> list[VectorMatch]:
        """Up to ``query.count`` matches, best first."""


def normalizable(vectors: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Per row: whether :func:`normalize` makes it a unit vector (its float32 L2 norm is finite and above 0).

    Not so for a zero row, a row of values too small for their squares (1e-45), or one whose norm overflows.
    """
    norms = np.linalg.norm(np.asarray(vectors, dtype=np.float32), axis=-1)
    return np.asarray(np.isfinite(norms) & (norms > 0))


def normalize(vectors: npt.ArrayLike) -> Vector:
    """L2-normalise rows (zero rows stay zero) as float32."""
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=-1, keepdims=True)
    return (array / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def ranked(matches: Sequence[VectorMatch]) -> list[VectorMatch]:
    """Best score first; ties broken by document id and chunk index for stable output."""
    return sorted(matches, key=lambda m: (-m.score, m.document_id, m.chunk_index))

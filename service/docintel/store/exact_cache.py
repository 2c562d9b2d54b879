"""The exact path's in-process copy of every live vector, updated document by document.

Rows live in one growing float32 matrix.  Replacing or deleting a document
marks its rows dead; new rows are appended; when dead rows outnumber live ones
the matrix is compacted.  So a write costs a process the new document's
vectors, never a reload of all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from docintel.store.index import Vector

__all__ = ["LiveEntry", "Snapshot", "VectorCache"]

_MIN_CAPACITY = 1024
_MIN_DEAD_FOR_COMPACTION = 1024


@dataclass(frozen=True, slots=True)
class LiveEntry:
    """A document's live generation as the index records it."""

    generation: str
    count: int
    tags: frozenset[str]


@dataclass(slots=True)
class _Block:
    """The rows of one document's live generation."""

    entry: LiveEntry
    slot: int
    start: int
    rows: int


class VectorCache:
    """Live vectors with their (document, generation, chunk index), searchable with one matrix product.

    Not thread-safe: the owner serialises access, and searches a :class:`Snapshot` outside its lock.
    """

    def __init__(self) -> None:
        """An empty cache; the dimension is set by the first vectors added."""
        self._clear(dimension=0)

    def _clear(self, *, dimension: int) -> None:
        """Hold nothing, for vectors of ``dimension``."""
        self._matrix: Vector = np.zeros((0, dimension), dtype=np.float32)
        self._alive = np.zeros(0, dtype=bool)
        self._row_slot = np.zeros(0, dtype=np.int64)
        self._row_index = np.zeros(0, dtype=np.int64)
        self._size = 0
        self._dead = 0
        self._blocks: dict[str, _Block] = {}
        self._slots: dict[int, tuple[str, str]] = {}
        self._next_slot = 0

    @property
    def dimension(self) -> int:
        """Length of the cached vectors (0 while empty)."""
        return int(self._matrix.shape[1])

    def remove(self, document_ids: Iterable[str]) -> None:
        """Forget documents (their rows die)."""
        for document_id in document_ids:
            block = self._blocks.pop(document_id, None)
            if block is not None:
                self._alive[block.start : block.start + block.rows] = False
                self._dead += block.rows
                del self._slots[block.slot]
        if self._dead >= max(_MIN_DEAD_FOR_COMPACTION, self._size - self._dead):
            self._compact()

    def add(self, document_id: str, entry: LiveEntry, *, indexes: list[int], vectors: Vector) -> None:
        """Set ``document_id``'s rows: chunk ``indexes[i]`` has vector ``vectors[i]`` (rows normalised)."""
        self.remove([document_id])
        if not indexes:
            return
        if self._size - self._dead == 0 and vectors.shape[1] != self.dimension:
            self._clear(dimension=vectors.shape[1])
        if vectors.shape[1] != self.dimension:
            raise ValueError(f"{vectors.shape[1]}-dimensional vectors in a {self.dimension}-dimensional cache")
        self._reserve(self._size + len(indexes))
        start, end = self._size, self._size + len(indexes)
        slot, self._next_slot = self._next_slot, self._next_slot + 1
        self._matrix[start:end] = vectors
        self._alive[start:end] = True
        self._row_slot[start:end] = slot
        self._row_index[start:end] = indexes
        self._size = end
        self._blocks[document_id] = _Block(entry=entry, slot=slot, start=start, rows=len(indexes))
        self._slots[slot] = (document_id, entry.generation)

    def snapshot(self, *, filter_tags: frozenset[str], exclude_generations: frozenset[str]) -> Snapshot | None:
        """The rows a query may match, frozen (None if there are none).

        The snapshot shares the matrix: later :meth:`add` calls write past its
        rows or into new arrays, and compaction builds new arrays, so it can
        be searched without the owner's lock while writes go on.
        """
        keep = self._alive[: self._size].copy()
        if filter_tags or exclude_generations:
            slots = [
                block.slot
                for block in self._blocks.values()
                if filter_tags <= block.entry.tags and block.entry.generation not in exclude_generations
            ]
            keep &= np.isin(self._row_slot[: self._size], slots)
        if not keep.any():
            return None
        return Snapshot(
            matrix=self._matrix[: self._size],
            keep=keep,
            row_slot=self._row_slot[: self._size],
            row_index=self._row_index[: self._size],
            slots=dict(self._slots),
        )

    def _reserve(self, rows: int) -> None:
        """Grow the arrays (doubling) to hold ``rows`` rows."""
        capacity = len(self._alive)
        if rows <= capacity:
            return
        capacity = max(_MIN_CAPACITY, 2 * capacity, rows)
        matrix = np.zeros((capacity, self.dimension), dtype=np.float32)
        matrix[: self._size] = self._matrix[: self._size]
        self._matrix = matrix
        self._alive = _grown(self._alive, capacity, self._size)
        self._row_slot = _grown(self._row_slot, capacity, self._size)
        self._row_index = _grown(self._row_index, capacity, self._size)

    def _compact(self) -> None:
        """Drop dead rows into new arrays (snapshots keep the old ones); blocks move down."""
        keep = np.flatnonzero(self._alive[: self._size])
        new_start = np.cumsum(self._alive[: self._size]) - 1
        capacity = len(self._alive)
        matrix = np.zeros((capacity, self.dimension), dtype=np.float32)
        matrix[: keep.size] = self._matrix[keep]
        self._matrix = matrix
        self._row_slot = _grown(self._row_slot[keep], capacity, keep.size)
        self._row_index = _grown(self._row_index[keep], capacity, keep.size)
        self._alive = np.zeros(capacity, dtype=bool)
        self._alive[: keep.size] = True
        for block in self._blocks.values():
            block.start = int(new_start[block.start])
        self._size, self._dead = int(keep.size), 0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The rows one query may match, searchable without holding the cache's owner's lock."""

    matrix: Vector
    keep: npt.NDArray[np.bool_]
    row_slot: npt.NDArray[np.int64]
    row_index: npt.NDArray[np.int64]
    slots: dict[int, tuple[str, str]]

    def top(self, vector: Vector, *, count: int) -> list[tuple[str, str, int, float]]:
        """The best ``count`` rows for ``vector``: (document id, generation, chunk index, cosine)."""
        scores = np.where(self.keep, self.matrix @ vector, -np.inf)
        found = []
        for row in _top_indices(scores, min(count, int(np.count_nonzero(self.keep)))):
            document_id, generation = self.slots[int(self.row_slot[row])]
            found.append((document_id, generation, int(self.row_index[row]), float(scores[row])))
        return found


_Array = TypeVar("_Array", bound=npt.NDArray[Any])


def _grown(array: _Array, capacity: int, used: int) -> _Array:
    """``array`` copied into a zeroed array of ``capacity`` elements."""
    grown = np.zeros(capacity, dtype=array.dtype)
    grown[:used] = array[:used]
    return cast(_Array, grown)


def _top_indices(scores: npt.NDArray[np.float32], count: int) -> npt.NDArray[np.intp]:
    """Positions of the ``count`` highest scores, best first."""
    count = min(count, scores.size)
    best = np.argpartition(-scores, count - 1)[:count] if count < scores.size else np.arange(scores.size)
    return best[np.argsort(-scores[best], kind="stable")]

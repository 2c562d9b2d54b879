"""Deterministic clustered vectors for the scaling benchmark, and exact nearest neighbours over them.

Chunk ``i`` of the corpus is always the same vector (a seeded generator per
block of rows), so any size is a prefix of every larger one.  Each vector is
one of ``CLUSTERS`` random centres plus a low-rank variation (shared basis)
and a little isotropic noise, normalised: neighbourhoods have structure, as
text embeddings do, so recall measures the index, not luck.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Corpus", "exact_top"]

CLUSTERS = 1024
RANK = 32
SPREAD = 0.15
NOISE = 0.01
BLOCK = 4096

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Corpus:
    """The benchmark's vectors: ``rows(start, stop)`` is the same for every run with the same seed."""

    dimension: int
    seed: int

    def _basis(self) -> tuple[Matrix, Matrix]:
        """Cluster centres and the shared variation basis (orthonormal rows)."""
        rng = np.random.default_rng([self.seed, 0])
        centers = rng.standard_normal((CLUSTERS, self.dimension)).astype(np.float32)
        centers /= np.linalg.norm(centers, axis=1, keepdims=True)
        basis, _ = np.linalg.qr(rng.standard_normal((self.dimension, RANK)))
        return centers, basis.T.astype(np.float32)

    def _draw(self, stream: int, count: int) -> Matrix:
        """``count`` normalised vectors from generator ``stream``."""
        centers, basis = self._basis()
        rng = np.random.default_rng([self.seed, 1, stream])
        rows = centers[rng.integers(CLUSTERS, size=count)]
        rows += SPREAD * (rng.standard_normal((count, RANK)).astype(np.float32) @ basis)
        rows += NOISE * rng.standard_normal((count, self.dimension)).astype(np.float32)
        normalised: Matrix = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
        return normalised

    def rows(self, start: int, stop: int) -> Matrix:
        """Corpus vectors ``start..stop`` (built block by block, so prefixes agree)."""
        first, last = start // BLOCK, (stop - 1) // BLOCK
        blocks = [self._draw(block + 1, BLOCK) for block in range(first, last + 1)]
        joined = np.concatenate(blocks) if blocks else np.zeros((0, self.dimension), np.float32)
        offset = first * BLOCK
        return joined[start - offset : stop - offset]

    def queries(self, count: int) -> Matrix:
        """``count`` query vectors from the same distribution, none of them in the corpus."""
        return self._draw(0, count)


def exact_top(
    corpus: Matrix, queries: Matrix, *, k: int, allowed: npt.NDArray[np.bool_] | None = None
) -> list[set[int]]:
    """The row numbers of each query's ``k`` most similar corpus rows (only ``allowed`` ones, if given)."""
    found = []
    for query in queries:
        scores = corpus @ query
        if allowed is not None:
            scores = np.where(allowed, scores, -np.inf)
        best = np.argpartition(-scores, k - 1)[:k]
        found.append({int(row) for row in best})
    return found

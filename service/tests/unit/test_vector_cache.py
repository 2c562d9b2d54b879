"""The exact path's in-process vector copy: per-document updates, compaction, snapshots."""

from __future__ import annotations

import numpy as np

from docintel.store.exact_cache import LiveEntry, VectorCache


def rows(*vectors: list[float]) -> np.ndarray:
    return np.asarray(vectors, dtype=np.float32)


def entry(generation: str, count: int, *tags: str) -> LiveEntry:
    return LiveEntry(generation=generation, count=count, tags=frozenset(tags))


def best(
    cache: VectorCache, vector: list[float], count: int = 10, **filters: frozenset[str]
) -> list[tuple[str, str, int, float]]:
    snapshot = cache.snapshot(
        filter_tags=filters.get("tags", frozenset()), exclude_generations=filters.get("exclude", frozenset())
    )
    return [] if snapshot is None else snapshot.top(rows(vector)[0], count=count)


def test_documents_are_replaced_and_removed() -> None:
    cache = VectorCache()
    cache.add("a", entry("g1", 2, "t"), indexes=[0, 1], vectors=rows([1, 0], [0, 1]))
    cache.add("b", entry("g2", 1), indexes=[0], vectors=rows([0.6, 0.8]))
    assert [found[:3] for found in best(cache, [1, 0])] == [("a", "g1", 0), ("b", "g2", 0), ("a", "g1", 1)]
    cache.add("a", entry("g3", 1), indexes=[0], vectors=rows([0, 1]))
    assert [found[:3] for found in best(cache, [1, 0])] == [("b", "g2", 0), ("a", "g3", 0)]
    cache.remove(["b"])
    assert [found[:3] for found in best(cache, [1, 0])] == [("a", "g3", 0)]
    assert best(cache, [1, 0], tags=frozenset({"t"})) == []
    assert best(cache, [1, 0], exclude=frozenset({"g3"})) == []


def test_compaction_keeps_every_live_row_and_old_snapshots_intact() -> None:
    cache = VectorCache()
    for number in range(3000):
        cache.add(f"d{number}", entry(f"g{number}", 1), indexes=[0], vectors=rows([1.0, number / 3000]))
    before = cache.snapshot(filter_tags=frozenset(), exclude_generations=frozenset())
    assert before is not None
    cache.remove([f"d{number}" for number in range(2500)])  # enough dead rows to compact
    after = best(cache, [0, 1], count=3)
    assert [found[0] for found in after] == ["d2999", "d2998", "d2997"]
    assert len(best(cache, [1, 0], count=10_000)) == 500
    assert len(before.top(rows([1, 0])[0], count=10_000)) == 3000  # the snapshot still sees what it saw


def test_a_new_dimension_once_nothing_is_live() -> None:
    cache = VectorCache()
    cache.add("a", entry("g1", 1), indexes=[0], vectors=rows([1, 0]))
    cache.remove(["a"])
    cache.add("b", entry("g2", 1), indexes=[0], vectors=rows([0, 0, 1]))
    assert cache.dimension == 3
    assert [found[0] for found in best(cache, [0, 0, 1])] == ["b"]

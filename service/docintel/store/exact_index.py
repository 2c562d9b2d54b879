"""Redis 7: vectors in a hash, searched exactly (cosine, numpy) over an in-process copy."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import numpy as np
import redis
from redis.client import Pipeline

from docintel.errors import IndexDimensionMismatchError
from docintel.store.index import Vector, VectorIndex, VectorMatch, VectorQuery, ranked
from docintel.store.keys import Keys, element_name
from docintel.store.redis_client import as_text

__all__ = ["ExactIndex"]

_HMGET_BATCH = 1000


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """All live vectors, valid for one value of the version counter."""

    version: bytes | None
    matrix: Vector
    elements: list[tuple[str, str, int]]
    tags: list[frozenset[str]]


class ExactIndex(VectorIndex):
    """Brute-force cosine search over every live vector, cached in-process per version."""

    name = "exact"

    def __init__(self, client: redis.Redis, *, keys: Keys) -> None:
        """Search through ``client`` in the hashes named by ``keys``."""
        self._redis = client
        self._keys = keys
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    def stage_add(
        self,
        pipe: Pipeline,
        *,
        document_id: str,
        generation: str,
        first_index: int,
        vectors: Vector,
        tags: frozenset[str],
    ) -> None:
        """Queue the vectors into the ``vectors`` hash."""
        mapping = {
            element_name(document_id, generation, first_index + i): row.tobytes() for i, row in enumerate(vectors)
        }
        if mapping:
            pipe.hset(self._keys.vectors, mapping=mapping)  # type: ignore[arg-type]

    def stage_remove(self, pipe: Pipeline, *, document_id: str, generation: str, indexes: range) -> None:
        """Queue deletion of the vectors from the ``vectors`` hash."""
        names = [element_name(document_id, generation, index) for index in indexes]
        if names:
            pipe.hdel(self._keys.vectors, *names)

    def stage_publish(
        self, pipe: Pipeline, *, document_id: str, generation: str, count: int, tags: frozenset[str]
    ) -> None:
        """Record the live generation with its tags, and bump the version counter."""
        entry = {"generation": generation, "count": count, "tags": sorted(tags)}
        pipe.hset(self._keys.live, document_id, json.dumps(entry))
        pipe.incr(self._keys.version)

    def stage_unpublish(self, pipe: Pipeline, *, document_id: str) -> None:
        """Forget the document's live generation, and bump the version counter."""
        pipe.hdel(self._keys.live, document_id)
        pipe.incr(self._keys.version)

    def search(self, query: VectorQuery) -> list[VectorMatch]:
        """Brute-force cosine similarity over the cached vectors."""
        snapshot = self._current()
        if not snapshot.elements:
            return []
        if query.vector.shape[-1] != snapshot.matrix.shape[1]:
            raise IndexDimensionMismatchError(
                f"the query has {query.vector.shape[-1]} dimensions but the stored vectors "
                f"{snapshot.matrix.shape[1]}: the embedding model changed; re-ingest the documents "
                "with the new model or restore the old one"
            )
        scores = snapshot.matrix @ query.vector
        if query.filter_tags:
            keep = np.fromiter(
                (query.filter_tags <= tags for tags in snapshot.tags), dtype=bool, count=len(snapshot.tags)
            )
            scores = np.where(keep, scores, -np.inf)
        count = min(query.count, len(scores))
        top = np.argpartition(-scores, count - 1)[:count] if count < len(scores) else np.arange(len(scores))
        matches = []
        for i in top:
            if np.isfinite(scores[i]):
                document_id, generation, chunk_index = snapshot.elements[i]
                matches.append(VectorMatch(document_id, generation, chunk_index, float(scores[i])))
        return ranked(matches)[: query.count]

    def _current(self) -> _Snapshot:
        """The cached vectors, reloaded when the version counter moved."""
        with self._lock:
            version = self._redis.get(self._keys.version)
            cached = self._snapshot
            if cached is not None and cached.version == version:
                return cached
            self._snapshot = self._load()
            return self._snapshot

    def _load(self) -> _Snapshot:
        """Read every live generation's vectors."""
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(self._keys.version)
            pipe.hgetall(self._keys.live)
            version, live = pipe.execute()
        elements: list[tuple[str, str, int]] = []
        tags: list[frozenset[str]] = []
        blobs: list[bytes] = []
        wanted: list[tuple[str, str, int, frozenset[str]]] = []
        for raw_id, raw_entry in live.items():
            entry = json.loads(raw_entry)
            doc_tags = frozenset(entry["tags"])
            wanted += [(as_text(raw_id), entry["generation"], i, doc_tags) for i in range(int(entry["count"]))]
        for start in range(0, len(wanted), _HMGET_BATCH):
            batch = wanted[start : start + _HMGET_BATCH]
            values = self._redis.hmget(self._keys.vectors, [element_name(d, g, i) for d, g, i, _ in batch])
            for (document_id, generation, index, doc_tags), blob in zip(batch, values, strict=True):
                if isinstance(blob, bytes):
                    elements.append((document_id, generation, index))
                    tags.append(doc_tags)
                    blobs.append(blob)
        if blobs:
            dimension = len(blobs[0]) // 4
            matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dimension)
        else:
            matrix = np.zeros((0, 0), dtype=np.float32)
        return _Snapshot(version, matrix, elements, tags)

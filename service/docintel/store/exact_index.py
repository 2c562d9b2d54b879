"""Redis 7: vectors in a hash, searched exactly (cosine, numpy) over an in-process copy.

Each commit records the document's live generation in ``{p}:live`` and bumps
``{p}:version``.  A search first compares the version with the one its copy
was built for; if it moved, it reads ``{p}:live`` (one entry per document),
drops the documents that went away or changed (comparing the raw entries) and
fetches only the vectors of the new generations (:class:`~docintel.store.exact_cache.VectorCache`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping

import numpy as np
import redis
from redis.client import Pipeline

from docintel.errors import IndexDimensionMismatchError
from docintel.store.exact_cache import LiveEntry, VectorCache
from docintel.store.index import Vector, VectorIndex, VectorMatch, VectorQuery, ranked
from docintel.store.keys import Keys, element_name
from docintel.store.redis_client import as_text

__all__ = ["ExactIndex"]

logger = logging.getLogger(__name__)

_HMGET_BATCH = 1000


class ExactIndex(VectorIndex):
    """Brute-force cosine search over every live vector, kept in-process and updated per write."""

    name = "exact"

    def __init__(self, client: redis.Redis, *, keys: Keys) -> None:
        """Search through ``client`` in the hashes named by ``keys``."""
        self._redis = client
        self._keys = keys
        self._cache = VectorCache()
        self._version: bytes | None = None
        self._raw_live: dict[str, bytes] = {}
        self._loaded = False
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
        """Brute-force cosine similarity over the cached vectors, brought up to date first."""
        with self._lock:
            self._refresh()
            if self._cache.dimension and query.vector.shape[-1] != self._cache.dimension:
                raise IndexDimensionMismatchError(
                    f"the query has {query.vector.shape[-1]} dimensions but the stored vectors "
                    f"{self._cache.dimension}: the embedding model changed; restore it, or delete all "
                    "documents and ingest them again with the new one"
                )
            snapshot = self._cache.snapshot(
                filter_tags=query.filter_tags, exclude_generations=query.exclude_generations
            )
        # The matrix product runs outside the lock: searches proceed in parallel (numpy releases the GIL).
        found = snapshot.top(query.vector, count=query.count) if snapshot is not None else []
        return ranked([VectorMatch(*match) for match in found])

    def _refresh(self) -> None:
        """Apply what changed since the cached version: drop stale documents, fetch new generations."""
        if self._loaded and self._redis.get(self._keys.version) == self._version:
            return
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(self._keys.version)
            pipe.hgetall(self._keys.live)
            version, raw_live = pipe.execute()
        live = {as_text(document_id): raw for document_id, raw in raw_live.items()}
        self._cache.remove([document_id for document_id in self._raw_live if document_id not in live])
        changed = {document_id: raw for document_id, raw in live.items() if self._raw_live.get(document_id) != raw}
        self._fetch({document_id: _parse_entry(raw) for document_id, raw in changed.items()})
        self._raw_live, self._version, self._loaded = live, version, True

    def _fetch(self, documents: Mapping[str, LiveEntry]) -> None:
        """Read the vectors of ``documents``' live generations into the cache."""
        wanted = [
            (document_id, entry, index) for document_id, entry in documents.items() for index in range(entry.count)
        ]
        found: dict[str, tuple[list[int], list[bytes]]] = {document_id: ([], []) for document_id in documents}
        for start in range(0, len(wanted), _HMGET_BATCH):
            batch = wanted[start : start + _HMGET_BATCH]
            names = [element_name(document_id, entry.generation, index) for document_id, entry, index in batch]
            for (document_id, _, index), blob in zip(batch, self._redis.hmget(self._keys.vectors, names), strict=True):
                if isinstance(blob, bytes):  # gone: replaced meanwhile; the next version brings the new one
                    found[document_id][0].append(index)
                    found[document_id][1].append(blob)
        for document_id, (indexes, blobs) in found.items():
            rows: Vector = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
            try:
                self._cache.add(document_id, documents[document_id], indexes=indexes, vectors=rows)
            except ValueError as exc:  # a document of another dimension; the store's checks keep this from happening
                logger.warning(
                    "skipping vectors of another dimension", extra={"document_id": document_id, "error": str(exc)}
                )


def _parse_entry(raw: bytes) -> LiveEntry:
    """One ``{p}:live`` value."""
    entry = json.loads(raw)
    return LiveEntry(generation=entry["generation"], count=int(entry["count"]), tags=frozenset(entry["tags"]))

"""Redis 7: vectors in a hash, searched exactly (cosine, numpy) over an in-process copy.

Each commit records the document's live generation in ``{p}:live``, bumps
``{p}:version`` and appends the document's id to the ``{p}:changes`` stream.
A search first compares the version with the one its copy was built for; if
it moved by ``n``, it reads the stream's entries after the last one it
applied: if there are exactly ``n`` (none trimmed away, no writer that does
not log), only those documents' ``{p}:live`` entries are read, else all of
them.  Documents that went away or changed (comparing the raw entries) are
dropped and only the vectors of their new generations fetched
(:class:`~docintel.store.exact_cache.VectorCache`).  So a write costs each
process what it changed, not a pass over every document or vector.
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
from docintel.store.index import Vector, VectorBatch, VectorIndex, VectorMatch, VectorQuery, ranked
from docintel.store.keys import Keys, element_name
from docintel.store.redis_client import as_text

__all__ = ["ExactIndex"]

logger = logging.getLogger(__name__)

_HMGET_BATCH = 1000
_CHANGES_KEPT = 10_000
"""Entries the change stream keeps (about: trimmed with ``~``); a process further behind reads all of ``live``."""


class ExactIndex(VectorIndex):
    """Brute-force cosine search over every live vector, kept in-process and updated per write."""

    name = "exact"

    def __init__(self, client: redis.Redis, *, keys: Keys) -> None:
        """Search through ``client`` in the hashes named by ``keys``."""
        self._redis = client
        self._keys = keys
        self._cache = VectorCache()
        self._version: int | None = None
        self._last_change = "0-0"
        self._raw_live: dict[str, bytes] = {}
        self._loaded = False
        self._lock = threading.Lock()

    def stage_add(self, pipe: Pipeline, batch: VectorBatch) -> None:
        """Queue the vectors into the ``vectors`` hash."""
        mapping = {name: row.tobytes() for name, row in zip(batch.names(), batch.vectors, strict=True)}
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
        """Record the live generation with its tags, and log the change."""
        entry = {"generation": generation, "count": count, "tags": sorted(tags)}
        pipe.hset(self._keys.live, document_id, json.dumps(entry))
        self._stage_change(pipe, document_id)

    def stage_unpublish(self, pipe: Pipeline, *, document_id: str) -> None:
        """Forget the document's live generation, and log the change."""
        pipe.hdel(self._keys.live, document_id)
        self._stage_change(pipe, document_id)

    def _stage_change(self, pipe: Pipeline, document_id: str) -> None:
        """Bump the version and append ``document_id`` to the change stream (one entry per version)."""
        pipe.incr(self._keys.version)
        pipe.xadd(self._keys.changes, {"d": document_id}, maxlen=_CHANGES_KEPT, approximate=True)

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
        if self._loaded and _as_int(self._redis.get(self._keys.version)) == self._version:
            return
        if self._loaded and self._version is not None:
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.get(self._keys.version)
                pipe.xrange(self._keys.changes, min=f"({self._last_change}", count=_CHANGES_KEPT + 1)
                version, changes = pipe.execute()
            if version is not None and len(changes) == int(version) - self._version:
                changed = list(dict.fromkeys(as_text(fields[b"d"]) for _, fields in changes))
                self._apply(changed, self._read_live(changed))
                self._version, self._last_change = int(version), as_text(changes[-1][0])
                return
        # First load, or changes this process cannot see (trimmed from the stream, or written by a version of the
        # service that did not log them): read every entry.
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(self._keys.version)
            pipe.xrevrange(self._keys.changes, count=1)
            pipe.hgetall(self._keys.live)
            version, newest, raw_live = pipe.execute()
        live = {as_text(document_id): raw for document_id, raw in raw_live.items()}
        self._apply(list(dict.fromkeys([*self._raw_live, *live])), live)
        self._version, self._loaded = _as_int(version), True
        self._last_change = as_text(newest[0][0]) if newest else "0-0"

    def _apply(self, changed: list[str], live: Mapping[str, bytes]) -> None:
        """Bring the documents ``changed`` to their ``live`` entries (absent: deleted)."""
        self._cache.remove([document_id for document_id in changed if document_id not in live])
        fresh = {document_id: raw for document_id, raw in live.items() if self._raw_live.get(document_id) != raw}
        self._fetch({document_id: _parse_entry(raw) for document_id, raw in fresh.items()})
        for document_id in changed:
            if document_id in live:
                self._raw_live[document_id] = live[document_id]
            else:
                self._raw_live.pop(document_id, None)

    def _read_live(self, document_ids: list[str]) -> dict[str, bytes]:
        """The ``live`` entries of ``document_ids`` that exist."""
        live: dict[str, bytes] = {}
        for start in range(0, len(document_ids), _HMGET_BATCH):
            batch = document_ids[start : start + _HMGET_BATCH]
            for document_id, raw in zip(batch, self._redis.hmget(self._keys.live, batch), strict=True):
                if isinstance(raw, bytes):
                    live[document_id] = raw
        return live

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
            if not blobs:  # replaced or deleted meanwhile, every vector with it: the next version brings its change
                continue
            rows: Vector = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
            try:
                self._cache.add(document_id, documents[document_id], indexes=indexes, vectors=rows)
            except ValueError as exc:  # a document of another dimension; the store's checks keep this from happening
                logger.warning(
                    "skipping vectors of another dimension", extra={"document_id": document_id, "error": str(exc)}
                )


def _as_int(raw: bytes | str | None) -> int | None:
    """A counter's value, or None if it does not exist."""
    return None if raw is None else int(raw)


def _parse_entry(raw: bytes) -> LiveEntry:
    """One ``{p}:live`` value."""
    entry = json.loads(raw)
    return LiveEntry(generation=entry["generation"], count=int(entry["count"]), tags=frozenset(entry["tags"]))

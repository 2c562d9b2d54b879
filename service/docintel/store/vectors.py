"""The vector index: Redis 8 vector sets when available, exact numpy search otherwise.

:class:`VectorIndex` hides which path is used.  Writers stage additions and
removals into the caller's MULTI/EXEC pipeline, so vectors change atomically
with the documents they belong to; readers build a :class:`VectorQuery`.

Capability detection (``VCARD`` on a key that never exists: Redis 8 answers 0,
Redis 7 replies "unknown command") runs once and is cached; it is redone after
a connection failure and whenever a vector-set command is refused, so a server
that was restarted or swapped is re-examined.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import redis
from redis.client import Pipeline

from docintel.errors import IndexDimensionMismatchError, StoreUnavailableError
from docintel.store.keys import Keys, element_name, parse_element_name
from docintel.store.redis_client import as_text, is_unavailable_error, raw_command, redis_errors

__all__ = [
    "IndexMode",
    "VectorIndex",
    "VectorMatch",
    "VectorQuery",
    "is_unknown_command",
    "new_version_token",
    "normalize",
]

logger = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]


class IndexMode(StrEnum):
    """Which search implementation serves the index."""

    VECTORSET = "vectorset"
    EXACT = "exact"


@dataclass(frozen=True, slots=True)
class VectorQuery:
    """A nearest-neighbour query: the top ``k`` chunks having all ``filter_tags``."""

    vector: Vector
    k: int
    filter_tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class VectorMatch:
    """One index hit with its cosine similarity."""

    document_id: str
    generation: str
    chunk_index: int
    score: float


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """The exact path's in-process copy of all vectors, valid for one version token."""

    version: bytes
    matrix: Vector
    elements: list[tuple[str, str, int]]
    tags: list[frozenset[str]]


def normalize(vectors: npt.ArrayLike) -> Vector:
    """L2-normalise rows (zero rows stay zero) as float32."""
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=-1, keepdims=True)
    return (array / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def new_version_token() -> str:
    """A random token that marks a new state of the index."""
    return secrets.token_hex(12)


class VectorIndex:
    """Stores chunk vectors and answers similarity queries."""

    def __init__(self, client: redis.Redis, *, keys: Keys) -> None:
        """Wrap ``client``; nothing is sent to Redis until first use."""
        self._redis = client
        self._keys = keys
        self._mode: IndexMode | None = None
        self._snapshot: _Snapshot | None = None

    # -- capability -------------------------------------------------------

    def mode(self) -> IndexMode:
        """The path this server supports (detected on first use, then cached)."""
        mode = self._mode
        if mode is None:
            mode = self._detect()
            self._mode = mode
        return mode

    def invalidate(self) -> None:
        """Forget the detected capability and cached vectors (e.g. after a failure)."""
        self._mode = None
        self._snapshot = None

    def _detect(self) -> IndexMode:
        """Probe the server for vector-set commands."""
        with redis_errors("detecting vector-set support"):
            try:
                raw_command(self._redis, "VCARD", self._keys.probe)
            except redis.ResponseError as exc:
                if is_unavailable_error(exc):
                    raise
                logger.info("redis has no vector sets; using exact search", extra={"reply": str(exc)})
                return IndexMode.EXACT
        logger.info("redis has vector sets; using VSIM search")
        return IndexMode.VECTORSET

    def note_failure(self, exc: BaseException) -> None:
        """Called by the store when a Redis command failed, to re-detect if needed."""
        if isinstance(exc, StoreUnavailableError) or is_unavailable_error(exc) or is_unknown_command(exc):
            self.invalidate()

    # -- writes (staged into the caller's transaction) --------------------

    def stage_add(
        self,
        pipe: Pipeline,
        *,
        mode: IndexMode,
        document_id: str,
        generation: str,
        vectors: Vector,
        tags: frozenset[str],
    ) -> None:
        """Queue the vectors of one document generation into ``pipe`` (inside MULTI)."""
        rows = normalize(vectors)
        if mode is IndexMode.VECTORSET:
            attributes = json.dumps(dict.fromkeys(sorted(tags), 1)) if tags else None
            for index, row in enumerate(rows):
                args: list[Any] = [
                    "VADD",
                    self._keys.vset,
                    "FP32",
                    row.tobytes(),
                    element_name(document_id, generation, index),
                    "NOQUANT",
                ]
                if attributes is not None:
                    args += ["SETATTR", attributes]
                raw_command(pipe, *args)
        else:
            mapping = {element_name(document_id, generation, i): row.tobytes() for i, row in enumerate(rows)}
            if mapping:
                pipe.hset(self._keys.vectors, mapping=mapping)  # type: ignore[arg-type]
            pipe.hset(self._keys.filters, document_id, json.dumps(sorted(tags)))

    def stage_remove(
        self,
        pipe: Pipeline,
        *,
        mode: IndexMode,
        document_id: str,
        generation: str,
        count: int,
    ) -> None:
        """Queue removal of one document generation's vectors into ``pipe``."""
        names = [element_name(document_id, generation, i) for i in range(count)]
        if mode is IndexMode.VECTORSET:
            for name in names:
                raw_command(pipe, "VREM", self._keys.vset, name)
        else:
            if names:
                pipe.hdel(self._keys.vectors, *names)
            pipe.hdel(self._keys.filters, document_id)

    def check_dimension(self, pipe: Pipeline, *, dimension: int) -> bool:
        """Verify (in WATCH mode) that ``dimension`` fits the stored vectors.

        Returns True when no dimension is recorded yet (the caller records it).
        Raises :class:`IndexDimensionMismatchError` if documents with another
        dimension exist.
        """
        stored = pipe.get(self._keys.dim)
        if stored is None:
            return True
        if int(stored) == dimension:
            return False
        if pipe.zcard(self._keys.docs) == 0:
            return True
        raise IndexDimensionMismatchError(
            f"the index holds {int(stored)}-dimensional vectors but the embedder produces "
            f"{dimension}-dimensional ones; re-create the index (delete all documents) "
            "after changing the embedding model"
        )

    def stage_dimension(self, pipe: Pipeline, *, dimension: int) -> None:
        """Queue recording the vector dimension."""
        pipe.set(self._keys.dim, dimension)

    # -- reads -------------------------------------------------------------

    def search(self, query: VectorQuery) -> list[VectorMatch]:
        """The best ``query.k`` matches, best first."""
        for attempt in (0, 1):
            mode = self.mode()
            try:
                with redis_errors("searching"):
                    if mode is IndexMode.VECTORSET:
                        return self._search_vectorset(query)
                    return self._search_exact(query)
            except StoreUnavailableError:
                self.invalidate()
                raise
            except redis.ResponseError as exc:
                if attempt == 0 and is_unknown_command(exc):
                    logger.warning("vector-set command refused; re-detecting capability")
                    self.invalidate()
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _search_vectorset(self, query: VectorQuery) -> list[VectorMatch]:
        """VSIM on the vector set; scores converted from VSIM's [0, 1] to cosine."""
        vector = normalize(query.vector)
        args: list[Any] = [
            "VSIM",
            self._keys.vset,
            "FP32",
            vector.tobytes(),
            "WITHSCORES",
            "COUNT",
            query.k,
            "EF",
            max(200, 4 * query.k),
        ]
        if query.filter_tags:
            expression = " and ".join(f".{tag} == 1" for tag in sorted(query.filter_tags))
            args += ["FILTER", expression, "FILTER-EF", max(2000, 100 * query.k)]
        try:
            reply = raw_command(self._redis, *args)
        except redis.ResponseError as exc:
            if "dimension mismatch" in str(exc).lower():
                raise IndexDimensionMismatchError(
                    f"the query vector does not fit the index ({exc}); the embedding model changed?"
                ) from exc
            raise
        matches = []
        for name, similarity in _pairs(reply):
            document_id, generation, index = parse_element_name(as_text(name))
            matches.append(VectorMatch(document_id, generation, index, 2.0 * float(similarity) - 1.0))
        return _ranked(matches)[: query.k]

    def _search_exact(self, query: VectorQuery) -> list[VectorMatch]:
        """Brute-force cosine similarity over a cached copy of all vectors."""
        snapshot = self._load_snapshot()
        if snapshot is None or not snapshot.elements:
            return []
        vector = normalize(query.vector)
        if vector.shape[-1] != snapshot.matrix.shape[1]:
            raise IndexDimensionMismatchError(
                f"query has {vector.shape[-1]} dimensions, the index {snapshot.matrix.shape[1]}"
            )
        scores = snapshot.matrix @ vector
        if query.filter_tags:
            keep = np.fromiter(
                (query.filter_tags <= tags for tags in snapshot.tags), dtype=bool, count=len(snapshot.tags)
            )
            scores = np.where(keep, scores, -np.inf)
        k = min(query.k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        matches = []
        for i in top:
            if np.isfinite(scores[i]):
                document_id, generation, chunk_index = snapshot.elements[i]
                matches.append(VectorMatch(document_id, generation, chunk_index, float(scores[i])))
        return _ranked(matches)[: query.k]

    def _load_snapshot(self) -> _Snapshot | None:
        """Return the cached vectors, reloading them if any write happened since."""
        current = self._redis.get(self._keys.version)
        cached = self._snapshot
        if current is not None and cached is not None and cached.version == current:
            return cached
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(self._keys.version)
            pipe.hgetall(self._keys.vectors)
            pipe.hgetall(self._keys.filters)
            version, vectors, filters = pipe.execute()
        doc_tags = {as_text(doc): frozenset(json.loads(raw)) for doc, raw in filters.items()}
        elements: list[tuple[str, str, int]] = []
        blobs: list[bytes] = []
        for name, blob in vectors.items():
            elements.append(parse_element_name(as_text(name)))
            blobs.append(blob)
        if blobs:
            dimension = len(blobs[0]) // 4
            matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dimension)
        else:
            matrix = np.zeros((0, 0), dtype=np.float32)
        tags = [doc_tags.get(element[0], frozenset()) for element in elements]
        snapshot = _Snapshot(version or b"", matrix, elements, tags)
        if version is not None:
            self._snapshot = snapshot
        return snapshot


def is_unknown_command(exc: BaseException) -> bool:
    """True for Redis' reply to a command it does not have (e.g. VADD on Redis 7)."""
    return isinstance(exc, redis.ResponseError) and "unknown command" in str(exc).lower()


def _pairs(reply: Any) -> Iterable[tuple[Any, Any]]:
    """(element, score) pairs from a VSIM WITHSCORES reply (dict or flat list)."""
    if isinstance(reply, Mapping):
        return list(reply.items())
    if not reply:
        return []
    flat = list(reply)
    return list(zip(flat[0::2], flat[1::2], strict=True))


def _ranked(matches: list[VectorMatch]) -> list[VectorMatch]:
    """Best score first; ties broken by document id and chunk index for stable output."""
    return sorted(matches, key=lambda m: (-m.score, m.document_id, m.chunk_index))

"""Documents and their chunks in Redis, written atomically with their vectors.

A document version is identified by a random *generation*.  Storing a document
runs one optimistic transaction (WATCH on the document key, then MULTI/EXEC)
that writes the new generation's chunks and vectors, points the document hash
at it and removes the previous generation, so readers see either the old or the
new version, never a mix.  Search hits carry the generation they were found
under; a hit whose generation is no longer current is dropped.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import redis
from pydantic import JsonValue

from docintel.errors import StoreUnavailableError
from docintel.store.filters import filter_tags
from docintel.store.keys import Keys
from docintel.store.redis_client import as_text, redis_errors, watch
from docintel.store.vectors import IndexMode, VectorIndex, VectorMatch, is_unknown_command, new_version_token

__all__ = ["ChunkHit", "DocumentRecord", "DocumentStore"]

_MAX_TRANSACTION_ATTEMPTS = 20
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """A stored document (``text`` is empty in listings)."""

    id: str
    title: str
    text: str
    metadata: dict[str, JsonValue]
    chunks: int
    created_at: float
    updated_at: float
    generation: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class ChunkHit:
    """A search match resolved to its chunk text and document fields."""

    document_id: str
    chunk_index: int
    text: str
    score: float
    title: str
    metadata: dict[str, JsonValue]


class DocumentStore:
    """CRUD for documents; vectors are delegated to a :class:`VectorIndex`."""

    def __init__(self, client: redis.Redis, *, keys: Keys, index: VectorIndex) -> None:
        """Use ``client`` for data under ``keys`` and ``index`` for vectors."""
        self._redis = client
        self._keys = keys
        self._index = index

    @property
    def index(self) -> VectorIndex:
        """The vector index this store writes to."""
        return self._index

    def put_document(
        self,
        *,
        document_id: str,
        title: str,
        text: str,
        metadata: Mapping[str, JsonValue],
        chunks: Sequence[str],
        vectors: npt.NDArray[np.float32],
    ) -> DocumentRecord:
        """Create or atomically replace a document with its chunks and vectors."""
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk is required")
        metadata_json = json.dumps(dict(metadata), ensure_ascii=False)
        tags = filter_tags(metadata)
        dimension = int(vectors.shape[1]) if vectors.ndim == 2 else 0
        doc_key = self._keys.doc(document_id)
        return self._with_index(
            "storing the document",
            lambda mode: self._put_transaction(
                mode=mode,
                doc_key=doc_key,
                document_id=document_id,
                title=title,
                text=text,
                metadata=dict(metadata),
                metadata_json=metadata_json,
                chunks=chunks,
                vectors=vectors,
                tags=tags,
                dimension=dimension,
            ),
        )

    def _with_index(self, action: str, operation: Callable[[IndexMode], _T]) -> _T:
        """Run ``operation`` for the current index mode, translating Redis failures.

        A failure makes the index re-detect its capability; if the server refused a
        vector-set command (it was replaced by one without them) the operation,
        whose transaction was discarded, is retried once in the new mode.
        """
        for attempt in (0, 1):
            mode = self._index.mode()
            try:
                with redis_errors(action):
                    return operation(mode)
            except (StoreUnavailableError, redis.ResponseError) as exc:
                self._index.note_failure(exc)
                if attempt == 0 and isinstance(exc, redis.ResponseError) and is_unknown_command(exc):
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _put_transaction(
        self,
        *,
        mode: IndexMode,
        doc_key: str,
        document_id: str,
        title: str,
        text: str,
        metadata: dict[str, JsonValue],
        metadata_json: str,
        chunks: Sequence[str],
        vectors: npt.NDArray[np.float32],
        tags: frozenset[str],
        dimension: int,
    ) -> DocumentRecord:
        """One WATCH/MULTI/EXEC attempt loop for :meth:`put_document`."""
        generation = secrets.token_hex(8)
        for _ in range(_MAX_TRANSACTION_ATTEMPTS):
            with self._redis.pipeline(transaction=True) as pipe:
                try:
                    watch(pipe, doc_key, self._keys.dim)
                    old_generation, old_count, old_created = pipe.hmget(doc_key, ["generation", "chunks", "created_at"])
                    record_dimension = self._index.check_dimension(pipe, dimension=dimension)
                    now = time.time()
                    created_at = float(old_created) if old_created is not None else now
                    pipe.multi()
                    if old_generation is not None:
                        old_gen = as_text(old_generation)
                        pipe.delete(self._keys.chunks(document_id, old_gen))
                        self._index.stage_remove(
                            pipe,
                            mode=mode,
                            document_id=document_id,
                            generation=old_gen,
                            count=int(old_count or 0),
                        )
                    pipe.hset(
                        self._keys.chunks(document_id, generation),
                        mapping={str(i): chunk for i, chunk in enumerate(chunks)},
                    )
                    self._index.stage_add(
                        pipe,
                        mode=mode,
                        document_id=document_id,
                        generation=generation,
                        vectors=vectors,
                        tags=tags,
                    )
                    pipe.hset(
                        doc_key,
                        mapping={
                            "id": document_id,
                            "title": title,
                            "text": text,
                            "metadata": metadata_json,
                            "chunks": len(chunks),
                            "generation": generation,
                            "created_at": repr(created_at),
                            "updated_at": repr(now),
                        },
                    )
                    pipe.zadd(self._keys.docs, {document_id: created_at})
                    if record_dimension:
                        self._index.stage_dimension(pipe, dimension=dimension)
                    pipe.set(self._keys.version, new_version_token())
                    pipe.execute()
                except redis.WatchError:
                    continue
            return DocumentRecord(
                id=document_id,
                title=title,
                text=text,
                metadata=metadata,
                chunks=len(chunks),
                created_at=created_at,
                updated_at=now,
                generation=generation,
            )
        raise StoreUnavailableError("too many concurrent writes to this document; retry later")

    def get_document(self, *, document_id: str) -> DocumentRecord | None:
        """The stored document, or None."""
        with redis_errors("reading the document"):
            raw = self._redis.hgetall(self._keys.doc(document_id))
        if not raw:
            return None
        return _record(raw, with_text=True)

    def list_documents(self, *, offset: int, limit: int) -> tuple[list[DocumentRecord], int]:
        """One page of documents (oldest first, without text) and the total count."""
        fields = ["id", "title", "metadata", "chunks", "created_at", "updated_at", "generation"]
        with redis_errors("listing documents"):
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.zcard(self._keys.docs)
                pipe.zrange(self._keys.docs, offset, offset + limit - 1)
                total, ids = pipe.execute()
            if not ids:
                return [], int(total)
            with self._redis.pipeline(transaction=True) as pipe:
                for raw_id in ids:
                    pipe.hmget(self._keys.doc(raw_id.decode()), fields)
                rows = pipe.execute()
        items = [_record(dict(zip(fields, row, strict=True)), with_text=False) for row in rows if row[0] is not None]
        return items, int(total)

    def delete_document(self, *, document_id: str) -> bool:
        """Delete a document with its chunks and vectors; False if it did not exist."""
        return self._with_index(
            "deleting the document",
            lambda mode: self._delete_transaction(mode=mode, document_id=document_id),
        )

    def _delete_transaction(self, *, mode: IndexMode, document_id: str) -> bool:
        """One WATCH/MULTI/EXEC attempt loop for :meth:`delete_document`."""
        doc_key = self._keys.doc(document_id)
        for _ in range(_MAX_TRANSACTION_ATTEMPTS):
            with self._redis.pipeline(transaction=True) as pipe:
                try:
                    watch(pipe, doc_key)
                    generation, count = pipe.hmget(doc_key, ["generation", "chunks"])
                    if generation is None:
                        return False
                    gen = as_text(generation)
                    pipe.multi()
                    pipe.delete(doc_key, self._keys.chunks(document_id, gen))
                    pipe.zrem(self._keys.docs, document_id)
                    self._index.stage_remove(
                        pipe, mode=mode, document_id=document_id, generation=gen, count=int(count or 0)
                    )
                    pipe.set(self._keys.version, new_version_token())
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue
        raise StoreUnavailableError("too many concurrent writes to this document; retry later")

    def resolve_matches(self, *, matches: Sequence[VectorMatch]) -> list[ChunkHit]:
        """Fetch chunk text, title and metadata for index matches (one snapshot).

        Matches of a generation that is no longer current (the document was
        replaced or deleted after the index answered) are dropped.
        """
        if not matches:
            return []
        with redis_errors("reading search results"), self._redis.pipeline(transaction=True) as pipe:
            for match in matches:
                pipe.hget(self._keys.chunks(match.document_id, match.generation), str(match.chunk_index))
                pipe.hmget(self._keys.doc(match.document_id), ["generation", "title", "metadata"])
            replies = pipe.execute()
        hits: list[ChunkHit] = []
        for position, match in enumerate(matches):
            text, (generation, title, metadata) = replies[2 * position], replies[2 * position + 1]
            if text is None or generation is None or generation.decode() != match.generation:
                continue
            hits.append(
                ChunkHit(
                    document_id=match.document_id,
                    chunk_index=match.chunk_index,
                    text=text.decode(),
                    score=match.score,
                    title=title.decode() if title is not None else "",
                    metadata=json.loads(metadata) if metadata is not None else {},
                )
            )
        return hits

    def ping(self) -> None:
        """Raise :class:`StoreUnavailableError` unless Redis answers PING."""
        try:
            with redis_errors("pinging"):
                self._redis.ping()
        except StoreUnavailableError as exc:
            self._index.note_failure(exc)
            raise


def _record(raw: Mapping[Any, Any], *, with_text: bool) -> DocumentRecord:
    """Build a :class:`DocumentRecord` from a Redis hash reply."""
    values = {(k.decode() if isinstance(k, bytes) else k): v for k, v in raw.items()}

    def text_of(name: str) -> str:
        value = values.get(name)
        return value.decode() if value is not None else ""

    return DocumentRecord(
        id=text_of("id"),
        title=text_of("title"),
        text=text_of("text") if with_text else "",
        metadata=json.loads(values["metadata"] or b"{}") if values.get("metadata") else {},
        chunks=int(values.get("chunks") or 0),
        created_at=float(values.get("created_at") or 0.0),
        updated_at=float(values.get("updated_at") or 0.0),
        generation=text_of("generation"),
    )

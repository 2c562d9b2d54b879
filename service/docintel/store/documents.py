"""The document store: documents, their chunks and vectors in Redis, and search over them.

A document version is identified by a random *generation*.  Storing a document
runs one optimistic transaction (:func:`~docintel.store.transactions.transact`)
that writes the new generation's chunks and vectors, points the document hash
at it and removes the previous generation, so readers see either the old or the
new version, never a mix.  Search hits carry the generation they were found
under; a hit whose generation is no longer current is dropped.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import redis
from pydantic import JsonValue
from redis.client import Pipeline

from docintel.errors import IndexDimensionMismatchError, StoreUnavailableError
from docintel.schemas import SearchHit
from docintel.store.capability import IndexSelector
from docintel.store.filters import filter_tags
from docintel.store.hits import resolve_hits
from docintel.store.index import VectorIndex, VectorQuery, normalize
from docintel.store.keys import Keys
from docintel.store.records import LISTING_FIELDS, DocumentRecord, record_fields, record_from_hash
from docintel.store.redis_client import as_text, redis_errors
from docintel.store.transactions import Attempt, transact

__all__ = ["DocumentStore"]

_MAX_CANDIDATES = 1000
"""The most index matches one search examines while looking for ``k`` live ones."""


class DocumentStore:
    """CRUD and search for documents; vectors go to the :class:`VectorIndex` the server supports."""

    def __init__(self, client: redis.Redis, *, keys: Keys) -> None:
        """Use ``client`` for everything under ``keys``; the index is detected on first use."""
        self._redis = client
        self._keys = keys
        self._indexes = IndexSelector(client, keys=keys)

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
        if len(chunks) != len(vectors) or vectors.ndim != 2:
            raise ValueError("one vector per chunk is required")
        record = DocumentRecord(
            id=document_id,
            title=title,
            text=text,
            metadata=dict(metadata),
            chunks=len(chunks),
            created_at=0.0,
            updated_at=0.0,
            generation=secrets.token_hex(8),
        )
        rows = normalize(vectors)
        return self._indexes.run(
            "storing the document", lambda index: self._put(index, record=record, chunks=chunks, rows=rows)
        )

    def _put(
        self, index: VectorIndex, *, record: DocumentRecord, chunks: Sequence[str], rows: npt.NDArray[np.float32]
    ) -> DocumentRecord:
        """One transaction writing ``record``'s generation and dropping the previous one."""
        doc_key = self._keys.doc(record.id)
        tags = filter_tags(record.metadata)
        dimension = int(rows.shape[1])

        def read(pipe: Pipeline) -> Attempt[DocumentRecord]:
            old_generation, old_count, old_created = pipe.hmget(doc_key, ["generation", "chunks", "created_at"])
            record_dimension = self._check_dimension(pipe, dimension=dimension)
            now = time.time()
            created_at = float(old_created) if old_created is not None else now
            stored = DocumentRecord(
                id=record.id,
                title=record.title,
                text=record.text,
                metadata=record.metadata,
                chunks=record.chunks,
                created_at=created_at,
                updated_at=now,
                generation=record.generation,
            )

            def writes(pipe: Pipeline) -> None:
                if old_generation is not None:
                    self._stage_drop(
                        pipe,
                        index,
                        document_id=record.id,
                        generation=as_text(old_generation),
                        count=int(old_count or 0),
                    )
                pipe.hset(
                    self._keys.chunks(record.id, record.generation),
                    mapping={str(i): chunk for i, chunk in enumerate(chunks)},
                )
                index.stage_add(
                    pipe, document_id=record.id, generation=record.generation, first_index=0, vectors=rows, tags=tags
                )
                pipe.hset(doc_key, mapping=record_fields(stored))  # type: ignore[arg-type]
                pipe.zadd(self._keys.docs, {record.id: created_at})
                if record_dimension:
                    pipe.set(self._keys.dim, dimension)
                index.stage_publish(
                    pipe, document_id=record.id, generation=record.generation, count=record.chunks, tags=tags
                )

            return Attempt(stored, writes)

        return transact(
            self._redis,
            keys=[doc_key, self._keys.dim],
            read=read,
            conflict_message=f"document {record.id!r} kept being changed by concurrent writes; retry the request",
        )

    def _check_dimension(self, pipe: Pipeline, *, dimension: int) -> bool:
        """Verify (in WATCH mode) that ``dimension`` fits the stored vectors.

        Returns True when the dimension is to be recorded (none yet, or no
        document left).  Raises :class:`IndexDimensionMismatchError` if
        documents with another dimension exist.
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
            f"{dimension}-dimensional ones: restore the previous embedding model, or delete all "
            "documents and ingest them again with the new one"
        )

    def _stage_drop(self, pipe: Pipeline, index: VectorIndex, *, document_id: str, generation: str, count: int) -> None:
        """Queue removal of one generation's chunks and vectors."""
        pipe.delete(self._keys.chunks(document_id, generation))
        index.stage_remove(pipe, document_id=document_id, generation=generation, indexes=range(count))

    def get_document(self, *, document_id: str) -> DocumentRecord | None:
        """The stored document, or None."""
        with redis_errors("reading the document"):
            raw = self._redis.hgetall(self._keys.doc(document_id))
        if not raw:
            return None
        return record_from_hash(raw, with_text=True)

    def list_documents(self, *, offset: int, limit: int) -> tuple[list[DocumentRecord], int]:
        """One page of documents (oldest first, without text) and the total count."""
        with redis_errors("listing documents"):
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.zcard(self._keys.docs)
                pipe.zrange(self._keys.docs, offset, offset + limit - 1)
                total, ids = pipe.execute()
            if not ids:
                return [], int(total)
            with self._redis.pipeline(transaction=True) as pipe:
                for raw_id in ids:
                    pipe.hmget(self._keys.doc(as_text(raw_id)), list(LISTING_FIELDS))
                rows = pipe.execute()
        items = [
            record_from_hash(dict(zip(LISTING_FIELDS, row, strict=True)), with_text=False)
            for row in rows
            if row[0] is not None
        ]
        return items, int(total)

    def delete_document(self, *, document_id: str) -> bool:
        """Delete a document with its chunks and vectors; False if it did not exist."""
        return self._indexes.run("deleting the document", lambda index: self._delete(index, document_id=document_id))

    def _delete(self, index: VectorIndex, *, document_id: str) -> bool:
        """One transaction removing the document and its live generation."""
        doc_key = self._keys.doc(document_id)

        def read(pipe: Pipeline) -> Attempt[bool]:
            generation, count = pipe.hmget(doc_key, ["generation", "chunks"])
            if generation is None:
                return Attempt(False)

            def writes(pipe: Pipeline) -> None:
                pipe.delete(doc_key)
                pipe.zrem(self._keys.docs, document_id)
                index.stage_unpublish(pipe, document_id=document_id)
                self._stage_drop(
                    pipe, index, document_id=document_id, generation=as_text(generation), count=int(count or 0)
                )

            return Attempt(True, writes)

        return transact(
            self._redis,
            keys=[doc_key],
            read=read,
            conflict_message=f"document {document_id!r} kept being changed by concurrent writes; retry the request",
        )

    def search(
        self, *, vector: npt.NDArray[np.float32], k: int, metadata_filter: Mapping[str, JsonValue]
    ) -> list[SearchHit]:
        """The ``k`` live chunks most similar to ``vector`` (cosine, best first) matching ``metadata_filter``.

        Matches of generations that are not live are skipped; when that leaves
        fewer than ``k``, the index is asked for more (up to 1000 candidates).
        """
        query_vector = normalize(vector)
        tags = filter_tags(metadata_filter)

        def search_index(index: VectorIndex) -> list[SearchHit]:
            count = k
            while True:
                matches = index.search(VectorQuery(vector=query_vector, count=count, filter_tags=tags))
                hits = resolve_hits(self._redis, keys=self._keys, matches=matches)
                if len(hits) >= k or len(matches) < count or count >= _MAX_CANDIDATES:
                    return hits[:k]
                count = min(4 * count, _MAX_CANDIDATES)

        return self._indexes.run("searching", search_index)

    def index_name(self) -> str:
        """Which index serves this server (``vectorset`` or ``exact``), detecting it if needed."""
        return self._indexes.current().name

    def ping(self) -> None:
        """Raise :class:`StoreUnavailableError` unless Redis answers PING."""
        try:
            with redis_errors("pinging"):
                self._redis.ping()
        except StoreUnavailableError:
            self._indexes.invalidate()
            raise

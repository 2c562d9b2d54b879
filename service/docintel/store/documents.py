"""The document store: documents, their chunks and vectors in Redis, and search over them.

A document version is identified by a random *generation*.  Writes go through
:class:`~docintel.store.writer.DocumentWriter` (bounded batches, then one small
commit); reads and search see the old or the new version, never a mix and
never a half-written one: search hits carry the generation they were found
under, and a hit whose generation is not live is dropped.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import redis
from pydantic import JsonValue

from docintel.errors import StoreUnavailableError
from docintel.schemas import SearchHit
from docintel.store.capability import IndexSelector
from docintel.store.filters import filter_tags
from docintel.store.generations import Generations
from docintel.store.hits import resolve_hits
from docintel.store.index import VectorIndex, VectorQuery, normalize
from docintel.store.keys import Keys
from docintel.store.records import LISTING_FIELDS, DocumentRecord, record_from_hash
from docintel.store.redis_client import as_text, redis_errors
from docintel.store.writer import DocumentWriter

__all__ = ["DocumentStore"]

_MAX_SEARCH_ROUNDS = 3
"""How often one search asks the index again, skipping generations it found not to be live."""

_DEFAULT_GRACE_SECONDS = 900.0


class DocumentStore:
    """CRUD and search for documents; vectors go to the :class:`VectorIndex` the server supports."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        keys: Keys,
        grace_seconds: float = _DEFAULT_GRACE_SECONDS,
        forget_texts: Callable[[Sequence[str]], None] | None = None,
    ) -> None:
        """Use ``client`` for everything under ``keys``; the index is detected on first use.

        ``grace_seconds`` is how long a write may take before another process
        may collect what it left; ``forget_texts`` drops the cached embeddings
        of chunks that deletes and replacements remove.
        """
        self._redis = client
        self._keys = keys
        self._indexes = IndexSelector(client, keys=keys)
        generations = Generations(client, keys=keys, grace_seconds=grace_seconds, forget_texts=forget_texts)
        self._writer = DocumentWriter(client, keys=keys, generations=generations)

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
        stored, replaced = self._indexes.run(
            "storing the document", lambda index: self._writer.put(index, record=record, chunks=chunks, rows=rows)
        )
        self._indexes.run_quietly(
            "removing the replaced version",
            lambda index: self._writer.cleanup(index, replaced, keep=frozenset(chunks)),
        )
        return stored

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
        found, deleted = self._indexes.run(
            "deleting the document", lambda index: self._writer.delete(index, document_id=document_id)
        )
        self._indexes.run_quietly(
            "removing the deleted document's chunks and vectors",
            lambda index: self._writer.cleanup(index, deleted, keep=frozenset()),
        )
        return found

    def search(
        self, *, vector: npt.NDArray[np.float32], k: int, metadata_filter: Mapping[str, JsonValue]
    ) -> list[SearchHit]:
        """The ``k`` live chunks most similar to ``vector`` (cosine, best first) matching ``metadata_filter``.

        Matches of generations that are not live are dropped; when that leaves
        fewer than ``k``, the index is asked again, skipping those generations.
        """
        query_vector = normalize(vector)
        tags = filter_tags(metadata_filter)

        def search_index(index: VectorIndex) -> list[SearchHit]:
            excluded: set[str] = set()
            for _ in range(_MAX_SEARCH_ROUNDS):
                query = VectorQuery(
                    vector=query_vector, count=k, filter_tags=tags, exclude_generations=frozenset(excluded)
                )
                matches = index.search(query)
                hits, stale = resolve_hits(self._redis, keys=self._keys, matches=matches)
                if len(hits) >= k or len(matches) < k or not stale:
                    break
                excluded |= stale
            return hits

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

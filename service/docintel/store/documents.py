"""The document store: documents, their chunks and vectors in Redis, and search over them.

A document version is identified by a random *generation*.  Writes go through
:class:`~docintel.store.writer.DocumentWriter` (bounded batches, then one small
commit); reads and search see the old or the new version, never a mix and
never a half-written one: search hits carry the generation they were found
under, and a hit whose generation is not live is dropped.

A store has one shard, or several (:meth:`DocumentStore.sharded`, on Redis
Cluster: :mod:`docintel.store.cluster`): each is a complete store under its
own key prefix, a document lives in the shard its id hashes to, a search asks
every shard at once and merges their best hits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

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
from docintel.store.vector_space import VectorSpace, check_space
from docintel.store.vectorset_layout import VectorSetOptions
from docintel.store.writer import DocumentWriter

__all__ = ["DocumentStore", "shard_of"]

_MAX_SEARCH_ROUNDS = 3
"""How often one search asks the index again, skipping generations it found not to be live."""

_DEFAULT_GRACE_SECONDS = 900.0


@dataclass(frozen=True, slots=True)
class _Shard:
    """One complete store: its Redis, key prefix, index and writer."""

    redis: redis.Redis
    keys: Keys
    indexes: IndexSelector
    writer: DocumentWriter


class DocumentStore:
    """CRUD and search for documents; vectors go to the :class:`VectorIndex` the server supports."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        keys: Keys,
        grace_seconds: float = _DEFAULT_GRACE_SECONDS,
        forget_texts: Callable[[Sequence[str]], None] | None = None,
        vector_options: VectorSetOptions | None = None,
        wait_replicas: int = 0,
        wait_timeout: float = 1.0,
        precheck: Callable[[], None] | None = None,
    ) -> None:
        """Use ``client`` for everything under ``keys``; the index is detected on first use.

        ``grace_seconds`` is how long a write may take before another process
        may collect what it left; ``forget_texts`` drops the cached embeddings
        of chunks that deletes and replacements remove; ``vector_options``
        configure the Redis 8 vector set (default: keep what the index has);
        with ``wait_replicas``, a write is acknowledged once that many replicas
        have it (``WAIT``, up to ``wait_timeout`` seconds); ``precheck`` runs
        before every operation (a sharded store checks its shard count).
        """

        def shard(client: redis.Redis, keys: Keys) -> _Shard:
            generations = Generations(client, keys=keys, grace_seconds=grace_seconds, forget_texts=forget_texts)
            return _Shard(
                client,
                keys,
                IndexSelector(client, keys=keys, vector_options=vector_options or VectorSetOptions()),
                DocumentWriter(
                    client, keys=keys, generations=generations, wait_replicas=wait_replicas, wait_timeout=wait_timeout
                ),
            )

        self._precheck = precheck
        self._make_shard = shard
        self._shards = [shard(client, keys)]
        self._pool: ThreadPoolExecutor | None = None

    @classmethod
    def sharded(cls, shards: Sequence[tuple[redis.Redis, Keys]], **options: Any) -> DocumentStore:
        """A store over several shards (client and key prefix each); ``options`` as for the constructor."""
        store = cls(shards[0][0], keys=shards[0][1], **options)
        store._shards += [store._make_shard(client, keys) for client, keys in shards[1:]]
        if len(store._shards) > 1:
            store._pool = ThreadPoolExecutor(max_workers=len(store._shards), thread_name_prefix="shard-search")
        return store

    def _checked_shards(self) -> list[_Shard]:
        """Every shard, once the precheck passed."""
        if self._precheck is not None:
            self._precheck()
        return self._shards

    def _shard(self, document_id: str) -> _Shard:
        """The shard holding ``document_id``, once the precheck passed."""
        return self._checked_shards()[shard_of(document_id, len(self._shards))]

    def put_document(
        self,
        *,
        document_id: str,
        title: str,
        text: str,
        metadata: Mapping[str, JsonValue],
        chunks: Sequence[str],
        vectors: npt.NDArray[np.float32],
        fingerprint: npt.NDArray[np.float32] | None = None,
    ) -> DocumentRecord:
        """Create or atomically replace a document with its chunks and vectors.

        ``fingerprint`` is the embedding model's (:meth:`~docintel.embeddings.base.Embedder.fingerprint`):
        vectors of another model than the stored ones are refused, like vectors of another dimension.
        """
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
        shard = self._shard(document_id)
        stored, replaced = shard.indexes.run(
            "storing the document",
            lambda index: shard.writer.put(index, record=record, chunks=chunks, rows=rows, fingerprint=fingerprint),
        )
        shard.indexes.run_quietly(
            "removing the replaced version",
            lambda index: shard.writer.cleanup(index, replaced, keep=frozenset(chunks)),
        )
        shard.writer.confirm_replicated(f"document {document_id!r} was stored")
        return stored

    def get_document(self, *, document_id: str) -> DocumentRecord | None:
        """The stored document, or None."""
        shard = self._shard(document_id)
        with redis_errors("reading the document"):
            raw = shard.redis.hgetall(shard.keys.doc(document_id))
        if not raw:
            return None
        return record_from_hash(raw, with_text=True)

    def list_documents(self, *, offset: int, limit: int) -> tuple[list[DocumentRecord], int]:
        """One page of documents (oldest first, without text) and the total count.

        With shards, each gives its first ``offset + limit`` and the page is cut from their merge.
        """
        pages: list[tuple[float, str, _Shard]] = []
        total = 0
        with redis_errors("listing documents"):
            for shard in self._checked_shards():
                start = offset if len(self._shards) == 1 else 0
                with shard.redis.pipeline(transaction=True) as pipe:
                    pipe.zcard(shard.keys.docs)
                    pipe.zrange(shard.keys.docs, start, offset + limit - 1, withscores=True)
                    count, entries = pipe.execute()
                total += int(count)
                pages += [(float(score), as_text(raw_id), shard) for raw_id, score in entries]
            page = sorted(pages, key=lambda entry: entry[:2])
            page = page if len(self._shards) == 1 else page[offset : offset + limit]
            rows = _listing_rows([(shard, document_id) for _, document_id, shard in page])
        items = [
            record_from_hash(dict(zip(LISTING_FIELDS, row, strict=True)), with_text=False)
            for row in rows
            if row[0] is not None
        ]
        return items, total

    def delete_document(self, *, document_id: str) -> bool:
        """Delete a document with its chunks and vectors; False if it did not exist."""
        shard = self._shard(document_id)
        found, deleted = shard.indexes.run(
            "deleting the document", lambda index: shard.writer.delete(index, document_id=document_id)
        )
        shard.indexes.run_quietly(
            "removing the deleted document's chunks and vectors",
            lambda index: shard.writer.cleanup(index, deleted, keep=frozenset()),
        )
        if found:
            shard.writer.confirm_replicated(f"document {document_id!r} was deleted")
        return found

    def search(
        self,
        *,
        vector: npt.NDArray[np.float32],
        k: int,
        metadata_filter: Mapping[str, JsonValue],
        fingerprint: npt.NDArray[np.float32] | None = None,
    ) -> list[SearchHit]:
        """The ``k`` live chunks most similar to ``vector`` (cosine, best first) matching ``metadata_filter``.

        Matches of generations that are not live are dropped; when that leaves
        fewer than ``k``, the index is asked again, skipping those generations.
        Shards are asked concurrently, and their hits merged.  With the query
        model's ``fingerprint``, an index of another model's vectors is refused
        (:class:`~docintel.errors.IndexModelMismatchError`).
        """
        query_vector = normalize(vector)
        tags = filter_tags(metadata_filter)
        space = VectorSpace(len(query_vector), fingerprint) if fingerprint is not None else None

        def search_shard(shard: _Shard) -> list[SearchHit]:
            def search_index(index: VectorIndex) -> list[SearchHit]:
                excluded: set[str] = set()
                for _ in range(_MAX_SEARCH_ROUNDS):
                    query = VectorQuery(
                        vector=query_vector, count=k, filter_tags=tags, exclude_generations=frozenset(excluded)
                    )
                    matches = index.search(query)
                    hits, stale = resolve_hits(shard.redis, keys=shard.keys, matches=matches, space=space)
                    if len(hits) >= k or len(matches) < k or not stale:
                        break
                    excluded |= stale
                return hits

            return shard.indexes.run("searching", search_index)

        shards = self._checked_shards()
        if self._pool is None:
            return search_shard(shards[0])
        merged = [hit for hits in self._pool.map(search_shard, shards) for hit in hits]
        return sorted(merged, key=lambda hit: (-hit.score, hit.document_id, hit.chunk_index))[:k]

    def index_name(self) -> str:
        """Which index serves this server (``vectorset`` or ``exact``), detecting it if needed."""
        return self._checked_shards()[0].indexes.current().name

    def check_vectors(self, fingerprint: npt.NDArray[np.float32]) -> None:
        """Raise unless every shard's stored vectors (if any) fit the model whose ``fingerprint`` this is."""
        space = VectorSpace(len(fingerprint), fingerprint)
        with redis_errors("reading which model the index holds"):
            for shard in self._checked_shards():
                check_space(shard.redis, shard.keys, space)

    def ping(self) -> None:
        """Raise :class:`StoreUnavailableError` unless every shard's Redis answers PING."""
        for shard in self._shards:
            try:
                with redis_errors("pinging"):
                    shard.redis.ping()
            except StoreUnavailableError:
                shard.indexes.invalidate()
                raise

    def close(self) -> None:
        """Stop the shard-search threads (the clients belong to the caller)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)


def shard_of(document_id: str, shards: int) -> int:
    """The number of the shard (of ``shards``) that holds ``document_id``: a stable hash of the id."""
    if shards == 1:
        return 0
    digest = hashlib.blake2b(document_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def _listing_rows(documents: Sequence[tuple[_Shard, str]]) -> list[list[bytes | None]]:
    """The listing fields of ``documents``, in order: one MULTI per shard."""
    rows: dict[int, list[bytes | None]] = {}
    for shard in dict.fromkeys(shard for shard, _ in documents):
        mine = [(number, document_id) for number, (owner, document_id) in enumerate(documents) if owner is shard]
        with shard.redis.pipeline(transaction=True) as pipe:
            for _, document_id in mine:
                pipe.hmget(shard.keys.doc(document_id), list(LISTING_FIELDS))
            rows.update(zip((number for number, _ in mine), pipe.execute(), strict=True))
    return [rows[number] for number in range(len(documents))]

"""Storing and deleting documents: batches first, one small commit, then cleanup.

Storing writes the new generation's chunks and vectors in bounded batches
(:mod:`docintel.store.generations`), then one optimistic transaction
(:func:`~docintel.store.transactions.transact`) points the document hash at it
and marks the previous generation for collection, which follows at once.
Deleting is one transaction, then the same collection.

If Redis fails while a commit is on its way, the outcome is read back (is the
generation live?); the commit is never replayed.  With ``wait_replicas``, a
commit is acknowledged only once that many replicas have it: a marker write
after it, then ``WAIT`` on that connection (replication is in order, so a
replica that has the marker has the commit).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import redis
from redis.client import Pipeline

from docintel.errors import (
    IndexDimensionMismatchError,
    IndexModelMismatchError,
    StoreUnavailableError,
    WriteNotReplicatedError,
    WriteOutcomeUnknownError,
)
from docintel.store.filters import filter_tags
from docintel.store.generations import Generation, Generations
from docintel.store.index import VectorIndex
from docintel.store.keys import Keys
from docintel.store.records import DocumentRecord, record_fields, record_from_hash
from docintel.store.redis_client import as_text, is_unavailable_error, redis_errors
from docintel.store.transactions import Attempt, transact
from docintel.store.vector_space import (
    VectorSpace,
    check_space,
    recorded_space,
    stage_space,
)

__all__ = ["DocumentWriter"]


class DocumentWriter:
    """Puts and deletes documents on one :class:`VectorIndex`."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        keys: Keys,
        generations: Generations,
        wait_replicas: int = 0,
        wait_timeout: float = 1.0,
    ) -> None:
        """Write through ``client`` under ``keys``; ``generations`` writes and collects generations.

        ``wait_replicas`` replicas must confirm each commit within ``wait_timeout`` seconds.
        """
        self._redis = client
        self._keys = keys
        self._generations = generations
        self._wait_replicas = wait_replicas
        self._wait_timeout_ms = max(1, round(wait_timeout * 1000))

    def put(
        self,
        index: VectorIndex,
        *,
        record: DocumentRecord,
        chunks: Sequence[str],
        rows: npt.NDArray[np.float32],
        fingerprint: npt.NDArray[np.float32] | None = None,
    ) -> tuple[DocumentRecord, list[Generation]]:
        """Write ``record``'s generation (normalised ``rows``) and commit it; also returns the one it replaced.

        ``fingerprint`` is the embedding model's (:mod:`~docintel.store.vector_space`): the rows must fit
        the stored vectors' dimension and model, unless no document is stored.
        """
        generation = Generation(record.id, record.generation, record.chunks)
        space = VectorSpace(int(rows.shape[1]), fingerprint)
        self._precheck_space(space)
        replaced: list[Generation] = []
        try:
            self._generations.write(index, generation, chunks=chunks, rows=rows, tags=filter_tags(record.metadata))
            stored = self._commit(index, record=record, space=space, replaced=replaced)
        except WriteOutcomeUnknownError:
            read_back = self._read_back(record)
            if read_back is None:
                self._generations.collect_quietly(index, generation, forget=False, keep=frozenset())
                raise StoreUnavailableError(
                    f"Redis failed while document {record.id!r} was committed, and it was not stored; retry"
                ) from None
            stored = read_back
        except Exception as exc:
            # Redis being away makes cleanup wait for it too: then the pending entry expires and a later write
            # collects it.
            if not isinstance(exc, StoreUnavailableError) and not is_unavailable_error(exc):
                self._generations.collect_quietly(index, generation, forget=False, keep=frozenset())
            raise
        return stored, replaced

    def delete(self, index: VectorIndex, *, document_id: str) -> tuple[bool, list[Generation]]:
        """Delete the document in one transaction (False if it did not exist); also returns its generation."""
        doc_key = self._keys.doc(document_id)
        deleted: list[Generation] = []

        def read(pipe: Pipeline) -> Attempt[bool]:
            generation, count = pipe.hmget(doc_key, ["generation", "chunks"])
            if generation is None:
                return Attempt(False)
            deleted[:] = [Generation(document_id, as_text(generation), int(count or 0))]

            def writes(pipe: Pipeline) -> None:
                pipe.delete(doc_key)
                pipe.zrem(self._keys.docs, document_id)
                index.stage_unpublish(pipe, document_id=document_id)
                self._generations.stage_retired(pipe, deleted[0])

            return Attempt(True, writes)

        try:
            found = transact(self._redis, keys=[doc_key], read=read, conflict_message=_conflict(document_id))
        except WriteOutcomeUnknownError:
            with redis_errors("checking whether the document was deleted"):
                if self._redis.hget(doc_key, "generation") is not None:
                    raise StoreUnavailableError(
                        f"Redis failed while document {document_id!r} was deleted, and it was not; retry"
                    ) from None
            found = True
        return found, deleted if found else []

    def confirm_replicated(self, what: str) -> None:
        """Wait until ``wait_replicas`` replicas have every commit so far, or raise :class:`WriteNotReplicatedError`.

        Called after the commit and its cleanup, outside the index selector: a
        missing replica is not an outage of this primary, so the index (and an
        exact-search copy) is kept, and the replaced version is already gone.
        """
        if not self._wait_replicas:
            return
        try:
            with redis_errors("waiting for replicas"), self._redis.pipeline(transaction=False) as pipe:
                pipe.incr(self._keys.acks)
                pipe.wait(self._wait_replicas, self._wait_timeout_ms)
                _, replicas = pipe.execute()
        except StoreUnavailableError as exc:
            raise WriteNotReplicatedError(
                f"{what} on the primary, but Redis failed before a replica confirmed it ({exc}); it may be lost "
                "if the primary fails: read it back, and write it again if it is missing"
            ) from exc
        if int(replicas) < self._wait_replicas:
            raise WriteNotReplicatedError(
                f"{what} on the primary, but {replicas} of the {self._wait_replicas} replicas required "
                f"(DOCINTEL_REDIS_WAIT_REPLICAS) confirmed it within {self._wait_timeout_ms} ms; it may be lost if the "
                "primary fails now: read it back, and write it again if it is missing"
            )

    def cleanup(self, index: VectorIndex, retired: Sequence[Generation], *, keep: frozenset[str]) -> None:
        """Collect ``retired`` generations (forgetting their embeddings but those of ``keep``), then expired ones."""
        for generation in retired:
            self._generations.collect(index, generation, forget=True, keep=keep)
        self._generations.collect_expired(index)

    def _commit(
        self, index: VectorIndex, *, record: DocumentRecord, space: VectorSpace, replaced: list[Generation]
    ) -> DocumentRecord:
        """The transaction that makes ``record``'s generation live (``replaced`` gets the one it replaces)."""
        doc_key = self._keys.doc(record.id)
        chunks_key = self._keys.chunks(record.id, record.generation)
        generation = Generation(record.id, record.generation, record.chunks)
        tags = filter_tags(record.metadata)

        def read(pipe: Pipeline) -> Attempt[DocumentRecord]:
            if pipe.hlen(chunks_key) != record.chunks:
                raise StoreUnavailableError(
                    f"writing document {record.id!r} took longer than DOCINTEL_WRITE_GRACE_SECONDS and what it "
                    "wrote was collected as abandoned; nothing was stored: retry, or raise that setting"
                )
            old_generation, old_count, old_created = pipe.hmget(doc_key, ["generation", "chunks", "created_at"])
            record_space = self._check_space(pipe, space)
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
            old = Generation(record.id, as_text(old_generation), int(old_count or 0)) if old_generation else None
            replaced[:] = [old] if old is not None else []

            def writes(pipe: Pipeline) -> None:
                pipe.hset(doc_key, mapping=record_fields(stored))  # type: ignore[arg-type]
                pipe.zadd(self._keys.docs, {record.id: created_at})
                if record_space:
                    stage_space(pipe, self._keys, space)
                index.stage_publish(
                    pipe, document_id=record.id, generation=record.generation, count=record.chunks, tags=tags
                )
                self._generations.stage_published(pipe, generation, replaced=old)

            return Attempt(stored, writes)

        watched = [doc_key, self._keys.dim, self._keys.fingerprint, chunks_key]
        return transact(self._redis, keys=watched, read=read, conflict_message=_conflict(record.id))

    def _read_back(self, record: DocumentRecord) -> DocumentRecord | None:
        """After an unknown commit outcome: the stored record if ``record``'s generation is live, else None.

        Raises :class:`WriteOutcomeUnknownError` (503) if Redis cannot tell.
        """
        try:
            with redis_errors("checking whether the document was stored"):
                raw = self._redis.hgetall(self._keys.doc(record.id))
        except StoreUnavailableError as exc:
            raise WriteOutcomeUnknownError(
                f"Redis failed while document {record.id!r} was committed and cannot tell whether it was stored; "
                f"GET /v1/documents/{record.id} once Redis is back, and ingest it again if it is missing"
            ) from exc
        stored = record_from_hash(raw, with_text=True) if raw else None
        return stored if stored is not None and stored.generation == record.generation else None

    def _precheck_space(self, space: VectorSpace) -> None:
        """Fail before writing anything if ``space``'s vectors cannot join the stored ones (checked again at commit)."""
        check_space(self._redis, self._keys, space)

    def _check_space(self, pipe: Pipeline, space: VectorSpace) -> bool:
        """Verify (in WATCH mode) that ``space``'s vectors can join the stored ones; True if it is to be recorded.

        It is recorded in a new or emptied index, and where a fingerprint was missing (an index of a version
        that recorded only the dimension).
        """
        stored = recorded_space(*pipe.mget([self._keys.dim, self._keys.fingerprint]))
        if stored is None:
            return True
        try:
            space.check_fits(stored)
        except (IndexDimensionMismatchError, IndexModelMismatchError):
            if pipe.zcard(self._keys.docs) == 0:
                return True
            raise
        return stored.fingerprint is None and space.fingerprint is not None


def _conflict(document_id: str) -> str:
    """The message when concurrent writers won every attempt."""
    return f"document {document_id!r} kept being changed by concurrent writes; retry the request"

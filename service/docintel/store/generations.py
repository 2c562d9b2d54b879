"""Writing a document generation in bounded batches, and collecting generations that are not live.

A generation is written *before* it becomes live: chunk texts and vectors go
to Redis in batches of bounded size and time (so Redis never holds one huge
command or transaction and keeps serving searches meanwhile), and only the
small commit transaction in the store points the document at it.  Until then
no reader sees it: search hits of a generation that is not the document's
live one are dropped.

Every generation that is not live is listed in ``{p}:pending``, scored by the
time after which it may be collected: a generation being written gets
``now + write_grace_seconds``, one that was replaced or deleted gets 0.
Whoever replaced or deleted it, or failed to write it, collects it at once;
what a crashed process or an outage left behind is collected by the next
writes (:meth:`Generations.collect_expired`).  The commit checks that its
chunk hash is still complete, so a write slower than the grace period fails
rather than publishing what a collector removed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import cast

import redis
from redis.client import Pipeline

from docintel.errors import DocintelError
from docintel.store.index import Vector, VectorBatch, VectorIndex
from docintel.store.keys import Keys, element_name, parse_element_name
from docintel.store.redis_client import as_text
from docintel.store.transactions import Attempt, transact

__all__ = ["BatchSizer", "Generation", "Generations"]

logger = logging.getLogger(__name__)

_CHUNK_BATCH_BYTES = 512 * 1024
_HSCAN_COUNT = 1000
_EXPIRED_PER_WRITE = 4


@dataclass(frozen=True, slots=True)
class Generation:
    """One version of a document: its id, random generation token and chunk count."""

    document_id: str
    generation: str
    count: int

    @property
    def member(self) -> str:
        """Its member in ``{p}:pending``."""
        return element_name(self.document_id, self.generation, self.count)

    @classmethod
    def from_member(cls, member: str) -> Generation:
        """Inverse of :attr:`member`."""
        document_id, generation, count = parse_element_name(member)
        return cls(document_id, generation, count)


class BatchSizer:
    """Batch sizes that keep each round trip near ``target_seconds``: doubled while fast, halved while slow."""

    def __init__(self, *, first: int = 16, largest: int = 256, target_seconds: float = 0.02) -> None:
        """Start at ``first`` items; never above ``largest``."""
        self._size = first
        self._largest = largest
        self._target = target_seconds

    def ranges(self, total: int, run: Callable[[range], object]) -> None:
        """Call ``run`` on consecutive ranges covering ``range(total)``, adapting their length."""
        start = 0
        while start < total:
            batch = range(start, min(total, start + self._size))
            began = time.monotonic()
            run(batch)
            elapsed = time.monotonic() - began
            if elapsed < self._target / 2:
                self._size = min(self._largest, 2 * self._size)
            elif elapsed > self._target:
                self._size = max(1, self._size // 2)
            start = batch.stop


class Generations:
    """Writes generations in batches and removes those that are not live."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        keys: Keys,
        grace_seconds: float,
        forget_texts: Callable[[Sequence[str]], None] | None = None,
    ) -> None:
        """Use ``client`` under ``keys``; ``forget_texts`` drops cached embeddings of removed chunks."""
        self._redis = client
        self._keys = keys
        self._grace = grace_seconds
        self._forget_texts = forget_texts

    def write(
        self, index: VectorIndex, generation: Generation, *, chunks: Sequence[str], rows: Vector, tags: frozenset[str]
    ) -> None:
        """Register ``generation`` as pending, then write its chunk texts and vectors in batches."""
        self._redis.zadd(self._keys.pending, {generation.member: time.time() + self._grace})
        chunks_key = self._keys.chunks(generation.document_id, generation.generation)
        for batch in _by_size(chunks):
            self._redis.hset(chunks_key, mapping={str(i): chunks[i] for i in batch})

        def add(batch: range) -> None:
            with self._redis.pipeline(transaction=False) as pipe:
                vectors = rows[batch.start : batch.stop]
                index.stage_add(
                    pipe, VectorBatch(generation.document_id, generation.generation, batch.start, vectors, tags)
                )
                pipe.execute()

        BatchSizer().ranges(generation.count, add)

    def stage_published(self, pipe: Pipeline, generation: Generation, *, replaced: Generation | None) -> None:
        """Queue, inside the commit, that ``generation`` is live and ``replaced`` may be collected now."""
        pipe.zrem(self._keys.pending, generation.member)
        if replaced is not None:
            self.stage_retired(pipe, replaced)

    def stage_retired(self, pipe: Pipeline, generation: Generation) -> None:
        """Queue, inside a commit, that ``generation`` is no longer live and may be collected now."""
        pipe.zadd(self._keys.pending, {generation.member: 0})

    def collect(self, index: VectorIndex, generation: Generation, *, forget: bool, keep: frozenset[str]) -> None:
        """Remove a generation that is not live: chunks, vectors, its pending entry.

        With ``forget``, the cached embeddings of its chunk texts go too,
        except the texts in ``keep`` (still used by the live generation).
        """
        chunks_key = self._keys.chunks(generation.document_id, generation.generation)
        if forget and self._forget_texts is not None:
            texts = [text for text in self._chunk_texts(chunks_key) if text not in keep]
            self._forget_texts(texts)
        self._redis.unlink(chunks_key)

        def remove(batch: range) -> None:
            with self._redis.pipeline(transaction=False) as pipe:
                index.stage_remove(
                    pipe, document_id=generation.document_id, generation=generation.generation, indexes=batch
                )
                pipe.execute()

        BatchSizer().ranges(generation.count, remove)
        self._redis.zrem(self._keys.pending, generation.member)

    def collect_quietly(
        self, index: VectorIndex, generation: Generation, *, forget: bool, keep: frozenset[str]
    ) -> None:
        """:meth:`collect`, logging instead of raising: what is left stays pending for a later collector."""
        try:
            self.collect(index, generation, forget=forget, keep=keep)
        except (redis.RedisError, DocintelError) as exc:
            logger.warning(
                "could not remove a generation that is not live; a later write will",
                extra={"document_id": generation.document_id, "error": str(exc)},
            )

    def collect_expired(self, index: VectorIndex, *, limit: int = _EXPIRED_PER_WRITE) -> None:
        """Collect up to ``limit`` pending generations whose time is up and that are not live."""
        due = self._redis.zrangebyscore(self._keys.pending, "-inf", time.time(), start=0, num=limit)
        for member in due:
            generation = Generation.from_member(as_text(cast(bytes, member)))
            if self._claim(generation):
                self.collect(index, generation, forget=False, keep=frozenset())

    def _claim(self, generation: Generation) -> bool:
        """Make sure ``generation`` can never become live (its chunk hash goes), unless it already is."""
        doc_key = self._keys.doc(generation.document_id)
        chunks_key = self._keys.chunks(generation.document_id, generation.generation)

        def read(pipe: Pipeline) -> Attempt[bool]:
            live = pipe.hget(doc_key, "generation")
            if live is not None and as_text(live) == generation.generation:
                return Attempt(False, lambda p: p.zrem(self._keys.pending, generation.member))
            return Attempt(True, lambda p: p.unlink(chunks_key))

        return transact(
            self._redis, keys=[doc_key, chunks_key], read=read, conflict_message="the document is being written"
        )

    def _chunk_texts(self, chunks_key: str) -> Iterator[str]:
        """The chunk texts in a chunk hash, read in slices."""
        for _, text in self._redis.hscan_iter(chunks_key, count=_HSCAN_COUNT):
            yield as_text(text)


def _by_size(chunks: Sequence[str]) -> Iterator[range]:
    """Consecutive index ranges of ``chunks`` holding about 512 kB of text each."""
    start = size = 0
    for index, chunk in enumerate(chunks):
        size += len(chunk)
        if size >= _CHUNK_BATCH_BYTES:
            yield range(start, index + 1)
            start, size = index + 1, 0
    if start < len(chunks):
        yield range(start, len(chunks))

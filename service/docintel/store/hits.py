"""Turning index matches into search hits, dropping what is no longer live."""

from __future__ import annotations

import json
from collections.abc import Sequence

import redis

from docintel.schemas import SearchHit
from docintel.store.index import VectorMatch
from docintel.store.keys import Keys
from docintel.store.redis_client import as_text
from docintel.store.vector_space import VectorSpace, check_space_replies, queue_space_reads

__all__ = ["resolve_hits"]


def resolve_hits(
    client: redis.Redis, *, keys: Keys, matches: Sequence[VectorMatch], space: VectorSpace | None = None
) -> tuple[list[SearchHit], set[str]]:
    """Chunk text, title and metadata for ``matches``, read in one MULTI (a consistent snapshot).

    A match whose generation is not the document's live one (being written,
    replaced or deleted meanwhile) is dropped, so a hit never shows a text the
    document does not have; the second value lists those generations.  With
    the query's ``space``, the same MULTI reads the stored vectors' records,
    and hits of another model's vectors are refused (:mod:`~docintel.store.vector_space`).
    """
    stale: set[str] = set()
    if not matches:
        return [], stale
    documents = list(dict.fromkeys(match.document_id for match in matches))
    with client.pipeline(transaction=True) as pipe:
        checks = queue_space_reads(pipe, keys) if space is not None else 0
        for document_id in documents:
            pipe.hmget(keys.doc(document_id), ["generation", "title", "metadata"])
        for match in matches:
            pipe.hget(keys.chunks(match.document_id, match.generation), str(match.chunk_index))
        replies = pipe.execute()
    if space is not None:
        check_space_replies(replies[:checks], space)
    replies = replies[checks:]
    fields = dict(zip(documents, replies[: len(documents)], strict=True))
    hits: list[SearchHit] = []
    for match, text in zip(matches, replies[len(documents) :], strict=True):
        generation, title, metadata = fields[match.document_id]
        if text is None or generation is None or as_text(generation) != match.generation:
            stale.add(match.generation)
            continue
        hits.append(
            SearchHit(
                document_id=match.document_id,
                chunk_index=match.chunk_index,
                text=as_text(text),
                score=match.score,
                title=as_text(title) if title is not None else "",
                metadata=json.loads(metadata) if metadata is not None else {},
            )
        )
    return hits, stale

"""Redis 8 vector sets: ``VADD``/``VREM`` to write, ``VSIM`` to search, on the server."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import redis
from redis.client import Pipeline

from docintel.errors import IndexDimensionMismatchError
from docintel.store.index import VectorBatch, VectorIndex, VectorMatch, VectorQuery, ranked
from docintel.store.keys import Keys, element_name, parse_element_name
from docintel.store.redis_client import as_text, raw_command
from docintel.store.vectorset_layout import VectorSetLayout, VectorSetOptions, is_dimension_refusal

__all__ = ["VectorSetIndex", "filter_expression"]

_FILTER_EF = 2000


class VectorSetIndex(VectorIndex):
    """One vector set per prefix; elements ``id␟generation␟index``, filter tags as attributes.

    Vectors are stored with the ``layout``'s quantisation (``VSIM`` scores are
    then the cosine similarities of the quantised vectors; exact with
    ``NOQUANT``).  Each element's attributes hold its generation (``g``) and
    its document's filter tags (``t…: 1``), so a query can filter by tags and
    skip generations that are not live.
    """

    name = "vectorset"

    def __init__(self, client: redis.Redis, *, keys: Keys, layout: VectorSetLayout, options: VectorSetOptions) -> None:
        """Search through ``client`` in the vector set named by ``keys``, built with ``layout``.

        ``layout`` comes from :func:`~docintel.store.vectorset_layout.open_layout`;
        ``options`` gives the EF values of inserts and searches.
        """
        self._redis = client
        self._keys = keys
        cas = ("CAS",) if options.threaded_add else ()
        self._add_options = (*cas, layout.quantization, "M", layout.m, "EF", options.build_ef)
        self._search_ef = options.search_ef

    def stage_add(self, pipe: Pipeline, batch: VectorBatch) -> None:
        """Queue one ``VADD`` per vector, with the generation and tags as its attributes."""
        attributes = json.dumps({"g": batch.generation, **dict.fromkeys(sorted(batch.tags), 1)})
        for name, row in zip(batch.names(), batch.vectors, strict=True):
            raw_command(
                pipe, "VADD", self._keys.vset, "FP32", row.tobytes(), name, *self._add_options, "SETATTR", attributes
            )

    def stage_remove(self, pipe: Pipeline, *, document_id: str, generation: str, indexes: range) -> None:
        """Queue one ``VREM`` per element."""
        for index in indexes:
            raw_command(pipe, "VREM", self._keys.vset, element_name(document_id, generation, index))

    def stage_publish(
        self, pipe: Pipeline, *, document_id: str, generation: str, count: int, tags: frozenset[str]
    ) -> None:
        """Nothing: the server searches the set itself, and the store drops non-live generations."""

    def stage_unpublish(self, pipe: Pipeline, *, document_id: str) -> None:
        """Nothing (see :meth:`stage_publish`)."""

    def search(self, query: VectorQuery) -> list[VectorMatch]:
        """``VSIM`` on the vector set; scores converted from VSIM's [0, 1] to cosine."""
        args: list[Any] = [
            "VSIM",
            self._keys.vset,
            "FP32",
            query.vector.tobytes(),
            "WITHSCORES",
            "COUNT",
            query.count,
            "EF",
            max(self._search_ef, 4 * query.count),
        ]
        expression = filter_expression(query.filter_tags, excluded=query.exclude_generations)
        if not expression:
            pairs = self._vsim(args)
        else:
            # FILTER-EF bounds the work a filtered search does (and so its latency). A filter that rejects most
            # of the neighbourhood then finds fewer than COUNT matches, though more may be stored; and even a
            # FILTER-EF as large as the set can end the graph walk before it reaches a match. Those searches
            # go again as an exact scan of the set (TRUTH, with the same filter), so no stored match is missed.
            filtered = [*args, "FILTER", expression]
            pairs = self._vsim([*filtered, "FILTER-EF", max(_FILTER_EF, 100 * query.count)])
            if len(pairs) < query.count:
                pairs = self._vsim([*filtered, "TRUTH"])
        matches = []
        for name, similarity in pairs:
            document_id, generation, index = parse_element_name(as_text(name))
            matches.append(VectorMatch(document_id, generation, index, 2.0 * float(similarity) - 1.0))
        return ranked(matches)[: query.count]

    def _vsim(self, args: list[Any]) -> list[tuple[Any, Any]]:
        """Runs a ``VSIM ... WITHSCORES``; its (element, score) pairs."""
        try:
            return _pairs(raw_command(self._redis, *args))
        except redis.ResponseError as exc:
            if is_dimension_refusal(exc):
                raise IndexDimensionMismatchError(
                    f"the query vector does not fit the stored vectors ({exc}): the embedding model changed; "
                    "re-ingest the documents with the new model or restore the old one"
                ) from exc
            raise


def filter_expression(tags: frozenset[str], *, excluded: frozenset[str] = frozenset()) -> str:
    """VSIM's FILTER for elements with every one of ``tags`` and none of the ``excluded`` generations ("": none)."""
    conditions = [f".{tag} == 1" for tag in sorted(tags)]
    if excluded:
        generations = ", ".join(f'"{generation}"' for generation in sorted(excluded))  # hex tokens
        conditions.append(f"!(.g in [{generations}])")
    return " and ".join(conditions)


def _pairs(reply: Any) -> list[tuple[Any, Any]]:
    """(element, score) pairs from a VSIM WITHSCORES reply (dict or flat list)."""
    if isinstance(reply, Mapping):
        return list(reply.items())
    if not reply:
        return []
    flat = list(reply)
    return list(zip(flat[0::2], flat[1::2], strict=True))

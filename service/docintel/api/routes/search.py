"""Semantic search endpoint."""

from __future__ import annotations

from fastapi import Depends

from docintel.api.deps import EmbedderDep, MetricsDep, StoreDep, require_json
from docintel.api.errors import describe_errors
from docintel.api.routes.resource import resource_router
from docintel.schemas import SearchRequest, SearchResponse
from docintel.services.search import search_chunks

__all__ = ["router"]

router = resource_router("search")


@router.post("", dependencies=[Depends(require_json)], responses=describe_errors(415, 502, 504))
def search(body: SearchRequest, store: StoreDep, embedder: EmbedderDep, metrics: MetricsDep) -> SearchResponse:
    """The ``k`` chunks most similar to ``query``, optionally filtered by metadata equality."""
    hits = search_chunks(
        store=store,
        embedder=embedder,
        metrics=metrics,
        query=body.query,
        k=body.k,
        metadata_filter=body.filter,
    )
    return SearchResponse(hits=hits)

"""Semantic search endpoint."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from docintel.api.deps import EmbedderDep, MetricsDep, StoreDep, declare_api_key, require_json
from docintel.api.errors import ERROR_RESPONSES, describe_errors
from docintel.schemas import SearchRequest, SearchResponse
from docintel.services.search import search_chunks

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/search",
    tags=["search"],
    dependencies=[Depends(declare_api_key)],
    responses=ERROR_RESPONSES,
)


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

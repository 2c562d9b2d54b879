"""Semantic search endpoint."""

from __future__ import annotations

from fastapi import Depends

from docintel.api.deps import SearchDep, require_json
from docintel.api.errors import describe_errors
from docintel.api.routes.resource import resource_router
from docintel.schemas import SearchRequest, SearchResponse

__all__ = ["router"]

router = resource_router("search")


@router.post("", dependencies=[Depends(require_json)], responses=describe_errors(415, 502, 504))
def search(body: SearchRequest, service: SearchDep) -> SearchResponse:
    """The ``k`` chunks most similar to ``query``, optionally filtered by metadata equality."""
    return SearchResponse(hits=service.search(query=body.query, k=body.k, metadata_filter=body.filter))

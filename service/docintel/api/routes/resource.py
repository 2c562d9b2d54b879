"""The router of an API resource: under ``/v1``, behind the API key, with the shared error responses documented."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from docintel.api.deps import declare_api_key
from docintel.api.errors import ERROR_RESPONSES

__all__ = ["resource_router"]


def resource_router(resource: str) -> APIRouter:
    """The router of ``/v1/<resource>``, tagged ``resource``: the API key declared, 401, 422 and 503 documented."""
    return APIRouter(
        prefix=f"/v1/{resource}",
        tags=[resource],
        dependencies=[Depends(declare_api_key)],
        responses=ERROR_RESPONSES,
    )

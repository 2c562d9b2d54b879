"""Typed FastAPI dependencies."""

from __future__ import annotations

from email.message import Message
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from docintel.api.context import AppContext
from docintel.api.middleware.headers import announces_body
from docintel.core.config import Settings
from docintel.core.metrics import Metrics
from docintel.errors import UnprocessableContentError, UnsupportedMediaTypeError
from docintel.services.documents import DocumentService
from docintel.services.search import SearchService
from docintel.store.documents import DocumentStore

__all__ = [
    "ContextDep",
    "DocumentsDep",
    "MetricsDep",
    "SearchDep",
    "SettingsDep",
    "StoreDep",
    "declare_api_key",
    "get_context",
    "require_json",
    "require_multipart",
    "require_single_file",
]


def get_context(request: Request) -> AppContext:
    """The app's :class:`AppContext`."""
    return cast(AppContext, request.app.state.context)


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_settings(context: ContextDep) -> Settings:
    """The app's settings."""
    return context.settings


def get_store(context: ContextDep) -> DocumentStore:
    """The document store."""
    return context.store


def get_metrics(context: ContextDep) -> Metrics:
    """The app's metrics."""
    return context.metrics


def get_documents(context: ContextDep) -> DocumentService:
    """The document use cases."""
    return context.documents


def get_search(context: ContextDep) -> SearchService:
    """The search use case."""
    return context.search


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[DocumentStore, Depends(get_store)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
DocumentsDep = Annotated[DocumentService, Depends(get_documents)]
SearchDep = Annotated[SearchService, Depends(get_search)]

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <DOCINTEL_API_KEY>`")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: <DOCINTEL_API_KEY>`")


def declare_api_key(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> None:
    """Declare the two ways to send the API key in the OpenAPI schema.

    The key itself is checked by :class:`~docintel.api.middleware.ApiKeyMiddleware`
    on the request head, before the body is read; by the time a route's
    dependencies run, the request has passed it.
    """
    del bearer, api_key


def _media_type(request: Request) -> tuple[str, str] | None:
    """The request's (maintype, subtype), or None without a Content-Type."""
    content_type = request.headers.get("content-type")
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    return message.get_content_maintype(), message.get_content_subtype()


def require_json(request: Request) -> None:
    """Reject with 415 a body declared as something other than JSON, or not declared at all.

    FastAPI parses only a body whose Content-Type says JSON; without one the
    client would get a 422 that does not say why.
    """
    media = _media_type(request)
    if media is None:
        if announces_body(request.scope):
            raise UnsupportedMediaTypeError(
                "the request body has no Content-Type; send it with Content-Type: application/json"
            )
        return
    maintype, subtype = media
    if maintype != "application" or not (subtype == "json" or subtype.endswith("+json")):
        raise UnsupportedMediaTypeError(
            f"expected an application/json body, got {request.headers.get('content-type')!r}"
        )


def require_multipart(request: Request) -> None:
    """Reject upload bodies that are not forms (``multipart/form-data``) with 415."""
    if _media_type(request) not in (("multipart", "form-data"), ("application", "x-www-form-urlencoded")):
        raise UnsupportedMediaTypeError(
            "expected a multipart/form-data body with a 'file' field, "
            f"got {request.headers.get('content-type') or 'no Content-Type'!r}"
        )


async def require_single_file(request: Request) -> None:
    """Reject uploads with more than one ``file`` part (only one document is ingested per upload)."""
    form = await request.form()
    if len(form.getlist("file")) > 1:
        raise UnprocessableContentError("send exactly one file part named 'file'; upload each document separately")

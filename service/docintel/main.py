"""Application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from docintel import __version__
from docintel.api.context import AppContext
from docintel.api.errors import install_exception_handlers
from docintel.api.middleware import (
    AccessLogMiddleware,
    ApiKeyMiddleware,
    LingeringCloseMiddleware,
    RequestBodyMiddleware,
)
from docintel.api.routes import documents, health, search
from docintel.core.config import Settings

__all__ = ["MULTIPART_ALLOWANCE", "create_app"]

MULTIPART_ALLOWANCE = 64 * 1024
"""Room for the multipart envelope and form fields on top of ``max_upload_bytes``."""

_DRAIN_FACTOR = 4
"""A rejected body is read and discarded up to this many times the body limit (see lingering_close.py)."""
_DRAIN_SECONDS = 10.0


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the FastAPI app; ``settings`` defaults to the environment.

    Long-lived objects (Redis pool, embedder) are created here rather than in
    the lifespan, so the app also works when a test client skips the lifespan;
    shutdown releases them.
    """
    settings = settings or Settings()
    context = AppContext.build(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        context.close()

    app = FastAPI(
        title="docintel",
        version=__version__,
        summary="Document ingestion, chunking, embedding and semantic search on Redis.",
        lifespan=lifespan,
        # No redirects into other routes (``/v1/documents/..%2F`` -> ``/v1/documents/..``): every
        # unknown path is a JSON 404.
        redirect_slashes=False,
    )
    app.state.context = context
    install_exception_handlers(app)
    # Added innermost first: a request meets the access log, then lingering close, the API key
    # check (on the head alone), and the body bounds.
    max_body_bytes = settings.max_upload_bytes + MULTIPART_ALLOWANCE
    app.add_middleware(
        RequestBodyMiddleware, max_body_bytes=max_body_bytes, timeout=settings.client_timeout, redact=context.redact
    )
    app.add_middleware(ApiKeyMiddleware, api_key=settings.api_key, redact=context.redact)
    app.add_middleware(LingeringCloseMiddleware, max_bytes=_DRAIN_FACTOR * max_body_bytes, max_seconds=_DRAIN_SECONDS)
    app.add_middleware(AccessLogMiddleware, metrics=context.metrics)
    app.include_router(health.router)
    app.include_router(documents.router)
    app.include_router(search.router)
    return app

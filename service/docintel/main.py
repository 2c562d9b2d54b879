"""Application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from docintel import __version__
from docintel.api.context import AppContext
from docintel.api.errors import install_exception_handlers
from docintel.api.middleware import AccessLogMiddleware, BodyLimitMiddleware
from docintel.api.routes import documents, health, search
from docintel.core.config import Settings

__all__ = ["MULTIPART_ALLOWANCE", "create_app"]

MULTIPART_ALLOWANCE = 64 * 1024
"""Room for the multipart envelope and form fields on top of ``max_upload_bytes``."""


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
    )
    app.state.context = context
    install_exception_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_upload_bytes + MULTIPART_ALLOWANCE)
    app.add_middleware(AccessLogMiddleware, metrics=context.metrics)
    app.include_router(health.router)
    app.include_router(documents.router)
    app.include_router(search.router)
    return app

"""The shape every middleware here shares: wrap an ASGI app, act on HTTP requests, pass anything else through."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["HttpMiddleware"]


@dataclass
class HttpMiddleware(ABC):
    """An ASGI middleware around ``app`` for HTTP requests; lifespan and websocket scopes go straight to ``app``.

    Subclasses are ``@dataclass(kw_only=True)``: their settings are fields, given
    by name to ``app.add_middleware``.
    """

    app: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass a non-HTTP scope on untouched; hand an HTTP request to :meth:`handle`."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    @abstractmethod
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request; ``self.app`` answers it when passed on."""

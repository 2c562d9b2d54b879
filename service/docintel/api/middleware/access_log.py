"""Access log and request metrics: one JSON line and one sample per request, by route template."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from docintel.api.middleware.http import HttpMiddleware
from docintel.core.metrics import Metrics

__all__ = ["AccessLogMiddleware"]

access_logger = logging.getLogger("docintel.access")


@dataclass(kw_only=True)
class AccessLogMiddleware(HttpMiddleware):
    """Log one JSON access line per request and record request metrics by route template."""

    metrics: Metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and capture its status."""
        start = time.perf_counter()
        status = 500

        async def capturing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capturing_send)
        finally:
            duration = time.perf_counter() - start
            route = _route_template(scope)
            method = str(scope.get("method", ""))
            if method not in _METHODS:
                method = "OTHER"  # any token is a method in HTTP: one label each would grow /metrics without bound
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_latency.labels(method, route).observe(duration)
            access_logger.info(
                "request",
                extra={
                    "method": method,
                    "path": scope.get("path", ""),
                    "route": route,
                    "status": status,
                    "duration_ms": round(duration * 1000, 3),
                },
            )


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})


def _route_template(scope: Scope) -> str:
    """The matched route's path template (``/v1/documents/{document_id}``), or ``unmatched``."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"

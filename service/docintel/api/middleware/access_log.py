"""Access log and request metrics: one JSON line and one sample per request, by route template."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docintel.core.metrics import Metrics

__all__ = ["AccessLogMiddleware"]

access_logger = logging.getLogger("docintel.access")


class AccessLogMiddleware:
    """Log one JSON access line per request and record request metrics by route template."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        """Wrap ``app``."""
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and capture its status."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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


def _route_template(scope: Scope) -> str:
    """The matched route's path template (``/v1/documents/{document_id}``), or ``unmatched``."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"

"""ASGI middleware: request body limit, access log and request metrics."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docintel.core.metrics import Metrics

__all__ = ["AccessLogMiddleware", "BodyLimitMiddleware", "BodyTooLargeError"]

access_logger = logging.getLogger("docintel.access")


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` when the body grows past the limit (handled as 413)."""

    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        """Describe the limit that was exceeded."""
        super().__init__(413, f"request body exceeds the limit of {limit} bytes")


class BodyLimitMiddleware:
    """Reject request bodies over ``max_body_bytes``.

    A ``Content-Length`` over the limit is answered with 413 before the body is
    read; bodies without one (chunked) are counted while they are received.
    The per-file upload limit is enforced exactly by the upload route; this
    limit adds room for the multipart envelope.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        """Wrap ``app``."""
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count what is received."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await _send_json(
                send,
                413,
                {
                    "error": {
                        "code": "payload_too_large",
                        "message": f"request body of {declared} bytes exceeds the limit of {self.max_body_bytes} bytes",
                    }
                },
            )
            return
        received = 0
        limit = self.max_body_bytes

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        await self.app(scope, counting_receive, send)


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


def _content_length(scope: Scope) -> int | None:
    """The request's Content-Length header, if present and valid."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    """Send a complete JSON response."""
    body = json.dumps(payload).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})

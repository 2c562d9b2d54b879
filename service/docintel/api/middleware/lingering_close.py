"""Lingering close: read and discard what is left of a request body after answering it.

A server that closes a connection with unread request data in its socket
makes the kernel reset the connection, and a client that sends its whole body
before reading the answer (Python's urllib does) then sees "connection reset"
instead of the 401 or 413 it was sent.  So when the final part of a response
is about to go out and the body has not been read to its end, the response is
sent (marked ``Connection: close``) but held open while the rest of the body is
read and thrown away, within bounds of bytes, total time and idle time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.types import Message, Receive, Scope, Send

from docintel.api.middleware.headers import announces_body, content_length
from docintel.api.middleware.http import HttpMiddleware

__all__ = ["LingeringCloseMiddleware"]

_IDLE_SECONDS = 1.0
"""Stop draining when the client sends nothing for this long."""


@dataclass(kw_only=True)
class LingeringCloseMiddleware(HttpMiddleware):
    """Drain unread request bodies (up to ``max_bytes`` and ``max_seconds``) before completing a response."""

    max_bytes: int
    max_seconds: float

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Track whether the body was read; drain it before the last response message if not."""
        declared = content_length(scope)
        body_read = not announces_body(scope)
        worth_draining = declared is None or declared <= self.max_bytes  # else it cannot end well anyway

        async def tracking_receive() -> Message:
            nonlocal body_read
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_read = True
            return message

        async def lingering_send(message: Message) -> None:
            if body_read:
                await send(message)
            elif message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                await send({**message, "headers": [*headers, (b"connection", b"close")]})
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                await send({**message, "more_body": True})
                if worth_draining:
                    await self._drain(receive)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                await send(message)

        await self.app(scope, tracking_receive, lingering_send)

    async def _drain(self, receive: Receive) -> None:
        """Read and discard body messages until the end, or a bound is reached."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_seconds
        drained = 0
        while drained <= self.max_bytes:
            wait = min(_IDLE_SECONDS, deadline - loop.time())
            if wait <= 0:
                return
            try:
                message = await asyncio.wait_for(receive(), wait)
            except TimeoutError:
                return
            if message["type"] != "http.request":
                return
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

"""Request bodies, bounded in size (413) and in how long a client may stall while sending one (408)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import Message, Receive, Scope, Send

from docintel.api.errors import docintel_error_response
from docintel.api.middleware.headers import content_length
from docintel.api.middleware.http import HttpMiddleware
from docintel.errors import DocintelError, PayloadTooLargeError, RequestTimeoutError

__all__ = ["RequestBodyMiddleware"]


class _BodyRejectedError(Exception):
    """Raised into the app from ``receive`` to abort reading the body."""


@dataclass(kw_only=True)
class RequestBodyMiddleware(HttpMiddleware):
    """Reject bodies over ``max_body_bytes`` and clients that stall for ``timeout`` seconds.

    A ``Content-Length`` over the limit is answered with 413 before anything
    is read; bodies without one (chunked) are counted while they arrive.  The
    per-file upload limit is enforced exactly by the upload route; this limit
    adds room for the multipart envelope.  When a body is rejected midway,
    whatever the app answers to the aborted read is replaced by the 413 or 408.
    """

    max_body_bytes: int
    timeout: float
    redact: Callable[[str], str]

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count and time what is received."""
        declared = content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            error = PayloadTooLargeError(
                f"request body of {declared} bytes exceeds the limit of {self.max_body_bytes} bytes; "
                "send a smaller file (DOCINTEL_MAX_UPLOAD_BYTES)"
            )
            await docintel_error_response(error, redact=self.redact)(scope, receive, send)
            return
        received = 0
        rejection: DocintelError | None = None
        answered = False

        async def bounded_receive() -> Message:
            nonlocal received, rejection
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                rejection = RequestTimeoutError(
                    f"the request body stopped arriving for {self.timeout:g} s; send it again without pausing"
                )
                raise _BodyRejectedError from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    rejection = PayloadTooLargeError(
                        f"request body exceeds the limit of {self.max_body_bytes} bytes; "
                        "send a smaller file (DOCINTEL_MAX_UPLOAD_BYTES)"
                    )
                    raise _BodyRejectedError
            return message

        async def replaced_send(message: Message) -> None:
            nonlocal answered
            if rejection is None:
                answered = True
                await send(message)

        with contextlib.suppress(_BodyRejectedError):
            await self.app(scope, bounded_receive, replaced_send)
        if rejection is not None and not answered:
            await docintel_error_response(rejection, redact=self.redact)(scope, receive, send)

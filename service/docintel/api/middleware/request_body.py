"""Request bodies, bounded in size (413), in how long a client may stall and in how slowly it may send one (408)."""

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

__all__ = ["MIN_BODY_RATE", "RequestBodyMiddleware"]

# A body must arrive at this average rate (bytes/s) once the first `timeout` seconds are over: a
# client sending a byte every few seconds would otherwise hold its connection for ever.
MIN_BODY_RATE = 64 * 1024


class _BodyRejectedError(Exception):
    """Raised into the app from ``receive`` to abort reading the body."""


@dataclass(kw_only=True)
class RequestBodyMiddleware(HttpMiddleware):
    """Reject bodies over ``max_body_bytes``, clients that stall for ``timeout`` seconds, and slow bodies.

    A body is slow when, ``timeout`` seconds after it started, less than
    ``MIN_BODY_RATE`` bytes a second of it have arrived on average.

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
        complete = False
        rejection: DocintelError | None = None
        answered = False
        loop = asyncio.get_running_loop()
        started = loop.time()

        async def bounded_receive() -> Message:
            nonlocal received, complete, rejection
            wait = self.timeout
            if not complete:
                wait = min(wait, started + self.timeout + received / MIN_BODY_RATE - loop.time())
            try:
                message = await asyncio.wait_for(receive(), max(wait, 0.0))
            except TimeoutError:
                slow = wait < self.timeout
                rejection = RequestTimeoutError(
                    f"the request body arrived slower than {MIN_BODY_RATE // 1024} KiB/s; send it again faster"
                    if slow
                    else f"the request body stopped arriving for {self.timeout:g} s; send it again without pausing"
                )
                raise _BodyRejectedError from None
            if message["type"] == "http.request":
                complete = not message.get("more_body", False)
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

"""Serving the app with uvicorn, with a deadline for each request head.

uvicorn times out idle keep-alive connections but waits forever for a request
head that arrives a few bytes at a time; :func:`head_timeout_protocol` closes
a connection whose head has not arrived within ``DOCINTEL_CLIENT_TIMEOUT``.
(A stalled *body* is answered with 408 by the app itself.)
"""

from __future__ import annotations

import asyncio

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from docintel.core.config import Settings

__all__ = ["head_timeout_protocol", "serve"]

_KEEP_ALIVE_SECONDS = 5


def head_timeout_protocol(timeout: float) -> type[asyncio.Protocol]:
    """Uvicorn's h11 protocol, closing connections whose request head takes longer than ``timeout``."""

    class HeadTimeoutProtocol(H11Protocol):
        """Arms a timer while a request head is awaited or incomplete; expiry closes the connection."""

        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is h11.IDLE:  # (the rest of) a head is still to come
                self._arm()
            else:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(timeout, self._expire)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _expire(self) -> None:
            self._head_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return HeadTimeoutProtocol


def serve(app: FastAPI, settings: Settings) -> None:
    """Run ``app`` on 0.0.0.0:``settings.port`` until interrupted."""
    uvicorn.run(
        app,
        host="0.0.0.0",  # noqa: S104 - a container's service listens on every interface
        port=settings.port,
        http=head_timeout_protocol(settings.client_timeout),
        timeout_keep_alive=_KEEP_ALIVE_SECONDS,
        log_config=None,
        access_log=False,
    )

"""Readiness: Redis answers and the embedder answers a probe, decided within a deadline.

Both checks run in worker threads of their own, so /readyz answers within
:data:`READINESS_DEADLINE` whatever the dependencies do: a check still running
then counts as failed ("did not answer within ...") and is not started again
until it finishes (a hung dependency costs one thread, not one per probe).
The embedder check really embeds a text with the backend (never from the
cache), which also teaches it its dimension and renews its fingerprint; once
both answered, a third check refuses an index of another model's vectors.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from docintel.embeddings.base import Embedder
from docintel.errors import DocintelError
from docintel.schemas import ReadinessStatus
from docintel.store.documents import DocumentStore

__all__ = ["READINESS_DEADLINE", "ReadinessChecker"]

logger = logging.getLogger(__name__)

READINESS_DEADLINE = 1.5
"""Seconds /readyz waits for its checks (probes commonly give up after 2 s)."""


class ReadinessChecker:
    """Runs the readiness checks of one app."""

    def __init__(
        self,
        *,
        store: DocumentStore,
        embedder: Embedder,
        redact: Callable[[str], str],
        deadline: float = READINESS_DEADLINE,
    ) -> None:
        """Check ``store`` and ``embedder``; reasons go through ``redact``."""
        self._store = store
        self._embedder = embedder
        self._redact = redact
        self._deadline = deadline
        self._executor = ThreadPoolExecutor(max_workers=3, thread_name_prefix="readiness")
        self._running: dict[str, Future[dict[str, str]]] = {}
        self._lock = threading.Lock()

    async def check(self) -> ReadinessStatus:
        """``ok`` when Redis and the embedder answered in time and the index fits the embedder's model.

        The model check runs once both answered (the embedder's answer gives its fingerprint), within
        the same deadline.
        """
        deadline = asyncio.get_running_loop().time() + self._deadline
        results, reasons = await self._run({"redis": self._check_redis, "embedder": self._check_embedder}, deadline)
        if not reasons:
            vectors, reasons = await self._run({"vectors": self._check_vectors}, deadline)
            results.update(vectors)
        checks_shown = {name: self._redact(value) for name, value in results.items()}
        if reasons:
            return ReadinessStatus(status="unavailable", reason=self._redact("; ".join(reasons)), checks=checks_shown)
        return ReadinessStatus(status="ok", checks=checks_shown)

    async def _run(
        self, checks: dict[str, Callable[[], dict[str, str]]], deadline: float
    ) -> tuple[dict[str, str], list[str]]:
        """Run ``checks`` in worker threads until ``deadline`` (loop time); their results and failure reasons."""
        futures = {name: asyncio.wrap_future(self._start(name, check)) for name, check in checks.items()}
        await asyncio.wait(futures.values(), timeout=max(0.0, deadline - asyncio.get_running_loop().time()))
        results: dict[str, str] = {}
        reasons: list[str] = []
        for name, future in futures.items():
            if not future.done():
                reasons.append(f"{_TITLES[name]} did not answer within {self._deadline:g} s")
                results[name] = "no answer"
            elif (error := future.exception()) is not None:
                reasons.append(_reason(name, error))
                results[name] = "failed"
            else:
                results.update(future.result())
        return results, reasons

    def close(self) -> None:
        """Stop the worker threads (without waiting for a hung check)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _start(self, name: str, check: Callable[[], dict[str, str]]) -> Future[dict[str, str]]:
        """The running ``check``, or a new run if none is in progress."""
        with self._lock:
            future = self._running.get(name)
            if future is None or future.done():
                future = self._executor.submit(check)
                self._running[name] = future
            return future

    def _check_redis(self) -> dict[str, str]:
        """Redis answers PING; which index serves it."""
        self._store.ping()
        return {"redis": "ok", "index": self._store.index_name()}

    def _check_embedder(self) -> dict[str, str]:
        """The embedder embeds a probe text (giving up before the deadline, so its own error is the reason)."""
        return {"embedder": self._embedder.check_ready(timeout=0.8 * self._deadline)}

    def _check_vectors(self) -> dict[str, str]:
        """The stored vectors (if any) are of the embedder's model: its dimension and fingerprint."""
        self._store.check_vectors(self._embedder.fingerprint())  # known from the embedder check: no backend call
        return {"vectors": "ok"}


_TITLES = {"redis": "Redis", "embedder": "the embedder", "vectors": "Redis (which model the index holds)"}


def _reason(name: str, error: BaseException) -> str:
    """Why a check failed, for the response."""
    if isinstance(error, DocintelError):
        return error.message
    logger.error("readiness check failed unexpectedly", exc_info=error)
    return f"{_TITLES[name]} check failed unexpectedly: {type(error).__name__}"

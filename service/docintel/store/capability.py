"""Which vector index serves this Redis: detected once, re-detected after failures.

Detection sends ``VCARD`` on a key that never exists: Redis 8 answers 0,
Redis 7 replies "unknown command".  The chosen :class:`VectorIndex` is kept
until a command fails because Redis was unreachable (it may come back as
another server) or refused a vector-set command (it was swapped for one
without them); :meth:`IndexSelector.run` then forgets it, and in the second
case runs the operation once more on the newly detected index.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import redis

from docintel.errors import (
    DocintelError,
    IndexDimensionMismatchError,
    IndexSettingsMismatchError,
    StoreUnavailableError,
)
from docintel.store.exact_index import ExactIndex
from docintel.store.index import VectorIndex
from docintel.store.keys import Keys
from docintel.store.redis_client import is_unknown_command, raw_command, redis_errors
from docintel.store.vectorset_index import VectorSetIndex
from docintel.store.vectorset_layout import VectorSetOptions, is_dimension_refusal, is_layout_refusal, open_layout

__all__ = ["IndexSelector"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")


class IndexSelector:
    """Holds the :class:`VectorIndex` for the server behind ``client``."""

    def __init__(self, client: redis.Redis, *, keys: Keys, vector_options: VectorSetOptions) -> None:
        """Nothing is sent to Redis until the first :meth:`current` or :meth:`run`.

        ``vector_options`` configures the vector set (Redis 8); its layout is
        checked against the index's when the index is detected.
        """
        self._redis = client
        self._keys = keys
        self._vector_options = vector_options
        self._index: VectorIndex | None = None
        self._lock = threading.Lock()

    def current(self) -> VectorIndex:
        """The index for this server, detecting it on first use."""
        index = self._index
        if index is None:
            with self._lock:
                index = self._index
                if index is None:
                    index = self._detect()
                    self._index = index
        return index

    def invalidate(self) -> None:
        """Forget the detected index (and with it any in-process cache)."""
        self._index = None

    def run(self, action: str, operation: Callable[[VectorIndex], _T]) -> _T:
        """Run ``operation`` on the current index, translating Redis failures.

        A refused vector-set command means the server was swapped for one
        without them: the index is re-detected and ``operation`` runs once
        more (whatever it had queued was discarded with the refused batch).
        A ``VADD`` refused for another quantisation or M means another process
        created the index meanwhile: it is re-detected, and the error says why.
        """
        for attempt in (0, 1):
            index = self.current()
            try:
                with redis_errors(action):
                    return operation(index)
            except StoreUnavailableError:
                self.invalidate()
                raise
            except redis.ResponseError as exc:
                if is_dimension_refusal(exc):
                    raise IndexDimensionMismatchError(
                        f"the vector index still holds vectors of another dimension ({exc}), left by documents of "
                        "another embedding model: delete those documents (or wait for their pending cleanup) and "
                        "retry, or restore the old model"
                    ) from exc
                if is_layout_refusal(exc):
                    self.invalidate()
                    raise IndexSettingsMismatchError(
                        f"the vector index was created with other settings than this service's ({exc}) by another "
                        "process meanwhile: give every process the same DOCINTEL_VECTOR_* settings and retry"
                    ) from exc
                if not is_unknown_command(exc):
                    raise
                logger.warning("redis refused a vector-set command; re-detecting its capability")
                self.invalidate()
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def run_quietly(self, action: str, operation: Callable[[VectorIndex], object]) -> None:
        """:meth:`run` for work whose failure must not fail the request (cleanup): failures are logged."""
        try:
            self.run(action, operation)
        except (DocintelError, redis.RedisError) as exc:
            logger.warning("cleanup failed; a later write will finish it", extra={"action": action, "error": str(exc)})

    def _detect(self) -> VectorIndex:
        """Probe the server for vector-set commands."""
        with redis_errors("detecting vector-set support"):
            try:
                raw_command(self._redis, "VCARD", self._keys.probe)
            except redis.ResponseError as exc:
                if not is_unknown_command(exc):
                    raise  # an outage, or a refusal (an ACL without VCARD): exact search would miss the vector set
                logger.info("redis has no vector sets; using exact search", extra={"reply": str(exc)})
                return ExactIndex(self._redis, keys=self._keys)
            layout = open_layout(self._redis, keys=self._keys, options=self._vector_options)
            options = self._options_for_this_server()
        logger.info("redis has vector sets; using VSIM search", extra={"layout": layout.describe()})
        return VectorSetIndex(self._redis, keys=self._keys, layout=layout, options=options)

    def _options_for_this_server(self) -> VectorSetOptions:
        """The configured options, without ``VADD CAS`` where Redis keeps an append-only file.

        Redis 8.0 writes ``VADD ... CAS`` to its AOF as sent, then fails an
        assertion replaying it at start: a server with AOF could not restart.
        """
        options = self._vector_options
        if not options.threaded_add:
            return options
        try:
            aof = str(self._redis.info("persistence").get("aof_enabled", "1")) != "0"
        except redis.ResponseError:  # INFO refused (an ACL): it may well keep one
            aof = True
        if aof:
            logger.warning(
                "DOCINTEL_VECTOR_THREADED_ADD is set, but this Redis keeps an append-only file (or does not say): "
                "adding with plain VADD, since Redis 8.0 cannot restart from an AOF holding VADD CAS"
            )
            return dataclasses.replace(options, threaded_add=False)
        return options

"""Optimistic Redis transactions: WATCH, read, then MULTI/EXEC, retried on conflict.

:func:`transact` is the one place that runs this loop.  It tells three
failures apart, which redis-py reports alike (as ``WatchError``):

* a watched key changed before EXEC: a *conflict*, nothing was written, the
  attempt is repeated (up to ``max_attempts``, then :class:`ConflictError`);
* the connection failed before EXEC: nothing was written
  (:class:`StoreUnavailableError`);
* the connection failed *during* EXEC: the transaction may or may not have
  been applied (:class:`WriteOutcomeUnknownError`); it is never replayed, the
  caller decides by reading back.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

import redis
from redis.client import Pipeline

from docintel.errors import ConflictError, StoreUnavailableError, WriteOutcomeUnknownError
from docintel.store.redis_client import is_unavailable_error, unavailable_error, watch

__all__ = ["Attempt", "transact"]

_T = TypeVar("_T")
_MAX_ATTEMPTS = 20
_MAX_BACKOFF = 0.02


@dataclass(frozen=True, slots=True)
class Attempt(Generic[_T]):
    """What one read phase decided: the ``result`` to return and the ``writes`` to queue after MULTI.

    ``writes=None`` means there is nothing to write (e.g. the document does not
    exist): ``result`` is returned without EXEC.
    """

    result: _T
    writes: Callable[[Pipeline], object] | None = None


def transact(
    client: redis.Redis,
    *,
    keys: Sequence[str],
    read: Callable[[Pipeline], Attempt[_T]],
    conflict_message: str,
    max_attempts: int = _MAX_ATTEMPTS,
) -> _T:
    """Run ``read`` under WATCH ``keys``, then its writes in MULTI/EXEC; repeat on conflict.

    ``read`` gets the pipeline in immediate mode (its commands return values)
    and may raise to abort.  ``conflict_message`` tells the client what
    happened when every attempt lost to concurrent writers.
    """
    for attempt in range(max_attempts):
        if attempt:
            time.sleep(random.uniform(0, _MAX_BACKOFF))
        pipe = client.pipeline(transaction=True)
        try:
            outcome = _attempt(pipe, keys=keys, read=read)
        except (redis.RedisError, StoreUnavailableError):
            _drop_connection(pipe)
            raise
        finally:
            pipe.reset()
        if outcome is not _CONFLICT:
            return cast(_T, outcome)
    raise ConflictError(conflict_message)


_CONFLICT = object()


def _attempt(pipe: Pipeline, *, keys: Sequence[str], read: Callable[[Pipeline], Attempt[_T]]) -> _T | object:
    """One WATCH/read/MULTI/EXEC round: its result, or ``_CONFLICT`` if a watched key changed."""
    try:
        watch(pipe, *keys)
        plan = read(pipe)
    except redis.WatchError as exc:  # redis-py's word for "the connection failed while watching"
        raise _unavailable(exc) from exc
    if plan.writes is None:
        return plan.result
    pipe.multi()
    plan.writes(pipe)
    try:
        pipe.execute()
    except redis.WatchError as exc:
        if _connection_failure(exc) is None:
            return _CONFLICT  # nothing was written
        raise _outcome_unknown(exc) from exc
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise _outcome_unknown(exc) from exc
    return plan.result


def _drop_connection(pipe: Pipeline) -> None:
    """After a failure, close the pipeline's connection (which ends its WATCH) instead of sending UNWATCH.

    redis-py's reset would send UNWATCH over a connection that just failed,
    reconnecting to a server that may be hung and raising over our error.
    """
    if pipe.connection is not None:
        pipe.connection.disconnect()  # type: ignore[no-untyped-call]
    pipe.watching = False


def _connection_failure(exc: redis.WatchError) -> BaseException | None:
    """The connection error redis-py turned into ``exc``, if it was one (not a changed key)."""
    context = exc.__cause__ or exc.__context__
    return context if context is not None and is_unavailable_error(context) else None


def _unavailable(exc: BaseException) -> StoreUnavailableError:
    """Redis failed before EXEC: nothing was written."""
    cause = (_connection_failure(exc) if isinstance(exc, redis.WatchError) else None) or exc
    return unavailable_error(cause, "writing", "nothing was written, retry")


def _outcome_unknown(exc: BaseException) -> WriteOutcomeUnknownError:
    """Redis failed during EXEC: the write may or may not have been applied."""
    cause = (_connection_failure(exc) if isinstance(exc, redis.WatchError) else None) or exc
    return WriteOutcomeUnknownError(
        f"Redis is unavailable: the connection failed while the write was committed ({cause}), "
        "so it may or may not have been applied; read the document back before retrying"
    )

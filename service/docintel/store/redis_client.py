"""Redis client construction and translation of Redis failures into service errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.client import Pipeline
from redis.exceptions import ClusterDownError, MasterDownError, ReadOnlyError, TryAgainError
from redis.retry import Retry

from docintel.core.config import Settings
from docintel.errors import StoreUnavailableError

__all__ = [
    "as_text",
    "create_redis",
    "is_unavailable_error",
    "is_unknown_command",
    "raw_command",
    "redis_errors",
    "unavailable_error",
    "watch",
]

# Server replies that mean "temporarily unable to serve", not "you sent garbage" (redis-py strips the code from
# the message of those it has a class for).
_UNAVAILABLE_CLASSES = (ClusterDownError, MasterDownError, ReadOnlyError, TryAgainError)
_UNAVAILABLE_REPLIES = ("LOADING", "READONLY", "MASTERDOWN", "MISCONF", "OOM", "BUSY", "TRYAGAIN")


def create_redis(settings: Settings) -> redis.Redis:
    """Build a pooled Redis client for ``settings.redis_url``.

    A command that finds its pooled connection dead (the server restarted) is
    retried on a fresh connection, so a restarted server is picked up without
    restarting the service.  A *timeout* is never retried: a hung server then
    costs one ``redis_socket_timeout``, not three, before the request gets its
    503.  A transaction whose EXEC fails is not replayed either: the store
    decides what an unknown outcome means (see ``store/transactions.py``).
    """
    return redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_socket_timeout,
        socket_connect_timeout=settings.redis_connect_timeout,
        retry=Retry(ExponentialBackoff(cap=0.25, base=0.05), retries=2, supported_errors=(redis.ConnectionError,)),
        decode_responses=False,
    )


def is_unavailable_error(exc: BaseException) -> bool:
    """True if ``exc`` means Redis cannot serve right now (down, hung, loading, read-only...)."""
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError, *_UNAVAILABLE_CLASSES)):
        return True
    return isinstance(exc, redis.ResponseError) and str(exc).startswith(_UNAVAILABLE_REPLIES)


def is_unknown_command(exc: BaseException) -> bool:
    """True for Redis' reply to a command it does not have (e.g. VADD on Redis 7)."""
    return isinstance(exc, redis.ResponseError) and "unknown command" in str(exc).lower()


def unavailable_error(
    exc: BaseException, action: str, next_step: str = "retry once Redis answers again"
) -> StoreUnavailableError:
    """The 503 for a Redis failure while ``action``: refused credentials say so, with no Retry-After."""
    if isinstance(exc, redis.AuthenticationError):
        refused = StoreUnavailableError(
            f"Redis refused the service's credentials while {action} ({exc}): check the user and password in "
            "DOCINTEL_REDIS_URL (and the Redis user's ACL)"
        )
        refused.retry_after = None  # retrying with the same credentials cannot help
        return refused
    reason = str(exc).rstrip(".")  # redis-py's texts end in a full stop
    return StoreUnavailableError(f"Redis is unavailable while {action}: {reason}; {next_step}")


@contextmanager
def redis_errors(action: str) -> Iterator[None]:
    """Turn Redis connectivity failures inside the block into ``StoreUnavailableError``."""
    try:
        yield
    except redis.RedisError as exc:
        if is_unavailable_error(exc):
            raise unavailable_error(exc, action) from exc
        raise


def raw_command(target: redis.Redis | Pipeline, *args: Any) -> Any:
    """Send a command redis-py has no typed method for (VADD, VSIM, VREM, VCARD)."""
    return target.execute_command(*args)  # type: ignore[no-untyped-call]


def watch(pipe: Pipeline, *keys: str) -> None:
    """WATCH ``keys`` on a transaction pipeline (switches it to immediate mode)."""
    pipe.watch(*keys)  # type: ignore[no-untyped-call]


def as_text(value: bytes | str) -> str:
    """Decode a Redis reply value."""
    return value.decode("utf-8") if isinstance(value, bytes) else value

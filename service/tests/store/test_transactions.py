"""The one transaction helper: conflicts are retried, failures are told apart, nothing is replayed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from redis.client import Pipeline

from docintel.errors import ConflictError, StoreUnavailableError, WriteOutcomeUnknownError
from docintel.store.transactions import Attempt, transact
from tests.support.redis_server import RedisServer


def test_writes_are_applied(redis_server: RedisServer, make_redis: Callable[..., redis.Redis]) -> None:
    client = make_redis(redis_server)

    def read(pipe: Pipeline) -> Attempt[int]:
        value = int(pipe.get("n") or 0)
        return Attempt(value + 1, lambda p: p.set("n", value + 1))

    assert transact(client, keys=["n"], read=read, conflict_message="retry") == 1
    assert transact(client, keys=["n"], read=read, conflict_message="retry") == 2
    assert client.get("n") == b"2"


def test_nothing_to_write_returns_without_exec(
    redis_server: RedisServer, make_redis: Callable[..., redis.Redis]
) -> None:
    client = make_redis(redis_server)
    assert transact(client, keys=["n"], read=lambda pipe: Attempt("absent"), conflict_message="retry") == "absent"
    assert client.dbsize() == 0


class RacedRead:
    """A read step whose watched key ``n`` another client changes on each of its first ``conflicts`` attempts.

    Each attempt writes ``mine`` = its number if it gets to EXEC.
    """

    def __init__(self, other: redis.Redis, conflicts: int) -> None:
        self.other, self.conflicts, self.attempts = other, conflicts, 0

    def __call__(self, pipe: Pipeline) -> Attempt[int]:
        self.attempts += 1
        if self.attempts <= self.conflicts:
            self.other.incr("n")
        attempt = self.attempts
        return Attempt(attempt, lambda p: p.set("mine", attempt))


def test_conflicts_are_retried_then_409(redis_server: RedisServer, make_redis: Callable[..., redis.Redis]) -> None:
    client = make_redis(redis_server)
    read = RacedRead(make_redis(redis_server), conflicts=5)
    with pytest.raises(ConflictError, match="busy; retry") as caught:
        transact(client, keys=["n"], read=read, conflict_message="busy; retry", max_attempts=5)
    assert read.attempts == 5
    assert (caught.value.status_code, caught.value.code, caught.value.retry_after) == (409, "write_conflict", 1)
    assert client.get("mine") is None


def test_a_conflict_then_success(redis_server: RedisServer, make_redis: Callable[..., redis.Redis]) -> None:
    client = make_redis(redis_server)
    read = RacedRead(make_redis(redis_server), conflicts=1)
    assert transact(client, keys=["n"], read=read, conflict_message="retry") == 2
    assert client.get("mine") == b"2"


@pytest.mark.parametrize("version", ["7", "8"])
def test_failure_before_exec_wrote_nothing(
    version: str, server_factory: Callable[..., RedisServer], make_redis: Callable[..., redis.Redis]
) -> None:
    server = server_factory(version)
    client = make_redis(server)

    def read(pipe: Pipeline) -> Attempt[None]:
        server.stop()
        pipe.get("n")  # fails: the server is gone
        return Attempt(None, lambda p: p.set("n", 1))

    with pytest.raises(StoreUnavailableError) as caught:
        transact(client, keys=["n"], read=read, conflict_message="retry")
    assert not isinstance(caught.value, WriteOutcomeUnknownError)
    assert "nothing was written" in caught.value.message


@pytest.mark.parametrize("version", ["7", "8"])
def test_timeout_during_exec_is_outcome_unknown_and_not_replayed(
    version: str, server_factory: Callable[..., RedisServer], make_redis: Callable[..., redis.Redis]
) -> None:
    server = server_factory(version)
    client, admin = make_redis(server, redis_socket_timeout=0.5), make_redis(server)
    calls = 0

    def read(pipe: Pipeline) -> Attempt[None]:
        nonlocal calls
        calls += 1

        def writes(p: Pipeline) -> None:
            p.incr("applied")
            admin.client_pause(1500, all=True)  # Redis hangs while EXEC is on its way

        return Attempt(None, writes)

    with pytest.raises(WriteOutcomeUnknownError, match="may or may not have been applied"):
        transact(client, keys=["n"], read=read, conflict_message="retry")
    assert calls == 1  # never replayed
    admin.client_unpause()
    assert int(admin.get("applied") or 0) <= 1

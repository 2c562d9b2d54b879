"""How many shards a clustered store's documents were placed in: recorded by the first process, checked by the rest.

A document lives in the shard its id hashes to among
``DOCINTEL_REDIS_CLUSTER_SHARDS`` shards, and the shards' key prefixes depend
on that number (:func:`~docintel.store.cluster.shard_prefixes`).  A process
configured for another number would look for documents in the wrong shards and
write new ones beside them, so the number is recorded in ``{prefix}:shards``
(a hash tag of its own, the same whatever the number) and checked before a
process's first read or write; another number is refused with
:class:`~docintel.errors.IndexSettingsMismatchError`, which says what to do.
"""

from __future__ import annotations

import threading
from typing import cast

import redis

from docintel.errors import IndexSettingsMismatchError
from docintel.store.redis_client import as_text, redis_errors

__all__ = ["ShardCount", "shard_count_key"]


def shard_count_key(prefix: str) -> str:
    """The key that records the shard count of the store under ``prefix``."""
    return f"{{{prefix}}}:shards"


class ShardCount:
    """The shard count this process is configured for, and its check against the recorded one."""

    def __init__(self, client: redis.Redis, *, prefix: str, shards: int) -> None:
        """Record or check ``shards`` through ``client`` (connected to the slot of :func:`shard_count_key`)."""
        self._redis = client
        self._key = shard_count_key(prefix)
        self._shards = shards
        self._checked = False
        self._lock = threading.Lock()

    def check(self) -> None:
        """Record the count if none is; raise if another is (once it passed, never asks again)."""
        if self._checked:
            return
        with self._lock:
            if self._checked:
                return
            with redis_errors("checking the number of shards the documents were placed in"):
                reply = self._redis.set(self._key, self._shards, nx=True, get=True)  # the old value, or None
            recorded = None if reply is None else as_text(cast(bytes, reply))
            if recorded is not None and recorded != str(self._shards):
                raise IndexSettingsMismatchError(
                    f"the documents on this Redis Cluster are placed in {recorded} shards, but this service "
                    f"is configured for {self._shards} (DOCINTEL_REDIS_CLUSTER_SHARDS); documents are placed by that "
                    f"number, so set DOCINTEL_REDIS_CLUSTER_SHARDS={recorded} to use them, or choose a new "
                    "DOCINTEL_KEY_PREFIX and ingest the documents again to spread them over another number"
                )
            self._checked = True

    def close(self) -> None:
        """Close its client."""
        self._redis.close()

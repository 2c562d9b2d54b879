"""Redis Cluster: shards spread over the primaries, the same answers as one node, and a failover that loses no ack."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import pytest
import redis

from docintel.errors import DocintelError, IndexSettingsMismatchError, WriteNotReplicatedError
from docintel.store import DocumentStore, Keys
from docintel.store.cluster import shard_prefixes
from docintel.store.documents import shard_of
from docintel.store.vectorset_layout import VectorSetOptions
from tests.support.redis_cluster import RedisCluster
from tests.support.redis_server import RedisServer

DIM = 32
TOPICS = ["lava", "reef", "orbit"]


def vectors(rng: np.random.Generator, count: int) -> np.ndarray:
    return rng.standard_normal((count, DIM)).astype(np.float32)


def put(store: DocumentStore, document_id: str, rows: np.ndarray, topic: str) -> None:
    store.put_document(
        document_id=document_id,
        title=document_id.upper(),
        text=document_id,
        metadata={"topic": topic},
        chunks=[f"{document_id} chunk {i}" for i in range(len(rows))],
        vectors=rows,
    )


def answers(store: DocumentStore, query: np.ndarray, topic: str | None) -> list[tuple[str, int, str, float]]:
    hits = store.search(vector=query, k=10, metadata_filter={"topic": topic} if topic else {})
    return [(hit.document_id, hit.chunk_index, hit.text, round(hit.score, 4)) for hit in hits]


def test_the_cluster_store_answers_as_one_node_does(
    cluster: RedisCluster,
    cluster_store: Callable[..., DocumentStore],
    redis8: RedisServer,
    make_redis: Callable[..., redis.Redis],
) -> None:
    sharded = cluster_store(vector_quantization="NOQUANT")
    single = DocumentStore(make_redis(redis8), keys=Keys("docintel"), vector_options=VectorSetOptions("NOQUANT"))
    rng = np.random.default_rng(11)
    for number in range(90):
        rows = vectors(rng, 1 + number % 4)
        for store in (sharded, single):
            put(store, f"doc{number:03d}", rows, TOPICS[number % 3])
    for number in range(0, 90, 9):
        assert sharded.delete_document(document_id=f"doc{number:03d}")
        assert single.delete_document(document_id=f"doc{number:03d}")
    for query in vectors(rng, 25):
        for topic in (None, "reef"):
            assert answers(sharded, query, topic) == answers(single, query, topic)
    for offset, limit in ((0, 10), (33, 20), (75, 10)):
        (page, total), (single_page, single_total) = (
            store.list_documents(offset=offset, limit=limit) for store in (sharded, single)
        )
        assert [record.id for record in page] == [record.id for record in single_page]
        assert total == single_total == 80
    one, other = (store.get_document(document_id="doc004") for store in (sharded, single))
    assert one is not None and other is not None
    assert (one.title, one.text, one.metadata, one.chunks) == (other.title, other.text, other.metadata, other.chunks)


def test_each_primary_holds_one_shard(cluster: RedisCluster, cluster_store: Callable[..., DocumentStore]) -> None:
    store = cluster_store()
    rng = np.random.default_rng(5)
    for number in range(30):
        put(store, f"doc{number}", vectors(rng, 2), "lava")
    primaries = {cluster.primary_of(redis.crc.key_slot(p.encode())).port for p in shard_prefixes("docintel", 3)}
    assert len(primaries) == 3
    for node in cluster.nodes[:3]:
        with node.client() as client:
            assert client.dbsize() > 0, f"node {node.port} holds nothing"


def test_another_shard_count_is_refused_and_the_documents_stay(
    cluster: RedisCluster, cluster_store: Callable[..., DocumentStore]
) -> None:
    three = cluster_store()
    rng = np.random.default_rng(7)
    for number in range(12):
        put(three, f"doc{number}", vectors(rng, 2), "reef")
    for shards in (2, 4):
        other = cluster_store(redis_cluster_shards=shards)
        with pytest.raises(IndexSettingsMismatchError, match="DOCINTEL_REDIS_CLUSTER_SHARDS=3") as refused:
            other.get_document(document_id="doc1")
        assert refused.value.status_code == 503
        with pytest.raises(IndexSettingsMismatchError):
            put(other, "doc99", vectors(rng, 2), "reef")
    again = cluster_store()
    assert again.list_documents(offset=0, limit=50)[1] == 12
    assert again.get_document(document_id="doc99") is None


def test_a_primary_dies_during_ingest_and_search_and_no_acknowledged_write_is_lost(
    cluster: RedisCluster, cluster_store: Callable[..., DocumentStore]
) -> None:
    store = cluster_store(redis_wait_replicas=1, redis_wait_timeout=2.0, redis_socket_timeout=1.0)
    rng = np.random.default_rng(3)
    acknowledged: dict[str, np.ndarray] = {}
    searches: list[tuple[float, bool]] = []
    refused: list[str] = []
    longest: list[tuple[float, float]] = []
    stop = threading.Event()

    def ingest() -> None:
        number = 0
        while not stop.is_set():
            rows = vectors(rng, 3)
            try:
                put(store, f"doc{number}", rows, "lava")
                acknowledged[f"doc{number}"] = rows
            except DocintelError as exc:
                refused.append(exc.code)
            number += 1

    def search() -> None:
        query = np.ones(DIM, dtype=np.float32)
        while not stop.is_set():
            started = time.monotonic()  # a search counts from when it was asked
            try:
                store.search(vector=query, k=10, metadata_filter={})
                searches.append((started, True))
                longest.append((time.monotonic() - started, started))
            except DocintelError:
                searches.append((started, False))
            time.sleep(0.01)

    workers = [threading.Thread(target=ingest), threading.Thread(target=search)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(1.5)
        slot = redis.crc.key_slot(shard_prefixes("docintel", 3)[0].encode())
        victim = cluster.primary_of(slot)
        acknowledged_before = len(acknowledged)
        killed_at = time.monotonic()
        cluster.kill(victim)
        deadline = killed_at + 30

        def failed_over() -> bool:  # searches answer again and an ingest was acknowledged since the kill
            searching = any(ok and at > killed_at + 0.5 for at, ok in searches[-5:])
            return searching and len(acknowledged) > acknowledged_before

        while time.monotonic() < deadline and not failed_over():
            time.sleep(0.1)
        time.sleep(1.0)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    promoted = cluster.primary_of(slot)
    assert promoted is not victim and promoted.process is not None
    recovered = [at - killed_at for at, ok in searches if ok and at > killed_at]
    failed = [at - killed_at for at, ok in searches if not ok and at > killed_at]
    assert recovered, f"searches never recovered after the kill ({len(failed)} failed)"
    assert not [at for at in failed if at > recovered[0] + 2.0], "searches kept failing after they recovered"
    slowest, slowest_at = max(longest)
    assert slowest < 15.0, f"a search took {slowest:.1f} s"
    assert len(acknowledged) > acknowledged_before, "no ingest succeeded after the failover"
    assert set(refused) <= {"store_unavailable", "write_outcome_unknown", "write_not_replicated"}
    for document_id, rows in acknowledged.items():
        stored = store.get_document(document_id=document_id)
        assert stored is not None, f"{document_id} was acknowledged, then lost"
        assert store.search(vector=rows[1], k=1, metadata_filter={})[0].document_id == document_id
    print(
        f"\nfailover: searches failed for {recovered[0]:.2f} s ({len(failed)} failed); {len(acknowledged)} ingests "
        f"acknowledged ({len(acknowledged) - acknowledged_before} after the kill), {len(refused)} refused "
        f"({sorted(set(refused))}); slowest search {slowest:.2f} s, asked {slowest_at - killed_at:.2f} s after the kill"
    )


def test_only_writes_a_replica_confirmed_survive_the_primary(
    cluster: RedisCluster, cluster_store: Callable[..., DocumentStore]
) -> None:
    """What WAIT promises, shown by a write without it that is acknowledged and then lost.

    The replica of shard 0's primary is stopped and its replication link cut,
    so the primary acknowledges writes the replica never receives; then the
    primary dies and the replica is promoted.
    """
    unconfirmed = cluster_store()
    confirmed = cluster_store(redis_wait_replicas=1, redis_wait_timeout=0.5)
    rng = np.random.default_rng(13)
    in_shard_0 = (f"doc{number}" for number in range(1000) if shard_of(f"doc{number}", 3) == 0)
    before, lost, refused = next(in_shard_0), next(in_shard_0), next(in_shard_0)
    put(confirmed, before, vectors(rng, 2), "orbit")
    slot = redis.crc.key_slot(shard_prefixes("docintel", 3)[0].encode())
    primary = cluster.primary_of(slot)
    replica = cluster.nodes[cluster.nodes.index(primary) + cluster.primaries]
    frozen = replica.freeze()
    with primary.client() as client:
        client.client_kill_filter(_type="replica")
    put(unconfirmed, lost, vectors(rng, 2), "orbit")  # acknowledged by the primary alone
    with pytest.raises(WriteNotReplicatedError):
        put(confirmed, refused, vectors(rng, 2), "orbit")
    cluster.kill(primary)
    replica.thaw(frozen)
    deadline = time.monotonic() + 30
    while cluster.primary_of(slot) is not replica:
        assert time.monotonic() < deadline, "the replica was not promoted"
        time.sleep(0.2)
    assert confirmed.get_document(document_id=before) is not None
    assert confirmed.get_document(document_id=lost) is None, "the unconfirmed write survived: the test proves nothing"


@pytest.mark.parametrize("shards", [1, 2, 5])
def test_shard_prefixes_fall_in_their_slot_ranges(shards: int) -> None:
    prefixes = shard_prefixes("docintel", shards)
    slots = [redis.crc.key_slot(prefix.encode()) for prefix in prefixes]
    assert [slot * shards // 16384 for slot in slots] == list(range(shards))
    assert all(prefix.startswith("{docintel-") and prefix.endswith("}") for prefix in prefixes)


def test_tls_urls_are_refused_rather_than_sent_in_clear() -> None:
    from docintel.core.config import Settings
    from docintel.store.cluster import cluster_clients

    settings = Settings(redis_url="rediss://:cluster-s3cret@node:6380/0", redis_cluster=True)
    with pytest.raises(ValueError, match=r"does not support TLS \(rediss://\)") as refused:
        cluster_clients(settings, ["docintel"])
    assert "cluster-s3cret" not in str(refused.value)

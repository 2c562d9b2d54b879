"""Two processes starting at once: both succeed, the model is fetched once."""

from __future__ import annotations

import multiprocessing
import queue
import time
from pathlib import Path

from docintel_models import ModelSpec
from docintel_models.cache import ModelPaths
from docintel_models.lock import exclusive_lock
from support import fetch_worker, sha256


def test_two_processes_fetch_once(mirror_dir: Path, cache_dir: Path, spec: ModelSpec) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(3)
    results: multiprocessing.Queue[tuple[int, int, str]] = ctx.Queue()
    workers = [
        ctx.Process(target=fetch_worker, args=(str(cache_dir), str(mirror_dir), barrier, results)) for _ in range(2)
    ]
    # Hold the model's lock while both workers start, so that they really contend
    # for it rather than happening to run one after the other.
    with exclusive_lock(ModelPaths(cache_dir, spec).lock_path):
        for worker in workers:
            worker.start()
        barrier.wait(timeout=120)
        time.sleep(0.5)  # both are now blocked on the lock
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    outcomes = []
    for _ in workers:
        try:
            outcomes.append(results.get(timeout=5))
        except queue.Empty:  # pragma: no cover - reported by the assert below
            break
    assert len(outcomes) == 2
    fetched = sorted((files, size) for files, size, _ in outcomes)
    assert fetched == [(0, 0), (len(spec.files), spec.total_size)]  # fetched exactly once
    model_dir = Path(outcomes[0][2])
    for model_file in spec.files:
        assert sha256(model_dir / model_file.path) == model_file.sha256

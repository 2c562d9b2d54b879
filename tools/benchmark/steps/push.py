"""First push: every image to the bench's loopback registry with `bazel run //images:push`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chart import Bar
from commands import say
from results import Push, Results
from session import Bench, Step
from steps.seed_build import SeedBuild
from table import Row, count_word, ratio

PUSH_ALL = "//images:push"
REPOSITORY = "bench"


@dataclass(frozen=True)
class FirstPush:
    """Our first push (the seed's is part of SeedBuild)."""

    ours: Push


def push_from_report(report: dict[str, Any], seconds: float, grown: int) -> Push:
    """A Push from the push tool's --report: blobs uploaded and their bytes; blobs present or mounted."""
    uploaded = [blob for blob in report["blobs"] if blob["action"] == "uploaded"]
    existing = len(report["blobs"]) - len(uploaded)
    return Push(seconds, sum(int(blob["size"]) for blob in uploaded), len(uploaded), grown, existing)


def push_ours(bench: Bench, name: str, *flags: str) -> Push:
    """`bazel run //images:push`: bytes uploaded (the push report's) and registry growth."""
    registry = bench.registry()
    before = registry.stored_bytes()
    report = bench.work / f"{name}.report.json"
    repository = f"{registry.address}/{REPOSITORY}"
    run = bench.bazel.run("run", *flags, PUSH_ALL, "--", "--repository", repository, "--report", str(report), name=name)
    return push_from_report(json.loads(report.read_text()), run.seconds, registry.stored_bytes() - before)


def run(bench: Bench) -> FirstPush:
    """Pushes every image to a fresh registry."""
    result = push_ours(bench, "push-ours-first")
    say(f"    pushed {result.text()}")
    return FirstPush(result)


def rows(results: Results) -> list[Row]:
    """The first push of ours (all images) and of the seed's image."""
    first, seed = results.get(FirstPush), results.get(SeedBuild)
    if first is None:
        return []
    label = f"first push (ours: all {count_word(len(results.images))}), bytes uploaded"
    return [push_row(label, first.ours, seed.push if seed else None)]


def push_row(label: str, ours: Push, theirs: Push | None) -> Row:
    """A row comparing our push with the seed's: bytes, blobs, registry growth, ratio of bytes."""
    if theirs is None:
        return Row(label, ours.text())
    return Row(label, ours.text(), theirs.text(), ratio(theirs.uploaded_bytes, ours.uploaded_bytes))


def bars(results: Results) -> list[Bar]:
    """Bytes of the first push, ours (all images) against the seed's image."""
    first, seed = results.get(FirstPush), results.get(SeedBuild)
    if first is None or seed is None:
        return []
    return [Bar("first push, bytes uploaded", first.ours.uploaded_bytes, seed.push.uploaded_bytes, "bytes")]


STEP = Step("push", "first push of every image to a loopback registry", run)

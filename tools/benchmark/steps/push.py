"""First push: every image to the bench's loopback registry with `bazel run //images:push`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from commands import say
from oci_layout import Layout
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


def pushed_blobs(log: str) -> tuple[list[str], int]:
    """Digests crane logged as `pushed blob: sha256:...` (each once), and how many it found existing."""
    pushed = re.findall(r"pushed blob: (sha256:[0-9a-f]{64})", log)
    existing = len(re.findall(r"existing blob: sha256:[0-9a-f]{64}", log))
    return list(dict.fromkeys(pushed)), existing


def push_ours(bench: Bench, name: str) -> Push:
    """`bazel run //images:push`: bytes uploaded (the sizes of the blobs crane pushed) and registry growth."""
    registry = bench.registry()
    before = registry.stored_bytes()
    run = bench.bazel.run("run", PUSH_ALL, "--", "--repository", f"{registry.address}/{REPOSITORY}", name=name)
    grown = registry.stored_bytes() - before
    pushed, existing = pushed_blobs(run.log + run.stdout)
    sizes = {
        "sha256:" + blob.name: blob.stat().st_size
        for entry in bench.images
        for blob in Layout(bench.bazel.output(entry.image)).blobs()
    }
    uploaded = sum(sizes.get(digest, 0) for digest in pushed)
    unsized = tuple(digest for digest in pushed if digest not in sizes)
    return Push(run.seconds, uploaded, len(pushed), grown, existing, unsized)


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


STEP = Step("push", "first push of every image to a loopback registry", run)

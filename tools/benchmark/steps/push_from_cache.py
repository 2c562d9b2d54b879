"""Push from the cache: after a one-line change, a fresh output base builds every image without the bytes and pushes.

The remote_cache step's warm cache and the push steps' registry (which holds
the previous version) are reused. A comment of its own is appended to
service/docintel/__init__.py (always removed again); the output base is
wiped; `bazel build --config=ci //images:push //images:digests` builds every
layer (into the cache) and every image's metadata, and `bazel run
//images:push -- --remote-cache URL` pushes them. Measured, as
.ci/cache_and_repro.sh asserts them: bytes of blobs the cache sent, its other
bytes, bytes the registry received (its own count), the output base's bytes
after, and the bytes the build added to the cache. Then the old way, for
comparison: a wiped output base builds with --remote_download_toplevel and the
layout directories (what crane's push needed).
"""

from __future__ import annotations

from dataclasses import dataclass

from bazel import REPO
from commands import say
from results import Results
from session import ALL_IMAGES, Bench, Step
from steps.one_line_change import CHANGED_FILE, OneLineChange
from steps.push import PUSH_ALL, REPOSITORY
from table import Row, mb, ratio, seconds
from transfer import cache_traffic, log_lines, report_blobs, tree_bytes

CHANGE_LINE = "# tools/bench: a one-line change to push from the cache, removed when the benchmark ends\n"


@dataclass(frozen=True)
class PushFromCache:
    """Bytes moved and kept by a build and push without the bytes, and by the old way."""

    seconds: float
    blob_bytes: int
    other_bytes: int
    uploaded_bytes: int
    output_base_bytes: int
    added_bytes: int
    old_blob_bytes: int
    old_output_base_bytes: int


def run(bench: Bench) -> PushFromCache:
    """Makes the change, builds and pushes from a wiped output base; then builds the old way; restores the file."""
    cache, registry = bench.remote_cache(), bench.registry()
    flags = ["--config=ci", f"--remote_cache={cache.url}", f"--vendor_dir={bench.vendor_dir}"]
    report = bench.work / "push-from-cache.report.json"
    change = OneLineChange(REPO / CHANGED_FILE, CHANGE_LINE)
    bench.cleanups.append(change.restore)
    with change:
        bench.bazel.run("clean", "--expunge", name="push-from-cache-wipe")
        mark, received = log_lines(cache.log), registry.received()
        build = bench.bazel.run("build", *flags, PUSH_ALL, "//images:digests", name="push-from-cache-build")
        args = [
            "--repository",
            f"{registry.address}/{REPOSITORY}",
            "--remote-cache",
            cache.url,
            "--report",
            str(report),
        ]
        push = bench.bazel.run("run", *flags, PUSH_ALL, "--", *args, name="push-from-cache-push")
        traffic = cache_traffic(cache.log, since=mark, blobs=report_blobs(report))
        uploaded, output_base = registry.received() - received, tree_bytes(bench.bazel.output_base)
        say(f"    blobs from the cache {mb(traffic.blob_bytes)}, to the registry {mb(uploaded)}")
        say(f"    output base {mb(output_base)}; the old way ...")
        bench.bazel.run("clean", "--expunge", name="old-way-wipe")
        mark = log_lines(cache.log)
        bench.bazel.run("build", *flags, "--remote_download_toplevel", ALL_IMAGES, PUSH_ALL, name="old-way-build")
        old = cache_traffic(cache.log, since=mark, blobs=report_blobs(report))
        old_output_base = tree_bytes(bench.bazel.output_base)
    say(f"    the old way: blobs from the cache {mb(old.blob_bytes)}, output base {mb(old_output_base)}")
    return PushFromCache(
        build.seconds + push.seconds,
        traffic.blob_bytes,
        traffic.other_bytes,
        uploaded,
        output_base,
        traffic.added_bytes,
        old.blob_bytes,
        old_output_base,
    )


def rows(results: Results) -> list[Row]:
    """Bytes from the cache, to the registry, on disk, and added to the cache; against the old way."""
    figures = results.get(PushFromCache)
    if figures is None:
        return []

    return [
        Row(f"push from the cache after a one-line change ({seconds(figures.seconds)}, build and push)"),
        _against_old("  blobs downloaded from the cache (old way)", figures.blob_bytes, figures.old_blob_bytes),
        Row("  other bytes from the cache: action results, metadata", mb(figures.other_bytes)),
        Row("  bytes uploaded to the registry (its count)", mb(figures.uploaded_bytes)),
        _against_old(
            "  output base after build and push (old way)", figures.output_base_bytes, figures.old_output_base_bytes
        ),
        Row("  bytes the commit added to the cache", mb(figures.added_bytes)),
    ]


def _against_old(label: str, ours: int, old: int) -> Row:
    """`ours (old)` in MB, and old/new when ours is not zero."""
    return Row(label, f"{mb(ours)} ({mb(old)})", "", f"{ratio(old, ours)} old/new" if ours else "")


# remote_cache fills the cache and the vendor directory; push puts the previous version in the registry.
STEP = Step(
    "push_from_cache",
    "push from the cache: one-line change, build without the bytes, push",
    run,
    needs=("remote_cache", "push"),
)

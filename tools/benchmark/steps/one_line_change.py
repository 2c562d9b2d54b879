"""One-line change: a comment appended to service/, every image rebuilt and pushed; the seed's image too.

The comment is always removed again, also on Ctrl-C and SIGTERM. For ours:
rebuild time and processes, the layers whose digest changed, bytes pushed; for
the seed, `podman build` again (its layer cache on) and `podman push`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import seed_image
from bazel import REPO
from chart import Bar
from commands import say
from oci_layout import Layout
from results import Build, Push, Results
from session import ALL_IMAGES, Bench, Step
from steps.push import push_ours, push_row
from steps.seed_build import build_seed, push_seed
from table import Row, ratio, seconds

CHANGED_FILE = "service/docintel/__init__.py"
CHANGE_LINE = "# tools/bench: a one-line change, removed when the benchmark ends\n"


@dataclass(frozen=True)
class SeedChange:
    """The seed image after the change."""

    seconds: float
    changed_layers: tuple[str, ...]
    push: Push


@dataclass(frozen=True)
class Change:
    """Ours after the change, and the seed's."""

    build: Build
    changed_layers: tuple[str, ...]
    push: Push
    seed: SeedChange | None


class OneLineChange:
    """Appends a line (CHANGE_LINE) to a file; restores it on exit, also on Ctrl-C and SIGTERM."""

    def __init__(self, path: Path, line: str = CHANGE_LINE) -> None:
        """The change to `path`, not made yet."""
        self.path, self.line = path, line

    def __enter__(self) -> OneLineChange:
        """Makes the change (once, even if a killed run left it there)."""
        original = self.path.read_text()
        if self.line in original:  # left over from a run killed with SIGKILL
            original = original.replace(self.line, "")
        self.path.write_text(original + ("" if original.endswith("\n") else "\n") + self.line)
        return self

    def __exit__(self, *_: object) -> None:
        """Undoes the change."""
        self.restore()

    def restore(self) -> None:
        """Removes the line from the file, if it is there."""
        text = self.path.read_text()
        if self.line in text:
            self.path.write_text(text.replace(self.line, ""))


def layer_digests(layouts: list[Path]) -> dict[str, str]:
    """{layer name: blob digest} over the layers of the images in `layouts`."""
    return {layer.title or layer.hex[:12]: layer.digest for layout in layouts for layer in Layout(layout).layers()}


def changed_layers(before: dict[str, str], after: dict[str, str]) -> tuple[str, ...]:
    """Layers whose digest differs (or that appeared or vanished), by name."""
    return tuple(sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name)))


def run(bench: Bench) -> Change:
    """Makes the change, rebuilds and pushes ours, then the seed's; restores the file."""
    layouts = [bench.bazel.output(entry.image) for entry in bench.images]
    before = layer_digests(layouts)
    seed_before = {} if bench.options.skip_seed else seed_image.layer_digests()
    change = OneLineChange(REPO / CHANGED_FILE)
    bench.cleanups.append(change.restore)  # also after a second Ctrl-C
    with change:
        rebuild = bench.bazel.run("build", ALL_IMAGES, name="change-build")
        changed = changed_layers(before, layer_digests(layouts))
        say(f"    rebuilt in {Build.of(rebuild).text()}; layers changed: {', '.join(changed) or 'none'}; pushing ...")
        push = push_ours(bench, "push-ours-change")
        say(f"    pushed {push.text()}")
        seed = None if bench.options.skip_seed else _seed_change(bench, seed_before)
    say(f"    {CHANGED_FILE} restored")
    return Change(Build.of(rebuild), changed, push, seed)


def _seed_change(bench: Bench, before: dict[str, str]) -> SeedChange:
    say("    the seed image after the change: podman build (layer cache on) and push ...")
    build = build_seed(bench, "seed-change-build", no_cache=False)
    changed = changed_layers(before, seed_image.layer_digests())
    push = push_seed(bench, "push-seed-change")
    say(f"    seed layers changed: {', '.join(changed)}; pushed {push.text()}")
    return SeedChange(build.seconds, changed, push)


def rebuild_rows(results: Results) -> list[Row]:
    """The rebuild after the change, ours and the seed's, and which layers changed."""
    change = results.get(Change)
    if change is None:
        return []
    seed = change.seed
    return [
        Row(
            "one-line change in service/: rebuild",
            change.build.text(),
            f"{seconds(seed.seconds)}, podman build" if seed else "",
            ratio(seed.seconds, change.build.seconds) if seed else "",
        ),
        Row(
            "  layers whose digest changed",
            ", ".join(change.changed_layers) or "none",
            ", ".join(seed.changed_layers) if seed else "",
        ),
    ]


def push_rows(results: Results) -> list[Row]:
    """The push after the change, ours and the seed's."""
    change = results.get(Change)
    if change is None:
        return []
    return [push_row("push after the one-line change", change.push, change.seed.push if change.seed else None)]


def bars(results: Results) -> list[Bar]:
    """The rebuild and the push after the change, ours against the seed's."""
    change = results.get(Change)
    if change is None or change.seed is None:
        return []
    seed = change.seed
    return [
        Bar("one-line change: rebuild", change.build.seconds, seed.seconds, "s"),
        Bar("one-line change: bytes pushed", change.push.uploaded_bytes, seed.push.uploaded_bytes, "bytes"),
    ]


# The push after the change counts what the first pushes (ours, the seed's) left out of the registry.
STEP = Step(
    "one_line_change",
    f"one-line change in {CHANGED_FILE}: rebuild and push",
    run,
    needs=("push", "seed_build"),
)

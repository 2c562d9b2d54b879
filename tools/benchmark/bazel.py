"""tools/bazel in the bench's own output base: a new machine's build, every command logged."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

from commands import Commands, Run, host, say

REPO = Path(__file__).resolve().parents[2]
BAZEL = REPO / "tools" / "bazel"
# Plain, periodic progress in the logs; the bench's own output symlinks are
# left alone so the workspace's bazel-bin keeps pointing at the main output base.
UI_FLAGS = [
    "--curses=no",
    "--color=no",
    "--show_progress_rate_limit=5",
    "--experimental_convenience_symlinks=ignore",
]


class Bazel:
    """Bazel commands in `output_base`, with a repository cache of its own and no remote or disk cache.

    Like a new machine: every download is counted, and nothing comes from a
    cache unless a command passes --remote_cache itself (an rc file's
    --remote_cache or --disk_cache is overridden).
    """

    def __init__(self, output_base: Path, commands: Commands) -> None:
        """Commands run through `commands` (their logs) in `output_base`."""
        self.output_base, self.commands = output_base, commands

    @property
    def repository_cache(self) -> Path:
        """The bench's own repository cache, next to its output base."""
        return self.output_base.with_name(self.output_base.name + "-repository-cache")

    def run(self, command: str, *args: str, name: str, check: bool = True) -> Run:
        """`tools/bazel --output_base=<bench> COMMAND [flags] ARGS...`, logged, with heartbeats."""
        flags = []
        if command in ("build", "run", "test"):
            flags += [*UI_FLAGS, "--remote_cache=", "--disk_cache="]
        if command in ("build", "run", "test", "vendor"):
            flags.append(f"--repository_cache={self.repository_cache}")
        argv = [str(BAZEL), f"--output_base={self.output_base}", command, *flags, *args]
        return self.commands.run(argv, name=name, check=check, bazel=True)

    @functools.cached_property
    def bin(self) -> Path:
        """`bazel info bazel-bin` of the bench's output base."""
        return Path(self.run("info", "bazel-bin", name="info-bazel-bin").stdout.strip().splitlines()[-1])

    def output(self, label: str, suffix: str = "") -> Path:
        """Where our rules put the output `<name><suffix>` of `//package:name`."""
        package, _, name = label.removeprefix("//").partition(":")
        return self.bin / package / (name + suffix)

    def remove(self, keep: bool) -> None:
        """Shuts the bench's server down and, unless `keep`, removes its output base and repository cache."""
        if not self.output_base.exists():
            return
        host([str(BAZEL), f"--output_base={self.output_base}", "shutdown"], timeout=300, cwd=REPO)
        if keep:
            say(f"kept the output base {self.output_base} (--keep); its server is shut down")
        else:
            shutil.rmtree(self.output_base, ignore_errors=True)
            shutil.rmtree(self.repository_cache, ignore_errors=True)

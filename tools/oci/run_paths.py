"""Paths on a tool's command line under `bazel run`, which starts it in its runfiles directory.

report = working_path(args.report)   # `--report out.json`: out.json where `bazel run` was called
"""

from __future__ import annotations

import os
from pathlib import Path

# The host directories tools/bazel's build root shares with this machine (colon-separated).
SHARED_PATHS_ENV = "DOCINTEL_BUILD_ROOT_SHARED"


class UnsharedPathError(ValueError):
    """A path inside tools/bazel's build root that this machine does not see."""


def working_path(path: Path) -> Path:
    """`path` as the caller meant it: relative to where `bazel run` was called ($BUILD_WORKING_DIRECTORY), if it was.

    Raises UnsharedPathError for a path outside what tools/bazel's build root shares
    with the host ($DOCINTEL_BUILD_ROOT_SHARED): a file written there would stay in the root.
    """
    base = os.environ.get("BUILD_WORKING_DIRECTORY")
    resolved = Path(base) / path if base and not path.is_absolute() else path
    shared = [Path(p) for p in os.environ.get(SHARED_PATHS_ENV, "").split(":") if p]
    if shared and not any(Path(os.path.abspath(resolved)).is_relative_to(p) for p in shared):
        raise UnsharedPathError(
            f"{resolved} is outside what tools/bazel's build root shares with this machine "
            f"({', '.join(map(str, shared))}): a file written there would stay inside the root; "
            "give a path under one of those"
        )
    return resolved

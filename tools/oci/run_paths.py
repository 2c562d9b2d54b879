"""Paths on a tool's command line under `bazel run`, which starts it in its runfiles directory.

report = working_path(args.report)   # `--report out.json`: out.json where `bazel run` was called
"""

from __future__ import annotations

import os
from pathlib import Path


def working_path(path: Path) -> Path:
    """A relative `path` as relative to where `bazel run` was called ($BUILD_WORKING_DIRECTORY), if it was."""
    base = os.environ.get("BUILD_WORKING_DIRECTORY")
    return Path(base) / path if base and not path.is_absolute() else path

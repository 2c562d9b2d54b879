"""A program of @debian_build_tools in this process's runfiles, as a command line on the pinned C library.

For tests and `bazel run` tools whose target lists the program as data (this
library brings the loader and the libraries):

    command = runfiles_tool.command("usr/bin/zstd", ["-dc"])

The paths come from rules_python's runfiles library, which maps the apparent
repository name to its canonical one, so no Bazel version's spelling is written here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from python.runfiles import runfiles

from debian_tool import tool_command

REPOSITORY = "debian_build_tools"
LOADER = "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
LIBRARY_DIRECTORIES = ("usr/lib", "usr/lib/x86_64-linux-gnu")
"""Where @debian_build_tools' libraries are (its BUILD file's :libs)."""


class MissingRunfileError(FileNotFoundError):
    """A file of @debian_build_tools is not in this process's runfiles."""


def command(program: str, args: Sequence[str]) -> list[str]:
    """The command line running @debian_build_tools' `program` (`usr/bin/zstd`) with `args`.

    Raises MissingRunfileError, saying which data the target lacks, when the
    program or the loader is not in the runfiles (or there are none).
    """
    files = runfiles.Create()
    if files is None:
        raise MissingRunfileError(
            f"no runfiles to find @{REPOSITORY}'s {program} in: run this through Bazel (bazel run or bazel test)"
        )
    # This module is in the main repository (canonical name ""): its mapping of `debian_build_tools`.
    loader = _existing(files.Rlocation(f"{REPOSITORY}/{LOADER}", source_repo=""), f"@{REPOSITORY}//:loader")
    executable = _existing(files.Rlocation(f"{REPOSITORY}/{program}", source_repo=""), f"@{REPOSITORY}'s {program}")
    root = loader.removesuffix(LOADER)
    libraries = ":".join(root + directory for directory in LIBRARY_DIRECTORIES)
    return tool_command(executable, args, loader=loader, libraries=libraries)


def _existing(path: str | None, label: str) -> str:
    """`path` made absolute, if the runfiles hold it."""
    if not path or not os.path.exists(path):
        raise MissingRunfileError(f"{label} is not in the runfiles: add it to the data of the target that runs this")
    return os.path.abspath(path)

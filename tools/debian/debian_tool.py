"""Runs a program of a pinned Debian repository (@debian_build_tools) on its own C library.

The program starts through the repository's dynamic loader, which looks for
libraries in the repository's library directories first and ignores the
machine's loader cache. So the machine lends nothing but the kernel: the same
pinned bytes run in the build root, on a Debian 12 remote worker, anywhere.
The environment is left to the caller (pass an explicit one: pigz reads $PIGZ).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence


def library_path(libraries: Iterable[str]) -> str:
    """The loader's library path for these library files: their directories, sorted."""
    return ":".join(sorted({os.path.dirname(os.path.abspath(library)) for library in libraries}))


def tool_command(program: str, args: Sequence[str], *, loader: str, libraries: str) -> list[str]:
    """The command line that runs `program` with `args` through `loader` on the `libraries` path."""
    return [loader, "--inhibit-cache", "--library-path", libraries, program, *args]

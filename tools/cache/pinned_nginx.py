"""The remote cache on the pinned nginx (@nginx, run through its own C library's loader), for tests.

    cache = pinned_nginx.start_cache(tmp / "cache")

The test target takes PINNED_NGINX_DATA and PINNED_NGINX_ENV from
tools/cache/pinned_nginx.bzl: the build root has no nginx of its own.
"""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

from debian_tool import library_path, tool_command
from nginx_cache import NginxCache

_ENV = ("PINNED_NGINX", "PINNED_NGINX_LIBS", "PINNED_NGINX_LOADER")


def wrapper(directory: Path) -> Path:
    """Writes `directory`/nginx, a script that runs the pinned nginx with its arguments, and returns its path."""
    missing = [name for name in _ENV if not os.environ.get(name)]
    if missing:
        raise RuntimeError(
            f"{', '.join(missing)} not set: give the test target data = PINNED_NGINX_DATA and "
            "env = PINNED_NGINX_ENV from //tools/cache:pinned_nginx.bzl"
        )
    libraries = library_path(os.environ["PINNED_NGINX_LIBS"].split())
    loader = os.path.abspath(os.environ["PINNED_NGINX_LOADER"])
    command = tool_command(os.path.abspath(os.environ["PINNED_NGINX"]), [], loader=loader, libraries=libraries)
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "nginx"
    script.write_text(f'#!/bin/sh\nexec {shlex.join(command)} "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def start_cache(directory: Path, *, port: int | None = None) -> NginxCache:
    """The remote cache in `directory` on `port` (or a free one), run by the pinned nginx; stop() stops it."""
    return NginxCache.start(directory, port=port, nginx=wrapper(directory))

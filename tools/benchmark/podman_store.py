"""An empty podman store of its own: what a pull into a new machine's store costs, the host's store untouched.

    with EmptyStore(directory):
        e2e.start(...)   # every podman command of this process uses the empty store

It points CONTAINERS_STORAGE_CONF at a storage.conf of its own (graph and run
roots under `directory`) for as long as it is open; podman started from this
process, e2e.py's included, then sees only that store. On the way out its
containers and images are removed, whatever the store's overlay driver left
mounted is unmounted and the directory is deleted. Not `podman system reset`:
that also removes the machine's podman networks, which other users share.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from types import TracebackType

STORAGE_CONF = "CONTAINERS_STORAGE_CONF"


def image_ids() -> set[str]:
    """The IDs of the images in the store podman uses now (none without podman)."""
    if shutil.which("podman") is None:
        return set()
    argv = ["podman", "images", "--quiet", "--no-trunc"]
    listed = subprocess.run(argv, capture_output=True, text=True, check=False)
    return set(listed.stdout.split()) if listed.returncode == 0 else set()


def remove_images(ids: list[str]) -> str | None:
    """Removes the images ``ids`` from the store podman uses now; podman's complaint if it failed."""
    argv = ["podman", "rmi", "--force", *ids]
    removed = subprocess.run(argv, capture_output=True, text=True, check=False)
    if removed.returncode == 0:
        return None
    return removed.stderr.strip() or f"podman rmi exited {removed.returncode}"


def mounts_under(directory: Path) -> list[str]:
    """Mount points at or under `directory`, deepest first (from /proc/self/mountinfo)."""
    prefix = str(directory.resolve())
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == prefix or point.startswith(prefix + "/"):
            points.append(point)
    return sorted(points, key=len, reverse=True)


class EmptyStore:
    """A podman storage of its own under `directory`, in use while the context is open."""

    def __init__(self, directory: Path) -> None:
        """Nothing happens until the context opens."""
        self.directory = directory
        self._saved: str | None = None

    def __enter__(self) -> EmptyStore:
        """Writes the storage.conf and points this process's podman at it."""
        self.directory.mkdir(parents=True)
        conf = self.directory / "storage.conf"
        conf.write_text(
            f'[storage]\ndriver = "overlay"\ngraphroot = "{self.directory / "graph"}"\n'
            f'runroot = "{self.directory / "run"}"\n'
        )
        self._saved = os.environ.get(STORAGE_CONF)
        os.environ[STORAGE_CONF] = str(conf)
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        """Removes the store's containers and images, unmounts what is left, deletes the directory."""
        for argv in (["podman", "rm", "--all", "--force", "--time", "2"], ["podman", "rmi", "--all", "--force"]):
            subprocess.run(argv, capture_output=True, check=False)
        if self._saved is None:
            os.environ.pop(STORAGE_CONF, None)
        else:
            os.environ[STORAGE_CONF] = self._saved
        for point in mounts_under(self.directory):
            subprocess.run(["umount", "--lazy", point], capture_output=True, check=False)  # noqa: S607
        shutil.rmtree(self.directory, ignore_errors=True)

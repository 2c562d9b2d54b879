"""One bench run: its options, work directory, output base, registry, list of images and cleanups.

Every step gets the Bench and returns its result; what a step starts (a
server, a container, a changed file) it undoes through `bench.cleanups`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import podman_store
from bazel import BAZEL, REPO, Bazel
from commands import BenchError, Commands, Run, host, say, stop
from local_registry import LocalRegistry, LocalRegistryError
from loopback_ports import free_port
from nginx_cache import NginxCache, NginxCacheError
from table import mb

# Host command -> the Debian package that has it.
HOST_TOOLS = {
    "docker-registry": "docker-registry",
    "nginx": "nginx-light",
    "curl": "curl",
    "podman": "podman runc",
    "redis-server": "redis-server",
    "tar": "tar",
}
ALL_IMAGES = "//images:images"  # a filegroup of every image of images/images.bzl
IMAGE_LIST = "//images:list"
IMAGE_LIST_FILE = "images/images.json"  # what //images:list writes, under bazel-bin


@dataclass(frozen=True)
class Options:
    """What the command line asked for."""

    skip_seed: bool = False
    skip_container: bool = False
    keep: bool = False
    json: Path | None = None
    svg: Path | None = None
    # Step keys to run (with the steps they need and the cold build); empty: all.
    only: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImageEntry:
    """One image of images/images.bzl, as //images:list writes it."""

    name: str
    image: str
    load: str
    push: str
    repo_tag: str
    model: str | None


@dataclass(frozen=True)
class Step:
    """One measurement: `run` does it and returns its typed result; `wanted` says whether the options want it."""

    key: str
    title: str
    run: Callable[[Bench], object]
    wanted: Callable[[Options], bool] = lambda _: True
    # Keys of the steps whose results this one uses (for --only).
    needs: tuple[str, ...] = ()


def runs_containers(options: Options) -> bool:
    """Whether the options let steps start containers (no --skip-container)."""
    return not options.skip_container


def container_step(key: str, title: str, run: Callable[[Bench], object]) -> Step:
    """A step that starts the images as containers, on the model caches the container start step filled."""
    return Step(key, title, run, wanted=runs_containers, needs=("container_start",))


def disk_needed(skip_seed: bool) -> float:
    """Bytes a run needs free: a margin over the 23 GB peak measured with the seed.

    The seed's images, pushes, layout copy and context are roughly 10 GB of it.
    """
    return 15e9 if skip_seed else 25e9


def required_tools(skip_seed: bool, skip_container: bool) -> list[str]:
    """The host commands a run with these options needs."""
    needed = ["docker-registry", "nginx", "curl", "tar"]
    if not (skip_seed and skip_container):
        needed.append("podman")
    if not skip_container:
        needed.append("redis-server")
    return needed


class Bench:
    """The state of one run, shared by its steps."""

    def __init__(self, options: Options, work: Path | None = None) -> None:
        """Nothing starts until setup()."""
        self.options = options
        self.work = work or Path()
        self.cleanups: list[Callable[[], object]] = []
        self.load_average: dict[str, float] = {}
        self.images: list[ImageEntry] = []
        self.commands = Commands(self.work / "logs", REPO)
        self.bazel = Bazel(Path(), self.commands)
        self._registry: LocalRegistry | None = None
        self._redis_url: str | None = None
        self._cache: NginxCache | None = None

    def preflight(self) -> None:
        """Raises unless the host has what the options need."""
        if not os.access(BAZEL, os.X_OK):
            raise BenchError(f"{BAZEL} is missing; run tools/bench from a docintel checkout")
        missing = [
            t for t in required_tools(self.options.skip_seed, self.options.skip_container) if not shutil.which(t)
        ]
        if missing:
            packages = " ".join(dict.fromkeys(HOST_TOOLS[t] for t in missing))
            raise BenchError(
                f"missing on this host: {', '.join(missing)}; install them (as .ci/run does):\n"
                f"  apt-get install -y --no-install-recommends {packages}"
                + ("" if self.options.skip_container else "\n  (or pass --skip-container to skip podman/redis)")
            )

    def setup(self) -> None:
        """Makes the work directory, picks a fresh output base and repository cache, checks the disk has room."""
        self.work = Path(tempfile.mkdtemp(prefix="docintel-bench."))
        (self.work / "logs").mkdir()
        self.commands = Commands(self.work / "logs", REPO)
        say("asking tools/bazel for its output root (provisions the build root on a new machine)")
        info = host([str(BAZEL), "info", "output_base"], timeout=1800, cwd=REPO)
        if info.returncode != 0 or not info.stdout.strip():
            raise BenchError(f"tools/bazel info output_base failed:\n{info.stderr[-2000:]}")
        output_user_root = Path(info.stdout.strip().splitlines()[-1]).parent
        self.bazel = Bazel(output_user_root / f"bench-{os.getpid()}", self.commands)
        # Left by an earlier run with this pid (--keep, a crash): the cold build must start empty.
        shutil.rmtree(self.bazel.output_base, ignore_errors=True)
        shutil.rmtree(self.bazel.repository_cache, ignore_errors=True)
        self._check_disk(output_user_root)
        self.cleanups.append(lambda: self.bazel.remove(self.options.keep))
        images_before = podman_store.image_ids()
        self.cleanups.append(lambda: self._remove_loaded_images(images_before))
        say(f"output base {self.bazel.output_base}; logs in {self.work / 'logs'}")

    def _remove_loaded_images(self, before: set[str]) -> None:
        """Removes the podman images this run added (unless --keep): its loads leave about 1.5 GB in the store."""
        added = sorted(podman_store.image_ids() - before)
        if added and not self.options.keep:
            failure = podman_store.remove_images(added)
            if failure is not None:
                raise BenchError(f"podman rmi of the {len(added)} images this run loaded: {failure}")
            say(f"removed the {len(added)} podman images this run loaded")

    def _check_disk(self, output_user_root: Path) -> None:
        free, needed = shutil.disk_usage(output_user_root).free, disk_needed(self.options.skip_seed)
        if free < needed:
            seed = not self.options.skip_seed
            raise BenchError(
                f"only {mb(free)} free under {output_user_root}; the run needs about {mb(needed)} "
                "(its own output base, vendored repositories, a cache and a registry"
                + (", podman's storage for the seed's images" if seed else "")
                + "): free some (e.g. `tools/bazel clean --expunge`, `podman system prune`)"
                + (" or pass --skip-seed" if seed else "")
            )

    def command(self, argv: list[str], *, name: str, check: bool = True) -> Run:
        """Runs a host command (podman, ...), logged."""
        return self.commands.run(argv, name=name, check=check)

    def read_images(self) -> None:
        """Reads the list of images (//images:list, from images/images.bzl) built in the bench's output base."""
        self.bazel.run("build", IMAGE_LIST, name="image-list")
        entries = json.loads((self.bazel.bin / IMAGE_LIST_FILE).read_text())
        self.images = [ImageEntry(**entry) for entry in entries]

    def redis_url(self) -> str:
        """The URL of the bench's loopback redis-server (for the containers it starts), started on first use."""
        if self._redis_url is None:
            port = free_port()
            server = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            with (self.work / "logs" / "redis.log").open("w") as log:
                redis = subprocess.Popen(server, stdout=log, stderr=log)
            self.cleanups.append(lambda: stop(redis))
            self._redis_url = f"redis://127.0.0.1:{port}"
        return self._redis_url

    def registry(self) -> LocalRegistry:
        """The bench's loopback registry, started on first use."""
        if self._registry is None:
            try:
                self._registry = LocalRegistry.start(self.work / "registry", metrics=True)
            except LocalRegistryError as error:
                raise BenchError(f"the bench's registry did not start:\n{error}") from None
            self.cleanups.append(self._registry.stop)
            say(f"    registry on {self._registry.address} (storage {self._registry.storage})")
        return self._registry

    @property
    def vendor_dir(self) -> Path:
        """Where the steps vendor the external repositories (Bazel 8's repository contents cache stands in)."""
        return self.work / "vendor"

    def remote_cache(self) -> NginxCache:
        """The bench's loopback HTTP remote cache, started (empty) on first use."""
        if self._cache is None:
            try:
                self._cache = NginxCache.start(self.work / "cache")
            except NginxCacheError as error:
                raise BenchError(f"the bench's remote cache did not start:\n{error}") from None
            self.cleanups.append(self._cache.stop)
        return self._cache

    @property
    def seed_layout(self) -> Path:
        """The pushed seed image as an OCI layout, under the output root (the size report reads it there)."""
        return self.bazel.output_base.with_name(self.bazel.output_base.name + "-seed")

    def note_load(self, step: str) -> None:
        """Notes the 1-minute load average as a step starts: the machine may be shared."""
        self.load_average[step] = round(os.getloadavg()[0], 2)

    def cleanup(self) -> None:
        """Undoes what the steps started, last first; removes the work directory but its logs (unless --keep)."""
        while self.cleanups:
            action = self.cleanups.pop()
            try:
                action()
            except Exception as error:
                print(f"tools/bench: cleanup: {error}", file=sys.stderr)
        if self.work.name and self.work.exists() and not self.options.keep:
            # All but the logs, which the output points to (a few hundred kB).
            for entry in self.work.iterdir():
                if entry.name != "logs":
                    shutil.rmtree(entry, ignore_errors=True)

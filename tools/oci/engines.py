"""The container engines `bazel run //images:<image>_load` loads into: podman and docker, one interface.

    engine = pick_engine(None)                # podman if it answers, else docker
    engine.images()                           # {image id: its diff IDs} of every image it holds
    engine.load(layout, image_id, missing, tags)   # copies only the `missing` layers

Both key a layer by its chain (its diff ID and every diff ID under it), so a
layer counts as present only with the same layers below it (load_plan.py).

- podman: `podman pull oci:LAYOUT` reads the image straight from the layout and
  skips every blob its store already has (containers/image asks the store
  first), so nothing but the missing layers is read. podman names the pulled
  image after the layout's path: the repo tags replace that name.
- docker: `docker load` of a stream. Docker's classic image store looks each
  layer up by its chain ID before it opens the layer's file, so the stream
  holds only the missing layers' blobs; the containerd image store (Docker
  29's default) wants every blob and gets all of them; if the engine refuses
  a partial stream, the whole image goes again. NOT TESTED against a Docker
  engine: none runs where this was written (README says so).
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import docker_archive
from oci_layout import Descriptor, Layout
from reference import NAME_COMPONENT


class LoadError(Exception):
    """Loading failed; the message says what the engine said and what to do."""


def run(argv: Sequence[str]) -> str:
    """Runs an engine command; its stdout. A failure raises LoadError with the engine's message."""
    try:
        result = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    except OSError as error:
        raise LoadError(f"{argv[0]}: {error}") from None
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip()[-2000:]
        raise LoadError(f"`{' '.join(argv[:3])}` failed (exit {result.returncode}): {message}")
    return result.stdout


class Engine(ABC):
    """A container engine on this host, driven through its command line."""

    name = ""

    def __init__(self, program: str) -> None:
        """The engine whose command is `program` (a name on PATH or a path)."""
        self.program = program

    def version(self) -> str:
        """The version of the engine's service; LoadError if it does not answer (a docker CLI alone)."""
        return run([self.program, "version", "--format", "{{.Server.Version}}"]).strip()

    def images(self) -> dict[str, list[str]]:
        """{image id: its diff IDs, bottom first} for every image in the engine's store."""
        ids = list(dict.fromkeys(run([self.program, "images", "--quiet", "--no-trunc"]).split()))
        if not ids:
            return {}
        lines = run([self.program, "image", "inspect", "--format", "{{.Id}} {{.RootFS.Layers}}", *ids])
        images = {}
        for line in lines.splitlines():
            image_id, _, layers = line.partition(" ")
            images[image_id.removeprefix("sha256:")] = layers.strip("[]").split()
        return images

    def tag(self, image_id: str, repo_tags: Sequence[str]) -> None:
        """Points each of `repo_tags` at the image."""
        for tag in repo_tags:
            run([self.program, "tag", image_id, tag])

    @abstractmethod
    def load(self, layout: Layout, image_id: str, missing: Sequence[Descriptor], repo_tags: Sequence[str]) -> None:
        """Copies the image into the engine (only its `missing` layers need to go) and tags it."""


class Podman(Engine):
    """podman: the image is pulled from the layout itself (the `oci:` transport)."""

    name = "podman"

    def load(self, layout: Layout, image_id: str, missing: Sequence[Descriptor], repo_tags: Sequence[str]) -> None:
        """`podman pull oci:LAYOUT`; the repo tags then replace the name podman gave it."""
        scratch = _scratch_dir()
        try:
            link = scratch / "image"
            link.symlink_to(layout.path.resolve(), target_is_directory=True)
            # An index's image is chosen by platform (the one load.py chose: the host's, or --platform's).
            platform = ["--platform", layout.platform] if layout.platform else []
            run([self.program, "pull", "--quiet", *platform, f"oci:{link}"])
            pulled_as = f"localhost{link}:latest"
            try:
                self.tag(image_id, repo_tags)
            finally:  # without that name; an image that got no other is removed
                with contextlib.suppress(LoadError):
                    run([self.program, "rmi", pulled_as])
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _scratch_dir() -> Path:
    """A new directory whose path podman accepts as an image name (it names a pulled layout after its path)."""
    parent = tempfile.gettempdir()
    if not all(NAME_COMPONENT.fullmatch(part) for part in Path(parent).parts[1:]):
        parent = "/tmp"  # noqa: S108 - a name podman accepts; the directory is private (0700)
    scratch = Path(parent) / f"docintel-load-{secrets.token_hex(6)}"
    scratch.mkdir(mode=0o700)
    return scratch


class Docker(Engine):
    """docker: a Docker archive streamed to `docker load`, with only the layers the engine lacks."""

    name = "docker"

    def containerd_store(self) -> bool:
        """Whether the daemon keeps images in containerd (which wants every blob in an archive)."""
        return "io.containerd.snapshotter" in run([self.program, "info", "--format", "{{json .DriverStatus}}"])

    def load(self, layout: Layout, image_id: str, missing: Sequence[Descriptor], repo_tags: Sequence[str]) -> None:
        """`docker load` of the missing layers (every layer for a containerd store), tagged by the archive."""
        if len(missing) < len(layout.layers()) and not self.containerd_store():
            try:
                self._stream(layout, repo_tags, [layer.digest for layer in missing])
                return
            except LoadError as error:
                print(f"oci_load: docker refused an archive of the missing layers ({error}); sending them all")
        self._stream(layout, repo_tags, None)

    def _stream(self, layout: Layout, repo_tags: Sequence[str], only_layers: list[str] | None) -> None:
        """Writes the archive into `docker load`'s standard input."""
        with tempfile.TemporaryFile() as output:
            proc = subprocess.Popen([self.program, "load"], stdin=subprocess.PIPE, stdout=output, stderr=output)
            assert proc.stdin is not None
            # If docker stops reading, its exit status and message say why.
            with contextlib.suppress(BrokenPipeError):
                try:
                    docker_archive.write(layout, proc.stdin, list(repo_tags), only_layers=only_layers)
                finally:
                    proc.stdin.close()
            proc.wait()
            output.seek(0)
            message = output.read().decode(errors="replace").strip()[-2000:]
        if proc.returncode != 0:
            raise LoadError(f"`docker load` failed (exit {proc.returncode}): {message}")


_KINDS: dict[str, type[Engine]] = {"podman": Podman, "docker": Docker}


def pick_engine(requested: str | None) -> tuple[Engine, str]:
    """The engine to load into and its version: `requested` (podman or docker), else podman, else docker.

    An engine counts only if its service answers: a docker CLI without a
    daemon is passed over.
    """
    names = [requested] if requested else list(_KINDS)
    problems = []
    for name in names:
        if name not in _KINDS:
            raise LoadError(f"unknown engine {name!r}: pass --engine podman or --engine docker")
        if not shutil.which(name):
            problems.append(f"{name} is not on PATH")
            continue
        engine = _KINDS[name](name)
        try:
            return engine, engine.version()
        except LoadError as error:
            problems.append(f"{name} does not answer ({error})")
    raise LoadError(
        "no container engine to load into: "
        + "; ".join(problems)
        + ". Install podman or start docker's daemon, or write a tarball instead: "
        "`tools/bazel build <target> --output_groups=tarball`"
    )

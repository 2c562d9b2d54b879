"""The seed's approach for tools/bench: seed/Dockerfile built with `podman build`.

The build context comes from Bazel (//tools/benchmark:seed_context, a tar of
context/); these helpers unpack it, build and inspect the image with podman,
and copy the pushed image out of a registry into an OCI layout, so the size
report measures it exactly as it measures ours.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import urllib.request
from pathlib import Path

from oci_layout import MANIFEST_TYPE, Descriptor, Layout, LayoutError

TAG = "localhost/docintel-seed:bench"
# The Dockerfile's LABEL: every image and stage the bench's builds leave behind.
LABEL = "org.opencontainers.image.title=docintel-seed"
# The final image's layers, bottom first (seed/Dockerfile).
LAYER_NAMES = ("rootfs", "usr/local: all deps", "app: +tests, wheels, model")


class SeedError(Exception):
    """A podman or registry step failed; the message says which."""


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    """Runs a host tool (tar, podman: from PATH); never raises on its exit status."""
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def unpack_context(tarball: Path, destination: Path) -> Path:
    """Unpacks the seed_context tar into a fresh destination; the context directory."""
    shutil.rmtree(destination, ignore_errors=True)
    destination.mkdir(parents=True)
    unpack = _run("tar", "-xzf", str(tarball), "-C", str(destination))
    if unpack.returncode != 0:
        raise SeedError(f"unpacking the seed's build context {tarball} failed: {unpack.stderr.strip()}")
    return destination / "context"


def build_command(context: Path, *, no_cache: bool) -> list[str]:
    """`podman build` of the context's Dockerfile, offline (the wheels are in the context)."""
    return ["podman", "build", "--network=none", *(["--no-cache"] if no_cache else []), "-t", TAG, str(context)]


def push_command(registry: str, repository: str) -> list[str]:
    """`podman push` of the seed image as an OCI image to a plain-HTTP registry."""
    return ["podman", "push", "--tls-verify=false", "--format=oci", TAG, f"{registry}/{repository}"]


def layer_digests() -> dict[str, str]:
    """The seed image's layers by name (LAYER_NAMES), each with its diff ID."""
    inspect = _run("podman", "image", "inspect", "--format", "{{json .RootFS.Layers}}", TAG)
    if inspect.returncode != 0:
        raise SeedError(f"podman image inspect {TAG} failed: {inspect.stderr.strip()}")
    return named_layers(json.loads(inspect.stdout))


def named_layers(diff_ids: list[str]) -> dict[str, str]:
    """{name: diff ID}, bottom first; layers past LAYER_NAMES are "layer N"."""
    return {
        LAYER_NAMES[index] if index < len(LAYER_NAMES) else f"layer {index}": diff_id
        for index, diff_id in enumerate(diff_ids)
    }


def fetch_layout(registry: str, repository: str, destination: Path) -> None:
    """Copies REGISTRY/REPOSITORY:latest (an OCI manifest) into an OCI layout directory."""
    try:
        _fetch_layout(f"http://{registry}/v2/{repository}", Layout.create(destination))
    except (OSError, ValueError, KeyError, LayoutError) as error:
        raise SeedError(f"copying {registry}/{repository}:latest out of the registry failed: {error}") from error


def _fetch_layout(base: str, layout: Layout) -> None:
    with _get(f"{base}/manifests/latest", MANIFEST_TYPE) as response:
        manifest = response.read()
    document = json.loads(manifest)
    for index, raw in enumerate([document["config"], *document["layers"]]):
        descriptor = Descriptor.from_json(raw, f"the manifest's blob {index}")
        with (
            _get(f"{base}/blobs/{descriptor.digest}") as response,
            layout.blob_path(descriptor.digest).open("wb") as out,
        ):
            shutil.copyfileobj(response, out, 1 << 20)
    layout.write_index([layout.put(MANIFEST_TYPE, manifest)])


def _get(url: str, accept: str = "*/*") -> http.client.HTTPResponse:
    """GET of a registry API URL (plain HTTP on loopback)."""
    request = urllib.request.Request(url, headers={"Accept": accept})  # noqa: S310 - http URLs we build
    response: http.client.HTTPResponse = urllib.request.urlopen(request, timeout=300)  # noqa: S310
    return response


def remove_images() -> None:
    """Removes the seed image and the stages its builds left (all carry LABEL)."""
    _run("podman", "rmi", "-f", TAG)
    _run("podman", "image", "prune", "-f", "--filter", f"label={LABEL}")

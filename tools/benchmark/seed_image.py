"""The seed's approach for tools/bench: seed/Dockerfile built with `podman build`.

The build context comes from Bazel (//tools/benchmark:seed_context, a tar of
context/); these helpers unpack it, build and inspect the image with podman,
and copy the pushed image out of a registry into an OCI layout, so the size
report measures it exactly as it measures ours.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import urllib.request
from pathlib import Path

TAG = "localhost/docintel-seed:bench"
# The Dockerfile's LABEL: every image and stage the bench's builds leave behind.
LABEL = "org.opencontainers.image.title=docintel-seed"
# The final image's layers, bottom first (seed/Dockerfile).
LAYER_NAMES = ("rootfs", "usr/local: all deps", "app: +tests, wheels, model")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


class SeedError(Exception):
    """A podman or registry step failed; the message says which."""


def unpack_context(tarball: Path, destination: Path) -> Path:
    """Unpacks the seed_context tar into a fresh destination; the context directory."""
    shutil.rmtree(destination, ignore_errors=True)
    destination.mkdir(parents=True)
    unpack = subprocess.run(["tar", "-xzf", str(tarball), "-C", str(destination)], capture_output=True, text=True)
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
    inspect = subprocess.run(
        ["podman", "image", "inspect", "--format", "{{json .RootFS.Layers}}", TAG], capture_output=True, text=True
    )
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
        _fetch_layout(f"http://{registry}/v2/{repository}", destination)
    except (OSError, ValueError, KeyError) as error:
        raise SeedError(f"copying {registry}/{repository}:latest out of the registry failed: {error}") from error


def _fetch_layout(base: str, destination: Path) -> None:
    shutil.rmtree(destination, ignore_errors=True)
    blobs = destination / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    request = urllib.request.Request(f"{base}/manifests/latest", headers={"Accept": OCI_MANIFEST})
    with urllib.request.urlopen(request, timeout=30) as response:
        manifest = response.read()
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    (blobs / digest.removeprefix("sha256:")).write_bytes(manifest)
    document = json.loads(manifest)
    for descriptor in [document["config"], *document["layers"]]:
        with (
            urllib.request.urlopen(f"{base}/blobs/{descriptor['digest']}", timeout=300) as response,
            (blobs / descriptor["digest"].removeprefix("sha256:")).open("wb") as blob,
        ):
            shutil.copyfileobj(response, blob, 1 << 20)
    index = {"schemaVersion": 2, "manifests": [{"mediaType": OCI_MANIFEST, "digest": digest, "size": len(manifest)}]}
    (destination / "index.json").write_text(json.dumps(index))
    (destination / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))


def remove_images() -> None:
    """Removes the seed image and the stages its builds left (all carry LABEL)."""
    subprocess.run(["podman", "rmi", "-f", TAG], capture_output=True)
    subprocess.run(["podman", "image", "prune", "-f", "--filter", f"label={LABEL}"], capture_output=True)

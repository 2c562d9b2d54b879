"""Real servers and small images for the push tests: a docker-registry, an nginx remote cache, image.py's metadata.

    registry = LocalRegistry.start(tmp)              # tools/oci/local_registry.sh, with metrics
    cache = NginxCache.start(tmp)                    # tools/cache/nginx_cache.sh, on the pinned nginx
    images = SmallImages.build(tmp, {"base": [...], "top": [...]})

The registry is Debian's docker-registry (the build root has it); nginx is
@nginx, run through its pinned C library's loader. Both listen on free
loopback ports and are stopped by the test's cleanup.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import image
from debian_tool import library_path, tool_command
from oci_layout import INDEX_TYPE, MANIFEST_TYPE, canonical_json
from registry_auth import RegistryAuth
from registry_client import Registry
from transfer import registry_received

LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"


def env_path(name: str) -> str:
    """An absolute path from the environment BUILD.bazel sets (runfiles paths are relative)."""
    return os.path.abspath(os.environ[name])


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalRegistry:
    """A docker-registry on loopback; `metrics` is its Prometheus endpoint."""

    directory: Path
    address: str
    metrics: str

    @classmethod
    def start(cls, directory: Path, *, read_only: bool = False, port: int | None = None) -> LocalRegistry:
        """Starts one (on `port`, or a free one); stop() stops it."""
        port, metrics_port = port or free_port(), free_port()
        command = [env_path("PUSH_TEST_LOCAL_REGISTRY"), "start", str(directory), str(port)]
        command += ["--metrics", str(metrics_port)] + (["--read-only"] if read_only else [])
        subprocess.run(command, check=True)
        return cls(directory, f"127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}/metrics")

    def stop(self) -> None:
        """Stops it."""
        subprocess.run([env_path("PUSH_TEST_LOCAL_REGISTRY"), "stop", str(self.directory)], check=False)

    def client(self) -> Registry:
        """A client of it, with no credentials."""
        return Registry(self.address, RegistryAuth({}, "none"))

    def received(self) -> int:
        """Bytes it has received so far (its request-size metric: headers and bodies), as CI counts them."""
        return registry_received(self.metrics)


@dataclass
class NginxCache:
    """nginx as Bazel's HTTP remote cache (tools/cache/nginx_cache.sh), with its access log."""

    directory: Path
    url: str

    @classmethod
    def start(cls, directory: Path) -> NginxCache:
        """Starts it on a free port; stop() stops it."""
        wrapper = directory.parent / "nginx"
        libraries = library_path(os.environ["PUSH_TEST_NGINX_LIBS"].split())
        command = tool_command(
            env_path("PUSH_TEST_NGINX"), [], loader=env_path("PUSH_TEST_NGINX_LOADER"), libraries=libraries
        )
        wrapper.write_text("#!/bin/sh\nexec " + " ".join(command) + ' "$@"\n')
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
        script = env_path("PUSH_TEST_NGINX_CACHE")
        env = {**os.environ, "NGINX_BIN": str(wrapper)}
        result = subprocess.run(
            [script, "start", str(directory), str(free_port())], check=True, env=env, capture_output=True, text=True
        )
        return cls(directory, result.stdout.strip())

    def stop(self) -> None:
        """Stops it."""
        subprocess.run([env_path("PUSH_TEST_NGINX_CACHE"), "stop", str(self.directory)], check=False)

    def put(self, digest: str, data: bytes) -> None:
        """Stores a blob as Bazel does: under cas/<sha256 hex>."""
        path = self.directory / "data" / "cas" / digest.removeprefix("sha256:")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def gets(self) -> list[str]:
        """The URIs of the GETs it served (200), in order."""
        log = (self.directory / "access.log").read_text().splitlines()
        return [line.split()[1] for line in log if line.startswith("GET ") and line.split()[2] == "200"]


@dataclass
class SmallImages:
    """Small images written by image.py into `root`, as an execution root holds them, and a push spec."""

    root: Path
    digests: dict[str, str]
    layers: dict[str, tuple[str, bytes]]  # name -> (digest, bytes)

    @classmethod
    def build(cls, root: Path, images: dict[str, tuple[str | None, list[str]]], salt: str = "") -> SmallImages:
        """`images`: name -> (base image name or None, new layer names); each layer is 200 kB of its own bytes."""
        out = root / "bin"
        out.mkdir(parents=True, exist_ok=True)
        digests: dict[str, str] = {}
        layers: dict[str, tuple[str, bytes]] = {}
        for name, (base, layer_names) in images.items():
            entries = []
            for layer in layer_names:
                data = hashlib.sha256(f"{layer}{salt}".encode()).digest() * 6400
                digest = "sha256:" + hashlib.sha256(data).hexdigest()
                layers[layer] = (digest, data)
                (out / f"{layer}.tar.gz").write_bytes(data)
                descriptor = {"mediaType": LAYER_TYPE, "digest": digest, "size": len(data), "name": layer}
                descriptor["diffID"] = "sha256:" + hashlib.sha256(b"diff" + data).hexdigest()
                (out / f"{layer}.json").write_text(json.dumps(descriptor))
                entries.append(
                    {
                        "descriptor": str(out / f"{layer}.json"),
                        "blob": str(out / f"{layer}.tar.gz"),
                        "label": f"//images:{layer}",
                    }
                )
            spec = {
                "label": f"//images:{name}",
                "layout": str(out / name),
                "layers": entries,
                "config": {"User": salt or "1"},
            }
            if base:
                spec["base"] = {key: str(out / f"{base}.{key}.json") for key in ("manifest", "config", "blobs")}
            outputs = image.Outputs(
                out / f"{name}.manifest.json", out / f"{name}.config.json", out / f"{name}.blobs.json"
            )
            digests[name] = image.build(spec, outputs)
        return cls(root, digests, layers)

    def spec(self, names: list[str], *, repository: str = "", tags: list[str] | None = None) -> Path:
        """A push spec for `names` (each to REPOSITORY/<name>), its paths relative to `root` (RUNFILES_DIR)."""
        tags_file = None
        if tags is not None:
            (self.root / "tags.txt").write_text("".join(f"{tag}\n" for tag in tags))
            tags_file = "tags.txt"
        return self._write_spec([self._image_entry(n) for n in names], repository=repository, tags_file=tags_file)

    def index_spec(self, name: str, members: list[str], *, listed: list[str] | None = None) -> tuple[Path, str]:
        """A push spec for an index `name` of `members` (linux/amd64, linux/arm64), and the index digest.

        `listed`: the images the index lists, if not `members` (a stale index).
        """
        manifests = []
        for member, architecture in zip(listed or members, ("amd64", "arm64"), strict=False):
            size = (self.root / "bin" / f"{member}.manifest.json").stat().st_size
            platform = {"os": "linux", "architecture": architecture}
            manifests.append(
                {"mediaType": MANIFEST_TYPE, "digest": self.digests[member], "size": size, "platform": platform}
            )
        index = canonical_json({"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": manifests})
        (self.root / "bin" / f"{name}.index.json").write_bytes(index)
        entry = {
            "name": name,
            "label": f"//images:{name}",
            "index": f"bin/{name}.index.json",
            "images": [self._image_entry(member) for member in members],
        }
        return self._write_spec([entry]), "sha256:" + hashlib.sha256(index).hexdigest()

    @staticmethod
    def _image_entry(name: str) -> dict[str, str]:
        return {"name": name, "manifest": f"bin/{name}.manifest.json", "blobs": f"bin/{name}.blobs.json"}

    def _write_spec(self, images: list[dict[str, Any]], *, repository: str = "", tags_file: str | None = None) -> Path:
        document = {
            "label": "//images:push",
            "repository": repository,
            "repository_attribute": repository,
            "tags_file": tags_file,
            "stable_status": None,
            "images": images,
        }
        path = self.root / "push.json"
        path.write_text(json.dumps(document))
        return path

    def remove_layer(self, layer: str) -> None:
        """Takes a layer's local output away (as --remote_download_minimal leaves it)."""
        (self.root / "bin" / f"{layer}.tar.gz").unlink()

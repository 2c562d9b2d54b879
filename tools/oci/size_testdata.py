"""Test data of the size tools: small synthetic layers and OCI layouts, and a two-image fixture."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import random
import subprocess
import tarfile
import tempfile
import unittest
from dataclasses import dataclass
from pathlib import Path

import runfiles_tool
import size_report
from oci_layout import (
    CONFIG_TYPE,
    GZIP_LAYER_TYPE,
    INDEX_TYPE,
    MANIFEST_TYPE,
    TITLE,
    ZSTD_LAYER_TYPE,
    Descriptor,
    Layout,
)

SITE = "usr/local/lib/python3.11/site-packages"
SVG = "{http://www.w3.org/2000/svg}"


def noise(size: int, seed: int) -> bytes:
    """Incompressible bytes, so compressed and uncompressed sizes are alike."""
    return random.Random(seed).randbytes(size)


def tar_bytes(files: dict[str, bytes]) -> bytes:
    """An uncompressed tar of `files` (with their parent directories)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass(frozen=True)
class Blob:
    """A layer blob ready to go into layouts: its bytes, media type and tar."""

    title: str | None
    data: bytes
    media_type: str
    tar: bytes

    @property
    def digest(self) -> str:
        """The blob's sha256 digest."""
        return "sha256:" + hashlib.sha256(self.data).hexdigest()


def layer(title: str | None, files: dict[str, bytes], media_type: str = GZIP_LAYER_TYPE) -> Blob:
    """A layer blob compressed as `media_type` says (gzip, zstd or plain tar)."""
    tar = tar_bytes(files)
    if media_type == GZIP_LAYER_TYPE:
        data = gzip.compress(tar, mtime=0)
    elif media_type == ZSTD_LAYER_TYPE:
        zstd = runfiles_tool.command("usr/bin/zstd", ["-q", "-c"])  # the pinned zstd the reader uses
        data = subprocess.run(zstd, input=tar, capture_output=True, check=True, env={}).stdout
    else:
        data = tar
    return Blob(title, data, media_type, tar)


def write_layout(directory: Path, layers: list[Blob]) -> Path:
    """An OCI image layout with `layers`, a config and a manifest, all with true digests."""
    layout = Layout.create(directory)
    layout.write_index([_put_image(layout, layers, "amd64")])
    return directory


def write_index(directory: Path, images: dict[str, list[Blob]]) -> Path:
    """An OCI image layout holding an index of one image per architecture (`amd64`, `arm64`) with its layers."""
    layout = Layout.create(directory)
    manifests = []
    for architecture, layers in images.items():
        platform = {"os": "linux", "architecture": architecture}
        manifests.append({**_put_image(layout, layers, architecture).to_json(), "platform": platform})
    index = {"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": manifests}
    layout.write_index([layout.put(INDEX_TYPE, json.dumps(index).encode())])
    return directory


def _put_image(layout: Layout, layers: list[Blob], architecture: str) -> Descriptor:
    """Puts the layers, a config for `architecture` and the manifest into `layout`; the manifest's descriptor."""
    descriptors = []
    for blob in layers:
        stored = layout.put(blob.media_type, blob.data)
        annotations = {} if blob.title is None else {TITLE: blob.title}
        descriptors.append(Descriptor(blob.media_type, stored.digest, stored.size, annotations).to_json())
    diff_ids = ["sha256:" + hashlib.sha256(blob.tar).hexdigest() for blob in layers]
    config = {"architecture": architecture, "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": layout.put(CONFIG_TYPE, json.dumps(config).encode()).to_json(),
        "layers": descriptors,
    }
    return layout.put(MANIFEST_TYPE, json.dumps(manifest).encode())


DEBIAN = layer(
    "debian",
    {
        "usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0": noise(20_000, 1),
        "usr/lib/x86_64-linux-gnu/libssl.so.3": noise(6_000, 2),
        "usr/bin/python3.11": noise(4_000, 3),
        "etc/passwd": b"root:x:0:0:root:/root:/sbin/nologin\n",
    },
)
TORCH = layer(
    "torch",
    {
        f"{SITE}/torch/lib/libtorch_cpu.so": noise(60_000, 4),
        f"{SITE}/torch/__init__.py": b"# torch\n" * 100,
        f"{SITE}/torch-2.1.0+cpu.dist-info/RECORD": noise(1_000, 5),
        f"{SITE}/numpy/core/_multiarray_umath.so": noise(9_000, 6),
        f"{SITE}/numpy-1.26.4.dist-info/METADATA": noise(500, 7),
    },
)
APP = layer("app", {"app/docintel/main.py": noise(3_000, 8), "app/docintel/api.py": noise(1_000, 9)})


class Fixture(unittest.TestCase):
    """Two images in a temp dir: base = debian + app, ml = debian + torch + app (shared)."""

    def setUp(self) -> None:
        """Writes both layouts into a fresh temporary directory."""
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.root = Path(temp.name)
        self.base = write_layout(self.root / "base", [DEBIAN, APP])
        self.ml = write_layout(self.root / "ml", [DEBIAN, TORCH, APP])

    def limits(self, **sections: object) -> Path:
        """A limits file in MB with the given sections."""
        path = self.root / "limits.json"
        path.write_text(json.dumps({"unit": "MB", **sections}))
        return path

    def run_main(self, *argv: str, limits: Path | None = None) -> tuple[int, str, str]:
        """main() in-process on both images: (exit code, stdout, stderr)."""
        images = ["--image", f"base={self.base}", "--image", f"ml={self.ml}"]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = size_report.main([*images, "--limits", str(limits or self.limits()), *argv])
        return code, out.getvalue(), err.getvalue()

    def report(self, limits: Path | None = None) -> dict[str, object]:
        """The --json report."""
        code, out, _ = self.run_main("--json", limits=limits)
        assert code == 0, out
        data: dict[str, object] = json.loads(out)
        return data

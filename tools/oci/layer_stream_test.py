"""Tests of layer_stream: a layer's tar back from gzip, zstd and plain blobs, and what it cannot read."""

from __future__ import annotations

import gzip
import io
import subprocess
import tarfile
import tempfile
import unittest
from pathlib import Path

import runfiles_tool
from layer_stream import LayerStreamError, compression_of, decompressed, image_layer_tars, layer_tar
from oci_layout import (
    CONFIG_TYPE,
    GZIP_LAYER_TYPE,
    LAYER_TYPE,
    MANIFEST_TYPE,
    ZSTD_LAYER_TYPE,
    Layout,
    canonical_json,
)

DOCKER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def tar_of(name: str) -> bytes:
    """A tar of one file, `name`."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        data = b"print('hello')\n" * 1000
        member = tarfile.TarInfo(name)
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    return out.getvalue()


def a_tar() -> bytes:
    """A tar of one file, app/main.py."""
    return tar_of("app/main.py")


def zstd(data: bytes) -> bytes:
    """`data` compressed by the pinned zstd the reader decompresses with."""
    command = runfiles_tool.command("usr/bin/zstd", ["-c"])
    return subprocess.run(command, input=data, capture_output=True, check=True, env={}).stdout


def names(media_type: str, blob: bytes) -> list[str]:
    with (
        decompressed(io.BytesIO(blob), media_type, "layer x") as stream,
        tarfile.open(fileobj=stream, mode="r|") as tar,  # type: ignore[call-overload]
    ):
        return [member.name for member in tar]


class DecompressedTest(unittest.TestCase):
    def test_media_types(self) -> None:
        self.assertEqual(
            [compression_of(t) for t in (LAYER_TYPE, GZIP_LAYER_TYPE, ZSTD_LAYER_TYPE, DOCKER_GZIP, "")],
            ["tar", "gzip", "zstd", "gzip", "tar"],
        )

    def test_gzip_and_plain(self) -> None:
        self.assertEqual(names(GZIP_LAYER_TYPE, gzip.compress(a_tar())), ["app/main.py"])
        self.assertEqual(names(DOCKER_GZIP, gzip.compress(a_tar())), ["app/main.py"])
        self.assertEqual(names(LAYER_TYPE, a_tar()), ["app/main.py"])

    def test_zstd(self) -> None:
        blob = zstd(a_tar())
        self.assertEqual(names(ZSTD_LAYER_TYPE, blob), ["app/main.py"])

    def test_a_reader_that_stops_early_still_drains_the_source(self) -> None:
        blob = zstd(a_tar())
        source = io.BytesIO(blob)
        with decompressed(source, ZSTD_LAYER_TYPE, "layer x") as stream:
            stream.read(10)
        self.assertEqual(source.tell(), len(blob))

    def test_layer_tar_reads_a_blob_file(self) -> None:
        with tempfile.TemporaryDirectory() as temp:
            blob = Path(temp) / "blob"
            blob.write_bytes(gzip.compress(a_tar()))
            with layer_tar(blob, GZIP_LAYER_TYPE, "layer x") as tar:
                self.assertEqual([member.name for member in tar], ["app/main.py"])

    def test_an_image_s_layers_bottom_first_each_by_its_media_type(self) -> None:
        with tempfile.TemporaryDirectory() as temp:
            image = Layout.create(Path(temp) / "layout")
            layers = [
                image.put(GZIP_LAYER_TYPE, gzip.compress(a_tar(), mtime=0)),
                image.put(ZSTD_LAYER_TYPE, zstd(tar_of("usr/bin/tool"))),
            ]
            manifest = {
                "schemaVersion": 2,
                "mediaType": MANIFEST_TYPE,
                "config": image.put(CONFIG_TYPE, canonical_json({"config": {}})).to_json(),
                "layers": [layer.to_json() for layer in layers],
            }
            image.write_index([image.put(MANIFEST_TYPE, canonical_json(manifest))])
            names = [[member.name for member in tar] for tar in image_layer_tars(Layout(image.path))]
        self.assertEqual(names, [["app/main.py"], ["usr/bin/tool"]])

    def test_an_unknown_compression_is_named(self) -> None:
        with self.assertRaisesRegex(LayerStreamError, r"layer x has media type '.*\+bzip2'; only tar, tar\+gzip"):
            names(LAYER_TYPE + "+bzip2", b"")


if __name__ == "__main__":
    unittest.main()

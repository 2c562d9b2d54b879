"""Tests of size_layers: measuring layers of each media type, missing titles, package grouping."""

from __future__ import annotations

import os
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import size_layers
from oci_layout import LAYER_TYPE, ZSTD_LAYER_TYPE
from size_testdata import SITE, Blob, layer, noise, write_layout


class LayerTest(unittest.TestCase):
    """Measuring layers: media types, missing titles, package grouping."""

    def measure(self, blob: Blob) -> size_layers.Contents:
        """Writes `blob` into a layout and measures it."""
        with tempfile.TemporaryDirectory() as temp:
            image = size_layers.read_images("x", write_layout(Path(temp), [blob]))[0]
            return size_layers.measure(image.layers[0])

    def test_plain_tar_and_missing_title(self) -> None:
        blob = layer(None, {"opt/tool/bin/run": b"x" * 10}, LAYER_TYPE)
        with tempfile.TemporaryDirectory() as temp:
            image = size_layers.read_images("x", write_layout(Path(temp), [blob]))[0]
        self.assertEqual(image.layers[0].name, blob.digest[7:19])
        self.assertEqual(self.measure(blob), size_layers.Contents(len(blob.tar), {"opt/tool/": 10}))

    def test_zstd_layer(self) -> None:
        blob = layer("torch", {f"{SITE}/torch/x.so": noise(5_000, 10), "usr/share/doc/a/b": b"c"}, ZSTD_LAYER_TYPE)
        packages = {"torch": 5_000, "usr/share/doc/": 1}
        self.assertEqual(self.measure(blob), size_layers.Contents(len(blob.tar), packages))

    def test_corrupt_zstd_layer_names_the_blob(self) -> None:
        good = layer("torch", {"a/b/c": noise(5_000, 11)}, ZSTD_LAYER_TYPE)
        bad = Blob("torch", good.data[:20] + bytes(len(good.data) - 20), ZSTD_LAYER_TYPE, good.tar)
        with tempfile.TemporaryDirectory() as temp:
            directory = write_layout(Path(temp), [good])
            (directory / "blobs" / "sha256" / good.digest[7:]).write_bytes(bad.data)
            image = size_layers.read_images("x", directory)[0]
            with self.assertRaisesRegex(size_layers.InputError, f"blob {good.digest} .* does not match"):
                size_layers.measure(image.layers[0])

    def test_zstd_program_missing(self) -> None:
        blob = Blob("z", b"\x28\xb5\x2f\xfd", ZSTD_LAYER_TYPE, b"")
        with tempfile.TemporaryDirectory() as temp:
            image = size_layers.read_images("x", write_layout(Path(temp), [blob]))[0]
            # Outside Bazel (no runfiles), the pinned zstd cannot be found: the error says what to do.
            missing = self.assertRaisesRegex(
                size_layers.InputError, "zstd-compressed, and no runfiles .* through Bazel"
            )
            with mock.patch.dict(os.environ, {}, clear=True), missing:
                size_layers.measure(image.layers[0])

    def test_package_of(self) -> None:
        cases = {
            f"{SITE}/torch/lib/libtorch.so": "torch",
            f"{SITE}/Jinja2-3.1.2.dist-info/RECORD": "jinja2",
            f"{SITE}/six.py": "six",
            f"{SITE}/numpy.libs/libgfortran.so": "numpy",
            "usr/lib/python3/dist-packages/yaml/__init__.py": "yaml",
            "usr/lib/x86_64-linux-gnu/libc.so.6": "usr/lib/x86_64-linux-gnu/",
            "./usr/share/zoneinfo/Etc/UTC": "usr/share/zoneinfo/",
            "usr/bin/python3.11": "usr/bin/",
            "usr/local/bin/uvicorn": "usr/local/",
            "app/docintel/api/routes.py": "app/docintel/",
            "app/main.py": "app/",
            "README": "/",
        }
        for path, package in cases.items():
            self.assertEqual(size_layers.package_of(path), package, path)


if __name__ == "__main__":
    unittest.main()

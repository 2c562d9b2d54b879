"""`bazel build //images:base` (and ml_onnx) gives an image index of exactly a linux/amd64 and a linux/arm64 image.

Each platform's image must be built for its platform all the way down: its
config says so, and its Debian layer holds that architecture's C library
(the loader's path tells them apart), so a transition that silently built
amd64 twice would fail here.

Usage (from BUILD.bazel): index_test.py NAME=LAYOUT_DIR...
"""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

from layer_stream import layer_tar
from oci_layout import Layout

INDEXES = dict(arg.split("=", 1) for arg in sys.argv[1:])
del sys.argv[1:]
PLATFORMS = ["linux/amd64", "linux/arm64/v8"]
# The dynamic loader each platform's Debian layer must hold.
LOADERS = {"amd64": "usr/lib64/ld-linux-x86-64.so.2", "arm64": "usr/lib/ld-linux-aarch64.so.1"}


class IndexTest(unittest.TestCase):
    def test_exactly_amd64_and_arm64(self) -> None:
        self.assertEqual(sorted(INDEXES), ["base", "ml_onnx"])
        for name, directory in INDEXES.items():
            self.assertEqual(Layout(Path(directory)).platforms(), PLATFORMS, name)

    def test_each_image_is_built_for_its_platform(self) -> None:
        for name, directory in INDEXES.items():
            for platform in PLATFORMS:
                image = Layout(Path(directory), platform=platform)
                architecture = image.config()["architecture"]
                self.assertEqual(f"linux/{architecture}", platform.removesuffix("/v8"), name)
                debian = image.layers()[0]
                self.assertEqual(debian.title, "debian", name)
                with layer_tar(image.blob(debian), debian.media_type, f"{name} {platform} debian") as tar:
                    names = {member.name.removeprefix("./") for member in tar}
                loader = LOADERS[architecture]
                self.assertTrue(loader in names, f"{name} {platform}: the Debian layer lacks its loader {loader}")
                others = [loader for arch, loader in LOADERS.items() if arch != architecture]
                self.assertFalse(names.intersection(others), f"{name} {platform}: another platform's loader")


if __name__ == "__main__":
    unittest.main()

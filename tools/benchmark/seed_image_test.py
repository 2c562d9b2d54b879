"""Unit tests of seed_image: layer changes, and copying an image out of a registry's HTTP API.

The registry here is a loopback HTTP server that answers the two registry API
calls fetch_layout makes (manifest, blobs); tools/bench runs the real
docker-registry.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import tempfile
import unittest
from pathlib import Path

import loopback_http
import seed_image
from oci_layout import CONFIG_TYPE, GZIP_LAYER_TYPE, MANIFEST_TYPE


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class BuildTest(unittest.TestCase):
    def test_layers_are_named_bottom_first(self) -> None:
        layers = seed_image.named_layers(["sha256:r", "sha256:d", "sha256:a", "sha256:x"])
        self.assertEqual(list(layers), [*seed_image.LAYER_NAMES, "layer 3"])
        self.assertEqual(layers[seed_image.LAYER_NAMES[1]], "sha256:d")

    def test_build_command_is_offline(self) -> None:
        command = seed_image.build_command(Path("/ctx"), no_cache=True)
        self.assertIn("--network=none", command)
        self.assertIn("--no-cache", command)
        self.assertNotIn("--no-cache", seed_image.build_command(Path("/ctx"), no_cache=False))

    def test_unpack_error_names_the_tarball(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            broken = Path(tmp) / "context.tar.gz"
            broken.write_bytes(b"not a tar")
            with self.assertRaisesRegex(seed_image.SeedError, "context.tar.gz"):
                seed_image.unpack_context(broken, Path(tmp) / "out")


class FetchLayoutTest(unittest.TestCase):
    def setUp(self) -> None:
        self.config = b'{"rootfs": {"type": "layers", "diff_ids": []}}'
        self.layer = b"\x1f\x8b" + bytes(range(256)) * 64
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {
                "mediaType": CONFIG_TYPE,
                "digest": digest(self.config),
                "size": len(self.config),
            },
            "layers": [
                {
                    "mediaType": GZIP_LAYER_TYPE,
                    "digest": digest(self.layer),
                    "size": len(self.layer),
                }
            ],
        }
        self.manifest = json.dumps(manifest).encode()
        routes = {
            "/v2/bench/seed/manifests/latest": self.manifest,
            f"/v2/bench/seed/blobs/{digest(self.config)}": self.config,
            f"/v2/bench/seed/blobs/{digest(self.layer)}": self.layer,
        }
        accepts: list[str] = []
        self.accepts = accepts

        class Registry(loopback_http.QuietHandler):
            def do_GET(self) -> None:
                accepts.append(self.headers.get("Accept", ""))
                body = routes.get(self.path)
                self.reply(200 if body is not None else 404, body or b"")

        server = loopback_http.serve(self, http.server.ThreadingHTTPServer(loopback_http.ANY_PORT, Registry))
        self.registry = loopback_http.host(server)

    def test_layout_holds_manifest_config_and_layers(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            layout = Path(tmp) / "layout"
            seed_image.fetch_layout(self.registry, "bench/seed", layout)
            index = json.loads((layout / "index.json").read_text())
            self.assertEqual(index["manifests"][0]["digest"], digest(self.manifest))
            self.assertEqual(json.loads((layout / "oci-layout").read_text()), {"imageLayoutVersion": "1.0.0"})
            for data in (self.manifest, self.config, self.layer):
                self.assertEqual((layout / "blobs" / "sha256" / digest(data)[7:]).read_bytes(), data)
        self.assertEqual(self.accepts[0], MANIFEST_TYPE)

    def test_missing_image_says_which(self) -> None:
        with tempfile.TemporaryDirectory() as tmp, self.assertRaisesRegex(seed_image.SeedError, "bench/other:latest"):
            seed_image.fetch_layout(self.registry, "bench/other", Path(tmp) / "layout")


if __name__ == "__main__":
    unittest.main()

"""Tests of oci_layout: writing a layout, reading it back, and what a broken one says."""

from __future__ import annotations

import hashlib
import json
import tempfile
import unittest
from pathlib import Path

from oci_layout import (
    CONFIG_TYPE,
    GZIP_LAYER_TYPE,
    INDEX_TYPE,
    MANIFEST_TYPE,
    TITLE,
    Descriptor,
    Layout,
    LayoutError,
    canonical_json,
)


def write_image(path: Path, layers: dict[str, bytes]) -> tuple[Layout, Descriptor]:
    """A layout with one image whose layers are `layers` (title -> bytes); its manifest descriptor."""
    layout = Layout.create(path)
    descriptors = []
    for title, data in layers.items():
        blob = layout.put(GZIP_LAYER_TYPE, data)
        descriptors.append(Descriptor(blob.media_type, blob.digest, blob.size, {TITLE: title}))
    config = layout.put(CONFIG_TYPE, canonical_json({"rootfs": {"type": "layers", "diff_ids": []}}))
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": config.to_json(),
        "layers": [d.to_json() for d in descriptors],
    }
    descriptor = layout.put(MANIFEST_TYPE, canonical_json(manifest))
    layout.write_index([descriptor])
    return layout, descriptor


class RoundTripTest(unittest.TestCase):
    def setUp(self) -> None:
        self.root = Path(self.enterContext(tempfile.TemporaryDirectory()))

    def test_written_layout_reads_back(self) -> None:
        layout, descriptor = write_image(self.root / "image", {"debian": b"d" * 100, "app": b"a" * 7})
        again = Layout(self.root / "image")
        self.assertEqual(again.manifest_descriptor(), descriptor)
        self.assertEqual([(d.title, d.size) for d in again.layers()], [("debian", 100), ("app", 7)])
        self.assertEqual(again.config()["rootfs"]["type"], "layers")
        self.assertEqual(again.blob(again.layers()[1]).read_bytes(), b"a" * 7)
        self.assertEqual(again.layers()[1].hex, hashlib.sha256(b"a" * 7).hexdigest())
        self.assertEqual(len(again.blobs()), 4)  # two layers, config, manifest
        self.assertEqual(json.loads((layout.path / "oci-layout").read_text()), {"imageLayoutVersion": "1.0.0"})
        self.assertEqual(again.index()["mediaType"], INDEX_TYPE)

    def test_same_content_same_digest(self) -> None:
        _, first = write_image(self.root / "a", {"x": b"1"})
        _, second = write_image(self.root / "b", {"x": b"1"})
        self.assertEqual(first.digest, second.digest)
        self.assertEqual(canonical_json({"b": 1, "a": [1, 2]}), b'{"a":[1,2],"b":1}')

    def test_put_file_leaves_a_blob_already_there(self) -> None:
        # Two platforms' images share a layer: the second must not write
        # through the first's hard link into the first source (read-only, as
        # Bazel's outputs are).
        first, second = self.root / "amd64.tar.gz", self.root / "arm64.tar.gz"
        for source in (first, second):
            source.write_bytes(b"the same layer")
            source.chmod(0o444)
        digest = "sha256:" + hashlib.sha256(b"the same layer").hexdigest()
        before = first.stat()
        layout = Layout.create(self.root / "index")
        layout.put_file(first, digest)
        layout.put_file(second, digest)
        after = first.stat()
        self.assertEqual((after.st_mtime_ns, after.st_mode), (before.st_mtime_ns, before.st_mode))
        self.assertEqual(layout.blob_path(digest).read_bytes(), b"the same layer")
        self.assertEqual(sorted(p.name for p in layout.blob_path(digest).parent.iterdir()), [digest[7:]])

    def test_create_empties_the_directory(self) -> None:
        write_image(self.root / "image", {"x": b"1"})
        self.assertEqual(Layout.create(self.root / "image").blobs(), [])

    def test_nested_index_is_followed(self) -> None:
        layout, manifest = write_image(self.root / "image", {"x": b"1"})
        inner = {"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": [manifest.to_json()]}
        layout.write_index([layout.put(INDEX_TYPE, canonical_json(inner))])
        self.assertEqual(Layout(layout.path).manifest_descriptor(), manifest)
        self.assertEqual([d.title for d in Layout(layout.path).layers()], ["x"])

    def test_descriptor_json_keeps_annotations_only_when_set(self) -> None:
        plain = Descriptor(CONFIG_TYPE, "sha256:" + "0" * 64, 3)
        self.assertNotIn("annotations", plain.to_json())
        titled = Descriptor.from_json({**plain.to_json(), "annotations": {TITLE: "app"}}, "x")
        self.assertEqual(titled.title, "app")


class BrokenLayoutTest(unittest.TestCase):
    def setUp(self) -> None:
        self.root = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.layout, self.manifest = write_image(self.root / "image", {"app": b"app bytes"})

    def assert_error(self, needle: str, layout: Layout | None = None) -> None:
        with self.assertRaisesRegex(LayoutError, needle):
            (layout or Layout(self.layout.path)).layers()

    def test_not_a_layout(self) -> None:
        self.assert_error("no such directory", Layout(self.root / "nope"))
        (self.root / "empty").mkdir()
        self.assert_error("not an OCI image layout", Layout(self.root / "empty"))

    def test_missing_and_short_blobs(self) -> None:
        layer = self.layout.layers()[0]
        self.layout.blob_path(layer.digest).write_bytes(b"short")
        with self.assertRaisesRegex(LayoutError, "is 5 bytes, its descriptor says 9; the blob is corrupt"):
            self.layout.blob(layer)
        self.layout.blob_path(layer.digest).unlink()
        with self.assertRaisesRegex(LayoutError, f"blob {layer.digest} of the layer 'app' is missing"):
            self.layout.blob(layer, "layer 'app'")

    def test_corrupt_manifest(self) -> None:
        path = self.layout.blob_path(self.manifest.digest)
        data = bytearray(path.read_bytes())
        data[5] ^= 0x01
        path.write_bytes(bytes(data))
        self.assert_error("does not match its digest")

    def test_bad_index(self) -> None:
        index = self.layout.path / "index.json"
        index.write_text(json.dumps({"schemaVersion": 2, "manifests": []}))
        self.assert_error("lists no manifests")
        index.write_text(json.dumps({"manifests": [{"digest": "md5:x", "size": 1}]}))
        self.assert_error(r"manifests\[0\] has no sha256 digest")
        index.write_text("{not json")
        self.assert_error("index.json is not valid JSON")
        index.unlink()
        self.assert_error("index.json is missing")


if __name__ == "__main__":
    unittest.main()

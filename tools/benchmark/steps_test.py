"""Unit tests of the steps' helpers and the host commands they run (the steps themselves run with `tools/bench`)."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from commands import BenchError, Run, host
from oci_layout import CONFIG_TYPE, GZIP_LAYER_TYPE, MANIFEST_TYPE, TITLE, Descriptor, Layout, canonical_json
from results import Push
from steps import load_change, one_line_change, push


def write_image(path: Path, layers: dict[str, bytes]) -> Path:
    """A layout whose manifest lists `layers` (title -> bytes)."""
    layout = Layout.create(path)
    descriptors = []
    for title, data in layers.items():
        blob = layout.put(GZIP_LAYER_TYPE, data)
        descriptors.append(Descriptor(blob.media_type, blob.digest, blob.size, {TITLE: title}).to_json())
    config = layout.put(CONFIG_TYPE, b"{}").to_json()
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST_TYPE, "config": config, "layers": descriptors}
    layout.write_index([layout.put(MANIFEST_TYPE, canonical_json(manifest))])
    return path


class ChangeTest(unittest.TestCase):
    def test_layer_digests_from_layouts_and_changes(self) -> None:
        root = Path(self.enterContext(tempfile.TemporaryDirectory()))
        base = write_image(root / "base", {"debian": b"d", "app": b"a1"})
        ml = write_image(root / "ml", {"debian": b"d", "app": b"a1", "torch": b"t"})
        before = one_line_change.layer_digests([base, ml])
        self.assertEqual(sorted(before), ["app", "debian", "torch"])
        write_image(root / "base", {"debian": b"d", "app": b"a2"})
        write_image(root / "ml", {"debian": b"d", "app": b"a2", "torch": b"t"})
        self.assertEqual(one_line_change.changed_layers(before, one_line_change.layer_digests([base, ml])), ("app",))
        self.assertEqual(one_line_change.changed_layers(before, {"app": "x"}), ("app", "debian", "torch"))

    def test_change_restored_on_error_and_never_doubled(self) -> None:
        path = Path(self.enterContext(tempfile.TemporaryDirectory())) / "x.py"
        path.write_text('"""doc"""\n')
        line = one_line_change.CHANGE_LINE
        with self.assertRaises(KeyboardInterrupt), one_line_change.OneLineChange(path):
            self.assertEqual(path.read_text(), '"""doc"""\n' + line)
            raise KeyboardInterrupt
        self.assertEqual(path.read_text(), '"""doc"""\n')
        path.write_text('"""doc"""\n' + line)  # left by a killed run
        with one_line_change.OneLineChange(path):
            self.assertEqual(path.read_text().count(line), 1)
        self.assertEqual(path.read_text(), '"""doc"""\n')

    def test_push_from_the_push_report(self) -> None:
        blobs = [
            {"digest": "sha256:" + "a" * 64, "size": 1000, "action": "uploaded"},
            {"digest": "sha256:" + "b" * 64, "size": 20, "action": "uploaded"},
            {"digest": "sha256:" + "c" * 64, "size": 5000, "action": "mounted"},
            {"digest": "sha256:" + "d" * 64, "size": 7000, "action": "present"},
        ]
        self.assertEqual(push.push_from_report({"blobs": blobs}, 2.0, 1100), Push(2.0, 1020, 2, 1100, 2))


class LoadOutputTest(unittest.TestCase):
    def test_copied_layers_and_reported_seconds(self) -> None:
        root = Path(self.enterContext(tempfile.TemporaryDirectory()))
        layout = Layout(write_image(root / "ml", {"torch": b"t" * 10, "app": b"a" * 3}))
        output = (
            "oci_load: docintel/ml:latest into podman 4.3.1\n"
            "  skipped torch   0.0 MB  (podman has it)\n"
            "  copied  app     0.0 MB\n"
            "oci_load: loaded docintel/ml:latest (image 0123456789ab) in 0.9 s: copied 1 layer (0.0 MB), skipped 1\n"
        )
        run = Run(2.5, "", root / "log", stdout=output)
        self.assertEqual(load_change.parse_load(run, layout), load_change.Load(2.5, 0.9, ("app",), 3))
        with self.assertRaisesRegex(BenchError, "no 'oci_load: loaded' line"):
            load_change.parse_load(Run(1.0, "ERROR: no engine", root / "log"), layout)


class HostTest(unittest.TestCase):
    def test_a_failed_helper_raises_with_its_stderr(self) -> None:
        script = ["sh", "-c", "echo 'fix: free the port' >&2; exit 3"]
        with self.assertRaisesRegex(BenchError, "failed \\(exit 3\\):\nfix: free the port"):
            host(script, check=True)
        self.assertEqual(host(script).returncode, 3)


if __name__ == "__main__":
    unittest.main()

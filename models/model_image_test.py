"""A model image holds exactly manifest.json's files of one model, in the cache layout.

    model_image_test.py IMAGE_LAYOUT MANIFEST.json MODEL_NAME

Reads the layers from the OCI layout (through tools/oci/oci_layout.py): every
regular file must be `models/<name>/<revision>/<path>` of a manifest entry with
its size and sha256, every manifest file must be there, and the directories
must belong to the service's user so a volume seeded from the image stays
writable for it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tarfile
import unittest
from pathlib import Path
from typing import IO, Any

from layer_stream import image_layer_tars
from oci_layout import Layout

SERVICE_UID = 65532


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def image_members(path: Path) -> dict[str, tuple[tarfile.TarInfo, str | None]]:
    """Path -> (tar header, sha256 of a regular file's bytes) over all layers."""
    members: dict[str, tuple[tarfile.TarInfo, str | None]] = {}
    for tar in image_layer_tars(Layout(path)):
        for info in tar:
            data = tar.extractfile(info) if info.isfile() else None
            members[info.name.rstrip("/")] = (info, _sha256(data) if data else None)
    return members


def expected_files(manifest: dict[str, Any], model: str) -> dict[str, tuple[int, str]]:
    """Image path -> (size, sha256) of every file of `model` in the manifest."""
    spec = next(m for m in manifest["models"] if m["name"] == model)
    root = f"models/{spec['name']}/{spec['revision']}"
    return {f"{root}/{f['path']}": (f["size"], f["sha256"]) for f in spec["files"]}


class ModelImageTest(unittest.TestCase):
    """Compares the image's layers with the manifest's entry for the model."""

    layout: Path
    manifest: dict[str, Any]
    model: str
    members: dict[str, tuple[tarfile.TarInfo, str | None]]
    expected: dict[str, tuple[int, str]]

    @classmethod
    def setUpClass(cls) -> None:
        """Reads the image once for all tests."""
        cls.members = image_members(cls.layout)
        cls.expected = expected_files(cls.manifest, cls.model)

    def test_files_are_the_manifest_files(self) -> None:
        """No file is missing, none is extra (README.md, data_config.json stay out)."""
        files = {path for path, (info, _) in self.members.items() if not info.isdir()}
        self.assertEqual(files, set(self.expected))

    def test_files_match_size_and_sha256(self) -> None:
        """Each file is the one the manifest pins."""
        for path, (size, sha256) in self.expected.items():
            info, digest = self.members[path]
            self.assertEqual((info.size, digest), (size, sha256), path)

    def test_directories_belong_to_the_service_user(self) -> None:
        """A volume seeded from the image lets the service write its lock and marker."""
        for path, (info, _) in self.members.items():
            if info.isdir():
                self.assertEqual((info.uid, info.gid), (SERVICE_UID, SERVICE_UID), path)


if __name__ == "__main__":
    ModelImageTest.layout = Path(sys.argv[1])
    ModelImageTest.manifest = json.loads(Path(sys.argv[2]).read_text())
    ModelImageTest.model = sys.argv[3]
    unittest.main(argv=sys.argv[:1])

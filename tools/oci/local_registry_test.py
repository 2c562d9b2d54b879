"""LocalRegistry against the real docker-registry: a blob pushed is stored and counted, read-only refuses one."""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
import unittest
import urllib.error
import urllib.request
from pathlib import Path

from local_registry import LocalRegistry, LocalRegistryError

DATA = b"a layer's bytes " * 4096


def push_blob(address: str, data: bytes) -> None:
    """A monolithic blob upload (POST, then PUT with the digest), as the distribution spec describes it."""
    start = urllib.request.Request(f"http://{address}/v2/team/app/blobs/uploads/", method="POST")
    with urllib.request.urlopen(start, timeout=30) as answer:
        location = answer.headers["Location"]
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    upload = f"{location}{'&' if '?' in location else '?'}digest={digest}"
    if upload.startswith("/"):
        upload = f"http://{address}{upload}"
    put = urllib.request.Request(upload, data=data, method="PUT")
    put.add_header("Content-Type", "application/octet-stream")
    with urllib.request.urlopen(put, timeout=30) as answer:
        assert answer.status == 201, answer.status


class LocalRegistryTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = Path(self.enterContext(tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR"))))

    def test_a_pushed_blob_is_stored_and_its_bytes_counted(self) -> None:
        registry = LocalRegistry.start(self.tmp / "registry", metrics=True)
        self.addCleanup(registry.stop)
        self.assertEqual((registry.blobs(), registry.stored_bytes()), (0, 0))
        push_blob(registry.address, DATA)
        self.assertEqual(registry.blobs(), 1)
        self.assertGreaterEqual(registry.stored_bytes(), len(DATA))
        self.assertGreaterEqual(registry.received(), len(DATA))

    def test_read_only_refuses_a_push_and_received_needs_metrics(self) -> None:
        registry = LocalRegistry.start(self.tmp / "registry", read_only=True)
        self.addCleanup(registry.stop)
        with self.assertRaises(urllib.error.HTTPError):
            push_blob(registry.address, DATA)
        self.assertEqual(registry.blobs(), 0)
        with self.assertRaisesRegex(LocalRegistryError, "started without metrics"):
            registry.received()

    def test_a_port_another_program_holds_is_an_error_not_a_registry(self) -> None:
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            port = holder.getsockname()[1]
            with self.assertRaisesRegex(LocalRegistryError, r"(?s)address already in use.*did not start"):
                LocalRegistry.start(self.tmp / "registry", port=port)

    def test_a_registry_that_cannot_start_says_why(self) -> None:
        with self.assertRaisesRegex(LocalRegistryError, r"(?s)nonsense.*did not start"):
            LocalRegistry.start(self.tmp / "registry", auth="{nonsense: {}}")


if __name__ == "__main__":
    unittest.main()

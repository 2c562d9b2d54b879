"""NginxCache on the real (pinned) nginx: what Bazel PUTs is served and counted; a start that cannot listen says why."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import tempfile
import unittest
import urllib.request
from pathlib import Path

from nginx_cache import NginxCache, NginxCacheError
from pinned_nginx import start_cache, wrapper

BLOB = b"an action's output " * 1000


class NginxCacheTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = Path(self.enterContext(tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR"))))

    def test_a_put_blob_is_served_and_its_get_and_bytes_counted(self) -> None:
        cache = start_cache(self.tmp / "cache")
        self.addCleanup(cache.stop)
        uri = "/cas/" + hashlib.sha256(BLOB).hexdigest()
        put = urllib.request.Request(cache.url + uri, data=BLOB, method="PUT")
        with urllib.request.urlopen(put, timeout=30) as answer:
            self.assertIn(answer.status, (201, 204))
        with urllib.request.urlopen(cache.url + uri, timeout=30) as answer:
            self.assertEqual(answer.read(), BLOB)
        self.assertEqual(cache.stored_bytes(), len(BLOB))
        self.assertEqual(cache.gets(at_least=1), [uri])

    def test_a_blob_put_into_its_directory_is_served(self) -> None:
        cache = start_cache(self.tmp / "cache")
        self.addCleanup(cache.stop)
        digest = "sha256:" + hashlib.sha256(b"seeded").hexdigest()
        cache.put(digest, b"seeded")
        with urllib.request.urlopen(f"{cache.url}/cas/{digest.removeprefix('sha256:')}", timeout=30) as answer:
            self.assertEqual(answer.read(), b"seeded")

    def test_a_port_another_program_holds_is_an_error_not_a_cache(self) -> None:
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            with self.assertRaisesRegex(NginxCacheError, r"(?s)Address already in use.*nginx did not start"):
                start_cache(self.tmp / "cache", port=holder.getsockname()[1])

    def test_no_nginx_says_what_to_install(self) -> None:
        with self.assertRaisesRegex(NginxCacheError, "apt-get install -y nginx-light"):
            NginxCache.start(self.tmp / "cache", nginx=self.tmp / "no-such-nginx")

    def test_the_wrapper_runs_the_pinned_nginx(self) -> None:
        version = subprocess.run([wrapper(self.tmp / "bin"), "-v"], capture_output=True, text=True, check=True)
        self.assertRegex(version.stderr, r"^nginx version: nginx/\d")


if __name__ == "__main__":
    unittest.main()

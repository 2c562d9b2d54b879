"""The registry client against a small HTTP server of the test's own, for answers docker-registry does not give.

A registry whose storage is S3 or GCS answers a HEAD of a blob it has with a
redirect to the storage; the local docker-registry (filesystem storage) never
does.
"""

from __future__ import annotations

import http.server
import unittest

import loopback_http
from registry_auth import RegistryAuth
from registry_client import Registry, RegistryError

DIGEST = "sha256:" + "ab" * 32


class Handler(loopback_http.QuietHandler):
    """Answers HEAD /v2/team/app/blobs/<digest> with the status the server holds."""

    server: Server

    def do_HEAD(self) -> None:
        redirect = 300 <= self.server.status < 400
        self.reply(
            self.server.status,
            headers={"Location": f"https://storage.example/blobs/{DIGEST}?signature=x"} if redirect else None,
        )


class Server(http.server.ThreadingHTTPServer):
    status = 200


class HasBlobTest(unittest.TestCase):
    def setUp(self) -> None:
        self.server = loopback_http.serve(self, Server(loopback_http.ANY_PORT, Handler))
        self.client = Registry(loopback_http.host(self.server), RegistryAuth({}, "config.json"))

    def has_blob(self, status: int) -> bool:
        self.server.status = status
        return self.client.has_blob("team/app", DIGEST)

    def test_a_redirect_to_the_storage_means_present(self) -> None:
        for status in (301, 302, 303, 307, 308):
            with self.subTest(status=status):
                self.assertTrue(self.has_blob(status))

    def test_ok_and_not_found(self) -> None:
        self.assertTrue(self.has_blob(200))
        self.assertFalse(self.has_blob(404))

    def test_another_answer_is_an_error(self) -> None:
        with self.assertRaisesRegex(RegistryError, rf"refused to say whether team/app has {DIGEST}: 500"):
            self.has_blob(500)


if __name__ == "__main__":
    unittest.main()

"""loopback_http: a handler's reply reaches a real client, and the server is gone once the test ends."""

from __future__ import annotations

import http.server
import unittest
import urllib.error
import urllib.request

import loopback_http


class Teapot(loopback_http.QuietHandler):
    def do_GET(self) -> None:
        self.reply(418, b"short and stout", {"Content-Type": "text/plain"})


class LoopbackHttpTest(unittest.TestCase):
    def test_a_reply_reaches_the_client_and_the_server_stops_with_the_test(self) -> None:
        inner = unittest.TestCase()
        server = loopback_http.serve(inner, http.server.ThreadingHTTPServer(loopback_http.ANY_PORT, Teapot))
        url = f"http://{loopback_http.host(server)}/pot"
        with self.assertRaises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(url, timeout=10)
        self.assertEqual(answer.exception.code, 418)
        self.assertEqual(answer.exception.headers["Content-Type"], "text/plain")
        self.assertEqual(answer.exception.headers["Content-Length"], "15")
        self.assertEqual(answer.exception.read(), b"short and stout")
        inner.doCleanups()
        with self.assertRaises(urllib.error.URLError):
            urllib.request.urlopen(url, timeout=10)


if __name__ == "__main__":
    unittest.main()

"""Unit tests of e2e.py's waiting and checking.

The service here is a loopback HTTP stand-in answering /readyz and the two API
calls with fixed JSON: the real service runs in .ci/registry_roundtrip.sh,
deploy/smoke_test.sh and tools/bench, which all call e2e.py.
"""

from __future__ import annotations

import http.server
import json
import time
import unittest

import e2e
import loopback_http


class StandIn(loopback_http.QuietHandler):
    """Answers like the service: /readyz after `ready_after` seconds, ingests, a ranking for every search."""

    started = 0.0
    ready_after = 0.0
    ranking: tuple[str, ...] = ("cats", "tax", "rust")
    ingested: list[str] = []

    def do_GET(self) -> None:
        ready = self.path == "/readyz" and time.monotonic() - self.started >= self.ready_after
        self.answer(200 if ready else 503, {})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/v1/documents":
            StandIn.ingested.append(body["id"])
            self.answer(201, {"id": body["id"], "chunks": 1})
        else:
            hits = [{"document_id": d, "score": 0.9 - i / 10} for i, d in enumerate(self.ranking)]
            self.answer(200, {"hits": hits})

    def answer(self, status: int, body: object) -> None:
        self.reply(status, json.dumps(body).encode())


class E2ETest(unittest.TestCase):
    def setUp(self) -> None:
        StandIn.started, StandIn.ready_after, StandIn.ingested = time.monotonic(), 0.3, []
        StandIn.ranking = ("cats", "tax", "rust")
        server = loopback_http.serve(self, http.server.ThreadingHTTPServer(loopback_http.ANY_PORT, StandIn))
        self.url = "http://" + loopback_http.host(server)

    def test_waits_until_ready(self) -> None:
        took = e2e.wait_ready(self.url, timeout=10)
        self.assertGreaterEqual(took, 0.2)
        self.assertEqual(e2e.http_status(self.url + "/readyz"), 200)

    def test_gives_up_after_the_timeout(self) -> None:
        StandIn.ready_after = 60
        with self.assertRaisesRegex(e2e.E2EError, r"/readyz did not answer 200 within 0 s"):
            e2e.wait_ready(self.url, timeout=0.3)

    def test_nothing_listening(self) -> None:
        self.assertIsNone(e2e.http_status("http://127.0.0.1:1/readyz", timeout=0.5))

    def test_check_ingests_and_wants_cats_first(self) -> None:
        hits = e2e.check(self.url, "which pet hunts rodents?")
        self.assertEqual([hit.document_id for hit in hits], ["cats", "tax", "rust"])
        self.assertEqual(StandIn.ingested, [document["id"] for document in e2e.DOCUMENTS])
        StandIn.ranking = ("tax", "cats")
        with self.assertRaisesRegex(e2e.E2EError, r"expected 'cats' first, got tax 0\.900, cats 0\.800"):
            e2e.check(self.url, "which pet hunts rodents?")

    def test_loaded_image_names(self) -> None:
        self.assertEqual(
            e2e.loaded_image("Getting image source signatures\nLoaded image: docintel/minilm:latest\n"),
            "docintel/minilm:latest",
        )
        self.assertEqual(e2e.loaded_image("Loaded image(s): localhost/a:1,localhost/b:2"), "localhost/a:1")
        with self.assertRaisesRegex(e2e.E2EError, "named no image"):
            e2e.loaded_image("Error: nothing")


if __name__ == "__main__":
    unittest.main()

"""Tests of transfer.py: the cache's access log split into blob bytes, other bytes and bytes added."""

from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path

import transfer

BLOB = "a" * 64
OTHER = "b" * 64


class CacheTrafficTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = Path(self.enterContext(tempfile.TemporaryDirectory()))
        self.log = self.tmp / "access.log"
        self.log.write_text(
            f"GET /cas/{BLOB} 200 999 80\n"  # before the mark
            f"GET /cas/{BLOB} 200 1000 80\n"
            f"GET /cas/{OTHER} 200 20 80\n"
            f"GET /ac/{OTHER} 200 300 80\n"
            f"GET /cas/{BLOB} 404 150 80\n"
            f"PUT /cas/{OTHER} 201 0 5000\n"
            "HEAD / 200 - 70\n"
            "garbage\n"
        )

    def test_blobs_others_and_puts_after_the_mark(self) -> None:
        traffic = transfer.cache_traffic(self.log, since=1, blobs=frozenset({BLOB}))
        self.assertEqual(traffic, transfer.CacheTraffic(blob_bytes=1150, other_bytes=320, added_bytes=5000))

    def test_lines_are_the_mark(self) -> None:
        self.assertEqual(transfer.log_lines(self.log), 8)
        self.assertEqual(transfer.log_lines(self.tmp / "absent.log"), 0)
        nothing = transfer.cache_traffic(self.log, since=8, blobs=frozenset({BLOB}))
        self.assertEqual(nothing, transfer.CacheTraffic(0, 0, 0))

    def test_report_blobs_are_hex_digests(self) -> None:
        report = self.tmp / "report.json"
        report.write_text(json.dumps({"blobs": [{"digest": f"sha256:{BLOB}"}, {"digest": f"sha256:{BLOB}"}]}))
        self.assertEqual(transfer.report_blobs(report), frozenset({BLOB}))

    def test_tree_bytes_counts_files_not_links(self) -> None:
        (self.tmp / "d").mkdir()
        (self.tmp / "d" / "f").write_bytes(b"12345")
        (self.tmp / "d" / "link").symlink_to(self.log)
        self.assertEqual(transfer.tree_bytes(self.tmp / "d"), 5)


if __name__ == "__main__":
    unittest.main()

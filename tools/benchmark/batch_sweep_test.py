"""batch_sweep: its batch sizes parsed, the best of the rounds, and the table (no container runs here)."""

from __future__ import annotations

import argparse
import unittest

import batch_sweep
from batch_sweep import Point


class BatchSweepTest(unittest.TestCase):
    def test_batch_sizes_are_whole_numbers_of_at_least_one(self) -> None:
        self.assertEqual(batch_sweep.batch_sizes("4,8,16"), [4, 8, 16])
        for wrong in ("", "8,x", "0,8", "-1"):
            with self.subTest(wrong=wrong), self.assertRaisesRegex(argparse.ArgumentTypeError, "at least 1"):
                batch_sweep.batch_sizes(wrong)

    def test_the_best_round_counts(self) -> None:
        rounds = [
            {"texts_per_second": 110.0, "query_p50_ms": 2.5, "peak_rss_bytes": 236e6},
            {"texts_per_second": 126.0, "query_p50_ms": 2.3, "peak_rss_bytes": 235e6},
        ]
        self.assertEqual(batch_sweep.best(8, rounds), Point(8, 126.0, 2.3, 235e6))

    def test_the_table_compares_each_size_with_the_largest(self) -> None:
        table = batch_sweep.render([Point(8, 126.0, 2.3, 235e6), Point(64, 105.0, 2.4, 551e6)])
        self.assertEqual(
            table.splitlines()[2:],
            [
                "| 8 | 126.0 | 1.20x | 235 MB | -316 MB | 2.3 ms |",
                "| 64 | 105.0 | 1.00x | 551 MB | +0 MB | 2.4 ms |",
            ],
        )


if __name__ == "__main__":
    unittest.main()

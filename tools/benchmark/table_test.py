"""Unit tests of the bench's log parsing (bazel_log.py) and its table's formatting (table.py)."""

from __future__ import annotations

import unittest

import table
from bazel_log import Processes, packages_loaded, parse_elapsed, parse_processes


class ParseProcessesTest(unittest.TestCase):
    def test_local_build(self) -> None:
        log = (
            "INFO: Elapsed time: 114.835s, Critical Path: 39.28s\n"
            "INFO: 31 processes: 20 internal, 11 processwrapper-sandbox.\n"
        )
        info = parse_processes(log)
        self.assertEqual(info, Processes(31, {"internal": 20, "processwrapper-sandbox": 11}))
        assert info is not None
        self.assertEqual((info.executed, info.local), (11, 11))
        self.assertEqual(parse_elapsed(log), 114.835)

    def test_remote_cache_hits_and_thousands(self) -> None:
        info = parse_processes("INFO: 1,234 processes: 1,200 remote cache hit, 30 internal, 4 linux-sandbox.\n")
        assert info is not None
        self.assertEqual((info.total, info.executed, info.local, info.cache_hits), (1234, 1204, 4, 1200))
        self.assertEqual(table.actions(info), "1234 actions, 4 run, 1200 cache hits")

    def test_singular_and_last_line_wins(self) -> None:
        info = parse_processes("INFO: 9 processes: 9 internal.\nINFO: 1 process: 1 internal.\n")
        self.assertEqual(info, Processes(1, {"internal": 1}))
        self.assertEqual(table.actions(info), "1 action, 0 run")

    def test_packages_loaded(self) -> None:
        log = (
            "INFO: Analyzed 3 targets (159 packages loaded, 29774 targets configured).\n"
            "INFO: Analyzed 3 targets (2 packages loaded, 655 targets configured).\n"
        )
        self.assertEqual(packages_loaded(log), 2)
        self.assertEqual(packages_loaded("INFO: Analyzed target //a:b (1 package loaded)."), 1)
        self.assertEqual(packages_loaded(""), 0)

    def test_no_line(self) -> None:
        self.assertIsNone(parse_processes("ERROR: build failed\n"))
        self.assertEqual(table.actions(None), "? actions")


class FormatTest(unittest.TestCase):
    def test_units_and_ratio(self) -> None:
        self.assertEqual(table.mb(50_500), "50.5 kB")
        self.assertEqual(table.mb(1_440_700_000), "1,440.7 MB")
        self.assertEqual(table.ratio(1440.7, 249.4), "5.8x")
        self.assertEqual(table.ratio(1053.2, 0.055), "19,149x")
        self.assertEqual(table.ratio(None, 1), "")
        self.assertEqual(table.ratio(1, 0), "")
        self.assertEqual(table.count_word(3), "three")
        self.assertEqual(table.count_word(12), "12")

    def test_median(self) -> None:
        self.assertEqual(table.median_text(9.4, [9.1, 9.4, 10.2]), "9.4 s (median of 3: 9.1-10.2 s)")
        self.assertEqual(table.median_text(9.4, [9.4]), "9.4 s")

    def test_table_is_aligned(self) -> None:
        rendered = table.render_table([table.Row("SIZES"), table.Row("ml, compressed", "225.0 MB", "678.3 MB", "3.0x")])
        lines = rendered.splitlines()
        self.assertEqual(len({len(line) for line in lines}), 1, rendered)
        self.assertIn("| ml, compressed |", rendered.replace("  ", " ").replace("  ", " "))
        self.assertTrue(lines[3].startswith("| SIZES "))


if __name__ == "__main__":
    unittest.main()

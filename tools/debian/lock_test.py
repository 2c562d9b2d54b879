"""Tests of lock.py's suite check: a lock for one suite never pins another's packages."""

from __future__ import annotations

import unittest

import lock

MADISON = """\
redis-server |  5:8.0.6-3 | http://mirror.invalid/debian sid/main amd64 Packages
   libssl3 | 3.0.22-1~deb12u2 | http://mirror.invalid/debian-security bookworm-security/main amd64 Packages
   libssl3 | 3.0.20-1~deb12u2 | http://mirror.invalid/debian bookworm/main amd64 Packages
"""


def entry(name: str, version: str) -> dict[str, str | int]:
    return {"name": name, "version": version}


class SuiteTest(unittest.TestCase):
    def test_security_and_updates_count_as_their_suite(self) -> None:
        suites = lock.madison_suites(MADISON)
        self.assertEqual(suites[("libssl3", "3.0.22-1~deb12u2")], {"bookworm"})
        self.assertEqual(suites[("redis-server", "5:8.0.6-3")], {"sid"})

    def test_candidates_of_the_suite_pass(self) -> None:
        lock.check_suite([entry("redis-server", "5:8.0.6-3")], "sid", MADISON)
        lock.check_suite([entry("libssl3", "3.0.22-1~deb12u2")], "bookworm", MADISON)

    def test_candidates_of_another_suite_are_refused(self) -> None:
        with self.assertRaisesRegex(SystemExit, r"libssl3 3\.0\.22-1~deb12u2 \(bookworm\)"):
            lock.check_suite([entry("libssl3", "3.0.22-1~deb12u2")], "sid", MADISON)

    def test_a_version_apt_does_not_offer_is_refused(self) -> None:
        with self.assertRaisesRegex(SystemExit, r"redis-server 5:7\.0\.15 \(no suite\)"):
            lock.check_suite([entry("redis-server", "5:7.0.15")], "sid", MADISON)


if __name__ == "__main__":
    unittest.main()

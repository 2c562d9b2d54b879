"""Tests of runfiles_tool: a pinned program found in the test's runfiles runs on the pinned C library."""

from __future__ import annotations

import os
import subprocess
import unittest
from unittest import mock

import runfiles_tool


class CommandTest(unittest.TestCase):
    def test_the_pinned_zstd_runs_through_the_pinned_loader(self) -> None:
        command = runfiles_tool.command("usr/bin/zstd", ["--version"])
        loader, _, _, libraries, program, *_ = command
        self.assertTrue(loader.endswith(runfiles_tool.LOADER), loader)
        self.assertTrue(program.endswith("/usr/bin/zstd"), program)
        root = loader.removesuffix(runfiles_tool.LOADER)
        self.assertTrue(program.startswith(root), (root, program))
        self.assertEqual(libraries.split(":"), [root + d for d in runfiles_tool.LIBRARY_DIRECTORIES])
        for directory in libraries.split(":"):
            self.assertTrue(os.path.isdir(directory), directory)
        version = subprocess.run(command, capture_output=True, text=True, check=True, env={})
        self.assertIn("Zstandard", version.stdout)

    def test_a_program_the_target_does_not_list_is_named(self) -> None:
        with self.assertRaisesRegex(
            runfiles_tool.MissingRunfileError,
            r"@debian_build_tools's usr/bin/pigz is not in the runfiles: add it to the data of the target",
        ):
            runfiles_tool.command("usr/bin/pigz", ["-dc"])

    def test_without_runfiles_it_says_to_run_through_bazel(self) -> None:
        with (
            mock.patch.dict(os.environ, {}, clear=True),
            self.assertRaisesRegex(runfiles_tool.MissingRunfileError, r"run this through Bazel"),
        ):
            runfiles_tool.command("usr/bin/zstd", ["-dc"])


if __name__ == "__main__":
    unittest.main()

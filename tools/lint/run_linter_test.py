"""run_linter.py with the real, pinned linters: a planted violation of each fails
and is named by file and rule; a clean file passes; --fix rewrites in place.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import unittest
from pathlib import Path

import run_linter

RUFF = os.environ["RUFF"]
BUILDIFIER = os.environ["BUILDIFIER"]
# shellcheck runs on the pinned C library, like the gate.
SHELLCHECK = ["shellcheck", "--tool", os.environ["SHELLCHECK"], "--loader", os.environ["SHELLCHECK_LOADER"]]
SHELLCHECK += ["--libraries", *os.environ["SHELLCHECK_LIBRARIES"].split()]
RUFF_CONFIG = os.environ["RUFF_CONFIG"]


class RunLinterTest(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = Path(self.enterContext(tempfile.TemporaryDirectory()))

    def write(self, name: str, text: str) -> str:
        path = self.dir / name
        path.write_text(text)
        return str(path)

    def lint(self, *argv: str) -> tuple[int, str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = run_linter.main(list(argv))
        return code, out.getvalue()

    def test_ruff_names_file_and_rule_of_a_planted_violation(self) -> None:
        bad = self.write("bad.py", '"""Doc."""\n\nimport os\n\nx=1\n')
        code, out = self.lint("ruff", "--tool", RUFF, "--config", RUFF_CONFIG, "--", bad)
        self.assertEqual(code, 1)
        self.assertIn(f"{bad}: F401, unformatted", out)
        self.assertIn("ruff: 2 finding(s) in 1 file(s)", out)
        self.assertIn("fix: ", out)

    def test_ruff_passes_a_clean_file(self) -> None:
        good = self.write("good.py", '"""Doc."""\n\nX = 1\n')
        code, out = self.lint("ruff", "--tool", RUFF, "--config", RUFF_CONFIG, "--", good)
        self.assertEqual(code, 0, out)

    def test_ruff_fix_rewrites_the_file(self) -> None:
        bad = self.write("bad.py", '"""Doc."""\n\nimport os\n\nx=1\n')
        self.lint("ruff", "--fix", "--tool", RUFF, "--config", RUFF_CONFIG, "--", bad)
        self.assertEqual(Path(bad).read_text(), '"""Doc."""\n\nx = 1\n')

    def test_mypy_strict_names_file_and_error_code(self) -> None:
        config = self.write("mypy.toml", "[tool.mypy]\nstrict = true\n")
        bad = self.write("bad.py", "def double(x):\n    return 2 * x\n")
        code, out = self.lint("mypy", "--config", config, "--", bad)
        self.assertEqual(code, 1)
        self.assertIn(f"{bad}: no-untyped-def", out)

    def test_buildifier_names_warning_and_reformat(self) -> None:
        bad = self.write("BUILD.bazel", 'load("//x:y.bzl", "unused")\nfilegroup(name="a")\n')
        code, out = self.lint("buildifier", "--tool", BUILDIFIER, "--", bad)
        self.assertEqual(code, 1)
        self.assertIn(f"{bad}: load, reformat", out)

    def test_buildifier_fix_reformats(self) -> None:
        bad = self.write("BUILD.bazel", 'filegroup(name="a")\n')
        self.lint("buildifier", "--fix", "--tool", BUILDIFIER, "--", bad)
        self.assertEqual(Path(bad).read_text(), 'filegroup(name = "a")\n')

    def test_shellcheck_runs_on_its_own_c_library_and_names_the_code(self) -> None:
        bad = self.write("bad.sh", "#!/usr/bin/env bash\necho $1\n")
        code, out = self.lint(*SHELLCHECK, "--", bad)
        self.assertEqual(code, 1)
        self.assertIn(f"{bad}: SC2086", out)

    def test_shellcheck_passes_a_clean_script(self) -> None:
        good = self.write("good.sh", '#!/usr/bin/env bash\necho "$1"\n')
        code, out = self.lint(*SHELLCHECK, "--", good)
        self.assertEqual(code, 0, out)

    def test_a_failure_without_findings_still_fails(self) -> None:
        code, out = self.lint("buildifier", "--tool", BUILDIFIER, "--", str(self.dir / "missing.bzl"))
        self.assertEqual(code, 1)
        self.assertIn("failed without naming a file", out)


if __name__ == "__main__":
    unittest.main()

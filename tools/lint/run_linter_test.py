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


def gate_args(linter: str) -> list[str]:
    """run_linter.py's arguments before the files, as `linter`'s gate has them (LINT_<LINTER>, lint_runner_test)."""
    return [linter, *os.environ[f"LINT_{linter.upper()}"].split()]


RUFF = gate_args("ruff")
BUILDIFIER = gate_args("buildifier")
# shellcheck runs on the pinned C library, like the gate.
SHELLCHECK = gate_args("shellcheck")


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

    def assert_finding(self, gate: list[str], name: str, text: str, finding: str) -> str:
        """Lints a file `name` holding `text` the way `gate` does: it fails and names the file and `finding`."""
        bad = self.write(name, text)
        code, out = self.lint(*gate, "--", bad)
        self.assertEqual(code, 1)
        self.assertIn(f"{bad}: {finding}", out)
        return out

    def assert_clean(self, gate: list[str], name: str, text: str) -> None:
        """Lints a file `name` holding `text` the way `gate` does: it passes."""
        code, out = self.lint(*gate, "--", self.write(name, text))
        self.assertEqual(code, 0, out)

    def assert_fixed(self, gate: list[str], name: str, text: str, fixed: str) -> None:
        """`gate`'s --fix rewrites a file `name` holding `text` to `fixed`."""
        bad = self.write(name, text)
        self.lint(*gate, "--fix", "--", bad)
        self.assertEqual(Path(bad).read_text(), fixed)

    def test_ruff_names_file_and_rule_of_a_planted_violation(self) -> None:
        out = self.assert_finding(RUFF, "bad.py", '"""Doc."""\n\nimport os\n\nx=1\n', "F401, unformatted")
        self.assertIn("ruff: 2 finding(s) in 1 file(s)", out)
        self.assertIn("fix: ", out)

    def test_ruff_passes_a_clean_file(self) -> None:
        self.assert_clean(RUFF, "good.py", '"""Doc."""\n\nX = 1\n')

    def test_ruff_fix_rewrites_the_file(self) -> None:
        self.assert_fixed(RUFF, "bad.py", '"""Doc."""\n\nimport os\n\nx=1\n', '"""Doc."""\n\nx = 1\n')

    def test_mypy_strict_names_file_and_error_code(self) -> None:
        mypy = ["mypy", "--config", self.write("mypy.toml", "[tool.mypy]\nstrict = true\n")]
        self.assert_finding(mypy, "bad.py", "def double(x):\n    return 2 * x\n", "no-untyped-def")

    def test_buildifier_names_warning_and_reformat(self) -> None:
        bad = 'load("//x:y.bzl", "unused")\nfilegroup(name="a")\n'
        self.assert_finding(BUILDIFIER, "BUILD.bazel", bad, "load, reformat")

    def test_buildifier_fix_reformats(self) -> None:
        self.assert_fixed(BUILDIFIER, "BUILD.bazel", 'filegroup(name="a")\n', 'filegroup(name = "a")\n')

    def test_shellcheck_runs_on_its_own_c_library_and_names_the_code(self) -> None:
        self.assert_finding(SHELLCHECK, "bad.sh", "#!/usr/bin/env bash\necho $1\n", "SC2086")

    def test_shellcheck_passes_a_clean_script(self) -> None:
        self.assert_clean(SHELLCHECK, "good.sh", '#!/usr/bin/env bash\necho "$1"\n')

    def structure(self, files: dict[str, str]) -> tuple[int, str]:
        """The structure gate over `files` (path -> text) under an import root `src`."""
        config = self.write("pyproject.toml", '[tool.mypy]\nmypy_path = ["$MYPY_CONFIG_FILE_DIR/src"]\n')
        paths = []
        for name, text in files.items():
            path = self.dir / "src" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            paths.append(str(path))
        return self.lint("structure", "--config", config, "--", *paths)

    def test_structure_names_an_import_cycle_hidden_in_a_function_or_type_checking(self) -> None:
        hidden = {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n",
            "pkg/b.py": "def f():\n    from . import c\n",
            "pkg/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import X\n",
        }
        code, out = self.structure(hidden)
        self.assertEqual(code, 1)
        src = self.dir / "src" / "pkg"
        self.assertIn(f"{src}/a.py:1: import-cycle: {src}/a.py -> {src}/b.py -> {src}/c.py -> {src}/a.py", out)
        self.assertIn("structure: 1 finding(s) in 1 file(s)", out)

    def test_structure_passes_imports_that_go_one_way(self) -> None:
        one_way = {"pkg/__init__.py": "", "pkg/a.py": "import pkg.b\nimport json\n", "pkg/b.py": "from . import c\n"}
        code, out = self.structure({**one_way, "pkg/c.py": "X = 1\n"})
        self.assertEqual(code, 0, out)

    def test_structure_names_a_file_over_400_lines(self) -> None:
        code, out = self.structure({"long.py": "X = 1\n" * 401, "short.py": "X = 1\n" * 400})
        self.assertEqual(code, 1)
        self.assertIn(f"{self.dir}/src/long.py:401: file-too-long: 401 lines, 400 at most", out)
        self.assertNotIn("short.py", out)

    def test_a_failure_without_findings_still_fails(self) -> None:
        code, out = self.lint(*BUILDIFIER, "--", str(self.dir / "missing.bzl"))
        self.assertEqual(code, 1)
        self.assertIn("failed without naming a file", out)


if __name__ == "__main__":
    unittest.main()

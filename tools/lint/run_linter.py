"""Runs one linter over files for a lint test, then says per file and rule what to fix.

    run_linter.py ruff --tool RUFF --config pyproject.toml -- FILE...
    run_linter.py mypy --config pyproject.toml -- FILE...
    run_linter.py buildifier --tool BUILDIFIER -- FILE...
    run_linter.py shellcheck --tool SHELLCHECK --loader LD_SO --libraries LIB... -- FILE...
    run_linter.py structure --config pyproject.toml -- FILE...   (structure.py: import cycles, long files)
    run_linter.py LINTER --fix ...   (ruff and buildifier: rewrite the files)

The linter's own report comes first, then a summary: how many findings, which
files, which rules in each, and how to fix them. It exits 1 when the linter
fails, so a test fails on any finding. Paths are relative to the working
directory, which is the workspace's root in a test's runfiles and, for --fix,
the workspace itself (`bazel run` sets BUILD_WORKSPACE_DIRECTORY).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from debian_tool import library_path, tool_command


@dataclass(frozen=True)
class Finding:
    """One problem a linter reported: where, and the rule it breaks."""

    path: str
    rule: str


@dataclass(frozen=True)
class Linter:
    """How to run a linter, read its findings and tell how to fix them."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    fix_hint: str

    def findings(self, output: str) -> list[Finding]:
        """The findings the linter's output names, in order."""
        found = []
        for line in output.splitlines():
            for pattern in self.patterns:
                if match := pattern.match(line):
                    found.append(Finding(match["path"], match["rule"]))
                    break
        return found


LINTERS = {
    "ruff": Linter(
        "ruff",
        (re.compile(r"^(?P<path>[^:\s]+):\d+:\d+: (?P<rule>[A-Z]+[0-9]+|unformatted)[ :]"),),
        "`tools/bazel run //tools/lint:ruff_fix` applies ruff's fixes and formats; "
        "`bazel-bin/tools/lint/ruff rule CODE` explains a rule. Silence one only with "
        "`# noqa: CODE` and the reason next to it.",
    ),
    "mypy": Linter(
        "mypy",
        (re.compile(r"^(?P<path>[^:\s]+):\d+: error: .*\[(?P<rule>[a-z0-9-]+)\]$"),),
        "add the missing annotations or correct the types (mypy --strict, root "
        "pyproject.toml); `# type: ignore[code]` only with the reason next to it.",
    ),
    "buildifier": Linter(
        "buildifier",
        (
            re.compile(r"^(?P<path>[^:\s]+):\d+: (?P<rule>[a-z][a-z-]+): "),
            re.compile(r"^(?P<path>\S+) # (?P<rule>reformat)$"),
        ),
        "`tools/bazel run //tools/lint:buildifier_fix` reformats and fixes what buildifier "
        "can; each warning's URL explains the rest. Silence one only with "
        "`# buildifier: disable=WARNING` and the reason.",
    ),
    "shellcheck": Linter(
        "shellcheck",
        (re.compile(r"^(?P<path>[^:\s]+):\d+:\d+: \w+: .*\[(?P<rule>SC\d+)\]$"),),
        "`shellcheck FILE` prints the ShellCheck wiki's page on each SC code; silence one only "
        "with `# shellcheck disable=SCxxxx` and the reason.",
    ),
    "structure": Linter(
        "structure",
        (re.compile(r"^(?P<path>[^:\s]+):\d+: (?P<rule>import-cycle|file-too-long): "),),
        "break an import cycle by moving what both modules need into a module of its own (a data model, "
        "a base class) that neither imports back; split a long file by concept. No suppression: this "
        "gate has none.",
    ),
}


def commands(args: argparse.Namespace, scratch: Path) -> list[list[str]]:
    """The command lines that check (or, with --fix, rewrite) the files."""
    files = [str(f) for f in args.files]
    if args.linter == "ruff":
        options = ["--config", args.config, "--no-cache"]
        options += ["--output-format", "concise"]
        if args.fix:
            return [[args.tool, "check", *options, "--fix", *files], [args.tool, "format", *options, *files]]
        return [[args.tool, "check", *options, *files], [args.tool, "format", *options, "--check", *files]]
    if args.linter == "mypy":
        return [[sys.executable, "-m", "mypy", "--config-file", args.config, "--cache-dir", str(scratch), *files]]
    if args.linter == "structure":
        return [[sys.executable, "-m", "structure", "--config", args.config, *files]]
    if args.linter == "buildifier":
        if args.fix:
            return [[args.tool, "-mode=fix", "-lint=fix", *files]]
        return [[args.tool, "-mode=check", "-lint=warn", *files]]
    return [[args.tool, "--format=gcc", *files]]


def summary(linter: Linter, findings: list[Finding]) -> str:
    """Findings counted per file and rule, most first, and how to fix them."""
    per_file: dict[str, Counter[str]] = {}
    for finding in findings:
        per_file.setdefault(finding.path, Counter())[finding.rule] += 1
    lines = [f"{linter.name}: {len(findings)} finding(s) in {len(per_file)} file(s):"]
    for path, rules in sorted(per_file.items(), key=lambda item: (-item[1].total(), item[0])):
        counts = ", ".join(f"{rule} x{count}" if count > 1 else rule for rule, count in sorted(rules.items()))
        lines.append(f"  {path}: {counts}")
    lines.append(f"fix: {linter.fix_hint}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Runs the linter's commands; prints their output and the summary; the exit code."""
    linter = LINTERS[args.linter]
    # A pinned Debian program gets a fixed environment: shellcheck would read
    # options from $SHELLCHECK_OPTS.
    env = {"LC_ALL": "C.UTF-8"} if args.loader else dict(os.environ)
    failed = False
    output = []
    with tempfile.TemporaryDirectory(prefix="lint-") as scratch:
        for line in commands(args, Path(scratch)):
            command = line
            if args.loader:  # a pinned Debian program, on its own C library
                libraries = library_path(args.libraries)
                command = tool_command(line[0], line[1:], loader=args.loader, libraries=libraries)
            result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
            sys.stdout.write(result.stdout + result.stderr)
            output.append(result.stdout + result.stderr)
            failed |= result.returncode != 0
    if not failed:
        return 0
    findings = linter.findings("\n".join(output))
    if findings:
        print("\n" + summary(linter, findings))
    else:
        print(f"\n{linter.name} failed without naming a file: see its output above.")
    return 1


def main(argv: list[str]) -> int:
    """Parses the command line and runs the linter."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("linter", choices=sorted(LINTERS))
    parser.add_argument("--tool", help="the linter's executable (mypy and structure run from this interpreter)")
    parser.add_argument("--config", help="the configuration file (ruff, mypy, structure)")
    parser.add_argument("--loader", help="for a pinned Debian tool: its C library's loader")
    parser.add_argument("--libraries", nargs="+", default=[], help="for a pinned Debian tool: its libraries")
    parser.add_argument("--fix", action="store_true", help="rewrite the files instead of checking them")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.linter not in ("mypy", "structure") and not args.tool:
        parser.error(f"{args.linter} needs --tool")
    if args.linter in ("ruff", "mypy", "structure") and not args.config:
        parser.error(f"{args.linter} needs --config")
    if bool(args.loader) != bool(args.libraries):
        parser.error("--loader and --libraries go together")
    if args.fix and args.linter not in ("ruff", "buildifier"):
        parser.error("--fix works for ruff and buildifier only")
    # Tools stay where Bazel put them; with --fix, the files and the
    # configuration are the workspace's own.
    args.tool = args.tool and os.path.abspath(args.tool)
    args.loader = args.loader and os.path.abspath(args.loader)
    if args.fix:
        os.chdir(os.environ.get("BUILD_WORKSPACE_DIRECTORY", "."))
    return run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""lint_test and lint_fix: run one linter (//tools/lint:run_linter.py) over files.

Example:

    lint_test(
        name = "ruff_test",
        linter = "ruff",
        srcs = ["//:lint_python"],
        tool = ":ruff",
        config = "//:pyproject.toml",
    )

    # bazel run //tools/lint:ruff_fix
    lint_fix(
        name = "ruff_fix",
        linter = "ruff",
        srcs = ["//:lint_python"],
        tool = ":ruff",
        config = "//:pyproject.toml",
    )

A lint_test's inputs are the files, the linter and its configuration, so it is
cached until one of them changes, and it fails on any finding. A lint_fix
rewrites the same files in the workspace (ruff and buildifier only).
"""

load("@rules_python//python:defs.bzl", "py_binary", "py_test")

_RUNNER = "//tools/lint:run_linter.py"

def _runner_args(linter, srcs, tool, config, loader, libraries):
    """run_linter.py's arguments and the files they name."""
    args = [linter]
    data = list(srcs)
    if tool:
        args += ["--tool", "$(rootpath %s)" % tool]
        data.append(tool)
    if config:
        args += ["--config", "$(rootpath %s)" % config]
        data.append(config)
    if loader:
        args += ["--loader", "$(rootpath %s)" % loader]
        data += [loader, libraries]
    return args + ["--"] + ["$(rootpaths %s)" % src for src in srcs], data

def lint_test(name, linter, srcs, tool = None, config = None, loader = None, libraries = None, deps = [], **kwargs):
    """A py_test that runs `linter` over the files of `srcs` and fails on any finding.

    Args:
      name: the test target.
      linter: ruff, mypy, buildifier or shellcheck.
      srcs: targets whose files are checked (`//:lint_<kind>`).
      tool: the linter's executable (all but mypy, which runs from `deps`).
      config: the linter's configuration file (ruff, mypy).
      loader: for a pinned Debian tool, its C library's dynamic loader.
      libraries: the libraries beside `loader` that the tool runs on.
      deps: Python libraries the test needs (mypy: mypy and what the code imports).
      **kwargs: passed to py_test (size, timeout, tags, ...).
    """
    args, data = _runner_args(linter, srcs, tool, config, loader, libraries)
    py_test(
        name = name,
        srcs = [_RUNNER],
        main = _RUNNER,
        args = args,
        data = data,
        deps = deps + ["//tools/debian:debian_tool"],
        **kwargs
    )

def lint_fix(name, linter, srcs, tool, config = None, **kwargs):
    """A py_binary (`bazel run`) that rewrites the workspace's copies of the files of `srcs`.

    Args:
      name: the binary target.
      linter: ruff or buildifier.
      srcs: targets whose files are rewritten (`//:lint_<kind>`).
      tool: the linter's executable.
      config: the linter's configuration file (ruff).
      **kwargs: passed to py_binary.
    """
    args, data = _runner_args(linter, srcs, tool, config, None, None)
    py_binary(
        name = name,
        srcs = [_RUNNER],
        main = _RUNNER,
        args = [args[0], "--fix"] + args[1:],
        data = data,
        deps = ["//tools/debian:debian_tool"],
        **kwargs
    )

"""lint_test: a test that runs one linter (//tools/lint:run_linter.py) over files.

Example, a buildifier gate over every Starlark file, and a `bazel run` target
that formats them in place:

    lint_test(name = "buildifier_test", linter = "buildifier", srcs = ["//:lint_starlark"],
              tool = "@buildifier", fix = "buildifier_fix")

The test's inputs are the files, the linter and its configuration, so it is
cached until one of them changes, and it fails on any finding. `fix` names a
`bazel run` target that rewrites the workspace's copies of the same files
(ruff and buildifier only).
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
        args += ["--loader", "$(rootpath %s)" % loader, "--libraries", "$(rootpaths %s)" % libraries]
        data += [loader, libraries]
    return args + ["--"] + ["$(rootpaths %s)" % src for src in srcs], data

def lint_test(name, linter, srcs, tool = None, config = None, loader = None, libraries = None, fix = None, deps = [], **kwargs):
    """A py_test that runs `linter` over the files of `srcs` and fails on any finding.

    Args:
      name: the test target.
      linter: ruff, mypy, buildifier or shellcheck.
      srcs: targets whose files are checked (`//:lint_<kind>`).
      tool: the linter's executable (all but mypy, which runs from `deps`).
      config: the linter's configuration file (ruff, mypy).
      loader: for a pinned Debian tool, its C library's dynamic loader.
      libraries: the libraries the tool runs on, with `loader`.
      fix: if set, the name of a py_binary that rewrites the files in the
        workspace instead (`bazel run`; ruff and buildifier).
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
    if fix:
        py_binary(
            name = fix,
            srcs = [_RUNNER],
            main = _RUNNER,
            args = [args[0], "--fix"] + args[1:],
            data = data,
            deps = ["//tools/debian:debian_tool"],
        )

def lint_runner_test(name, linters, **kwargs):
    """A py_test of run_linter.py itself, given every linter the way the gates run it.

    The test reads linter `x`'s run_linter.py arguments (its tool, config and C
    library, all before the `--` and the files) from the variable LINT_X.

    Args:
      name: the test target; its source is <name>.py.
      linters: linter -> its lint_test attributes `tool`, `config`, `loader`
        and `libraries` (those it has).
      **kwargs: passed to py_test (size, deps, ...).
    """
    env = {}
    data = []
    for linter, attrs in linters.items():
        args, files = _runner_args(
            linter,
            [],
            attrs.get("tool"),
            attrs.get("config"),
            attrs.get("loader"),
            attrs.get("libraries"),
        )
        env["LINT_" + linter.upper()] = " ".join(args[1:-1])
        data += [file for file in files if file not in data]
    py_test(
        name = name,
        srcs = [name + ".py"],
        data = data,
        env = env,
        **kwargs
    )

"""py_pytest_test: a py_test that runs its sources with pytest."""

load("@pip//:requirements.bzl", "requirement")
load("@rules_python//python:defs.bzl", "py_test")

def _is_test_file(src):
    """Whether pytest collects `src` (a path or a label): its file name is test_*.py or *_test.py."""
    name = src.rpartition(":")[2].rpartition("/")[2]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))

def py_pytest_test(name, srcs, deps = [], data = [], args = [], **kwargs):
    """Runs pytest on the test files of `srcs` (test_*.py and *_test.py) under Bazel.

    Args:
      name: the test target.
      srcs: test modules, conftest.py and test helpers (paths or labels).
      deps: libraries the tests import; pytest is added.
      data: runtime files.
      args: extra pytest arguments.
      **kwargs: passed to py_test (size, timeout, tags, env, ...).
    """
    py_test(
        name = name,
        srcs = srcs + ["//tools/pytest:pytest_main.py"],
        main = "//tools/pytest:pytest_main.py",
        deps = deps + [requirement("pytest")],
        data = data,
        args = args + ["$(rootpath %s)" % src for src in srcs if _is_test_file(src)],
        **kwargs
    )

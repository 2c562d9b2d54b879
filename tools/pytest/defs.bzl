"""py_pytest_test: a py_test that runs its sources with pytest."""

load("@pip//:requirements.bzl", "requirement")
load("@rules_python//python:defs.bzl", "py_test")

def py_pytest_test(name, srcs, deps = [], data = [], args = [], **kwargs):
    """Runs pytest on `srcs` (test files and conftest.py) under Bazel.

    Args:
      name: the test target.
      srcs: test modules, conftest.py and test helpers.
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
        args = args + ["$(rootpath %s)" % src for src in srcs if src.rpartition("/")[2].startswith("test_")],
        **kwargs
    )

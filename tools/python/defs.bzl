"""py_module: one Python module as a library importable by its file name, with its unit test beside it.

Example (tools/sbom/BUILD.bazel):

    py_module(
        name = "sbom_lib",
        module = "sbom",
        binary = True,
    )

declares the py_library `sbom_lib` (sbom.py, imported as `sbom` from this
package's directory), the py_binary `sbom` that runs it, and the py_test
`sbom_test` (sbom_test.py, a small test depending on the library).
"""

load("@rules_python//python:defs.bzl", "py_binary", "py_library", "py_test")

def py_module(name, module = None, deps = [], data = [], test_deps = [], test_data = [], test_env = {}, test_size = "small", binary = False, testonly = False, visibility = None):
    """A py_library of `<module>.py` and the py_test `<module>_test` of `<module>_test.py`.

    Args:
      name: the library target.
      module: the module's file name without `.py` (default: `name`).
      deps: what the module imports.
      data: files the module reads at run time (beside it in the runfiles).
      test_deps: what the test imports besides the module.
      test_data: files the test reads besides the module's (e.g. a pinned server).
      test_env: the test's environment (`$(rootpath ...)` of its data, for instance).
      test_size: the test's size.
      binary: also declare the py_binary `<module>` running `<module>.py` (then `name` must differ from `module`).
      testonly: the library is for tests only (and the binary, if any).
      visibility: the library's visibility, and the binary's.
    """
    module = module or name
    py_library(
        name = name,
        srcs = [module + ".py"],
        data = data,
        imports = ["."],
        testonly = testonly,
        visibility = visibility,
        deps = deps,
    )
    if binary:
        py_binary(
            name = module,
            srcs = [module + ".py"],
            testonly = testonly,
            visibility = visibility,
            deps = [":" + name],
        )
    py_test(
        name = module + "_test",
        size = test_size,
        srcs = [module + "_test.py"],
        data = test_data,
        env = test_env,
        deps = [":" + name] + test_deps,
    )

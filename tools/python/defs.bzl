"""py_module: one Python module as a library importable by its file name, with its unit test beside it.

Example (deploy/BUILD.bazel):

    py_module(
        name = "embeddings_stub_lib",
        module = "embeddings_stub",
    )

declares the py_library `embeddings_stub_lib` (embeddings_stub.py, imported as
`embeddings_stub` from this package's directory) and the py_test
`embeddings_stub_test` (embeddings_stub_test.py, a small test depending on it).
"""

load("@rules_python//python:defs.bzl", "py_library", "py_test")

def py_module(name, module = None, deps = [], test_deps = [], test_size = "small", visibility = None):
    """A py_library of `<module>.py` and the py_test `<module>_test` of `<module>_test.py`.

    Args:
      name: the library target.
      module: the module's file name without `.py` (default: `name`).
      deps: what the module imports.
      test_deps: what the test imports besides the module.
      test_size: the test's size.
      visibility: the library's visibility.
    """
    module = module or name
    py_library(
        name = name,
        srcs = [module + ".py"],
        imports = ["."],
        visibility = visibility,
        deps = deps,
    )
    py_test(
        name = module + "_test",
        size = test_size,
        srcs = [module + "_test.py"],
        deps = [":" + name] + test_deps,
    )

"""Runs pytest on the test files a `py_pytest_test` target names (its args)."""

import os
import sys

import pytest

if __name__ == "__main__":
    # Bazel's sandbox: no cache directory in the source tree, results as JUnit
    # XML where Bazel collects them.
    args = ["-p", "no:cacheprovider", "--import-mode=importlib", *sys.argv[1:]]
    # Temporary files go to Bazel's per-test directory, not a shared /tmp.
    if "TEST_TMPDIR" in os.environ:
        args.append("--basetemp=" + os.path.join(os.environ["TEST_TMPDIR"], "pytest"))
    if "XML_OUTPUT_FILE" in os.environ:
        args.append("--junitxml=" + os.environ["XML_OUTPUT_FILE"])
    sys.exit(pytest.main(args))

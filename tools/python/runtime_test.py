"""The Python toolchain is Debian 12's CPython 3.11 and runs wheels from @pip."""

import ssl
import sys
import unittest

import fastapi
import numpy


class RuntimeTest(unittest.TestCase):
    """Checks the interpreter Bazel picked and the wheels it imports."""

    def test_interpreter_is_debian_python_3_11(self) -> None:
        self.assertEqual(sys.version_info[:2], (3, 11))
        self.assertIn("python3_11", sys.executable)

    def test_stdlib_extension_modules_load(self) -> None:
        self.assertTrue(ssl.OPENSSL_VERSION.startswith("OpenSSL 3"))

    def test_fastapi_and_numpy_come_from_pip(self) -> None:
        for module in (fastapi, numpy):
            self.assertIn("pip_", module.__file__ or "")
        self.assertEqual(float(numpy.dot(numpy.arange(3.0), numpy.arange(3.0))), 5.0)
        app = fastapi.FastAPI()
        self.assertEqual(app.openapi()["info"]["title"], "FastAPI")


if __name__ == "__main__":
    unittest.main()

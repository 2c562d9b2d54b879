"""embedding_parity.py's comparison and its reading of what each image printed (podman itself runs in CI)."""

from __future__ import annotations

import contextlib
import io
import json
import unittest
from unittest import mock

import embedding_parity
from embedding_parity import ParityError, cosine, cosines, parse_run


def output(machine: str, vectors: list[list[float]]) -> str:
    """What the embedding script prints in an image: log lines, then its JSON line."""
    return "loading the model\n" + json.dumps({"machine": machine, "vectors": vectors}) + "\n"


class CosineTest(unittest.TestCase):
    def test_values(self) -> None:
        self.assertAlmostEqual(cosine([1.0, 0.0], [2.0, 0.0]), 1.0)
        self.assertAlmostEqual(cosine([1.0, 0.0], [0.0, 3.0]), 0.0)
        self.assertAlmostEqual(cosine([1.0, 1.0], [-1.0, -1.0]), -1.0)
        with self.assertRaisesRegex(ParityError, "zero vector"):
            cosine([0.0, 0.0], [1.0, 0.0])

    def test_per_text(self) -> None:
        amd64 = parse_run("linux/amd64", output("x86_64", [[1.0, 0.0], [0.0, 1.0]]), 1.0)
        arm64 = parse_run("linux/arm64", output("aarch64", [[1.0, 0.01], [1.0, 1.0]]), 9.0)
        found = cosines(amd64, arm64)
        self.assertGreater(found[0], 0.9999)
        self.assertAlmostEqual(found[1], 0.5**0.5)
        short = parse_run("linux/arm64", output("aarch64", [[1.0, 0.0]]), 9.0)
        with self.assertRaisesRegex(ParityError, "gave 2 vectors, linux/arm64 1"):
            cosines(amd64, short)


class ParseRunTest(unittest.TestCase):
    def test_the_wrong_machine_is_an_error(self) -> None:
        with self.assertRaisesRegex(ParityError, "ran as x86_64, not aarch64"):
            parse_run("linux/arm64", output("x86_64", [[1.0]]), 1.0)

    def test_no_vectors_is_an_error(self) -> None:
        with self.assertRaisesRegex(ParityError, "printed no vectors"):
            parse_run("linux/amd64", "Traceback (most recent call last):\nImportError: onnxruntime\n", 1.0)
        with self.assertRaisesRegex(ParityError, "printed no vectors"):
            parse_run("linux/amd64", "", 1.0)


class MainTest(unittest.TestCase):
    def test_fewer_than_two_platforms_is_a_usage_error(self) -> None:
        for platforms in (["linux/arm64"], ["linux/amd64", "linux/amd64"]):
            argv = ["127.0.0.1:5000/ml_onnx:latest", "--mirror", "/models"]
            argv += [word for platform in platforms for word in ("--platform", platform)]
            stderr = io.StringIO()
            with (
                mock.patch.object(embedding_parity, "embed", side_effect=AssertionError("embedded")),
                contextlib.redirect_stderr(stderr),
                self.assertRaises(SystemExit) as exited,
            ):
                embedding_parity.main(argv)
            self.assertEqual(exited.exception.code, 2)
            self.assertIn("at least two different platforms", stderr.getvalue())


if __name__ == "__main__":
    unittest.main()

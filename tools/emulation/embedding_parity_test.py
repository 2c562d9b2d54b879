"""embedding_parity.py's comparison and its reading of what each image printed (podman itself runs in CI)."""

from __future__ import annotations

import json
import unittest

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


if __name__ == "__main__":
    unittest.main()

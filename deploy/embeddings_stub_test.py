"""Tests of the embeddings stub: OpenAI's response shape, and rankings by shared words."""

from __future__ import annotations

import base64
import math
import struct
import unittest

import embeddings_stub


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


class EmbedTest(unittest.TestCase):
    def test_vectors_are_deterministic_unit_vectors(self) -> None:
        for text in ("Cats purr.", "", "!!!", "a a a a"):
            vector = embeddings_stub.embed(text, 64)
            self.assertEqual(vector, embeddings_stub.embed(text, 64))
            self.assertAlmostEqual(math.sqrt(cosine(vector, vector)), 1.0)

    def test_shared_words_rank_first(self) -> None:
        query = embeddings_stub.embed("which pet purrs and chases mice", 384)
        cats = embeddings_stub.embed("Cats are pets: a cat purrs and chases mice.", 384)
        tax = embeddings_stub.embed("Income tax law sets brackets and deadlines.", 384)
        self.assertGreater(cosine(query, cats), cosine(query, tax))


class AnswerTest(unittest.TestCase):
    def test_one_embedding_per_input_in_order(self) -> None:
        body = embeddings_stub.answer({"model": "m", "input": ["a", "b"]}, 8)
        self.assertEqual([d["index"] for d in body["data"]], [0, 1])
        self.assertEqual(body["model"], "m")

    def test_a_single_string_is_one_input(self) -> None:
        body = embeddings_stub.answer({"input": "a"}, 8)
        self.assertEqual(len(body["data"]), 1)

    def test_base64_holds_little_endian_float32(self) -> None:
        body = embeddings_stub.answer({"input": ["cat"], "encoding_format": "base64"}, 8)
        packed = base64.b64decode(body["data"][0]["embedding"])
        decoded = struct.unpack("<8f", packed)
        for got, want in zip(decoded, embeddings_stub.embed("cat", 8), strict=True):
            self.assertAlmostEqual(got, want, places=6)


if __name__ == "__main__":
    unittest.main()

"""Image names and tags: what registries and engines accept, and what each refusal says."""

from __future__ import annotations

import unittest

from reference import reference_problem, split_host, split_reference


class SplitTest(unittest.TestCase):
    def test_host_path_and_tag(self) -> None:
        for reference, parts in (
            ("docintel/ml:dev", (None, "docintel/ml", "dev")),
            ("ml", (None, "ml", None)),
            ("127.0.0.1:5000/team/app:v1", ("127.0.0.1:5000", "team/app", "v1")),
            ("localhost/app", ("localhost", "app", None)),
            ("registry.example:5000/app", ("registry.example:5000", "app", None)),
        ):
            with self.subTest(reference=reference):
                self.assertEqual(split_reference(reference), parts)

    def test_a_first_part_without_dot_or_colon_is_a_path(self) -> None:
        self.assertEqual(split_host("team/app"), (None, "team/app"))


class ProblemTest(unittest.TestCase):
    def test_names_engines_accept(self) -> None:
        for reference in ("docintel/ml:dev", "team/a.b_c__d---e:V1.0_x", "127.0.0.1:5000/x", "localhost/x:latest"):
            with self.subTest(reference=reference):
                self.assertIsNone(reference_problem(reference))

    def test_each_refusal_names_the_part(self) -> None:
        for reference, needle in (
            ("Bad Tag", "its name 'Bad Tag' is not lower-case components"),
            ("docintel/ML:dev", "its name 'docintel/ML'"),
            ("docintel//ml", "its name 'docintel//ml'"),
            ("docintel/ml:-dev", "its tag '-dev' is not 1 to 128 letters"),
            ("docintel/ml:" + "t" * 129, "its tag 'ttt"),
            ("bad_host.example:x/ml", "its registry host 'bad_host.example:x'"),
        ):
            with self.subTest(reference=reference):
                self.assertIn(needle, reference_problem(reference) or "")


if __name__ == "__main__":
    unittest.main()

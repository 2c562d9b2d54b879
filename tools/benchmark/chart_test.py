"""The picture: one bar per measure, its length the gain on a log axis, worse ones in red, figures beside it."""

from __future__ import annotations

import unittest
import xml.etree.ElementTree as ET

from chart import Bar, Chart, render_svg
from results import Results

SVG = "{http://www.w3.org/2000/svg}"


class ChartTest(unittest.TestCase):
    def test_bars_are_log_scaled_and_labelled(self) -> None:
        bars = [
            Bar("ten times smaller", 100e6, 1e9, "bytes"),
            Bar("a thousand times smaller", 1e6, 1e9, "bytes"),
            Bar("twice as slow", 2.0, 1.0, "s"),
            Bar("beyond the axis", 1.0, 1e6, "s"),
        ]
        root = ET.fromstring(render_svg(bars, "a title & more", "theirs <x>"))
        rects = root.findall(f"{SVG}rect")[1:]  # the first is the background
        widths = [float(rect.attrib["width"]) for rect in rects]
        self.assertEqual([round(width, 1) for width in widths], [82.5, 247.5, 24.8, 330.0])
        colours = [rect.attrib["fill"] for rect in rects]
        self.assertEqual(colours[2], "#c0504d")
        self.assertEqual(len({colours[0], colours[1], colours[3]}), 1)
        texts = [text.text for text in root.iter(f"{SVG}text")]
        self.assertIn("a title & more", texts)
        self.assertTrue(any((text or "").startswith("times smaller or faster than theirs <x> ") for text in texts))
        self.assertIn("10.0x: 100.0 MB against 1,000.0 MB", texts)
        self.assertIn("1,000x: 1.0 MB against 1,000.0 MB", texts)
        self.assertIn("0.5x: 2.0 s against 1.0 s", texts)
        self.assertIn("10,000x", texts)

    def test_small_figures_keep_two_decimals(self) -> None:
        self.assertEqual(Bar("load", 0.1, 0.77, "s").figures(), "7.7x: 0.10 s against 0.77 s")
        self.assertEqual(Bar("latency", 2.3, 4.7, "ms").figures(), "2.0x: 2.3 ms against 4.7 ms")

    def test_a_chart_without_figures_draws_nothing(self) -> None:
        chart = Chart("x", "a title", "them", (lambda _results: [],))
        self.assertIsNone(chart.draw(Results(), "2026-11-30"))
        drawn = Chart("x", "a title", "them", (lambda _results: [Bar("a", 1.0, 2.0, "s")],)).draw(Results(), "today")
        self.assertIn("a title (tools/bench, today)", drawn or "")


if __name__ == "__main__":
    unittest.main()

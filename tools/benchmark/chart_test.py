"""The picture: one bar per measure, its length the gain on a log axis, worse ones in red, figures beside it."""

from __future__ import annotations

import unittest
import xml.etree.ElementTree as ET

from chart import Bar, render_svg

SVG = "{http://www.w3.org/2000/svg}"


class ChartTest(unittest.TestCase):
    def test_bars_are_log_scaled_and_labelled(self) -> None:
        bars = [
            Bar("ten times smaller", 100e6, 1e9, "bytes"),
            Bar("a thousand times smaller", 1e6, 1e9, "bytes"),
            Bar("twice as slow", 2.0, 1.0, "s"),
            Bar("beyond the axis", 1.0, 1e6, "s"),
        ]
        root = ET.fromstring(render_svg(bars, "a title & more"))
        rects = root.findall(f"{SVG}rect")[1:]  # the first is the background
        widths = [float(rect.attrib["width"]) for rect in rects]
        self.assertEqual([round(width, 1) for width in widths], [82.5, 247.5, 24.8, 330.0])
        colours = [rect.attrib["fill"] for rect in rects]
        self.assertEqual(colours[2], "#c0504d")
        self.assertEqual(len({colours[0], colours[1], colours[3]}), 1)
        texts = [text.text for text in root.iter(f"{SVG}text")]
        self.assertIn("a title & more", texts)
        self.assertIn("10.0x: 100.0 MB against 1,000.0 MB", texts)
        self.assertIn("1,000x: 1.0 MB against 1,000.0 MB", texts)
        self.assertIn("0.5x: 2.0 s against 1.0 s", texts)
        self.assertIn("10,000x", texts)


if __name__ == "__main__":
    unittest.main()

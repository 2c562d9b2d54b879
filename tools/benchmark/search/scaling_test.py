"""The scaling benchmark's corpus is deterministic and prefix-stable; its plot is well-formed SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from scaling_corpus import BLOCK, Corpus, exact_top
from scaling_plot import Point, markdown_rows, read_table, render_svg


def test_rows_are_deterministic_and_every_size_is_a_prefix() -> None:
    corpus = Corpus(dimension=48, seed=3)
    whole = corpus.rows(0, BLOCK + 500)
    assert np.array_equal(corpus.rows(0, 700), whole[:700])
    assert np.array_equal(corpus.rows(BLOCK - 10, BLOCK + 20), whole[BLOCK - 10 : BLOCK + 20])
    assert np.array_equal(Corpus(dimension=48, seed=3).rows(100, 200), whole[100:200])
    assert np.allclose(np.linalg.norm(whole, axis=1), 1.0, atol=1e-5)
    assert not np.array_equal(Corpus(dimension=48, seed=4).rows(0, 10), whole[:10])


def test_vectors_are_clustered_and_queries_are_new() -> None:
    corpus = Corpus(dimension=64, seed=5)
    rows, queries = corpus.rows(0, 30_000), corpus.queries(50)  # about 30 rows per cluster
    best = np.sort(rows @ queries.T, axis=0)[-10:]
    assert float(best.mean()) > 0.5 > float((rows @ queries.T).mean())  # neighbours stand out from the crowd
    assert not np.isclose(rows @ queries.T, 1.0).any()


def test_exact_top_honours_the_filter() -> None:
    rows = np.eye(4, dtype=np.float32)
    query = np.array([0.9, 0.5, 0.1, 0.0], dtype=np.float32)
    assert exact_top(rows, query[None, :], k=2) == [{0, 1}]
    assert exact_top(rows, query[None, :], k=2, allowed=np.array([False, True, True, True])) == [{1, 2}]


def point(index: str, chunks: int, p50: float) -> Point:
    return Point(index, chunks, 9000.0, 0.1, p50, 2 * p50, 0.99, p50, 3 * p50, 0.98, 1200.0, 900.0)


def test_a_printed_table_reads_back(tmp_path: Path) -> None:
    points = [point("Q8", 10_000, 1.25), point("exact", 1_000_000, 12.5)]
    saved = tmp_path / "run.md"
    saved.write_text("a heading\n\n" + "\n".join(markdown_rows(points)) + "\n", encoding="utf-8")
    assert read_table(saved) == points


def test_the_plot_is_svg_with_a_series_per_index() -> None:
    svg = render_svg([point(i, c, p) for i in ("Q8", "BIN<&>") for c, p in ((10_000, 1.0), (100_000, 2.5))])
    root = ET.fromstring(svg)
    lines = root.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 2 * 3  # p50, p99 and memory for each index
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert "Q8 p99: 5.00 ms at 100,000 chunks" in titles
    assert any("BIN<&>" in (t.text or "") for t in root.iter("{http://www.w3.org/2000/svg}text"))

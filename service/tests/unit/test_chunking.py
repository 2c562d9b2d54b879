"""Chunking: paragraphs, sentences, words, overlap, and any Unicode."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docintel.chunking import chunk_text

WORD = re.compile(r"\S+")
# CJK text has no spaces: a full-width sentence end (with closing quotes) is also a word boundary.
CJK_END = re.compile("[\u3002\uff01\uff1f\uff61\ufe12\ufe52\ufe56\ufe57\uff0e][\u300d\u300f\"'\u201d\u2019)\uff09\\]]*")


def word_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in WORD.finditer(text):
        start = match.start()
        for end in CJK_END.finditer(text, match.start(), match.end()):
            spans.append((start, end.end()))
            start = end.end()
        if start < match.end():
            spans.append((start, match.end()))
    return spans


def check_invariants(text: str, size: int, overlap: int) -> None:
    chunks = chunk_text(text, chunk_size=size, chunk_overlap=overlap)
    if not text.strip():
        assert chunks == []
        return
    assert chunks
    covered = [False] * len(text)
    previous_start = -1
    for position, chunk in enumerate(chunks):
        assert chunk.index == position
        assert text[chunk.start : chunk.end] == chunk.text
        assert 0 < len(chunk.text) <= size
        assert chunk.text == chunk.text.strip()
        assert chunk.start > previous_start
        previous_start = chunk.start
        for i in range(chunk.start, chunk.end):
            covered[i] = True
    # every non-whitespace character is in some chunk
    assert all(covered[i] for i, ch in enumerate(text) if not ch.isspace())
    # chunks never cut a word, unless the word itself is longer than the chunk size
    for start, end in word_spans(text):
        if end - start > size:
            continue
        inside = [c for c in chunks if c.start < end and start < c.end]
        assert any(c.start <= start and end <= c.end for c in inside), text[start:end]
        for c in inside:
            assert c.start <= start or c.start >= end
            assert c.end >= end or c.end <= start
    # consecutive chunks overlap by at most `overlap` characters
    for before, after in itertools.pairwise(chunks):
        assert max(0, before.end - after.start) <= overlap


def test_paragraphs_are_kept_together() -> None:
    text = "First paragraph is short.\n\nSecond paragraph is also short.\n\nThird one."
    chunks = chunk_text(text, chunk_size=40, chunk_overlap=0)
    assert [c.text for c in chunks] == ["First paragraph is short.", "Second paragraph is also short.", "Third one."]


def test_small_document_is_one_chunk() -> None:
    text = "Para one.\n\nPara two.\n\nPara three."
    assert [c.text for c in chunk_text(text, chunk_size=800, chunk_overlap=100)] == [text]


def test_long_paragraph_splits_at_sentences() -> None:
    text = "Alpha beta gamma. Delta epsilon zeta! Eta theta iota? Kappa lambda mu."
    chunks = chunk_text(text, chunk_size=40, chunk_overlap=0)
    assert [c.text for c in chunks] == ["Alpha beta gamma. Delta epsilon zeta!", "Eta theta iota? Kappa lambda mu."]


def test_overlap_starts_at_word_boundary() -> None:
    text = " ".join(f"w{i:03d}" for i in range(100))
    chunks = chunk_text(text, chunk_size=50, chunk_overlap=12)
    assert len(chunks) > 1
    for before, after in itertools.pairwise(chunks):
        shared = before.end - after.start
        assert 0 < shared <= 12
        assert after.text.split()[0] in before.text.split()


def test_long_word_is_hard_split() -> None:
    text = "short " + "x" * 25 + " tail"
    chunks = chunk_text(text, chunk_size=10, chunk_overlap=0)
    assert "".join(c.text.replace(" tail", "") for c in chunks if "x" in c.text) == "x" * 25
    assert all(len(c.text) <= 10 for c in chunks)


def test_cjk_sentences() -> None:
    text = "日本語の文章です。これは二番目の文です。三番目！"
    chunks = chunk_text(text, chunk_size=12, chunk_overlap=0)
    assert chunks[0].text == "日本語の文章です。"
    assert "".join(c.text for c in chunks) == text


def test_grapheme_clusters_are_not_split() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 5 code points
    text = family * 5
    for chunk in chunk_text(text, chunk_size=7, chunk_overlap=0):
        assert not chunk.text.startswith("\u200d")
        assert not chunk.text.endswith("\u200d")
    accented = "e\u0301" * 10
    for chunk in chunk_text(accented, chunk_size=5, chunk_overlap=0):
        assert chunk.text[0] == "e"
    flags = "\U0001f1eb\U0001f1f7" * 5
    for chunk in chunk_text(flags, chunk_size=3, chunk_overlap=0):
        assert len(chunk.text) % 2 == 0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\n\n\n",
        "a",
        "Hello, world.",
        "مرحبا بالعالم. هذه جملة ثانية؟ نعم.",
        "שלום עולם. זה משפט שני.",
        "Zalgo: Z\u0351\u0352\u0353a\u0354\u0355l\u0356g\u0357o",
        "emoji 🎉🎉🎉 and 👍🏽 and 🇯🇵🇫🇷",
        "mixed\r\n\r\nline\rendings\u2028and\u2029separators",
        "tabs\tand\u00a0nbsp\u3000ideographic spaces",
        "한국어 문장입니다. 두 번째 문장입니다.",
        "हिन्दी वाक्य। दूसरा वाक्य॥",
    ],
)
@pytest.mark.parametrize(("size", "overlap"), [(1, 0), (5, 2), (20, 5), (800, 100)])
def test_unicode_examples(text: str, size: int, overlap: int) -> None:
    check_invariants(text, size, overlap)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=400),
    size=st.integers(min_value=1, max_value=120),
    overlap_fraction=st.floats(min_value=0, max_value=0.9),
)
def test_invariants_hold_for_any_unicode(text: str, size: int, overlap_fraction: float) -> None:
    check_invariants(text, size, int(size * overlap_fraction))


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(
        st.text(alphabet=st.characters(categories=("L", "N", "P", "S", "M")), min_size=1, max_size=12),
        min_size=1,
        max_size=80,
    ),
    separators=st.lists(st.sampled_from([" ", "\n", "\n\n", ". ", "。", "\t"]), min_size=1, max_size=5),
    size=st.integers(min_value=8, max_value=200),
)
def test_invariants_on_wordy_text(words: list[str], separators: list[str], size: int) -> None:
    text = "".join(word + separators[i % len(separators)] for i, word in enumerate(words))
    check_invariants(text, size, size // 4)


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        chunk_text("x", chunk_size=0, chunk_overlap=0)
    with pytest.raises(ValueError):
        chunk_text("x", chunk_size=10, chunk_overlap=10)

"""Split document text into overlapping chunks.

The splitter works on spans of the original text, so every chunk is an exact
substring of the document (original whitespace and characters preserved):

1. the text is cut into paragraphs at blank lines;
2. a paragraph longer than ``chunk_size`` is cut into sentences (Latin, CJK,
   Arabic and Devanagari sentence punctuation, and line breaks);
3. a sentence still too long is cut into words (runs of non-whitespace);
4. a single word longer than ``chunk_size`` is hard-split, never inside a
   grapheme cluster when that can be avoided (combining marks, ZWJ emoji
   sequences, variation selectors, flag pairs stay together).

The resulting units are packed greedily into chunks of at most ``chunk_size``
characters.  Each chunk after the first starts up to ``chunk_overlap``
characters before the end of the previous chunk, at a word start.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Chunk", "chunk_text"]

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n|\u2029")
_SENTENCE_END = re.compile(
    r"[.!?\u2026\u203c\u2047-\u2049\u061f\u06d4\u0964\u0965]+[\"'\u201d\u2019\u00bb)\]]*(?=\s)"
    r"|[\u3002\uff01\uff1f\uff61\ufe12\ufe52\ufe56\ufe57\uff0e][\u300d\u300f\"'\u201d\u2019)\uff09\]]*"
    r"|[\n\u2028]"
)
_WORD = re.compile(r"\S+")

_Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk: its position in the document and its text."""

    index: int
    text: str
    start: int
    end: int


def chunk_text(text: str, *, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    """Split ``text`` into chunks of at most ``chunk_size`` characters.

    Consecutive chunks overlap by at most ``chunk_overlap`` characters (at word
    boundaries).  Whitespace-only text yields no chunks.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    if not 0 <= chunk_overlap < chunk_size:
        raise ValueError("chunk_overlap must be >= 0 and smaller than chunk_size")
    units = _units(text, chunk_size)
    if not units:
        return []
    word_starts = [m.start() for m in _WORD.finditer(text)]
    spans: list[_Span] = []
    i = 0
    start = units[0][0]
    while True:
        end = units[i][1]
        j = i + 1
        while j < len(units) and units[j][1] - start <= chunk_size:
            end = units[j][1]
            j += 1
        spans.append((start, end))
        if j >= len(units):
            break
        start = units[j][0]
        if chunk_overlap:
            lowest = max(end - chunk_overlap, spans[-1][0] + 1, units[j][1] - chunk_size)
            k = bisect.bisect_left(word_starts, lowest)
            if k < len(word_starts) and word_starts[k] < end:
                start = word_starts[k]
        i = j
    return [Chunk(index=n, text=text[s:e], start=s, end=e) for n, (s, e) in enumerate(spans)]


def _units(text: str, size: int) -> list[_Span]:
    """Cut ``text`` into trimmed spans no longer than ``size``, coarsest first."""
    units: list[_Span] = []
    for paragraph in _split(text, 0, len(text), _PARAGRAPH_BREAK):
        if paragraph[1] - paragraph[0] <= size:
            units.append(paragraph)
            continue
        for sentence in _split(text, paragraph[0], paragraph[1], _SENTENCE_END):
            if sentence[1] - sentence[0] <= size:
                units.append(sentence)
                continue
            for word in _words(text, sentence[0], sentence[1]):
                if word[1] - word[0] <= size:
                    units.append(word)
                else:
                    units.extend(_hard_split(text, word[0], word[1], size))
    return units


def _split(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[_Span]:
    """Spans of ``text[start:end]`` separated after each ``pattern`` match, trimmed."""
    spans: list[_Span] = []
    begin = start
    for match in pattern.finditer(text, start, end):
        span = _trim(text, begin, match.end())
        if span is not None:
            spans.append(span)
        begin = match.end()
    span = _trim(text, begin, end)
    if span is not None:
        spans.append(span)
    return spans


def _words(text: str, start: int, end: int) -> list[_Span]:
    """Spans of the whitespace-separated words in ``text[start:end]``."""
    return [m.span() for m in _WORD.finditer(text, start, end)]


def _trim(text: str, start: int, end: int) -> _Span | None:
    """Shrink ``[start, end)`` to exclude surrounding whitespace; None if empty."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _hard_split(text: str, start: int, end: int, size: int) -> list[_Span]:
    """Split one over-long word into pieces of at most ``size`` characters."""
    pieces: list[_Span] = []
    while end - start > size:
        cut = _grapheme_safe_cut(text, start, start + size)
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _grapheme_safe_cut(text: str, start: int, cut: int) -> int:
    """Move ``cut`` left so it does not separate a character from its extenders."""
    candidate = cut
    while candidate > start + 1 and _joins_previous(text, candidate):
        candidate -= 1
    return candidate if not _joins_previous(text, candidate) else cut


def _joins_previous(text: str, pos: int) -> bool:
    """True if the character at ``pos`` belongs to the grapheme cluster before it."""
    if pos <= 0 or pos >= len(text):
        return False
    char, prev = text[pos], text[pos - 1]
    if prev == "\u200d" or _is_extender(char):
        return True
    if _is_regional_indicator(char) and _is_regional_indicator(prev):
        run = 0
        back = pos - 1
        while back >= 0 and _is_regional_indicator(text[back]):
            run += 1
            back -= 1
        return run % 2 == 1
    return False


def _is_extender(char: str) -> bool:
    """Combining marks, ZWJ, variation selectors, emoji modifiers and tag characters."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or code == 0x200D
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
    )


def _is_regional_indicator(char: str) -> bool:
    """Regional indicator symbols pair up into flags."""
    return 0x1F1E6 <= ord(char) <= 0x1F1FF

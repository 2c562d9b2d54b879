"""Turn uploaded files (plain text, Markdown, PDF) into text.

PDFs are read in a separate process with a CPU budget (:mod:`docintel.pdf_text`).

The file kind is decided from, in order: PDF magic bytes, the declared content
type (when it is a specific supported one), the file name extension, and for
generic declarations (missing or ``application/octet-stream``) a UTF-8 sniff.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePath

from docintel.errors import UnprocessableContentError, UnsupportedMediaTypeError
from docintel.pdf_text import PDF_MAGIC, extract_pdf_text, pdf_cpu_budget

__all__ = ["FileKind", "detect_kind", "extract_text"]

_TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown"})
_PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_TEXT_EXTENSIONS = frozenset({".txt", ".text", ".md", ".markdown"})
_PDF_EXTENSIONS = frozenset({".pdf"})
_SUPPORTED = "text/plain, text/markdown or application/pdf"


class FileKind(StrEnum):
    """What an upload is treated as."""

    TEXT = "text"
    PDF = "pdf"


def detect_kind(*, content: bytes, content_type: str | None, filename: str | None) -> FileKind:
    """Decide how to read an upload, raising 415 for unsupported types."""
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    extension = PurePath(filename).suffix.lower() if filename else ""
    if content.startswith(PDF_MAGIC):
        return FileKind.PDF
    if declared in _PDF_TYPES:
        return FileKind.PDF
    if declared in _TEXT_TYPES:
        return FileKind.TEXT
    if declared and declared not in _GENERIC_TYPES:
        raise UnsupportedMediaTypeError(f"unsupported file type {declared!r}; upload {_SUPPORTED}")
    if extension in _PDF_EXTENSIONS:
        return FileKind.PDF
    if extension in _TEXT_EXTENSIONS:
        return FileKind.TEXT
    if _looks_like_text(content):
        return FileKind.TEXT
    raise UnsupportedMediaTypeError(f"could not recognise the file as text or PDF; upload {_SUPPORTED}")


def extract_text(*, content: bytes, kind: FileKind, pdf_cpu_seconds_per_mib: float) -> str:
    """Extract the text of an upload of the given kind (422 if impossible or, for a PDF, too costly)."""
    if kind is FileKind.PDF:
        budget = pdf_cpu_budget(len(content), seconds_per_mib=pdf_cpu_seconds_per_mib)
        return extract_pdf_text(content, cpu_seconds=budget)
    return _decode_text(content)


def _looks_like_text(content: bytes) -> bool:
    """True if ``content`` decodes as UTF-8 (or has a UTF-16 BOM) and has no NUL."""
    try:
        text = _decode_text(content)
    except UnprocessableContentError:
        return False
    return "\x00" not in text


def _decode_text(content: bytes) -> str:
    """Decode UTF-8 (BOM optional) or BOM-marked UTF-16 text."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnprocessableContentError(f"file is not valid UTF-16 text: {exc}") from exc
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnprocessableContentError(
            f"text file is not valid UTF-8 (byte {exc.start}); re-encode it as UTF-8"
        ) from exc

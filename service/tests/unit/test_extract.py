"""Text extraction and file-type detection (no server needed)."""

from __future__ import annotations

import pytest

from docintel.errors import PdfTooComplexError, UnprocessableContentError, UnsupportedMediaTypeError
from docintel.extract import FileKind, detect_kind, extract_text
from docintel.pdf_text import pdf_cpu_budget
from tests.support.pdf import make_pdf


def test_pdf_text_in_page_order() -> None:
    pdf = make_pdf([["page one"], ["page two"], ["page three"]])
    assert (
        extract_text(content=pdf, kind=FileKind.PDF, pdf_cpu_seconds_per_mib=2.0)
        == "page one\n\npage two\n\npage three"
    )


@pytest.mark.parametrize(
    ("content", "content_type", "filename", "kind"),
    [
        (b"%PDF-1.4 ...", None, None, FileKind.PDF),
        (b"hello", "text/plain; charset=utf-8", "x.bin", FileKind.TEXT),
        (b"hello", "TEXT/MARKDOWN", None, FileKind.TEXT),
        (b"not pdf", "application/pdf", "a.txt", FileKind.PDF),
        (b"hello", None, "notes.MD", FileKind.TEXT),
        (b"hello", "application/octet-stream", "x.pdf", FileKind.PDF),
        ("h\u00e9llo".encode(), "", "noext", FileKind.TEXT),
    ],
)
def test_detect_kind(content: bytes, content_type: str | None, filename: str | None, kind: FileKind) -> None:
    assert detect_kind(content=content, content_type=content_type, filename=filename) is kind


@pytest.mark.parametrize(
    ("content", "content_type", "filename"),
    [
        (b"GIF89a", "image/gif", "a.txt"),
        (b"\xff\xd8\xff\x00binary", None, "photo"),
        (b"text\x00with nul", None, None),
    ],
)
def test_detect_unsupported(content: bytes, content_type: str | None, filename: str | None) -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        detect_kind(content=content, content_type=content_type, filename=filename)


def test_text_decoding() -> None:
    assert (
        extract_text(content="\ufeffBOM text".encode(), kind=FileKind.TEXT, pdf_cpu_seconds_per_mib=2.0) == "BOM text"
    )
    assert (
        extract_text(content="utf16 \u00e9".encode("utf-16"), kind=FileKind.TEXT, pdf_cpu_seconds_per_mib=2.0)
        == "utf16 \u00e9"
    )
    with pytest.raises(UnprocessableContentError, match="UTF-8"):
        extract_text(content=b"\xff\xfa\xfb", kind=FileKind.TEXT, pdf_cpu_seconds_per_mib=2.0)


@pytest.mark.parametrize("content", [b"", b"%PDF-", b"%PDF-1.7\n1 0 obj << >> endobj", b"hello"])
def test_bad_pdfs(content: bytes) -> None:
    with pytest.raises(UnprocessableContentError):
        extract_text(content=content, kind=FileKind.PDF, pdf_cpu_seconds_per_mib=2.0)


def test_pdf_over_its_cpu_budget_is_stopped() -> None:
    heavy = make_pdf([["ab"]], repeat=150_000)
    with pytest.raises(PdfTooComplexError, match="CPU"):
        extract_text(content=heavy, kind=FileKind.PDF, pdf_cpu_seconds_per_mib=0.5)


def test_pdf_cpu_budget_grows_with_the_file() -> None:
    assert pdf_cpu_budget(10, seconds_per_mib=2.0) == 2.0
    assert pdf_cpu_budget(1024 * 1024, seconds_per_mib=2.0) == 2.0
    assert pdf_cpu_budget(1024 * 1024 + 1, seconds_per_mib=2.0) == 4.0
    assert pdf_cpu_budget(20 * 1024 * 1024, seconds_per_mib=1.5) == 30.0

"""File uploads: text, Markdown, PDF, type detection, size limits."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx2
import pytest
from fastapi.testclient import TestClient

from tests.support.pdf import make_pdf
from tests.support.processes import run_python
from tests.support.redis_server import RedisServer

PDF = make_pdf(
    [
        ["Annual report on volcanoes.", "Magma chambers (deep) feed eruptions."],
        ["Second page: lava flows and ash."],
    ]
)


def upload(
    client: TestClient, content: bytes, filename: str | None, content_type: str | None, **form: str
) -> httpx2.Response:
    file_tuple = (filename, content, content_type) if content_type else (filename, content)
    return client.post("/v1/documents/upload", files={"file": file_tuple}, data=form)


def test_upload_text_file(client: TestClient) -> None:
    response = upload(
        client, b"Plain text about glaciers.\n", "notes.txt", "text/plain", title="Glacier notes", id="notes"
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"id": "notes", "chunks": 1}
    doc = client.get("/v1/documents/notes").json()
    assert doc["title"] == "Glacier notes"
    assert doc["text"] == "Plain text about glaciers.\n"


def test_upload_markdown_uses_filename_as_title(client8: TestClient) -> None:
    response = upload(client8, b"# Heading\n\nSome *markdown* text.", "readme.md", "text/markdown")
    assert response.status_code == 201, response.text
    doc = client8.get(f"/v1/documents/{response.json()['id']}").json()
    assert doc["title"] == "readme.md"
    assert doc["text"].startswith("# Heading")


def test_upload_real_pdf_and_search_it(client: TestClient) -> None:
    response = upload(client, PDF, "report.pdf", "application/pdf", id="report")
    assert response.status_code == 201, response.text
    text = client.get("/v1/documents/report").json()["text"]
    assert "Annual report on volcanoes." in text
    assert "Magma chambers (deep) feed eruptions." in text
    assert "Second page: lava flows and ash." in text
    hits = client.post("/v1/search", json={"query": "magma chambers", "k": 1}).json()["hits"]
    assert hits[0]["document_id"] == "report"


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("report.pdf", "application/octet-stream"),  # extension
        ("report.bin", "application/octet-stream"),  # magic bytes
        ("report", None),  # magic bytes, no declared type
        ("report.txt", "text/plain"),  # magic bytes win over a wrong declaration
    ],
)
def test_pdf_is_sniffed(client8: TestClient, filename: str, content_type: str | None) -> None:
    response = upload(client8, PDF, filename, content_type)
    assert response.status_code == 201, response.text
    assert "volcanoes" in client8.get(f"/v1/documents/{response.json()['id']}").json()["text"]


def test_text_is_sniffed_by_extension_and_content(client8: TestClient) -> None:
    assert upload(client8, b"hello by extension", "a.md", "application/octet-stream").status_code == 201
    assert upload(client8, "h\u00e9llo by content".encode(), "blob", "application/octet-stream").status_code == 201


def test_fake_pdf_is_422(client8: TestClient) -> None:
    response = upload(client8, b"this is not a pdf at all", "fake.pdf", "application/pdf")
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "unprocessable_content"
    assert "not a valid PDF" in body["message"]
    assert client8.get("/v1/documents").json()["total"] == 0


def test_corrupt_pdf_is_422(client8: TestClient) -> None:
    response = upload(client8, b"%PDF-1.4\n garbage garbage", "broken.pdf", "application/pdf")
    assert response.status_code == 422
    assert "PDF" in response.json()["error"]["message"]


def test_pdf_without_text_is_422(client8: TestClient) -> None:
    response = upload(client8, make_pdf([[]]), "empty.pdf", "application/pdf")
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("filename", "content_type", "content"),
    [
        ("image.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\x00"),
        ("data.json", "application/json", b"{}"),
        ("blob", "application/octet-stream", b"\x00\x01\x02\xff\xfe"),
    ],
)
def test_unsupported_type_is_415(client8: TestClient, filename: str, content_type: str, content: bytes) -> None:
    response = upload(client8, content, filename, content_type)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_invalid_utf8_text_is_422(client8: TestClient) -> None:
    response = upload(client8, b"caf\xe9 latin-1", "latin.txt", "text/plain")
    assert response.status_code == 422
    assert "UTF-8" in response.json()["error"]["message"]


def test_empty_file_is_422(client8: TestClient) -> None:
    assert upload(client8, b"   \n\t ", "blank.txt", "text/plain").status_code == 422


def test_missing_file_field_is_422(client8: TestClient) -> None:
    response = client8.post("/v1/documents/upload", data={"title": "x"})
    assert response.status_code == 422


def test_non_multipart_body_is_rejected(client8: TestClient) -> None:
    response = client8.post("/v1/documents/upload", json={"title": "x", "text": "y"})
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["error"]["message"]


@pytest.fixture
def small_limit_client(redis8: RedisServer, make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(redis8.url, max_upload_bytes=1000)


def test_upload_at_limit_is_accepted(small_limit_client: TestClient) -> None:
    assert upload(small_limit_client, b"a" * 1000, "ok.txt", "text/plain").status_code == 201


def test_upload_over_limit_is_413(small_limit_client: TestClient) -> None:
    response = upload(small_limit_client, b"a" * 1001, "big.txt", "text/plain")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert small_limit_client.get("/v1/documents").json()["total"] == 0


def test_content_length_over_limit_is_rejected_early(small_limit_client: TestClient) -> None:
    response = upload(small_limit_client, b"a" * 200_000, "huge.txt", "text/plain")
    assert response.status_code == 413
    assert "exceeds the limit" in response.json()["error"]["message"]


def test_chunked_body_over_limit_is_counted(small_limit_client: TestClient) -> None:
    boundary = "xyzboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(100):
            yield b"b" * 4096
        yield f"\r\n--{boundary}--\r\n".encode()

    response = small_limit_client.post(
        "/v1/documents/upload",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_default_limit_is_20_mib(client8: TestClient) -> None:
    assert client8.app.state.context.settings.max_upload_bytes == 20 * 1024 * 1024  # type: ignore[attr-defined]
    response = upload(client8, b"z" * (20 * 1024 * 1024 + 1), "huge.txt", "text/plain")
    assert response.status_code == 413


def test_pdf_costing_too_much_cpu_is_422_without_burning_it_here(
    redis8: RedisServer, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(redis8.url, pdf_cpu_seconds_per_mib=1.0)
    heavy = make_pdf([["ab"]], repeat=150_000)  # about 4 kB, a hundred thousand text operators
    assert len(heavy) < 20_000
    cpu_before = time.process_time()
    response = upload(client, heavy, "heavy.pdf", "application/pdf")
    cpu_spent = time.process_time() - cpu_before
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "pdf_too_complex"
    assert "CPU" in error["message"]
    assert cpu_spent < 3.0  # the extraction ran in a separate, bounded process
    assert upload(client, PDF, "report.pdf", "application/pdf").status_code == 201  # and the next PDF is fine


def test_two_file_parts_are_422(client8: TestClient) -> None:
    response = client8.post(
        "/v1/documents/upload",
        files=[("file", ("a.txt", b"first file", "text/plain")), ("file", ("b.txt", b"second file", "text/plain"))],
    )
    assert response.status_code == 422
    assert "one file" in response.json()["error"]["message"]
    assert client8.get("/v1/documents").json()["total"] == 0


def test_control_characters_only_file_is_422(client8: TestClient) -> None:
    response = upload(client8, b"\x00\x00\x01 \n", "nul.txt", "text/plain")
    assert response.status_code == 422
    assert client8.get("/v1/documents").json()["total"] == 0


_PYPDF_PROBE = """
import sys
from docintel.extract import FileKind, extract_text
from docintel.main import create_app
from tests.support.pdf import make_pdf
create_app()
text = extract_text(content=make_pdf([["in the child"]]), kind=FileKind.PDF, pdf_cpu_seconds_per_mib=2.0)
print(text, "pypdf" in sys.modules)
"""


def test_pypdf_stays_out_of_the_services_process() -> None:
    """The forkserver's children parse PDFs; the service's own process never holds pypdf (memory)."""
    found = run_python(_PYPDF_PROBE, timeout=120)
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == ["in", "the", "child", "False"]

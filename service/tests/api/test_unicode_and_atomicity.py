"""Unicode of every kind round-trips; replacing a document is atomic for readers."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docintel.schemas import is_blank
from tests.support.redis_server import RedisServer

SAMPLES = {
    "cjk": "日本語のテキストです。中文文本。한국어 텍스트입니다.",
    "emoji": "Party 🎉 family 👨\u200d👩\u200d👧 skin 👍🏽 flags 🇯🇵🇫🇷 keycap 1\ufe0f\u20e3",
    "rtl": "مرحبا بالعالم. שלום עולם. \u202eRTL override\u202c",
    "combining": "e\u0301 a\u0308 Z\u0351\u0352\u0353a\u0354l\u0356g\u0357o \u1100\u1161\u11a8",
    "astral": "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𓀀 𝄞 \U0010fffd",
    "controls": "tab\tvt\x0bff\x0c bell\x07 del\x7f zwsp\u200b nbsp\u00a0 bom\ufeff",
    "newlines": "crlf\r\n\r\nline\u2028sep\u2029para\x85nel",
    "quotes": 'backslash \\ quote " apostrophe \' json {"a": [1]} <html>&amp;',
}


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_unicode_round_trip(client: TestClient, kind: str) -> None:
    text = SAMPLES[kind]
    metadata = {"kind": kind, "sample": text, "ключ": "значение", "🔑": ["🎉", {"nested": "é"}]}
    response = client.post(
        "/v1/documents", json={"id": f"u-{kind}", "title": text[:20], "text": text, "metadata": metadata}
    )
    assert response.status_code == 201, response.text
    doc = client.get(f"/v1/documents/u-{kind}").json()
    assert doc["text"] == text
    assert doc["title"] == text[:20]
    assert doc["metadata"] == metadata
    hits = client.post("/v1/search", json={"query": text, "k": 1, "filter": {"🔑": ["🎉", {"nested": "é"}]}}).json()[
        "hits"
    ]
    assert hits[0]["document_id"] == f"u-{kind}"
    assert hits[0]["text"] in text
    upload = client.post(
        "/v1/documents/upload",
        files={"file": ("u.txt", text.encode(), "text/plain")},
        data={"title": text[:10] or "t", "id": f"up-{kind}"},
    )
    assert upload.status_code == 201, upload.text
    assert client.get(f"/v1/documents/up-{kind}").json()["text"] == text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(
        alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=300
    ).filter(lambda t: not is_blank(t))
)
def test_any_unicode_text_is_accepted(client8: TestClient, text: str) -> None:
    response = client8.post("/v1/documents", json={"id": "any", "title": "t", "text": text})
    assert response.status_code == 201, response.text
    assert client8.get("/v1/documents/any").json()["text"] == text
    assert client8.post("/v1/search", json={"query": text}).status_code == 200


def version_text(version: str, paragraphs: int) -> str:
    return "\n\n".join(f"version {version} paragraph {i} " + "lorem ipsum " * 8 for i in range(paragraphs))


def test_replace_is_atomic_for_concurrent_readers(
    redis_server: RedisServer, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(redis_server.url, chunk_size=120, chunk_overlap=10)
    versions = {"A": version_text("A", 3), "B": version_text("B", 9)}
    counts = {}
    for name, text in versions.items():  # warm the embedding cache; learn the chunk counts
        counts[name] = client.post("/v1/documents", json={"id": "doc", "title": name, "text": text}).json()["chunks"]
    assert counts["A"] != counts["B"]

    stop = threading.Event()
    problems: list[str] = []
    writes: list[str] = []
    titles_seen: set[str] = set()

    def writer() -> None:
        flip = 0
        while not stop.is_set():
            name = "AB"[flip % 2]
            flip += 1
            response = client.post("/v1/documents", json={"id": "doc", "title": name, "text": versions[name]})
            if response.status_code != 201:
                problems.append(f"write {response.status_code}")
            writes.append(name)

    def reader() -> None:
        for _ in range(60):
            hits = client.post("/v1/search", json={"query": "version paragraph lorem", "k": 20}).json()["hits"]
            seen = {hit["text"].split()[1] for hit in hits if hit["text"].startswith("version")}
            if len(seen) > 1:
                problems.append(f"mixed search result {seen}")
            if len(seen) == 1 and len(hits) > counts[next(iter(seen))]:
                problems.append(f"too many hits {len(hits)} for {seen}")
            doc = client.get("/v1/documents/doc").json()
            name = doc["title"]
            titles_seen.add(name)
            if doc["text"] != versions[name] or doc["chunks"] != counts[name]:
                problems.append(f"inconsistent document {name} chunks={doc['chunks']}")

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(2)]
    threads[0].start()
    for thread in threads[1:]:
        thread.start()
    for thread in threads[1:]:
        thread.join()
    stop.set()
    threads[0].join()
    assert problems == []
    assert len(writes) >= 10
    assert titles_seen == {"A", "B"}
    with redis_server.client() as redis_client:
        assert len(list(redis_client.scan_iter(match="docintel:chunks:doc:*"))) == 1

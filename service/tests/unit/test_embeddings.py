"""The OpenAI-compatible backend against a real HTTP stub (no Redis), and the embedder base class."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import numpy as np
import pytest

from docintel.core.metrics import Metrics
from docintel.embeddings.base import Embedder
from docintel.embeddings.openai_backend import OpenAIEmbedder, embeddings_url
from docintel.errors import EmbeddingDimensionError, EmbeddingError, EmbeddingTimeoutError
from tests.support.embedding_stub import EmbeddingStub, stub_vector


def offline_embedder(base_url: str, **overrides: object) -> OpenAIEmbedder:
    """An embedder for a URL no stub serves."""
    values: dict[str, object] = {
        "base_url": base_url,
        "api_key": None,
        "model": "m",
        "dimension": None,
        "timeout": 1.0,
        "max_retries": 0,
        "retry_backoff": 0,
        "batch_size": 2,
    }
    return OpenAIEmbedder(**{**values, **overrides})  # type: ignore[arg-type]


def make_embedder(stub: EmbeddingStub, **overrides: object) -> OpenAIEmbedder:
    values: dict[str, object] = {"model": "stub", "max_retries": 2, "retry_backoff": 0.01, "batch_size": 4}
    base_url = str(overrides.pop("base_url", stub.url))
    return offline_embedder(base_url, **{**values, **overrides})


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("http://h:1/v1", "http://h:1/v1/embeddings"),
        ("http://h:1/v1/", "http://h:1/v1/embeddings"),
        ("http://h:1", "http://h:1/v1/embeddings"),
        ("http://h:1/", "http://h:1/v1/embeddings"),
        ("http://h:1/openai/v1", "http://h:1/openai/v1/embeddings"),
        ("http://h:1/v1/embeddings", "http://h:1/v1/embeddings"),
        ("http://h:1/v1?api-key=k", "http://h:1/v1/embeddings?api-key=k"),
        (
            "https://h/openai/deployments/d/?api-version=2024-02-01",
            "https://h/openai/deployments/d/embeddings?api-version=2024-02-01",
        ),
    ],
)
def test_embeddings_url(base: str, url: str) -> None:
    assert embeddings_url(base) == url


def test_embeds_in_batches(stub: EmbeddingStub) -> None:
    embedder = make_embedder(stub)
    texts = [f"text number {i}" for i in range(10)]
    vectors = embedder.embed(texts)
    assert vectors.shape == (10, 64)
    assert vectors.dtype == np.float32
    assert [len(batch) for batch in stub.state.requests] == [4, 4, 2]
    np.testing.assert_allclose(vectors[3], stub_vector("text number 3", 64), atol=1e-6)
    assert embedder.dimension == 64


def test_duplicates_in_one_call_are_embedded_once(stub: EmbeddingStub) -> None:
    vectors = make_embedder(stub).embed(["same", "other", "same"])
    assert stub.texts_embedded == 2
    np.testing.assert_array_equal(vectors[0], vectors[2])


def test_base_url_without_v1(stub: EmbeddingStub) -> None:
    embedder = make_embedder(stub, base_url=stub.url.removesuffix("/v1"))
    assert embedder.embed(["x"]).shape == (1, 64)


def test_api_key_is_sent(stub: EmbeddingStub) -> None:
    stub.state.api_key = "upstream-key"
    with pytest.raises(EmbeddingError, match="HTTP 401"):
        make_embedder(stub).embed(["x"])
    assert make_embedder(stub, api_key="upstream-key").embed(["x"]).shape == (1, 64)


def test_retries_5xx_then_succeeds(stub: EmbeddingStub) -> None:
    stub.fail_next(2, status=503)
    assert make_embedder(stub, max_retries=2).embed(["x"]).shape == (1, 64)
    assert stub.state.attempts == 3


def test_retries_429(stub: EmbeddingStub) -> None:
    stub.fail_next(1, status=429)
    assert make_embedder(stub).embed(["x"]).shape == (1, 64)
    assert stub.state.attempts == 2


def test_gives_up_after_retries(stub: EmbeddingStub) -> None:
    stub.fail_next(10, status=500)
    with pytest.raises(EmbeddingError, match="failed after 3 attempt"):
        make_embedder(stub, max_retries=2).embed(["x"])
    assert stub.state.attempts == 3


def test_client_errors_are_not_retried(stub: EmbeddingStub) -> None:
    stub.fail_next(5, status=400)
    with pytest.raises(EmbeddingError, match="HTTP 400"):
        make_embedder(stub).embed(["x"])
    assert stub.state.attempts == 1


def test_timeout(stub: EmbeddingStub) -> None:
    stub.state.delay = 0.6
    with pytest.raises(EmbeddingTimeoutError, match="timed out"):
        make_embedder(stub, timeout=0.2, max_retries=1).embed(["x"])
    assert stub.state.attempts == 2


def test_unreachable_server() -> None:
    embedder = offline_embedder("http://127.0.0.1:9/v1")
    with pytest.raises(EmbeddingError, match="connection failed"):
        embedder.embed(["x"])


def test_wrong_dimension_against_configuration(stub: EmbeddingStub) -> None:
    with pytest.raises(EmbeddingDimensionError, match="64-dimensional vectors, expected 32"):
        make_embedder(stub, dimension=32).embed(["x"])


def test_wrong_dimension_against_learned(stub: EmbeddingStub) -> None:
    embedder = make_embedder(stub)
    embedder.embed(["x"])
    stub.state.wrong_dimension = True
    with pytest.raises(EmbeddingDimensionError, match="65-dimensional"):
        embedder.embed(["y"])


def test_wrong_count(stub: EmbeddingStub) -> None:
    stub.state.wrong_count = True
    with pytest.raises(EmbeddingError, match="1 embeddings for 2 inputs"):
        make_embedder(stub).embed(["a", "b"])


class _Fixed(Embedder):
    backend = "fixed"

    def __init__(self, rows: list[list[float]]) -> None:
        super().__init__(batch_size=8, metrics=Metrics())
        self.rows = rows

    def describe(self) -> str:
        return "fixed rows"

    def _embed(self, batch: Sequence[str]) -> np.ndarray:
        return np.asarray(self.rows[: len(batch)], dtype=np.float32)


def test_non_finite_vectors_are_rejected() -> None:
    with pytest.raises(EmbeddingError, match="non-finite"):
        _Fixed([[float("nan"), 1.0]]).embed(["x"])


def test_empty_input() -> None:
    assert _Fixed([]).embed([]).shape[0] == 0


def test_zero_vectors_are_rejected() -> None:
    with pytest.raises(EmbeddingError, match="all-zero vector for 1 of 2 texts"):
        _Fixed([[1.0, 0.0], [0.0, 0.0]]).embed(["x", "y"])


def test_vectors_too_small_to_normalise_are_rejected() -> None:
    # 1e-45 is not zero, but its square is 0 in float32: the vector would stay unnormalised.
    with pytest.raises(EmbeddingError, match=r"all-zero vector for 1 of 2 texts \(or one too close to zero"):
        _Fixed([[1.0, 0.0], [1e-45, 1e-45]]).embed(["x", "y"])


def test_answers_in_base64_are_decoded(stub: EmbeddingStub) -> None:
    vectors = make_embedder(stub).embed(["some words"])
    assert stub.state.requests == [["some words"]]
    assert stub.state.encodings == ["base64"]  # compact, and quick to decode for large documents
    np.testing.assert_allclose(vectors[0], stub_vector("some words", 64), atol=1e-6)


def test_openai_sdk_like_transport_errors_are_wrapped() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"not json")

    embedder = offline_embedder("http://stub/v1", transport=httpx.MockTransport(handler))
    with pytest.raises(EmbeddingError, match="invalid JSON"):
        embedder.embed(["x"])

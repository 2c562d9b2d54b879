"""Embeddings from any OpenAI-compatible ``/v1/embeddings`` endpoint (over httpx).

Failures are retried with exponential backoff when they may be transient
(HTTP 429 and 5xx, timeouts, connection errors); answers are validated (one
vector per input, consistent dimension).  A timeout that persists becomes
:class:`EmbeddingTimeoutError` (504), every other failure
:class:`EmbeddingError` (502).
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np

from docintel.core.metrics import Metrics
from docintel.core.secrets import redact_url
from docintel.embeddings.base import Embedder, EmbeddingMatrix
from docintel.embeddings.cache import EmbeddingCache
from docintel.errors import EmbedderUnavailableError, EmbeddingError, EmbeddingTimeoutError

__all__ = ["KNOWN_DIMENSIONS", "OpenAIEmbedder", "embeddings_url"]

logger = logging.getLogger(__name__)

KNOWN_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
_OFFICIAL_HOST = "api.openai.com"
_MAX_BACKOFF = 20.0


def embeddings_url(base_url: str) -> str:
    """The embeddings endpoint for a base URL with or without the ``/v1`` suffix; its query string is kept."""
    parts = urlsplit(base_url.strip())
    path = parts.path.rstrip("/")
    if not path:
        path = "/v1/embeddings"
    elif not path.endswith("/embeddings"):
        path += "/embeddings"
    return urlunsplit(parts._replace(path=path))


class OpenAIEmbedder(Embedder):
    """Calls ``POST {base_url}/embeddings`` with ``{"model", "input"}``."""

    backend = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        model: str,
        dimension: int | None,
        timeout: float,
        max_retries: int,
        retry_backoff: float,
        batch_size: int,
        cache: EmbeddingCache | None = None,
        metrics: Metrics | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Configure the endpoint; no request is made until the first embedding."""
        super().__init__(batch_size=batch_size, cache=cache, metrics=metrics)
        self._url = embeddings_url(base_url)
        self._shown_url = redact_url(self._url)
        self._api_key = api_key
        self._model = model
        self._configured_dimension = dimension or KNOWN_DIMENSIONS.get(model)
        self._max_retries = max_retries
        self._retry_backoff = retry_backoff
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=httpx.Timeout(timeout), headers=headers, transport=transport)
        self._timeout = timeout

    def _expected_dimension(self) -> int | None:
        """The configured dimension wins over the learned one."""
        return self._configured_dimension or self._learned_dimension

    def describe(self) -> str:
        """Model and endpoint (credentials in the URL masked)."""
        return f"openai model {self._model} at {self._shown_url}"

    def check_ready(self, *, timeout: float) -> str:
        """The configuration is usable and the endpoint answers a probe within ``timeout``."""
        if urlsplit(self._url).hostname == _OFFICIAL_HOST and not self._api_key:
            raise EmbedderUnavailableError("DOCINTEL_OPENAI_API_KEY is not set; set it to an OpenAI API key")
        return super().check_ready(timeout=timeout)

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def _embed(self, batch: Sequence[str]) -> EmbeddingMatrix:
        """One embeddings request (with retries) for ``batch``."""
        body = self._post(self._payload(batch), attempts=self._max_retries + 1, timeout=self._timeout)
        return _parse_embeddings(body, expected_count=len(batch))

    def _probe(self, batch: Sequence[str], *, timeout: float) -> EmbeddingMatrix:
        """One attempt, bounded by ``timeout``: readiness must answer quickly."""
        body = self._post(self._payload(batch), attempts=1, timeout=min(timeout, self._timeout))
        return _parse_embeddings(body, expected_count=len(batch))

    def _payload(self, batch: Sequence[str]) -> dict[str, Any]:
        """The request body; vectors come back as base64 float32 (compact, and quick to decode)."""
        return {"model": self._model, "input": list(batch), "encoding_format": "base64"}

    def _post(self, payload: dict[str, Any], *, attempts: int, timeout: float) -> Any:
        """POST ``payload``, retrying transient failures; returns the decoded JSON."""
        last_problem = ""
        timed_out = False
        for attempt in range(attempts):
            if attempt:
                time.sleep(min(self._retry_backoff * 2 ** (attempt - 1), _MAX_BACKOFF))
            try:
                response = self._client.post(self._url, json=payload, timeout=timeout)
            except httpx.TimeoutException as exc:
                timed_out, last_problem = True, f"timed out after {timeout:g}s ({type(exc).__name__})"
                logger.warning("embedding request timed out", extra={"attempt": attempt + 1})
                continue
            except httpx.TransportError as exc:
                timed_out, last_problem = False, f"connection failed: {exc}"
                logger.warning("embedding request failed", extra={"attempt": attempt + 1, "error": str(exc)})
                continue
            if response.status_code == 429 or response.status_code >= 500:
                timed_out = False
                last_problem = f"HTTP {response.status_code}: {_error_text(response)}"
                logger.warning(
                    "embedding request rejected", extra={"attempt": attempt + 1, "status": response.status_code}
                )
                continue
            if response.status_code >= 400:
                raise EmbeddingError(
                    f"embedding API at {self._shown_url} rejected the request with HTTP "
                    f"{response.status_code}: {_error_text(response)}; check DOCINTEL_OPENAI_API_KEY and "
                    "DOCINTEL_EMBEDDING_MODEL"
                )
            try:
                return response.json()
            except ValueError as exc:
                raise EmbeddingError(f"embedding API at {self._shown_url} returned invalid JSON") from exc
        message = (
            f"embedding API at {self._shown_url} failed after {attempts} attempt(s): {last_problem}; "
            "retry later, or check that the embeddings server is up"
        )
        if timed_out:
            raise EmbeddingTimeoutError(message)
        raise EmbeddingError(message)


def _error_text(response: httpx.Response) -> str:
    """A short description of an error response."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", body["error"]))[:200]
    return str(body)[:200]


def _parse_embeddings(body: Any, *, expected_count: int) -> EmbeddingMatrix:
    """Vectors from an OpenAI embeddings response, ordered by ``index``."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise EmbeddingError("embedding API response has no 'data' list")
    if len(data) != expected_count:
        raise EmbeddingError(f"embedding API returned {len(data)} embeddings for {expected_count} inputs")
    rows: list[Any] = [None] * expected_count
    for position, item in enumerate(data):
        if not isinstance(item, dict) or "embedding" not in item:
            raise EmbeddingError("embedding API response item has no 'embedding'")
        index = item.get("index", position)
        if not isinstance(index, int) or not 0 <= index < expected_count or rows[index] is not None:
            raise EmbeddingError("embedding API response has invalid or duplicate indices")
        rows[index] = _vector(item["embedding"])
    dimensions = {len(row) for row in rows}
    if len(dimensions) != 1:
        raise EmbeddingError(f"embedding API returned vectors of mixed dimensions {sorted(dimensions)}")
    return np.stack(rows).astype(np.float32, copy=False)


def _vector(raw: Any) -> Any:
    """One embedding given as a list of numbers or base64 float32."""
    if isinstance(raw, str):
        try:
            return np.frombuffer(base64.b64decode(raw, validate=True), dtype="<f4").astype(np.float32)
        except ValueError as exc:
            raise EmbeddingError("embedding API returned undecodable base64 embedding") from exc
    if not isinstance(raw, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in raw):
        raise EmbeddingError("embedding API returned an embedding that is not a list of numbers")
    return np.asarray(raw, dtype=np.float32)

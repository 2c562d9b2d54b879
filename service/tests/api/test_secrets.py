"""No secret from any setting appears in a response, a log line or the metrics.

The service runs as a real process (``python -m docintel``, JSON logs on
stdout) with credentials in every setting that can hold one, and is driven
through successes and failures, including an embeddings server that echoes
the credentials it was sent in its error messages.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support.embedding_stub import EmbeddingStub
from tests.support.live_server import LiveServer
from tests.support.redis_server import RedisServer

API_KEY = "api-key-s3cret"
UPSTREAM_KEY = "sk-upstream-s3cret"
URL_PASSWORD = "url-pa55word"
REDIS_PASSWORD = "redis-pa55word"
SECRETS = [
    API_KEY,
    UPSTREAM_KEY,
    URL_PASSWORD,
    REDIS_PASSWORD,
    base64.b64encode(f"proxyuser:{URL_PASSWORD}".encode()).decode(),  # as HTTP basic auth sends it
]


def test_no_secret_in_responses_logs_or_metrics(
    server_factory: Callable[..., RedisServer], stub: EmbeddingStub, tmp_path: Path
) -> None:
    redis = server_factory("8", password=REDIS_PASSWORD)
    stub.state.echo_credentials = True
    host_and_path = stub.url.removeprefix("http://")
    server = LiveServer(
        tmp_path,
        {
            "DOCINTEL_REDIS_URL": redis.url,
            "DOCINTEL_OPENAI_BASE_URL": f"http://proxyuser:{URL_PASSWORD}@{host_and_path}",
            "DOCINTEL_OPENAI_API_KEY": UPSTREAM_KEY,
            "DOCINTEL_API_KEY": API_KEY,
            "DOCINTEL_EMBEDDING_MODEL": "stub",
            "DOCINTEL_EMBEDDING_MAX_RETRIES": "0",
            "DOCINTEL_LOG_LEVEL": "DEBUG",
        },
    ).start()
    auth = {"Authorization": f"Bearer {API_KEY}"}
    seen: list[httpx.Response] = []
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:

            def call(method: str, path: str, **kwargs: object) -> httpx.Response:
                response = http.request(method, path, **kwargs)  # type: ignore[arg-type]
                seen.append(response)
                return response

            assert call("GET", "/readyz").status_code == 200
            assert (
                call("POST", "/v1/documents", json={"id": "d", "title": "t", "text": "fine"}, headers=auth).status_code
                == 201
            )
            assert call("POST", "/v1/search", json={"query": "fine"}, headers=auth).status_code == 200
            stub.fail_next(100, status=500)
            failed = call("POST", "/v1/documents", json={"title": "t", "text": "upstream fails"}, headers=auth)
            assert failed.status_code == 502
            assert call("GET", "/readyz").status_code == 503
            stub.fail_next(0)
            assert call("GET", "/v1/documents", headers={"Authorization": "Bearer wrong"}).status_code == 401
            redis.stop()
            assert (
                call("POST", "/v1/documents", json={"title": "t", "text": "redis gone"}, headers=auth).status_code
                == 503
            )
            assert call("GET", "/readyz").status_code == 503
            metrics = call("GET", "/metrics").text
    finally:
        server.stop()
    log = server.log()
    assert "embedding" in log and "redis" in log.lower()  # the failures were logged
    assert "docintel_http_requests_total" in metrics
    for secret in SECRETS:
        for response in seen:
            assert secret not in response.text, (secret, response.request.url, response.text)
            assert all(secret not in value for value in response.headers.values())
        assert secret not in log, secret
        assert secret not in metrics, secret

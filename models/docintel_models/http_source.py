"""HTTP sources: the Hugging Face hub and HTTP mirrors, resumable with Range."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator

import httpx

from .errors import ModelError, SourceUnavailableError, TransferInterruptedError
from .manifest import ModelFile, ModelSpec
from .source_base import MIRROR_ENV, Transfer, mirror_candidates

HF_ENDPOINT_ENV = "HF_ENDPOINT"
HF_TOKEN_ENV = "HF_TOKEN"  # noqa: S105 (the variable's name, not a secret)
DEFAULT_HF_ENDPOINT = "https://huggingface.co"
USER_AGENT = "docintel-models/1"
TIMEOUT = httpx.Timeout(30.0, read=60.0)

_CONTENT_RANGE_RE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


class _HttpSource:
    """Shared GET-with-Range logic; subclasses list the candidate URLs per file.

    A user name and password in ``base_url`` (``https://user:pass@host/models``)
    are sent as HTTP basic auth and left out of ``base_url``, so no message,
    log line or listing shows them.
    """

    denied_hint = "check that the mirror lets this client read it (user and password in the URL, if it needs them)"
    setting = f"--mirror or {MIRROR_ENV}"

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        try:
            parsed = httpx.URL(base_url.rstrip("/"))
        except httpx.InvalidURL as exc:  # its message names the bad part, never the credentials
            raise ModelError(f"the model source URL is not valid ({exc}); fix {self.setting}") from None
        auth = httpx.BasicAuth(parsed.username, parsed.password) if parsed.username or parsed.password else None
        self.base_url = str(parsed.copy_with(username=None, password=None))
        all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self._client = httpx.Client(follow_redirects=True, timeout=TIMEOUT, headers=all_headers, auth=auth)

    @property
    def description(self) -> str:
        """The base URL."""
        return self.base_url

    def candidates(self, spec: ModelSpec, model_file: ModelFile) -> list[tuple[int, str]]:
        """(layout key, URL) pairs for ``model_file``, tried in order while they answer 404."""
        raise NotImplementedError

    def _found(self, layout: int) -> None:
        """Hook: the URL of ``layout`` answered; subclasses may remember it."""

    @contextlib.contextmanager
    def open(self, spec: ModelSpec, model_file: ModelFile, offset: int) -> Iterator[Transfer]:
        """GET ``model_file`` from ``offset`` (HTTP Range); falls back to 0 if unsupported."""
        candidates = self.candidates(spec, model_file)
        for layout, url in candidates:
            response = self._get(url, offset)
            if response.status_code == 416 and offset:
                response.close()
                response = self._get(url, 0)
            if response.status_code == 404:
                response.close()
                continue
            try:
                start = self._check(response, url, offset)
                self._found(layout)
                yield Transfer(offset=start, origin=url, chunks=_iter_body(response, url))
            finally:
                response.close()
            return
        urls = [url for _, url in candidates]
        raise SourceUnavailableError(
            urls[0] if len(urls) == 1 else self.description,
            f"{model_file.path} not found (HTTP 404 for {', '.join(urls)})",
        )

    def _get(self, url: str, offset: int) -> httpx.Response:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        # Ask for the bytes as stored: no transparent compression to undo.
        headers["Accept-Encoding"] = "identity"
        request = self._client.build_request("GET", url, headers=headers)
        try:
            return self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise SourceUnavailableError(url, _describe(exc)) from exc

    def _check(self, response: httpx.Response, url: str, offset: int) -> int:
        status = response.status_code
        if status == 200:
            return 0
        if status == 206:
            match = _CONTENT_RANGE_RE.match(response.headers.get("Content-Range", ""))
            if match is None or int(match.group(1)) != offset:
                raise SourceUnavailableError(url, "server answered a range other than requested")
            return offset
        if status in (401, 403):
            raise SourceUnavailableError(url, f"HTTP {status}: access denied ({self.denied_hint})")
        raise SourceUnavailableError(url, f"HTTP {status} {response.reason_phrase}")

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _iter_body(response: httpx.Response, url: str) -> Iterator[bytes]:
    try:
        yield from response.iter_bytes()
    except httpx.HTTPError as exc:
        raise TransferInterruptedError(url, f"transfer interrupted: {_describe(exc)}") from exc


def _describe(exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())


class HubSource(_HttpSource):
    """The Hugging Face hub: ``{endpoint}/{repo}/resolve/{revision}/{path}``."""

    denied_hint = f"check {HF_TOKEN_ENV}: a gated or private repository needs a token that may read it"
    setting = HF_ENDPOINT_ENV

    @classmethod
    def from_env(cls) -> HubSource:
        """The hub at ``$HF_ENDPOINT`` (default: the public hub), token ``$HF_TOKEN``."""
        endpoint = os.environ.get(HF_ENDPOINT_ENV) or DEFAULT_HF_ENDPOINT
        token = os.environ.get(HF_TOKEN_ENV)
        headers = {"Authorization": f"Bearer {token}"} if token else None
        return cls(endpoint, headers)

    def candidates(self, spec: ModelSpec, model_file: ModelFile) -> list[tuple[int, str]]:
        """The one resolve URL of ``model_file`` at the pinned revision."""
        if spec.source.kind != "hf":
            raise SourceUnavailableError(
                self.description,
                f"{spec.name} is not on the hub: it is built by {spec.source.target}; fetch it from a mirror "
                f"(--mirror, {MIRROR_ENV}) such as the model image's /models (models/README.md)",
            )
        repo, revision, path = spec.source.repo, spec.revision, model_file.path
        return [(0, f"{self.base_url}/{repo}/resolve/{revision}/{path}")]


class HttpMirrorSource(_HttpSource):
    """A mirror served over HTTP(S), in any of the mirror directory layouts."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(base_url, headers)
        self._layout: int | None = None

    def candidates(self, spec: ModelSpec, model_file: ModelFile) -> list[tuple[int, str]]:
        """Candidate URLs per mirror layout, the layout that answered last time first."""
        pairs = [(key, f"{self.base_url}/{rel}") for key, rel in enumerate(mirror_candidates(spec, model_file))]
        if self._layout is not None:
            pairs.insert(0, pairs.pop(self._layout))
        return pairs

    def _found(self, layout: int) -> None:
        self._layout = layout

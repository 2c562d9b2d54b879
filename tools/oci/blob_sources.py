"""Where a push finds a blob's bytes: the build's local outputs, else Bazel's remote cache.

    local = LocalBlobs()
    cache = RemoteCache.from_url("http://127.0.0.1:9095", headers=["Authorization=Bearer ..."])
    with local.open(metadata, blob) or cache.open(blob.descriptor) as opened:
        registry.upload(repository, blob.descriptor, verified(opened.chunks, blob.descriptor, opened.where))

A blob's OCI digest is also its key in Bazel's content-addressed store, so the
remote cache serves it at `<cache>/cas/<sha256 hex>` (Bazel's HTTP cache
protocol: nginx with WebDAV, bazel-remote's HTTP port). It is streamed, never
written to disk. `verified` checks size and sha256 on the way and holds the
last chunk back until both match: a mismatch raises before the upload is
complete, so the registry never commits wrong bytes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.client
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

from http_stream import CHUNK, HttpError, redact, stream
from image_metadata import Blob, ImageMetadata
from oci_layout import Descriptor

T = TypeVar("T")


class BlobError(Exception):
    """A blob cannot be had, or its bytes are not what its descriptor says."""


class Opened:
    """A blob's bytes, opened: `chunks` yields them; `kind` says from where (local, layout or cache)."""

    def __init__(self, kind: str, where: str) -> None:
        """Nothing open yet; `hold` what must stay open while `chunks` is read."""
        self.kind, self.where = kind, where
        self.chunks: Iterator[bytes] = iter(())
        self._resources = ExitStack()

    def hold(self, resource: AbstractContextManager[T]) -> T:
        """Enters `resource`; it is closed with this."""
        return self._resources.enter_context(resource)

    def close(self) -> None:
        """Closes the file or the cache's response."""
        self._resources.close()

    def __enter__(self) -> Opened:
        """Opened stays open until the with-block ends."""
        return self

    def __exit__(self, *_: object) -> None:
        """Closes it."""
        self.close()


def verified(chunks: Iterator[bytes], descriptor: Descriptor, where: str) -> Iterator[bytes]:
    """Passes `chunks` on, raising BlobError before the last one unless size and sha256 match `descriptor`."""
    digest, size, held = hashlib.sha256(), 0, b""
    for chunk in chunks:
        size += len(chunk)
        if size > descriptor.size:
            raise BlobError(f"{where} has more than the {descriptor.size} bytes of {descriptor.digest}")
        digest.update(chunk)
        if held:
            yield held
        held = chunk
    actual = "sha256:" + digest.hexdigest()
    if size != descriptor.size or actual != descriptor.digest:
        raise BlobError(
            f"{where} gave {size} bytes hashing to {actual}, not the {descriptor.size} bytes of {descriptor.digest}"
        )
    if held:
        yield held


class LocalBlobs:
    """Blobs the build left on this machine: the layer's own output, else the image's layout directory."""

    def open(self, metadata: ImageMetadata, blob: Blob) -> Opened | None:
        """The blob's file opened, if one of the right size is there."""
        candidates = [("local", metadata.local_file(blob)), ("layout", metadata.layout_file(blob.descriptor))]
        for kind, path in candidates:
            if path is not None and path.is_file() and path.stat().st_size == blob.descriptor.size:
                opened = Opened(kind, f"the local output {shown_path(path)}")
                handle = opened.hold(path.open("rb"))
                opened.chunks = iter(functools.partial(handle.read, CHUNK), b"")
                return opened
        return None


def shown_path(path: Path) -> str:
    """A build output's path from bazel-out/ on (the execution root's part is the same for all)."""
    text = str(path)
    start = text.find("/bazel-out/")
    return text[start + 1 :] if start >= 0 else text


class RemoteCache:
    """Bazel's HTTP remote cache: blobs by sha256 under /cas/."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        """The cache at `url` (no credentials in it), sent `headers` with every request."""
        self.url, self.headers = url.rstrip("/"), headers

    @classmethod
    def from_url(cls, url: str, headers: Sequence[str] = ()) -> RemoteCache:
        """A cache from a URL as Bazel's --remote_cache takes it (user:password@ allowed) and `Name=Value` headers."""
        parts = urlsplit(url)
        if parts.scheme in ("grpc", "grpcs"):
            raise BlobError(
                f"the remote cache {redact(url)} speaks gRPC, and this push reads HTTP caches only: give the "
                "cache's HTTP address (bazel-remote serves both), or build the images locally first"
            )
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BlobError(f"--remote-cache {redact(url)} is not an http(s):// URL")
        named: dict[str, str] = {}
        for header in headers:
            name, sep, value = header.partition("=")
            if not sep or not name.strip():
                raise BlobError("a remote cache header must read Name=Value (as Bazel's --remote_header)")
            named[name.strip()] = value
        if parts.username is not None:
            secret = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            named.setdefault("Authorization", "Basic " + base64.b64encode(secret).decode())
        netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        netloc += f":{parts.port}" if parts.port else ""
        return cls(urlunsplit((parts.scheme, netloc, parts.path, "", "")), named)

    def open(self, descriptor: Descriptor) -> Opened | None:
        """The blob's bytes streaming from the cache, or None if the cache does not have it."""
        url = f"{self.url}/cas/{descriptor.hex}"
        opened = Opened("cache", f"the remote cache {self.url}")
        try:
            response = opened.hold(stream("GET", url, headers=self.headers))
            if response.status == 404:
                opened.close()
                return None
            self._check(response, descriptor)
        except HttpError as error:
            opened.close()
            raise BlobError(f"cannot read the remote cache: {error}") from None
        except BaseException:
            opened.close()
            raise
        opened.chunks = _response_chunks(response, url)
        return opened

    def _check(self, response: http.client.HTTPResponse, descriptor: Descriptor) -> None:
        """Raises unless the cache answered 200 with the blob's length."""
        if response.status != 200:
            hint = "; check --remote-cache-header" if response.status in (401, 403) else ""
            raise BlobError(f"the remote cache {self.url} answered {response.status} for {descriptor.digest}{hint}")
        length = response.getheader("Content-Length")
        if length is not None and length.isdigit() and int(length) != descriptor.size:
            raise BlobError(
                f"the remote cache {self.url} holds {length} bytes under {descriptor.digest}, "
                f"which has {descriptor.size}: its entry is corrupt"
            )


def _response_chunks(response: http.client.HTTPResponse, url: str) -> Iterator[bytes]:
    while True:
        try:
            chunk = response.read(CHUNK)
        except (OSError, http.client.HTTPException) as error:
            raise BlobError(f"reading {redact(url)} broke off: {error}") from None
        if not chunk:
            return
        yield chunk

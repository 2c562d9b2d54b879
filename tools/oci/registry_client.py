"""A client for one registry, speaking the OCI distribution spec's push side.

    registry = Registry("127.0.0.1:5000", auth, insecure=False)
    registry.has_blob("docintel/ml", digest)
    registry.mount("docintel/ml", digest, source="docintel/base")   # None: mounted; else an upload location
    registry.upload("docintel/ml", descriptor, chunks)              # chunks: an iterator of bytes
    registry.put_manifest("docintel/ml", digest_or_tag, media_type, data)

Plain HTTP for loopback hosts and with `insecure`, HTTPS otherwise. A 401
is answered once through RegistryAuth (basic or a bearer token). An upload
is POST, then one PATCH streaming the chunks, then PUT with the digest; if
the chunks raise (a digest or size mismatch), the PATCH is cut off, the
upload is cancelled and the registry never commits the blob. Failures raise
RegistryError with the registry's own words and what to do.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterable
from email.message import Message
from urllib.parse import quote, urljoin

from http_stream import Body, HttpError, redact, request
from oci_layout import Descriptor
from registry_auth import AuthError, Challenge, RegistryAuth

LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
# What a registry whose storage is S3 or GCS answers a HEAD of a blob it has:
# a redirect to the storage (http.client does not follow it).
REDIRECTS = (301, 302, 303, 307, 308)


class RegistryError(Exception):
    """The registry refused or could not be reached; the message has its answer and what to do."""


def _is_loopback(host: str) -> bool:
    return host.rsplit(":", 1)[0] in LOOPBACK or host.startswith("[::1]")


def _errors(body: bytes) -> str:
    """The registry's error list (`CODE: message`), or the start of its body."""
    try:
        errors = json.loads(body).get("errors") or []
        text = "; ".join(f"{e.get('code', '?')}: {e.get('message', '')}".strip() for e in errors)
    except (ValueError, AttributeError, TypeError):
        text = ""
    return text or body[:200].decode(errors="replace").strip()


class Registry:
    """One registry host (`host[:port]`)."""

    def __init__(self, host: str, auth: RegistryAuth, *, insecure: bool = False) -> None:
        """A client of `host`; plain HTTP when `insecure` or the host is loopback."""
        self.host, self.auth = host, auth
        # The last Authorization that worked, per scope set: sent up front, so a
        # streamed body (which cannot be sent twice) meets no challenge. The
        # push's threads share it: read and written under the lock.
        self._authorization: dict[tuple[str, ...], str] = {}
        self._lock = threading.Lock()
        self.base = ("http" if insecure or _is_loopback(host) else "https") + "://" + host

    # --- requests ---------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        scopes: tuple[str, ...],
        *,
        headers: dict[str, str] | None = None,
        body: Body = None,
    ) -> tuple[int, Message, bytes]:
        """Sends a request, answering one auth challenge (a streamed body cannot be sent twice)."""
        headers = dict(headers or {})
        with self._lock:
            known = dict(self._authorization)
        authorization = known.get(scopes) or next((value for key, value in known.items() if key[0] == scopes[0]), None)
        if authorization:
            headers["Authorization"] = authorization
        try:
            status, reply, data = request(method, url, headers=headers, body=body)
            replayable = body is None or isinstance(body, bytes)
            if status == 401 and "WWW-Authenticate" in reply and replayable:
                challenge = Challenge.parse(reply["WWW-Authenticate"])
                renew = authorization is not None
                headers["Authorization"] = self.auth.authorization(self.host, challenge, scopes, renew=renew)
                with self._lock:
                    self._authorization[scopes] = headers["Authorization"]
                status, reply, data = request(method, url, headers=headers, body=body)
        except HttpError as error:
            raise RegistryError(
                f"cannot reach the registry {self.host}: {error}; is it running, is --repository right?"
            ) from None
        except AuthError as error:
            raise RegistryError(str(error)) from None
        if status in (401, 403):
            said = f": {_errors(data)}" if _errors(data) else ""
            raise RegistryError(
                f"{self.host} denied {method} {redact(url)} ({status}{said}); "
                f"log in with `docker login {self.host}` or check your access to the repository"
            )
        return status, reply, data

    def _fail(self, what: str, status: int, data: bytes) -> RegistryError:
        return RegistryError(f"{self.host} refused to {what}: {status} {_errors(data)}".rstrip())

    @staticmethod
    def _scopes(repository: str, *more: str) -> tuple[str, ...]:
        return (f"repository:{repository}:pull,push", *(f"repository:{name}:pull" for name in more))

    # --- blobs ------------------------------------------------------------------

    def has_blob(self, repository: str, digest: str) -> bool:
        """Whether `repository` has the blob (HEAD): 200, or a redirect to where it is stored."""
        url = f"{self.base}/v2/{repository}/blobs/{digest}"
        status, _, data = self._send("HEAD", url, self._scopes(repository))
        if status in (200, *REDIRECTS):
            return True
        if status == 404:
            return False
        raise self._fail(f"say whether {repository} has {digest}", status, data)

    def mount(self, repository: str, digest: str, *, source: str) -> str | None:
        """Mounts the blob from `source` into `repository`: None if mounted, else an upload location to use."""
        query = f"mount={quote(digest)}&from={quote(source, safe='/')}"
        url = f"{self.base}/v2/{repository}/blobs/uploads/?{query}"
        status, reply, data = self._send("POST", url, self._scopes(repository, source), headers={"Content-Length": "0"})
        if status == 201:
            return None
        if status == 202 and reply.get("Location"):
            return urljoin(url, str(reply["Location"]))
        raise self._fail(f"mount {digest} from {source} into {repository}", status, data)

    def start_upload(self, repository: str) -> str:
        """Starts a blob upload; its location."""
        url = f"{self.base}/v2/{repository}/blobs/uploads/"
        status, reply, data = self._send("POST", url, self._scopes(repository), headers={"Content-Length": "0"})
        if status != 202 or not reply.get("Location"):
            raise self._fail(f"start an upload to {repository}", status, data)
        return urljoin(url, str(reply["Location"]))

    def upload(
        self, repository: str, descriptor: Descriptor, chunks: Iterable[bytes], location: str | None = None
    ) -> None:
        """Streams the blob's bytes into an upload (a new one unless `location`), then commits it by digest.

        If `chunks` raises, the upload is cut off and cancelled, and the error goes on.
        """
        location = location or self.start_upload(repository)
        scopes = self._scopes(repository)
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Length": str(descriptor.size),
            "Content-Range": f"0-{max(descriptor.size - 1, 0)}",
        }
        try:
            status, reply, data = self._send("PATCH", location, scopes, headers=headers, body=iter(chunks))
        except BaseException:
            self.cancel(repository, location)
            raise
        if status != 202:
            self.cancel(repository, location)
            raise self._fail(f"take the bytes of {descriptor.digest} for {repository}", status, data)
        location = urljoin(location, reply.get("Location") or location)
        separator = "&" if "?" in location else "?"
        url = f"{location}{separator}digest={quote(descriptor.digest)}"
        status, _, data = self._send("PUT", url, scopes, headers={"Content-Length": "0"}, body=b"")
        if status != 201:
            raise self._fail(f"commit {descriptor.digest} ({descriptor.size} bytes) in {repository}", status, data)

    def cancel(self, repository: str, location: str) -> None:
        """Cancels an upload (DELETE), so the registry drops what it got; best effort."""
        with contextlib.suppress(RegistryError):
            self._send("DELETE", location, self._scopes(repository))

    # --- manifests --------------------------------------------------------------

    def put_manifest(self, repository: str, reference: str, media_type: str, data: bytes) -> str:
        """Puts a manifest (or index) under a digest or tag; the digest the registry computed."""
        url = f"{self.base}/v2/{repository}/manifests/{reference}"
        headers = {"Content-Type": media_type, "Content-Length": str(len(data))}
        status, reply, body = self._send("PUT", url, self._scopes(repository), headers=headers, body=data)
        if status != 201:
            raise self._fail(f"take the manifest {reference} of {repository}", status, body)
        return str(reply.get("Docker-Content-Digest", ""))

    def manifest_digest(self, repository: str, reference: str, media_type: str) -> str | None:
        """The digest a tag (or digest) points at, or None if there is none (HEAD)."""
        url = f"{self.base}/v2/{repository}/manifests/{reference}"
        status, reply, data = self._send("HEAD", url, self._scopes(repository), headers={"Accept": media_type})
        if status == 404:
            return None
        if status != 200:
            raise self._fail(f"say what {repository}:{reference} is", status, data)
        return str(reply.get("Docker-Content-Digest", ""))

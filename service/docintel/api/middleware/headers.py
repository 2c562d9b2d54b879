"""Reading request headers from an ASGI scope."""

from __future__ import annotations

from starlette.types import Scope

__all__ = ["announces_body", "content_length", "header"]


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of header ``name`` (lower case), or None."""
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None


def content_length(scope: Scope) -> int | None:
    """The request's Content-Length, if present and valid."""
    value = header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def announces_body(scope: Scope) -> bool:
    """Whether the request head announces a body: a non-zero Content-Length, or Transfer-Encoding (chunks)."""
    return content_length(scope) not in (None, 0) or header(scope, b"transfer-encoding") is not None

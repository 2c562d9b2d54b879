"""Reading request headers from an ASGI scope."""

from __future__ import annotations

from starlette.types import Scope

__all__ = ["content_length", "header"]


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

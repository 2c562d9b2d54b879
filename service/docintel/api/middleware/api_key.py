"""The API key, checked on the request head, before any of the body is read."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr
from starlette.types import Receive, Scope, Send

from docintel.api.errors import docintel_error_response
from docintel.api.middleware.headers import header
from docintel.api.middleware.http import HttpMiddleware
from docintel.errors import AuthenticationError

__all__ = ["PROTECTED_PREFIX", "ApiKeyMiddleware", "api_key_error"]

PROTECTED_PREFIX = "/v1/"
"""Every route under it needs the key (documents and search; reads too, since they return content)."""


def api_key_error(scope: Scope, *, expected: SecretStr) -> AuthenticationError | None:
    """Why the request's ``Authorization: Bearer`` or ``X-API-Key`` does not match, or None if one does."""
    wanted = expected.get_secret_value().encode("utf-8")
    offered = []
    authorization = header(scope, b"authorization")
    if authorization is not None:
        scheme, _, credentials = authorization.partition(b" ")
        if scheme.lower() == b"bearer" and credentials.strip():
            offered.append(credentials.strip())
    api_key = header(scope, b"x-api-key")
    if api_key:
        offered.append(api_key)
    if any(hmac.compare_digest(value, wanted) for value in offered):
        return None
    if offered:
        return AuthenticationError("invalid API key; send the key of DOCINTEL_API_KEY")
    return AuthenticationError("missing API key: send Authorization: Bearer <key> or X-API-Key: <key>")


def _route_path(scope: Scope) -> str:
    """The path the router matches: ``path`` less ``root_path`` (which uvicorn's --root-path and mounts put in it)."""
    path, root = str(scope.get("path", "")), str(scope.get("root_path", ""))
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :]
    return path


@dataclass(kw_only=True)
class ApiKeyMiddleware(HttpMiddleware):
    """401 for requests under ``/v1/`` without the right key, answered from the head alone.

    With ``api_key`` None every request passes.
    """

    api_key: SecretStr | None
    redact: Callable[[str], str]

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the key, then pass the request on."""
        if self.api_key is not None and _route_path(scope).startswith(PROTECTED_PREFIX):
            error = api_key_error(scope, expected=self.api_key)
            if error is not None:
                await docintel_error_response(error, redact=self.redact)(scope, receive, send)
                return
        await self.app(scope, receive, send)

"""App-level exception handlers: every error becomes ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from docintel.errors import AuthenticationError, DocintelError
from docintel.schemas import NOT_BLANK_PATTERN, ErrorBody, ErrorDetail, ErrorResponse
from docintel.store.redis_client import is_unavailable_error, unavailable_error

__all__ = ["ERROR_RESPONSES", "docintel_error_response", "error_response", "install_exception_handlers"]

logger = logging.getLogger(__name__)

# FastAPI's message when a body cannot be decoded at all (bad UTF-8, broken multipart).
_UNPARSABLE_BODY = "There was an error parsing the body"


def describe_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error status codes."""
    return {code: {"model": ErrorResponse, "description": HTTPStatus(code).phrase} for code in codes}


ERROR_RESPONSES = describe_errors(401, 422, 503)
"""Errors any protected route may return (documented in OpenAPI)."""


def error_response(
    status_code: int,
    code: str,
    message: str,
    *,
    details: Sequence[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build the standard JSON error response."""
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=list(details) if details else None))
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status_code, headers=headers)


def _status_code_name(status_code: int) -> str:
    """``404`` → ``not_found``."""
    try:
        return HTTPStatus(status_code).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "http_error"


def docintel_error_response(exc: DocintelError, *, redact: Callable[[str], str]) -> JSONResponse:
    """The response for one of our errors: its status and code, the message with secrets masked."""
    headers = {"WWW-Authenticate": 'Bearer realm="docintel"'} if isinstance(exc, AuthenticationError) else {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(exc.status_code, exc.code, redact(exc.message), headers=headers or None)


def _redactor(request: Request) -> Callable[[str], str]:
    """The app's secret masking (none in an app without a context)."""
    context = getattr(request.app.state, "context", None)
    return context.redact if context is not None else str


async def _docintel_error(request: Request, exc: Exception) -> JSONResponse:
    """Our own errors carry their status and code."""
    assert isinstance(exc, DocintelError)
    if exc.status_code >= 500:
        logger.warning("request failed", extra={"code": exc.code, "error": exc.message, "path": request.url.path})
    return docintel_error_response(exc, redact=_redactor(request))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with a readable summary plus per-field details."""
    assert isinstance(exc, RequestValidationError)
    details = [
        ErrorDetail(
            loc=[part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            msg=_readable_message(error),
            type=str(error.get("type", "")),
        )
        for error in exc.errors()
    ]
    summary = "; ".join(f"{'.'.join(map(str, d.loc))}: {d.msg}" for d in details[:5]) or "invalid request"
    return error_response(422, "validation_error", summary, details=details)


def _readable_message(error: dict[str, Any]) -> str:
    """Pydantic's message, with the blank-text pattern explained in words."""
    context = error.get("ctx") or {}
    if error.get("type") == "string_pattern_mismatch" and context.get("pattern") == NOT_BLANK_PATTERN:
        return "must not be empty or whitespace-only"
    return str(error.get("msg", ""))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette/FastAPI HTTP errors (404 unknown route, 405, unparsable bodies)."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # Only body decoding raises a bare 400 here (bad UTF-8, malformed multipart); like invalid
        # JSON it is reported as a 422 validation error.
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != _UNPARSABLE_BODY else ""
        message = "request body could not be parsed (invalid JSON, text encoding or multipart form)"
        return error_response(422, "validation_error", f"{message}: {detail}" if detail else message)
    code = _status_code_name(exc.status_code)
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route for {request.method} {request.url.path}"
    return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))


async def _redis_error(request: Request, exc: Exception) -> JSONResponse:
    """Redis errors that escaped the store: 503 for outages, 500 otherwise."""
    if is_unavailable_error(exc):
        return docintel_error_response(unavailable_error(exc, "serving the request"), redact=_redactor(request))
    logger.error("redis error", extra={"path": request.url.path, "error": str(exc)})
    return error_response(
        500,
        "storage_error",
        "unexpected storage error: the service's log has Redis' reply (a Redis user without the permissions this "
        "service needs, or a key of another type under DOCINTEL_KEY_PREFIX)",
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """Anything unexpected is a 500 (and logged with its traceback)."""
    logger.exception("unhandled error", extra={"path": request.url.path})
    return error_response(500, "internal_error", "internal server error")


def install_exception_handlers(app: FastAPI) -> None:
    """Register all handlers on ``app``."""
    app.add_exception_handler(DocintelError, _docintel_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(redis.RedisError, _redis_error)
    app.add_exception_handler(Exception, _unexpected_error)

"""Exception hierarchy of the service.

Every error the service raises on purpose derives from :class:`DocintelError`.
Each subclass carries the HTTP status and the machine-readable ``code`` that the
app-level exception handlers (see :mod:`docintel.api.errors`) put into the JSON
error body ``{"error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "DocintelError",
    "DocumentNotFoundError",
    "EmbedderUnavailableError",
    "EmbeddingDimensionError",
    "EmbeddingError",
    "EmbeddingTimeoutError",
    "IndexDimensionMismatchError",
    "PayloadTooLargeError",
    "StoreUnavailableError",
    "UnprocessableContentError",
    "UnsupportedMediaTypeError",
]


class DocintelError(Exception):
    """Root of all errors raised deliberately by docintel."""

    status_code: int = 500
    code: str = "internal_error"

    def __init__(self, message: str) -> None:
        """Create the error with a human-readable ``message``."""
        super().__init__(message)
        self.message = message


class BadRequestError(DocintelError):
    """The request is malformed in a way validation did not catch."""

    status_code = 400
    code = "bad_request"


class AuthenticationError(DocintelError):
    """Missing or wrong API key."""

    status_code = 401
    code = "unauthorized"


class DocumentNotFoundError(DocintelError):
    """The requested document does not exist."""

    status_code = 404
    code = "document_not_found"


class PayloadTooLargeError(DocintelError):
    """The request body or uploaded file exceeds the configured limit."""

    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaTypeError(DocintelError):
    """The uploaded file (or the request body) has a type the service cannot read."""

    status_code = 415
    code = "unsupported_media_type"


class UnprocessableContentError(DocintelError):
    """The content is of a supported type but cannot be used (empty, corrupt PDF...)."""

    status_code = 422
    code = "unprocessable_content"


class EmbeddingError(DocintelError):
    """The embedding backend failed or answered something unusable."""

    status_code = 502
    code = "embedding_failed"


class EmbeddingDimensionError(EmbeddingError):
    """The embedding backend returned vectors of an unexpected dimension."""

    code = "embedding_dimension_mismatch"


class IndexDimensionMismatchError(EmbeddingDimensionError):
    """The embedder's vectors do not fit the dimension of the vectors already stored."""

    code = "index_dimension_mismatch"


class EmbeddingTimeoutError(EmbeddingError):
    """The embedding backend did not answer in time (after retries)."""

    status_code = 504
    code = "embedding_timeout"


class EmbedderUnavailableError(DocintelError):
    """The configured embedder cannot be used at all (missing libraries, bad config)."""

    status_code = 503
    code = "embedder_unavailable"


class StoreUnavailableError(DocintelError):
    """Redis cannot be reached (or went away during the request)."""

    status_code = 503
    code = "store_unavailable"

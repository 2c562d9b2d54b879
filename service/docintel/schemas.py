"""Request and response models of the HTTP API."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, JsonValue

__all__ = [
    "DOCUMENT_ID_PATTERN",
    "NOT_BLANK_PATTERN",
    "DocumentCreate",
    "DocumentCreated",
    "DocumentPage",
    "DocumentPublic",
    "DocumentSummary",
    "ErrorBody",
    "ErrorDetail",
    "ErrorResponse",
    "HealthStatus",
    "ReadinessStatus",
    "SearchHit",
    "SearchRequest",
    "SearchResponse",
    "is_blank",
]

DOCUMENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$"
MAX_METADATA_KEYS = 64
# Metadata is returned with every hit of a search: 100 hits of a 4 MB value were 400 MB per answer.
MAX_METADATA_BYTES = 64 * 1024


def _valid_unicode(value: str) -> str:
    """Reject strings that cannot be encoded (lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode (no lone surrogates)") from exc
    return value


def is_blank(value: str) -> bool:
    """True if ``value`` has nothing but whitespace and control characters (``NOT_BLANK_PATTERN`` finds nothing)."""
    return _NOT_BLANK.search(value) is None


def _not_blank(value: str) -> str:
    """Reject empty strings and those of whitespace and control characters only."""
    if is_blank(value):
        raise ValueError("must not be empty or whitespace-only")
    return _valid_unicode(value)


def _valid_json(value: JsonValue) -> JsonValue:
    """Recursively reject lone surrogates and non-finite numbers."""
    if isinstance(value, str):
        _valid_unicode(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    elif isinstance(value, list):
        for item in value:
            _valid_json(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _valid_unicode(key)
            _valid_json(item)
    return value


def _json_integer(value: object) -> object:
    """Accept JSON integers (``5`` or ``5.0``) but not booleans or strings."""
    if isinstance(value, (bool, str)):
        raise ValueError("must be an integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _valid_metadata(value: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """Bound the number of keys and the size, and validate all strings and numbers."""
    if len(value) > MAX_METADATA_KEYS:
        raise ValueError(f"at most {MAX_METADATA_KEYS} keys are allowed")
    _valid_json(value)
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_METADATA_BYTES:
        raise ValueError(
            f"at most {MAX_METADATA_BYTES} bytes as JSON are allowed, not {size}: metadata comes back with every "
            "search hit; keep large content in the document's text"
        )
    return value


NOT_BLANK_PATTERN = r"[^\s\x00-\x1f\x7f-\x9f]"
"""Contains a character that is neither whitespace (Python's and Unicode's) nor a control character."""
_NOT_BLANK = re.compile(NOT_BLANK_PATTERN)

_Text = TypeVar("_Text", bound=str)
NonBlank = Annotated[_Text, Field(pattern=NOT_BLANK_PATTERN), AfterValidator(_not_blank)]
"""A string with a visible character; ``NonBlank[Annotated[str, Field(max_length=N)]]`` bounds it
too, its length checked first so that the error is pydantic's "at most N characters"."""
NonBlankText = NonBlank[str]
Metadata = Annotated[dict[str, JsonValue], AfterValidator(_valid_metadata)]
DocumentId = Annotated[str, Field(pattern=DOCUMENT_ID_PATTERN, examples=["report-2024"])]


class DocumentCreate(BaseModel):
    """A document to ingest; ``id`` is generated when absent."""

    title: NonBlank[Annotated[str, Field(max_length=1000)]]
    text: NonBlankText
    id: DocumentId | None = None
    metadata: Metadata = Field(default_factory=dict)


class DocumentCreated(BaseModel):
    """Result of an ingest."""

    id: str
    chunks: int


class DocumentSummary(BaseModel):
    """A document in listings (no text)."""

    id: str
    title: str
    metadata: dict[str, JsonValue]
    chunks: int
    created_at: datetime
    updated_at: datetime


class DocumentPublic(DocumentSummary):
    """A full document."""

    text: str


class DocumentPage(BaseModel):
    """One page of documents, oldest first."""

    items: list[DocumentSummary]
    total: int
    offset: int
    limit: int


class SearchRequest(BaseModel):
    """A semantic search; ``filter`` requires metadata values to be equal (JSON equality)."""

    query: NonBlank[Annotated[str, Field(max_length=20_000)]]
    k: Annotated[int, Field(ge=1, le=100), BeforeValidator(_json_integer)] = 5
    filter: Metadata | None = None


class SearchHit(BaseModel):
    """One matching chunk; ``score`` is the cosine similarity (higher is better)."""

    document_id: str
    chunk_index: int
    text: str
    score: float
    title: str
    metadata: dict[str, JsonValue]


class SearchResponse(BaseModel):
    """Search hits, best first."""

    hits: list[SearchHit]


class ErrorDetail(BaseModel):
    """One validation problem."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Machine-readable ``code`` and human-readable ``message``."""

    code: str
    message: str
    details: list[ErrorDetail] | None = None


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorBody


class HealthStatus(BaseModel):
    """Liveness."""

    status: Literal["ok"] = "ok"


class ReadinessStatus(BaseModel):
    """Readiness: ``ok``, or ``unavailable`` with the ``reason``."""

    status: Literal["ok", "unavailable"]
    reason: str | None = None
    checks: dict[str, str] = Field(default_factory=dict)

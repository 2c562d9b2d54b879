"""Stored documents as the store returns them, and their Redis hash encoding."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import JsonValue

__all__ = ["LISTING_FIELDS", "DocumentRecord", "record_fields", "record_from_hash"]

LISTING_FIELDS = ("id", "title", "metadata", "chunks", "created_at", "updated_at", "generation")
"""The hash fields a listing reads (all but the text)."""


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """A stored document (``text`` is empty in listings)."""

    id: str
    title: str
    text: str
    metadata: dict[str, JsonValue]
    chunks: int
    created_at: float
    updated_at: float
    generation: str = field(default="", repr=False)


def record_fields(record: DocumentRecord) -> dict[str, str | int]:
    """The document hash of ``record``."""
    return {
        "id": record.id,
        "title": record.title,
        "text": record.text,
        "metadata": json.dumps(record.metadata, ensure_ascii=False),
        "chunks": record.chunks,
        "generation": record.generation,
        "created_at": repr(record.created_at),
        "updated_at": repr(record.updated_at),
    }


def record_from_hash(raw: Mapping[Any, Any], *, with_text: bool) -> DocumentRecord:
    """Build a :class:`DocumentRecord` from a Redis hash reply (bytes or str keys)."""
    values = {(k.decode() if isinstance(k, bytes) else k): v for k, v in raw.items()}

    def text_of(name: str) -> str:
        value = values.get(name)
        return value.decode() if isinstance(value, bytes) else (value or "")

    return DocumentRecord(
        id=text_of("id"),
        title=text_of("title"),
        text=text_of("text") if with_text else "",
        metadata=json.loads(values["metadata"]) if values.get("metadata") else {},
        chunks=int(values.get("chunks") or 0),
        created_at=float(values.get("created_at") or 0.0),
        updated_at=float(values.get("updated_at") or 0.0),
        generation=text_of("generation"),
    )

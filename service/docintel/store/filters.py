"""Metadata equality filters expressed as opaque tags.

Each top-level metadata entry ``key: value`` becomes a tag, a short hash of the
canonical JSON of ``[key, value]``.  A filter ``{key: value, ...}`` matches a
document when the document has all the filter's tags.  Both search paths use
the same tags (as vector-set attributes ``{"t…": 1}`` on Redis 8, and as a set
per document on the exact path), so they agree on what matches, and no user
string ever has to be quoted into a Redis ``FILTER`` expression.

Equality is JSON equality: ``1`` and ``1.0`` match, ``true`` and ``1`` do not.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping

from pydantic import JsonValue

__all__ = ["canonical", "filter_tag", "filter_tags"]


def canonical(value: JsonValue) -> JsonValue:
    """Normalise a JSON value so equal values serialise identically."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        return value
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return {key: canonical(item) for key, item in value.items()}


def filter_tag(key: str, value: JsonValue) -> str:
    """The tag for ``metadata[key] == value``; a valid attribute name in filter expressions."""
    encoded = json.dumps([key, canonical(value)], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "t" + hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:24]


def filter_tags(metadata: Mapping[str, JsonValue]) -> frozenset[str]:
    """All tags of a document's (or a filter's) metadata."""
    return frozenset(filter_tag(key, value) for key, value in metadata.items())

"""Keeping credentials out of everything the service prints: responses, logs, /readyz.

Two layers: URLs are shown through :func:`redact_url` wherever the service
formats one, and a :class:`Redactor` built from every secret the settings hold
(:func:`secret_values`) scrubs error messages and log lines as a last line of
defence, also catching what an upstream server echoes back (its error text may
quote the credentials it was sent).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from docintel.core.config import Settings

__all__ = ["MASK", "Redactor", "redact_url", "secret_values"]

MASK = "***"
_MIN_SECRET_LENGTH = 3
"""Shorter values are not masked: replacing every "ab" would garble text without hiding anything."""


def redact_url(url: str) -> str:
    """``url`` with its user info and every query value replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = "&".join(f"{name}={MASK}" for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _url_secrets(url: str) -> list[str]:
    """The credentials a URL carries: user info (also as HTTP basic auth sends it) and query values."""
    parts = urlsplit(url)
    found = [value for _, value in parse_qsl(parts.query, keep_blank_values=True)]
    if parts.password is not None:
        user, password = unquote(parts.username or ""), unquote(parts.password)
        found += [password, base64.b64encode(f"{user}:{password}".encode()).decode("ascii")]
    return found


def secret_values(settings: Settings) -> list[str]:
    """Every secret in ``settings``: API keys, and credentials inside the Redis and embeddings URLs."""
    found = [key.get_secret_value() for key in (settings.api_key, settings.openai_api_key) if key is not None]
    return found + _url_secrets(settings.redis_url) + _url_secrets(settings.openai_base_url)


class Redactor:
    """Replaces known secrets, and their URL- and JSON-escaped forms, with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        """Mask each of ``secrets`` (values shorter than three characters are left alone)."""
        forms: set[str] = set()
        for secret in secrets:
            if len(secret) >= _MIN_SECRET_LENGTH:
                forms |= {secret, quote(secret), quote(secret, safe=""), json.dumps(secret)[1:-1]}
        ordered = sorted(forms, key=len, reverse=True)  # the longest form first, so no fragment survives
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        """``text`` with every secret masked."""
        return self._pattern.sub(MASK, text) if self._pattern is not None else text

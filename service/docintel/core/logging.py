"""JSON logging: one JSON object per line on stdout, secrets masked."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

__all__ = ["JsonFormatter", "configure_logging"]

# Attributes every LogRecord has; anything else was passed through ``extra=``.
_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"})


class JsonFormatter(logging.Formatter):
    """Format records as single-line JSON with time, level, logger and message.

    Fields given through ``extra=`` (e.g. ``method``, ``path``, ``status``,
    ``duration_ms`` of access logs) are added at the top level.  The finished
    line goes through ``redact`` (see :mod:`docintel.core.secrets`), so no
    secret reaches the log, whichever field or traceback carried it.
    """

    def __init__(self, redact: Callable[[str], str] | None = None) -> None:
        """Format records; ``redact`` masks secrets in each finished line."""
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as one JSON line."""
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        line = json.dumps(payload, default=str, ensure_ascii=False)
        return self._redact(line) if self._redact is not None else line


def configure_logging(level: str = "INFO", *, redact: Callable[[str], str] | None = None) -> None:
    """Send all logging (including uvicorn's) to stdout as JSON lines, masked by ``redact``."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(redact))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uv_logger = logging.getLogger(name)
        uv_logger.handlers[:] = []
        uv_logger.propagate = True

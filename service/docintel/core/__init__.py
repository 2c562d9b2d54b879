"""Cross-cutting infrastructure: configuration, logging, metrics."""

from docintel.core.config import Settings
from docintel.core.logging import JsonFormatter, configure_logging
from docintel.core.metrics import Metrics

__all__ = ["JsonFormatter", "Metrics", "Settings", "configure_logging"]

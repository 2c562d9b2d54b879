"""HTTP routers."""

from docintel.api.routes import documents, health, search

__all__ = ["documents", "health", "search"]

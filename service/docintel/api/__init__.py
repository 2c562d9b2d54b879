"""HTTP layer: routers, dependencies, error handlers, middleware."""

from docintel.api.context import AppContext
from docintel.api.errors import install_exception_handlers

__all__ = ["AppContext", "install_exception_handlers"]

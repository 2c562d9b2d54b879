"""ASGI middleware, each an HttpMiddleware, outermost first: access log, lingering close, API key, body bounds."""

from docintel.api.middleware.access_log import AccessLogMiddleware
from docintel.api.middleware.api_key import ApiKeyMiddleware
from docintel.api.middleware.lingering_close import LingeringCloseMiddleware
from docintel.api.middleware.request_body import RequestBodyMiddleware

__all__ = ["AccessLogMiddleware", "ApiKeyMiddleware", "LingeringCloseMiddleware", "RequestBodyMiddleware"]

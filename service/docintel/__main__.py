"""``python -m docintel``: serve the API with uvicorn on 0.0.0.0:$PORT (JSON logs, secrets masked)."""

from __future__ import annotations

from docintel.core.config import Settings
from docintel.core.logging import configure_logging
from docintel.core.secrets import Redactor, secret_values
from docintel.main import create_app
from docintel.server import serve


def main() -> None:
    """Configure logging, build the app and run it until interrupted."""
    settings = Settings()
    configure_logging(settings.log_level, redact=Redactor(secret_values(settings)))
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()

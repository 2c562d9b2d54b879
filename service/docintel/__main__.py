"""``python -m docintel``: serve the API with uvicorn on 0.0.0.0:$PORT (JSON logs)."""

from __future__ import annotations

import uvicorn

from docintel.core.config import Settings
from docintel.core.logging import configure_logging
from docintel.main import create_app


def main() -> None:
    """Configure logging, build the app and run it until interrupted."""
    settings = Settings()
    configure_logging(settings.log_level)
    app = create_app(settings)
    uvicorn.run(app, host="0.0.0.0", port=settings.port, log_config=None, access_log=False)  # noqa: S104


if __name__ == "__main__":
    main()

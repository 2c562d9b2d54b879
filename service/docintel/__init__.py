"""docintel: document intelligence service (ingest, chunk, embed, search on Redis)."""

__version__ = "0.1.0"

__all__ = ["__version__"]

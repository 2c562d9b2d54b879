"""docintel_models: fetch pinned, sha256-verified model files into a cache volume.

Models are never baked into images. :func:`ensure_model` returns a local
directory with every file of a model listed in ``models/manifest.json``,
fetching what is missing from the Hugging Face hub or a local mirror
(``DOCINTEL_MODEL_MIRROR``); ``python -m docintel_models`` (``init_models``)
does the same ahead of time.
"""

from .cache import default_cache_dir
from .errors import (
    ChecksumMismatchError,
    DiskFullError,
    ManifestError,
    ModelError,
    SourceUnavailableError,
    TransferInterruptedError,
    UnknownModelError,
)
from .fetch import FetchResult, ensure_model, fetch_model, verify_model
from .manifest import Manifest, ModelFile, ModelSource, ModelSpec, load_manifest
from .verify import FileCheck, FileState

__all__ = [
    "ChecksumMismatchError",
    "DiskFullError",
    "FetchResult",
    "FileCheck",
    "FileState",
    "Manifest",
    "ManifestError",
    "ModelError",
    "ModelFile",
    "ModelSource",
    "ModelSpec",
    "SourceUnavailableError",
    "TransferInterruptedError",
    "UnknownModelError",
    "default_cache_dir",
    "ensure_model",
    "fetch_model",
    "load_manifest",
    "verify_model",
]

"""Embedders whose model lives in the model volume: verified by docintel_models and loaded on first use.

The local (sentence-transformers) and onnx (ONNX Runtime) embedders share
this: nothing heavy is imported until the first embed or ``/readyz``; then the
backend's libraries are imported, ``docintel_models.ensure_model`` makes sure
the model's files are in ``model_dir`` with their pinned sha256, and the
backend opens them, and the heap that opening freed is returned to the
system. One thread loads while the others wait; a failed load is
retried on the next use. Batches run one at a time: the model already spreads
each over the CPUs.
"""

from __future__ import annotations

import importlib
import threading
from abc import abstractmethod
from collections.abc import Collection, Sequence
from pathlib import Path
from types import ModuleType
from typing import Generic, Protocol, TypeVar, Unpack

from docintel.core.heap import release_free_heap
from docintel.embeddings.base import Embedder, EmbedderOptions
from docintel.errors import EmbedderUnavailableError

__all__ = ["OpenedModel", "VolumeModelEmbedder", "import_runtime"]


class OpenedModel(Protocol):
    """What every opened model tells: its sentence-embedding dimension and the threads it runs on."""

    @property
    def dimension(self) -> int:
        """The length of its vectors."""

    @property
    def threads(self) -> int:
        """The CPUs one batch is spread over."""


ModelT = TypeVar("ModelT", bound=OpenedModel)


def import_runtime(names: Sequence[str], *, image_libraries: Collection[str], unavailable: str) -> list[ModuleType]:
    """Import the backend's libraries; ``unavailable`` if one of ``image_libraries`` is not installed."""
    try:
        return [importlib.import_module(name) for name in names]
    except ModuleNotFoundError as exc:
        if exc.name in image_libraries:
            raise EmbedderUnavailableError(unavailable) from exc
        raise EmbedderUnavailableError(f"importing {', '.join(names)} failed: {exc}") from exc
    except Exception as exc:  # a shared library failing to load or initialise
        raise EmbedderUnavailableError(f"importing {', '.join(names)} failed: {exc}") from exc


class VolumeModelEmbedder(Embedder, Generic[ModelT]):
    """A model from the model volume, loaded once on first use; subclasses open it in :meth:`_load`."""

    def __init__(self, *, model_name: str, model_dir: Path, **options: Unpack[EmbedderOptions]) -> None:
        """Remember what to load; loading happens on first use."""
        super().__init__(**options)
        self._model_name = model_name
        self._model_dir = model_dir
        self._model: ModelT | None = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()

    @property
    def dimension(self) -> int:
        """The loaded model's sentence-embedding dimension (loading it if needed)."""
        return self._loaded().dimension

    def _expected_dimension(self) -> int | None:
        """Known once the model is loaded."""
        return self._model.dimension if self._model is not None else None

    def describe(self) -> str:
        """The model's name and, once loaded, what it runs on (:meth:`_runs_on`)."""
        described = f"{self.backend} model {self._model_name}"
        return described if self._model is None else described + self._runs_on(self._model)

    @abstractmethod
    def _runs_on(self, model: ModelT) -> str:
        """What :meth:`describe` adds once ``model`` is loaded: its engine, threads."""

    @abstractmethod
    def _load(self) -> ModelT:
        """Import the backend's libraries, fetch/verify the files (:meth:`_model_files`) and open them."""

    def _loaded(self) -> ModelT:
        """The model, loading it on the first call."""
        if self._model is not None:
            return self._model
        with self._load_lock:
            if self._model is None:
                self._model = self._load()
                release_free_heap()  # what opening the model freed (tens of MB) goes back to the system
        return self._model

    def _model_files(self) -> Path:
        """The directory holding the model's verified files (fetched into ``model_dir`` if missing)."""
        try:
            models = importlib.import_module("docintel_models")
        except ImportError as exc:
            raise EmbedderUnavailableError(f"the {self.backend} embedder needs the docintel_models package") from exc
        try:
            return Path(models.ensure_model(self._model_name, cache_dir=self._model_dir))
        except Exception as exc:
            raise EmbedderUnavailableError(
                f"{self.backend} model {self._model_name!r} is not available in {self._model_dir}: {exc}"
            ) from exc

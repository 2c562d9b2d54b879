"""The model manifest: which models the service may use, and their exact files.

The manifest is ``models/manifest.json`` (next to this package). Its shape::

    {"schema_version": 1,
     "models": [{"name": "...", "source": {"kind": "hf", "repo": "org/name"},
                 "revision": "<commit or branch>", "dimension": 384,
                 "files": [{"path": "rel/path", "size": 123, "sha256": "<hex>"}]}]}

A model built by this repository instead of downloaded has the source
``{"kind": "bazel", "target": "//pkg:name", "note": "..."}``: the hub is
never asked for it, only mirrors (the note says why and where to get it).

``DOCINTEL_MODEL_MANIFEST`` may point at another manifest file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import ManifestError, UnknownModelError

SCHEMA_VERSION = 1
MANIFEST_ENV = "DOCINTEL_MODEL_MANIFEST"
DEFAULT_MANIFEST_PATH = Path(__file__).resolve().parent.parent / "manifest.json"

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_COMPONENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_LABEL_RE = re.compile(r"^//[A-Za-z0-9/._-]*:[A-Za-z0-9._-]+$")
SOURCE_KINDS = ("hf", "bazel")


@dataclass(frozen=True)
class ModelFile:
    """One file of a model: path relative to the model directory, size, sha256."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ModelSource:
    """Where a model comes from: ``hf`` and a hub repo id, or ``bazel`` and the target that builds it."""

    kind: str
    repo: str | None = None
    target: str | None = None

    @property
    def origin(self) -> str:
        """``hf:<repo>`` or ``bazel:<target>``, for listings and messages."""
        return f"{self.kind}:{self.repo if self.kind == 'hf' else self.target}"


@dataclass(frozen=True)
class ModelSpec:
    """A model the service may use, pinned to a revision and exact files."""

    name: str
    source: ModelSource
    revision: str
    dimension: int
    files: tuple[ModelFile, ...]

    @property
    def total_size(self) -> int:
        """Sum of the sizes of all files, in bytes."""
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class Manifest:
    """All models listed by a manifest file, by name."""

    models: dict[str, ModelSpec]
    path: Path

    def get(self, name: str) -> ModelSpec:
        """Return the model called ``name`` or raise :class:`UnknownModelError`."""
        try:
            return self.models[name]
        except KeyError:
            raise UnknownModelError(name, self.models) from None

    @property
    def names(self) -> list[str]:
        """Model names in manifest order."""
        return list(self.models)


def default_manifest_path() -> Path:
    """Return the manifest path: ``$DOCINTEL_MODEL_MANIFEST`` or the bundled one."""
    override = os.environ.get(MANIFEST_ENV)
    return Path(override) if override else DEFAULT_MANIFEST_PATH


def load_manifest(path: Path | str | None = None) -> Manifest:
    """Read and validate a manifest file (default: :func:`default_manifest_path`).

    Raises :class:`ManifestError` with the offending field when it is invalid.
    """
    manifest_path = Path(path) if path is not None else default_manifest_path()
    try:
        raw = json.loads(manifest_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {manifest_path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ManifestError(f"manifest {manifest_path} is not valid JSON: {exc}") from exc
    return parse_manifest(raw, manifest_path)


def parse_manifest(raw: Any, path: Path) -> Manifest:
    """Validate decoded manifest JSON ``raw`` (read from ``path``) into a :class:`Manifest`."""
    where = str(path)
    data = _mapping(raw, where)
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ManifestError(f"{where}: schema_version must be {SCHEMA_VERSION}, got {version!r}")
    entries = data.get("models")
    if not isinstance(entries, list) or not entries:
        raise ManifestError(f"{where}: 'models' must be a non-empty list")
    models: dict[str, ModelSpec] = {}
    for index, entry in enumerate(entries):
        spec = _parse_model(entry, f"{where}: models[{index}]")
        if spec.name in models:
            raise ManifestError(f"{where}: duplicate model name {spec.name!r}")
        models[spec.name] = spec
    return Manifest(models=models, path=path)


def _parse_model(raw: Any, where: str) -> ModelSpec:
    data = _mapping(raw, where)
    name = _string(data, "name", where)
    where = f"{where} ({name})"
    if not _COMPONENT_RE.match(name):
        raise ManifestError(f"{where}: name must be a plain path component")
    source_raw = _mapping(data.get("source"), f"{where}: source")
    kind = _string(source_raw, "kind", f"{where}: source")
    if kind not in SOURCE_KINDS:
        raise ManifestError(f"{where}: source kind must be one of {SOURCE_KINDS}, got {kind!r}")
    source = _parse_source(source_raw, kind, f"{where}: source")
    revision = _string(data, "revision", where)
    if not _COMPONENT_RE.match(revision):
        raise ManifestError(f"{where}: revision must be a commit hash or branch name")
    dimension = data.get("dimension")
    if not isinstance(dimension, int) or isinstance(dimension, bool) or dimension <= 0:
        raise ManifestError(f"{where}: dimension must be a positive integer")
    files_raw = data.get("files")
    if not isinstance(files_raw, list) or not files_raw:
        raise ManifestError(f"{where}: 'files' must be a non-empty list")
    files: list[ModelFile] = []
    seen: set[str] = set()
    for index, file_raw in enumerate(files_raw):
        model_file = _parse_file(file_raw, f"{where}: files[{index}]")
        if model_file.path in seen:
            raise ManifestError(f"{where}: duplicate file path {model_file.path!r}")
        seen.add(model_file.path)
        files.append(model_file)
    return ModelSpec(
        name=name,
        source=source,
        revision=revision,
        dimension=dimension,
        files=tuple(files),
    )


def _parse_source(data: dict[str, Any], kind: str, where: str) -> ModelSource:
    if kind == "hf":
        repo = _string(data, "repo", where)
        if not _REPO_RE.match(repo):
            raise ManifestError(f"{where}: source repo must look like 'org/name', got {repo!r}")
        return ModelSource(kind=kind, repo=repo)
    target = _string(data, "target", where)
    if not _LABEL_RE.match(target):
        raise ManifestError(f"{where}: source target must be a Bazel label like '//pkg:name', got {target!r}")
    return ModelSource(kind=kind, target=target)


def _parse_file(raw: Any, where: str) -> ModelFile:
    data = _mapping(raw, where)
    path = _string(data, "path", where)
    pure = PurePosixPath(path)
    if (
        pure.is_absolute()
        or "\\" in path
        or str(pure) != path
        or any(not _COMPONENT_RE.match(part) for part in pure.parts)
    ):
        raise ManifestError(f"{where}: path {path!r} must be a plain relative POSIX path")
    if pure.name.endswith(".part"):
        raise ManifestError(f"{where}: path {path!r} must not end in .part")
    size = data.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ManifestError(f"{where}: size must be a non-negative integer")
    sha256 = _string(data, "sha256", where)
    if not _SHA256_RE.match(sha256):
        raise ManifestError(f"{where}: sha256 must be 64 lowercase hex digits")
    return ModelFile(path=path, size=size, sha256=sha256)


def _mapping(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: expected an object")
    return raw


def _string(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ManifestError(f"{where}: {key!r} must be a non-empty string")
    return value

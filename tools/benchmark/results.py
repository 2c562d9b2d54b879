"""What the steps measure, as types, and the store that hands every step's result to the table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Generic, TypeVar

from bazel_log import Processes
from commands import Run
from table import Row, actions, mb, seconds

T = TypeVar("T")
V = TypeVar("V")


@dataclass(frozen=True)
class Build:
    """One timed Bazel command."""

    seconds: float
    bazel_elapsed: float | None
    processes: Processes | None
    # Loading, fetching and analysis before the first action ran.
    analysis_seconds: float | None = None

    @classmethod
    def of(cls, run: Run) -> Build:
        """The figures of a finished Bazel run."""
        return cls(run.seconds, run.elapsed, run.processes, run.analysis)

    def text(self) -> str:
        """`1.3 s, 31 actions, 4 run`."""
        return f"{seconds(self.seconds)}, {actions(self.processes)}"


@dataclass(frozen=True)
class Push:
    """One push to the bench's registry."""

    seconds: float
    uploaded_bytes: int
    pushed_blobs: int
    registry_growth_bytes: int
    # Our push reports the blobs the registry had or mounted; podman does not.
    existing_blobs: int | None = None

    def text(self) -> str:
        """`55.0 kB in 4 blobs (registry +57.3 kB)`."""
        return f"{mb(self.uploaded_bytes)} in {self.pushed_blobs} blobs (registry +{mb(self.registry_growth_bytes)})"


@dataclass(frozen=True)
class PerImage(Generic[V]):
    """A step's figures for each image it measured, by image name, in the order measured."""

    images: dict[str, V]


class Results:
    """Every finished step's result, by its type, and the names of the images measured."""

    def __init__(self) -> None:
        """No results yet."""
        self.images: tuple[str, ...] = ()
        self._by_type: dict[type, object] = {}
        self._by_key: dict[str, object] = {}

    def add(self, key: str, result: object) -> None:
        """Keeps a step's result under its step's key (for --json) and its type (for the table)."""
        self._by_type[type(result)] = result
        self._by_key[key] = result

    def get(self, kind: type[T]) -> T | None:
        """The result of type `kind`, if its step ran."""
        result = self._by_type.get(kind)
        return result if isinstance(result, kind) else None

    def to_json(self) -> dict[str, object]:
        """Every result as JSON data, by step key."""
        return {key: asdict(result) for key, result in self._by_key.items()}  # type: ignore[call-overload]


def per_image_rows(results: Results, kind: type[PerImage[V]], rows: Callable[[str, V], list[Row]]) -> list[Row]:
    """The table lines of a per-image result: `rows` of each image in turn; none if its step did not run."""
    found = results.get(kind)
    return [] if found is None else [line for name, figures in found.images.items() for line in rows(name, figures)]

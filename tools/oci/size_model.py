"""The size report's data model: limits, and layers, images and totals judged against them.

size_report builds a Report from measured layouts (size_layers); size_render
draws it. Both import these types from here, and neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from size_layers import METRICS, Contents, LayerDesc

UNITS = {"MB": 10**6, "MiB": 2**20}


@dataclass(frozen=True)
class Limit:
    """Upper bounds, in the limits file's unit; None means unlimited."""

    compressed: float | None = None
    uncompressed: float | None = None

    def get(self, metric: str) -> float | None:
        """The bound for `compressed` or `uncompressed`."""
        return self.compressed if metric == "compressed" else self.uncompressed

    def over_by(self, sizes: dict[str, int], unit_bytes: int) -> tuple[str, ...]:
        """The metrics whose size (bytes) exceeds its bound."""
        return tuple(m for m in METRICS if (b := self.get(m)) is not None and sizes[m] > b * unit_bytes)


@dataclass(frozen=True)
class Limits:
    """A parsed limits file."""

    unit: str
    layer: Limit
    layers: dict[str, Limit]
    images: dict[str, Limit]
    total: Limit

    @property
    def unit_bytes(self) -> int:
        """Bytes in one unit."""
        return UNITS[self.unit]

    def for_layer(self, name: str) -> Limit:
        """The default layer limit with the named layer's overrides applied per field."""
        override = self.layers.get(name, Limit())
        return Limit(*(override.get(m) if override.get(m) is not None else self.layer.get(m) for m in METRICS))


@dataclass(frozen=True)
class Row:
    """A distinct layer, measured and judged."""

    layer: LayerDesc
    contents: Contents
    limit: Limit
    over: tuple[str, ...]
    images: tuple[str, ...]  # every image that has this layer

    def sizes(self) -> dict[str, int]:
        """Compressed and uncompressed bytes."""
        return {"compressed": self.layer.compressed, "uncompressed": self.contents.uncompressed}


@dataclass(frozen=True)
class Sum:
    """A total over layers: one image's, or all images' with shared layers once."""

    kind: str  # "image" or "total"
    name: str
    rows: tuple[Row, ...]
    limit: Limit
    over: tuple[str, ...] = ()

    def sizes(self) -> dict[str, int]:
        """Compressed and uncompressed bytes."""
        return {m: sum(row.sizes()[m] for row in self.rows) for m in METRICS}


@dataclass(frozen=True)
class Violation:
    """One exceeded limit, with what is largest inside the offender."""

    kind: str  # "layer", "image" or "total"
    subject: str
    images: tuple[str, ...]
    metric: str
    size: int
    limit: float
    largest: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Report:
    """Everything measured and judged."""

    limits: Limits
    images: tuple[Sum, ...]
    total: Sum
    violations: tuple[Violation, ...]

"""Which of an image's layers a container engine already has, and the report of a load.

Podman (containers/storage) and Docker key a stored layer by its chain: its own
diff ID and the diff IDs of every layer under it. So the engine has the first
N layers of an image exactly when some image it holds starts with the same N
diff IDs; the layers above those must be copied, even if the same layer sits
in the store on top of other layers (the engine would unpack it again).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from oci_layout import Descriptor


@dataclass(frozen=True)
class Layer:
    """One layer of the image being loaded."""

    descriptor: Descriptor
    diff_id: str

    @property
    def name(self) -> str:
        """The layer's name (its title annotation), or its short digest."""
        return self.descriptor.title or self.descriptor.hex[:12]


@dataclass(frozen=True)
class Plan:
    """What a load copies: the layers above the `present` bottom ones."""

    layers: tuple[Layer, ...]
    present: int

    @property
    def copied(self) -> tuple[Layer, ...]:
        """The layers the engine lacks."""
        return self.layers[self.present :]

    @property
    def skipped(self) -> tuple[Layer, ...]:
        """The layers the engine has, with the same layers under them."""
        return self.layers[: self.present]


def shared_prefix(diff_ids: Sequence[str], stored: Iterable[Sequence[str]]) -> int:
    """How many bottom layers of `diff_ids` some stored image starts with."""
    best = 0
    for other in stored:
        count = 0
        for mine, theirs in zip(diff_ids, other, strict=False):
            if mine != theirs:
                break
            count += 1
        best = max(best, count)
    return best


def plan(layers: Sequence[Layer], stored: Iterable[Sequence[str]]) -> Plan:
    """The load of `layers` into an engine holding images with the `stored` diff ID lists."""
    return Plan(tuple(layers), shared_prefix([layer.diff_id for layer in layers], stored))


def megabytes(size: int) -> str:
    """`12.3 MB` (1 MB = 10^6 bytes, as the size report counts)."""
    return f"{size / 1e6:.1f} MB"


def report(load: Plan, engine: str) -> list[str]:
    """One line per layer, bottom first: copied or skipped, its name and compressed size."""
    width = max((len(layer.name) for layer in load.layers), default=0)
    lines = []
    for index, layer in enumerate(load.layers):
        what = "skipped" if index < load.present else "copied "
        note = f"  ({engine} has it)" if index < load.present else ""
        lines.append(f"  {what} {layer.name:<{width}} {megabytes(layer.descriptor.size):>10}{note}")
    return lines


def summary(load: Plan) -> str:
    """`copied 1 layer (0.2 MB), skipped 4 (311.0 MB)`."""
    copied, skipped = load.copied, load.skipped
    plural = "" if len(copied) == 1 else "s"
    return (
        f"copied {len(copied)} layer{plural} ({megabytes(sum(layer.descriptor.size for layer in copied))}), "
        f"skipped {len(skipped)} ({megabytes(sum(layer.descriptor.size for layer in skipped))})"
    )

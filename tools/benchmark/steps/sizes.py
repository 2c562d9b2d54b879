"""Image and layer sizes: `bazel run //images:size_report -- --json`, with the seed's image added."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import seed_image
from chart import Bar
from commands import BenchError, say
from results import Results
from session import Bench, Step
from table import Row, count_word, mb, ratio

SIZE_REPORT = "//images:size_report"


@dataclass(frozen=True)
class LayerSize:
    """One layer: compressed and uncompressed bytes."""

    name: str
    digest: str
    compressed: int
    uncompressed: int


@dataclass(frozen=True)
class ImageSize:
    """An image, or a set of layers: compressed and uncompressed bytes, and its layers."""

    compressed: int
    uncompressed: int
    layers: tuple[LayerSize, ...]


@dataclass(frozen=True)
class SizeSet:
    """Some images' sizes; their distinct layers count shared layers once."""

    images: Mapping[str, ImageSize]

    def distinct(self) -> ImageSize:
        """Every distinct layer (by digest) of the images, with their total."""
        layers = tuple({layer.digest: layer for image in self.images.values() for layer in image.layers}.values())
        return ImageSize(sum(x.compressed for x in layers), sum(x.uncompressed for x in layers), layers)


@dataclass(frozen=True)
class Sizes:
    """Our images' sizes, and the seed image's."""

    ours: SizeSet
    seed: SizeSet | None


def image_sizes(report: dict[str, Any], names: list[str], layer_names: tuple[str, ...] = ()) -> SizeSet:
    """The named images of a size_report --json; `layer_names` renames layers bottom first."""
    images = {}
    for name in names:
        # An index is reported per platform; the seed's image is linux/amd64, so ours are compared as that.
        image = report["images"].get(name) or report["images"][f"{name} (linux/amd64)"]
        layers = tuple(
            LayerSize(
                layer_names[i] if i < len(layer_names) else x["name"], x["digest"], x["compressed"], x["uncompressed"]
            )
            for i, x in enumerate(image["layers"])
        )
        images[name] = ImageSize(image["compressed"], image["uncompressed"], layers)
    return SizeSet(images)


def run(bench: Bench) -> Sizes:
    """Runs the size report on every image (and the seed's layout)."""
    seed = not bench.options.skip_seed
    extra = ["--image", f"seed={bench.seed_layout}"] if seed else []
    report = bench.bazel.run("run", SIZE_REPORT, "--", "--json", *extra, name="size-report")
    try:
        data = json.loads(report.stdout)
    except ValueError as error:
        raise BenchError(f"size_report printed no JSON ({error}); see {report.path}") from None
    ours = image_sizes(data, [entry.name for entry in bench.images])
    say("    " + ", ".join(f"{name} {mb(size.compressed)}" for name, size in ours.images.items()) + " (compressed)")
    return Sizes(ours, image_sizes(data, ["seed"], seed_image.LAYER_NAMES) if seed else None)


def _pair(size: ImageSize | None) -> str:
    return f"{size.compressed / 1e6:,.1f} / {mb(size.uncompressed)}" if size else ""


def _pair_ratio(seed: ImageSize | None, ours: ImageSize) -> str:
    if seed is None:
        return ""
    return f"{ratio(seed.compressed, ours.compressed)} / {ratio(seed.uncompressed, ours.uncompressed)}"


def _layer_text(layer: LayerSize) -> str:
    digits = 1 if layer.compressed >= 1e6 else 2
    return f"{layer.name} {layer.compressed / 1e6:,.{digits}f}/{layer.uncompressed / 1e6:,.{digits}f}"


def rows(results: Results) -> list[Row]:
    """Each image against the seed's, all of ours against it, then every distinct layer of both."""
    sizes = results.get(Sizes)
    if sizes is None:
        return []
    theirs = sizes.seed.images["seed"] if sizes.seed else None
    lines = [
        Row(
            f"image {name} vs the seed's image, MB compr. / uncompr.",
            _pair(ours),
            _pair(theirs),
            _pair_ratio(theirs, ours),
        )
        for name, ours in sizes.ours.images.items()
    ]
    distinct = sizes.ours.distinct()
    label = f"all {count_word(len(sizes.ours.images))} (distinct layers) vs the seed's image"
    lines.append(Row(label, _pair(distinct), _pair(theirs), _pair_ratio(theirs, distinct)))
    ours_layers = [_layer_text(layer) for layer in distinct.layers]
    ours_lines = [", ".join(ours_layers[i : i + 2]) for i in range(0, len(ours_layers), 2)]
    seed_lines = [_layer_text(layer) for layer in sizes.seed.distinct().layers] if sizes.seed else []
    for index in range(max(len(ours_lines), len(seed_lines))):
        label = "layers, MB compressed/uncompressed" if index == 0 else ""
        ours_text = ours_lines[index] if index < len(ours_lines) else ""
        lines.append(Row(label, ours_text, seed_lines[index] if index < len(seed_lines) else ""))
    return lines


def bars(results: Results) -> list[Bar]:
    """Each image, compressed, against the seed's image, then all of ours (distinct layers) against it."""
    sizes = results.get(Sizes)
    if sizes is None or sizes.seed is None:
        return []
    theirs = sizes.seed.images["seed"].compressed
    ours = [(f"image {name}, compressed", size) for name, size in sizes.ours.images.items()]
    ours.append((f"all {count_word(len(sizes.ours.images))} images (distinct layers)", sizes.ours.distinct()))
    return [Bar(label, size.compressed, theirs, "bytes") for label, size in ours]


STEP = Step("sizes", "image and layer sizes (//images:size_report --json)", run, needs=("seed_build",))

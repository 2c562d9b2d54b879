"""Loads an image Bazel built into the host's container engine, copying only the layers it lacks.

    load.py --layout DIR --repo-tag NAME:TAG [--repo-tag ...]
            [--engine podman|docker] [--tag NAME:TAG ...] [--platform OS/ARCH]

oci_load's runner calls it: `tools/bazel run //images:ml_load [-- OPTIONS]`
runs on the host, outside the build root (tools/bazel says how), because the
container engine, its storage and its configuration are the host's. It prints
each layer as copied or skipped (the engine has it, with the same layers under
it: load_plan.py), then the time the load took. Standard library only: the
host's python3 (>= 3.10) runs it.

  --engine    podman or docker (default: $DOCINTEL_CONTAINER_ENGINE, else
              podman if it answers, else docker)
  --tag       load under this name instead of the rule's repo tags (repeatable)
  --platform  the platform to load, e.g. linux/arm64: an image index's
              image for it (default: this host's); a single-platform image
              must be for it. An image for another platform than the host's
              is loaded with a warning (it runs under emulation)
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from engines import LoadError, pick_engine
from load_plan import Layer, plan, report, summary
from oci_layout import Descriptor, Layout, LayoutError
from reference import reference_problem

# Kernel machine names -> OCI architectures.
_ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def host_platform() -> str:
    """The OCI platform of the machine this runs on, e.g. `linux/amd64`."""
    machine = platform.machine().lower()
    return f"{platform.system().lower()}/{_ARCHITECTURES.get(machine, machine)}"


def open_image(path: Path, requested: str | None) -> Layout:
    """The layout's image to load: `requested`'s, else (from an index) the host platform's, else its one image."""
    if requested or len(Layout(path).platforms()) > 1:
        return Layout(path, platform=requested or host_platform())
    return Layout(path)


def check_platform(config: Mapping[str, object]) -> str | None:
    """A warning when the image is for another platform than the host's (it would run under emulation)."""
    image = f"{config.get('os')}/{config.get('architecture')}"
    if image != host_platform():
        return f"the image is {image} and this host is {host_platform()}: it runs only under emulation (binfmt_misc)"
    return None


def plan_layers(layout: Layout) -> tuple[str, list[Layer]]:
    """The image id (its config digest) and its layers with their diff IDs, bottom first."""
    config_descriptor = Descriptor.from_json(layout.manifest().get("config"), "the manifest's config")
    diff_ids = layout.config().get("rootfs", {}).get("diff_ids", [])
    layers = layout.layers()
    if len(diff_ids) != len(layers):
        raise LayoutError(f"the config lists {len(diff_ids)} diff IDs for {len(layers)} layers; rebuild the image")
    return config_descriptor.hex, [Layer(d, diff_id) for d, diff_id in zip(layers, diff_ids, strict=True)]


def load(args: argparse.Namespace) -> None:
    """Loads the image the arguments name and prints what was copied."""
    layout = open_image(args.layout, args.platform)
    repo_tags = args.tags or args.repo_tags
    if not repo_tags:
        raise LoadError("no name to load the image under: give the rule repo_tags, or pass --tag NAME:TAG")
    for name in repo_tags:
        problem = reference_problem(name)
        if problem:
            source = "--tag" if args.tags else "the rule's repo tag"
            raise LoadError(f"{source} {name!r} is not an image name engines accept: {problem}; nothing was loaded")
    warning = check_platform(layout.config())
    image_id, layers = plan_layers(layout)
    engine, version = pick_engine(args.engine or os.environ.get("DOCINTEL_CONTAINER_ENGINE") or None)
    started = time.monotonic()
    stored = engine.images()
    the_plan = plan(layers, stored.values())
    print(f"oci_load: {', '.join(repo_tags)} into {engine.name} {version}")
    if warning:
        print(f"oci_load: warning: {warning}")
    print("\n".join(report(the_plan, engine.name)), flush=True)
    if image_id in stored:
        engine.tag(image_id, repo_tags)
    else:
        engine.load(layout, image_id, [layer.descriptor for layer in the_plan.copied], repo_tags)
    took = time.monotonic() - started
    print(f"oci_load: loaded {repo_tags[0]} (image {image_id[:12]}) in {took:.1f} s: {summary(the_plan)}")


def arguments() -> argparse.ArgumentParser:
    """The command line."""
    summary_line, _, details = (__doc__ or "").partition("\n\n")
    parser = argparse.ArgumentParser(
        prog="oci_load",
        description=summary_line,
        epilog=details,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--layout", type=Path, required=True, help="the image's OCI layout directory")
    parser.add_argument("--repo-tag", action="append", default=[], dest="repo_tags", help="the rule's repo tags")
    parser.add_argument("--engine", choices=["podman", "docker"], help="the engine to load into")
    parser.add_argument("--tag", action="append", default=[], dest="tags", help="load under this name instead")
    parser.add_argument("--platform", help="the platform to load, e.g. linux/amd64")
    return parser


def main(argv: list[str]) -> int:
    """Runs the load; 1 with a message saying what to do when it fails."""
    args = arguments().parse_args(argv)
    try:
        load(args)
    except LoadError as error:
        print(f"oci_load: error: {error}", file=sys.stderr)
        return 1
    except LayoutError as error:
        print(f"oci_load: error: the image layout {args.layout}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

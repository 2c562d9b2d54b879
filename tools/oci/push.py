"""Pushes images to a registry from their metadata, taking blobs from local outputs or the remote cache.

    push.py --spec SPEC.json [--repository REGISTRY/NAME] [--tag TAG]... [--insecure]
            [--remote-cache URL] [--remote-cache-header NAME=VALUE]... [--report FILE] [--jobs N]

oci_push and oci_push_all run this (their runner passes --spec). SPEC.json
names, as runfiles paths, each image's manifest and blobs.json (what oci_image
writes: tools/oci/image_metadata.py), the default repository and tags. For
each image, in order, each blob the manifest names is:
  present   the repository has it already (HEAD),
  mounted   from a repository of this push that has it (base/ml/dev share
            layers), with no bytes sent,
  uploaded  from the build's local output if it is there, else streamed from
            the remote cache (`GET <cache>/cas/<sha256>`) straight into the
            registry, never to disk; size and sha256 are checked on the way.
Then the manifest goes up by digest. Only when every image is in do the tags
move, so a failed push leaves every tag where it was.

The remote cache is --remote-cache URL, else $DOCINTEL_REMOTE_CACHE (give it
the --remote_cache your build used; CI's cache_and_repro.sh passes its cache's
URL as --remote-cache). Its headers (e.g. credentials) come from
--remote-cache-header or $DOCINTEL_REMOTE_CACHE_HEADERS (Name=Value lines);
they are never printed. Registry credentials come from the Docker config and
its credential helpers (the runner runs on the host).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from blob_sources import BlobError, LocalBlobs, RemoteCache, shown_path, verified
from image_metadata import Blob
from oci_layout import LayoutError
from push_progress import Progress, size_text
from push_spec import PushSpec, SpecError, Target
from registry_auth import AuthError, RegistryAuth
from registry_client import Registry, RegistryError
from run_paths import working_path

CACHE_ENV = "DOCINTEL_REMOTE_CACHE"
CACHE_HEADERS_ENV = "DOCINTEL_REMOTE_CACHE_HEADERS"


class PushError(Exception):
    """The push stopped; no tag was changed."""


@dataclass(frozen=True)
class BlobReport:
    """What happened to one blob of one image."""

    repository: str
    digest: str
    size: int
    label: str
    action: str  # present, mounted or uploaded
    source: str = ""  # mounted: the repository; uploaded: local, layout or cache


class Pusher:
    """Pushes images to one registry and keeps what it did."""

    def __init__(self, registry: Registry, cache: RemoteCache | None, progress: Progress, jobs: int) -> None:
        """Blobs come from local outputs, else `cache` (None: local outputs only)."""
        self.registry, self.cache, self.progress, self.jobs = registry, cache, progress, jobs
        self.local = LocalBlobs()
        self.blobs: list[BlobReport] = []
        self._holders: dict[str, set[str]] = {}  # digest -> repositories known to have it
        self._siblings: list[str] = []
        self._lock = threading.Lock()

    def push(self, targets: list[Target]) -> None:
        """Every image's blobs and manifest, image after image (a later one mounts what an earlier one sent)."""
        self._siblings = [target.path for target in targets]
        for target in targets:
            self.progress.say(f"pushing {target.reference}")
            with ThreadPoolExecutor(max_workers=self.jobs) as pool:
                reports = list(pool.map(functools.partial(self._blob, target), target.blobs()))
            self.blobs += reports
            digest = self.registry.put_manifest(target.path, target.digest, target.media_type, target.manifest)
            if digest and digest != target.digest:
                raise PushError(
                    f"{self.registry.host} stored the manifest of {target.path} as {digest}, not {target.digest}"
                )

    def tag(self, targets: list[Target], tags: list[str]) -> None:
        """Points each tag of each image's repository at the image or index (a PUT of its manifest by tag)."""
        for target in (target for target in targets if target.tagged):
            for tag in tags:
                self.registry.put_manifest(target.path, tag, target.media_type, target.manifest)
                self.progress.say(f"{target.repository}:{tag} -> {target.digest}")

    def _blob(self, target: Target, blob: Blob) -> BlobReport:
        descriptor, repository = blob.descriptor, target.path
        report = BlobReport(repository, descriptor.digest, descriptor.size, blob.label, "present")
        if self.registry.has_blob(repository, descriptor.digest):
            self._note(descriptor.digest, repository)
            self.progress.blob(blob, "present")
            return report
        location = None
        source = self._holder(descriptor.digest, repository)
        if source:
            location = self.registry.mount(repository, descriptor.digest, source=source)
            if location is None:
                self._note(descriptor.digest, repository)
                self.progress.blob(blob, f"mounted from {source}")
                return dataclasses.replace(report, action="mounted", source=source)
        opened = self.local.open(target.image_metadata(), blob) or (self.cache.open(descriptor) if self.cache else None)
        if opened is None:
            if location:
                self.registry.cancel(repository, location)
            raise BlobError(self._missing(target, blob))
        with opened:
            self.progress.blob(blob, f"uploading from {opened.where}")
            chunks = self.progress.counted(blob, verified(opened.chunks, descriptor, opened.where))
            self.registry.upload(repository, descriptor, chunks, location)
        self._note(descriptor.digest, repository)
        return dataclasses.replace(report, action="uploaded", source=opened.kind)

    def _note(self, digest: str, repository: str) -> None:
        with self._lock:
            self._holders.setdefault(digest, set()).add(repository)

    def _holder(self, digest: str, repository: str) -> str | None:
        """A repository of this push on the same registry that has the blob, to mount it from."""
        with self._lock:
            known = sorted(self._holders.get(digest, set()) - {repository})
        if known:
            return known[0]
        for sibling in self._siblings:
            if sibling != repository and self.registry.has_blob(sibling, digest):
                self._note(digest, sibling)
                return sibling
        return None

    def _missing(self, target: Target, blob: Blob) -> str:
        where = f"not in the local outputs ({shown_path(target.image_metadata().local_file(blob))})"
        if self.cache:
            where += f" nor in the remote cache {self.cache.url}"
        else:
            where += f" and no remote cache was given (--remote-cache URL or ${CACHE_ENV})"
        return (
            f"the blob {blob.descriptor.digest} ({size_text(blob.descriptor.size)}, made by {blob.label}) of "
            f"{target.reference} is {where}: build it (`bazel build {blob.label}`), or push from the remote "
            "cache your build used"
        )


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="oci_push", description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, required=True, help=argparse.SUPPRESS)
    parser.add_argument("--repository", help="REGISTRY/NAME to push to (default: the target's repository)")
    parser.add_argument("--tag", action="append", default=[], help="a tag to add (repeatable)")
    parser.add_argument("--insecure", action="store_true", help="plain HTTP (loopback registries always are)")
    parser.add_argument(
        "--remote-cache", default=os.environ.get(CACHE_ENV, ""), help=f"Bazel's HTTP remote cache (${CACHE_ENV})"
    )
    parser.add_argument(
        "--remote-cache-header",
        action="append",
        default=[line for line in os.environ.get(CACHE_HEADERS_ENV, "").splitlines() if line.strip()],
        metavar="NAME=VALUE",
        help=f"a header for the remote cache (repeatable; ${CACHE_HEADERS_ENV}: one per line)",
    )
    parser.add_argument(
        "--report", type=Path, help="write what happened to every blob to this JSON file (relative: to where bazel ran)"
    )
    parser.add_argument("--jobs", type=int, default=4, help="blobs of an image sent at once (default 4)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Pushes the spec's images; 0 when all are in and tagged, 1 on failure, 2 on a usage error."""
    args = _arguments(argv)
    progress = Progress(sys.stderr)
    spec = PushSpec.read(args.spec)
    try:
        report_path = _report_path(args.report)
    except ValueError as error:
        progress.say(f"--report {error}")
        return 2
    try:
        targets = spec.targets(args.repository)
        tags = spec.tags(args.tag)
        registry = Registry(targets[0].host, RegistryAuth.from_docker_config(), insecure=args.insecure)
        cache = RemoteCache.from_url(args.remote_cache, args.remote_cache_header) if args.remote_cache else None
    except SpecError as error:
        progress.say(f"{error}\n{spec.usage()}")
        return 2
    except (AuthError, BlobError, LayoutError) as error:
        progress.say(str(error))
        return 1
    pusher = Pusher(registry, cache, progress, max(args.jobs, 1))
    status = 1
    try:
        pusher.push(targets)
    except (AuthError, BlobError, LayoutError, RegistryError, PushError) as error:
        progress.say(f"pushing to {registry.host} failed: {error}")
        progress.say("no tag was changed")
    else:
        try:
            pusher.tag(targets, tags)
            status = 0
        except RegistryError as error:
            progress.say(f"moving the tags failed: {error}; the tags printed above have moved, the rest have not")
    if pusher.blobs:
        progress.summary(pusher.blobs, pushed=len(targets) if status == 0 else 0)
    if report_path:
        report = {"images": [t.report() for t in targets], "blobs": [asdict(b) for b in pusher.blobs], "tags": tags}
        try:
            report_path.write_text(json.dumps(report, indent=2) + "\n")
        except OSError as error:
            outcome = "the push itself succeeded" if status == 0 else "the push failed as said above"
            progress.say(f"cannot write the report {report_path} ({error.strerror}); {outcome}")
            return 1
    return status


def _report_path(report: Path | None) -> Path | None:
    """Where --report goes; a ValueError, before anything is pushed, where it cannot go."""
    if report is None:
        return None
    path = working_path(report)
    if not path.parent.is_dir():
        raise ValueError(f"{path}: the directory {path.parent} does not exist; create it or give another path")
    return path


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

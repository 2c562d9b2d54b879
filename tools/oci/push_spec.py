"""What an oci_push target pushes: its spec file, the images in it, where they go and the tags.

The rule writes the spec (runfiles paths, resolved here through the runfiles
environment the runner exports):

    {
      "label": "//images:push",
      "repository": "REGISTRY/NAME" or "",
      "repository_attribute": "$(PUSH_REPOSITORY)",  # the rule's attribute, before make variables
      "tags_file": "<runfiles path>" or null,       # one tag per line
      "stable_status": "<runfiles path>" or null,   # when stamping: STABLE_GIT_COMMIT
      "images": [{"name": "ml", "manifest": "<runfiles path>", "blobs": "<runfiles path>"},
                 {"name": "base", "label": "//images:base", "index": "<runfiles path>",
                  "images": [{"manifest": "...", "blobs": "..."}, ...]}]    # an image index
    }

An image with a name goes to REPOSITORY/<name>; one without, to REPOSITORY.
An index's images go to its repository by digest, before the index; the tags
point at the index. Every tag is checked against the OCI distribution spec's
grammar before anything is pushed: a registry would refuse it only after other
tags had moved.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from image_metadata import Blob, ImageMetadata
from oci_layout import INDEX_TYPE, Descriptor, LayoutError
from reference import TAG, TAG_RULE, is_path, split_host

_MAKE_VARIABLE = re.compile(r"\$\((\w+)\)")


class SpecError(Exception):
    """A wrong command line or spec: the message says what to give."""


def rlocation(path: str) -> Path:
    """A runfiles path on disk, through $RUNFILES_DIR or $RUNFILES_MANIFEST_FILE."""
    directory = os.environ.get("RUNFILES_DIR")
    if directory and os.path.exists(os.path.join(directory, path)):
        return Path(directory, path)
    manifest = os.environ.get("RUNFILES_MANIFEST_FILE")
    if manifest and os.path.isfile(manifest):
        with open(manifest) as lines:
            for line in lines:
                key, _, value = line.rstrip("\n").partition(" ")
                if key == path:
                    return Path(value)
    raise SpecError(f"{path} is not in the runfiles; run the push with `bazel run`")


def split_repository(repository: str) -> tuple[str, str]:
    """`REGISTRY/NAME` as (registry host, repository path)."""
    host, path = split_host(repository)
    if host is None or not is_path(path):
        raise SpecError(
            f"--repository {repository!r} is not REGISTRY/NAME (a registry host, then a lower-case path), "
            "e.g. 127.0.0.1:5000/docintel or registry.example.com/team/docintel"
        )
    return host, path


def check_tag(tag: str, where: str) -> str:
    """`tag`, if the OCI distribution spec allows it; else a SpecError naming it, `where` it came from and the rule."""
    if not TAG.fullmatch(tag):
        raise SpecError(
            f"{where} gives the tag {tag!r}, which registries refuse: a tag is {TAG_RULE} "
            f"({TAG.pattern}); fix it, nothing was pushed"
        )
    return tag


@dataclass(frozen=True)
class Target:
    """One image (or image index) and the repository it goes to."""

    repository: str
    host: str
    path: str
    metadata: ImageMetadata | None  # None for an index: its images carry the blobs
    manifest: bytes
    media_type: str
    digest: str
    image: str  # the target that built it
    tagged: bool = True  # False for an index's images: the tags go to the index

    @classmethod
    def of(cls, repository: str, manifest_file: Path, blobs_file: Path, *, tagged: bool = True) -> Target:
        """The image whose manifest and blobs.json are given, for `repository`; raises if they disagree."""
        host, path = split_repository(repository)
        metadata = ImageMetadata.read(blobs_file, follow_links=True)
        manifest = manifest_file.read_bytes()
        digest = _digest(manifest)
        if digest != metadata.manifest.digest:
            raise LayoutError(f"{manifest_file} is not the manifest {blobs_file} names; rebuild {metadata.image}")
        media_type = str(json.loads(manifest).get("mediaType") or metadata.manifest.media_type)
        return cls(repository, host, path, metadata, manifest, media_type, digest, metadata.image, tagged)

    @classmethod
    def of_index(cls, repository: str, index_file: Path, label: str, images: list[Target]) -> list[Target]:
        """The index in `index_file` for `repository`, after its `images`; raises unless it lists exactly them."""
        host, path = split_repository(repository)
        index = index_file.read_bytes()
        listed = [entry.get("digest") for entry in json.loads(index).get("manifests", [])]
        if listed != [image.digest for image in images]:
            raise LayoutError(f"{index_file} does not list the images the push names; rebuild {label}")
        return [*images, cls(repository, host, path, None, index, INDEX_TYPE, _digest(index), label)]

    @property
    def reference(self) -> str:
        """REPOSITORY@DIGEST."""
        return f"{self.repository}@{self.digest}"

    def image_metadata(self) -> ImageMetadata:
        """The image's blobs.json (an index has none)."""
        if self.metadata is None:
            raise LayoutError(f"{self.reference} is an image index: it has no blobs of its own")
        return self.metadata

    def blobs(self) -> list[Blob]:
        """The blobs the manifest names (config, then layers), each with its entry in blobs.json; none for an index."""
        if self.metadata is None:
            return []
        document = json.loads(self.manifest)
        descriptors = [Descriptor.from_json(document.get("config"), "the manifest's config")]
        descriptors += [Descriptor.from_json(raw, "a manifest layer") for raw in document.get("layers", [])]
        blobs = []
        for descriptor in descriptors:
            blob = self.metadata.blob(descriptor.digest)
            if blob is None:
                raise LayoutError(f"{self.metadata.path} lacks {descriptor.digest}; rebuild {self.metadata.image}")
            blobs.append(blob)
        return blobs

    def report(self) -> dict[str, object]:
        """The image in a push report."""
        return {"image": self.image, "repository": self.repository, "digest": self.digest, "tagged": self.tagged}


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class PushSpec:
    """A parsed spec."""

    label: str
    repository: str
    repository_attribute: str
    tags_file: str | None
    stable_status: str | None
    images: tuple[dict[str, Any], ...]

    @classmethod
    def read(cls, path: Path) -> PushSpec:
        """Reads the spec the rule wrote."""
        raw = json.loads(path.read_text())
        return cls(
            raw["label"],
            raw["repository"],
            raw["repository_attribute"],
            raw["tags_file"],
            raw["stable_status"],
            tuple(raw["images"]),
        )

    def usage(self) -> str:
        """The command line; and where a default repository can be set, if the target's comes from a --define."""
        text = (
            f"usage: bazel run {self.label} -- --repository REGISTRY/NAME [--tag TAG]... [--insecure] "
            "[--remote-cache URL]"
        )
        defines = _MAKE_VARIABLE.findall(self.repository_attribute)
        if defines:
            text += f"\n       (or set 'run --define={defines[0]}=REGISTRY/NAME' in user.bazelrc)"
        return text

    def targets(self, repository: str | None) -> list[Target]:
        """Each image with its repository (`repository` or the spec's, plus its name); an index after its images."""
        root = (repository or self.repository).rstrip("/")
        if not root:
            raise SpecError(f"missing --repository: nowhere to push {self.label}'s images")
        split_repository(root)
        targets: list[Target] = []
        for image in self.images:
            where = f"{root}/{image['name']}" if image["name"] else root
            if "index" not in image:
                targets.append(Target.of(where, rlocation(image["manifest"]), rlocation(image["blobs"])))
                continue
            members = [
                Target.of(where, rlocation(member["manifest"]), rlocation(member["blobs"]), tagged=False)
                for member in image["images"]
            ]
            targets += Target.of_index(where, rlocation(image["index"]), image["label"], members)
        return targets

    def tags(self, added: list[str]) -> list[str]:
        """The default tags, then `added`; each checked (a bad one raises before anything is pushed)."""
        where = f"the tags file {self.tags_file}" if self.tags_file else "the stamp's STABLE_GIT_COMMIT"
        return [check_tag(tag, where) for tag in self._default_tags()] + [check_tag(tag, "--tag") for tag in added]

    def _default_tags(self) -> list[str]:
        """The tags file's lines, else `latest` (after the git commit when stamping)."""
        if self.tags_file:
            return [line.strip() for line in rlocation(self.tags_file).read_text().splitlines() if line.strip()]
        tags = []
        if self.stable_status:
            for line in rlocation(self.stable_status).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "STABLE_GIT_COMMIT" and value.strip():
                    tags.append(value.strip())
        return [*tags, "latest"]

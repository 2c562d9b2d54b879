"""Providers shared by the OCI rules."""

OciLayerInfo = provider(
    doc = "One built image layer.",
    fields = {
        "blob": "File: the compressed layer tar.",
        "descriptor": "File: JSON with mediaType, digest, size, diffID, uncompressedSize and name.",
        "listing": "File: every path in the layer, one per line (upper layers leave these out).",
        "pruned": "File: paths left out by the prune patterns, one per line.",
        "wheels": "depset of File: the wheel files the layer installs from (its `wheels` and their dependencies'), for the SBOM's hashes.",
    },
)

OciImageInfo = provider(
    doc = "An image: its OCI image layout directory, and its metadata (enough to push it without the layout).",
    fields = {
        "layout": "File (directory): the OCI image layout.",
        "digest": "File: the manifest digest, `sha256:...`.",
        "manifest": "File: the image manifest, its exact bytes.",
        "config": "File: the image config, its exact bytes.",
        "blobs": "File: blobs.json, every blob's descriptor and file (tools/oci/image_metadata.py).",
        "metadata": "depset of File: manifest, config and blobs (the `metadata` output group less the digest).",
        "layer_blobs": "depset of File: the compressed layer files, bottom first (the base's included).",
        "listings": "depset of File: the listings of every layer, bottom first.",
        "wheels": "depset of File: the wheel files of every layer (the base's included).",
        "platform": "string: the OCI platform it is built for, `os/architecture[/variant]` (`linux/arm64/v8`).",
    },
)

OciImageIndexInfo = provider(
    doc = "An image index (oci_image_index): one image per platform under one digest.",
    fields = {
        "layout": "File (directory): the OCI image layout, index.json pointing at the index.",
        "digest": "File: the index digest, `sha256:...`.",
        "index": "File: the index, its exact bytes (written from the images' metadata, no layer needed).",
        "label": "string: the oci_image_index target, for messages and push reports.",
        "images": "list of OciImageInfo: each platform's image, in the index's order.",
        "pushed": "list of struct(manifest, blobs, metadata): each image's metadata under names of the index's own, for push runners' runfiles.",
    },
)

StampSettingInfo = provider(
    doc = "Whether Bazel runs with --stamp (stamp.bzl's maybe_stamp reads it).",
    fields = {
        "value": "bool: True under --stamp.",
    },
)

# What a rule that takes "an image" accepts (push, load): an oci_image or an
# oci_image_index. Both providers have `layout` and `digest`.
IMAGE_OR_INDEX = [[OciImageInfo], [OciImageIndexInfo]]

def image_or_index(target):
    """The OciImageInfo, or else the OciImageIndexInfo, of a target of IMAGE_OR_INDEX."""
    return target[OciImageInfo] if OciImageInfo in target else target[OciImageIndexInfo]

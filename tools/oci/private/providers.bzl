"""Providers shared by the OCI rules."""

OciLayerInfo = provider(
    doc = "One built image layer.",
    fields = {
        "blob": "File: the compressed layer tar.",
        "descriptor": "File: JSON with mediaType, digest, size, diffID, uncompressedSize and name.",
        "listing": "File: every path in the layer, one per line (upper layers leave these out).",
        "pruned": "File: paths left out by the prune patterns, one per line.",
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
    },
)

StampSettingInfo = provider(
    doc = "Whether Bazel runs with --stamp (stamp.bzl's maybe_stamp reads it).",
    fields = {
        "value": "bool: True under --stamp.",
    },
)

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
    doc = "An image as an OCI image layout directory.",
    fields = {
        "layout": "File (directory): the OCI image layout.",
        "digest": "File: the manifest digest, `sha256:...`.",
        "listings": "depset of File: the listings of every layer, bottom first.",
    },
)

StampSettingInfo = provider(
    doc = "Whether Bazel runs with --stamp (stamp.bzl's maybe_stamp reads it).",
    fields = {
        "value": "bool: True under --stamp.",
    },
)

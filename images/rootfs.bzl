"""debian_rootfs_layer: the images' Debian layer, shared by //images:debian and
the seed comparison in //tools/benchmark (which packs it unpruned)."""

load("//tools/oci:defs.bzl", "oci_layer")
load("//tools/platforms:defs.bzl", "per_platform")

# Debian 12 packages (@debian_base, @debian_base_arm64 for linux/arm64), the CA bundle update-ca-certificates would
# write, a non-root user 65532 with its home, a /models mount point it owns,
# merged /usr links, UTC, and `python3`.
_DEBIAN_ROOTFS = {
    "ca_bundle": "etc/ssl/certs/ca-certificates.crt",
    "debs": per_platform(
        amd64 = ["@debian_base//:debs"],
        arm64 = ["@debian_base_arm64//:debs"],
    ),
    "dirs": {
        "home/nonroot": "0700:65532:65532",
        "models": "0755:65532:65532",
        "tmp": "1777:0:0",
    },
    "files": {
        "//images/rootfs:group": "etc/group",
        "//images/rootfs:passwd": "etc/passwd",
    },
    "symlinks": {
        "bin": "usr/bin",
        "etc/localtime": "/usr/share/zoneinfo/Etc/UTC",
        "lib": "usr/lib",
        "sbin": "usr/sbin",
        "usr/bin/python3": "python3.11",
    } | per_platform(
        # amd64's loader is /lib64/ld-linux-x86-64.so.2; arm64's is in /lib.
        amd64 = {"lib64": "usr/lib64"},
        arm64 = {},
    ),
}

def debian_rootfs_layer(name, **kwargs):
    """An oci_layer of the Debian root file system above.

    Args:
      name: the layer target.
      **kwargs: more oci_layer attributes (prune, keep, strip, tags, ...).
    """
    oci_layer(name = name, **(_DEBIAN_ROOTFS | kwargs))

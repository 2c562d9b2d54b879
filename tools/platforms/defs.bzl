"""The image platforms, and per_platform(): one value per platform, chosen by the target platform.

Examples: the Debian packages of the image's root file system (images/rootfs.bzl),

    "debs": per_platform(
        amd64 = ["@debian_base//:debs"],
        arm64 = ["@debian_base_arm64//:debs"],
    ),

and an image index for every platform (images/BUILD.bazel):

    oci_image_index(name = "base", images = [":base_image"], platforms = IMAGE_PLATFORMS)
"""

# The platforms a multi-platform image is built for, in the order its index
# lists them (the OCI names: os/architecture).
IMAGE_PLATFORMS = [
    "//tools/platforms:linux_amd64",
    "//tools/platforms:linux_arm64",
]

def per_platform(amd64, arm64):
    """A select() of `amd64` or `arm64` by the target platform's CPU.

    Args:
      amd64: the value for linux/amd64 (x86_64).
      arm64: the value for linux/arm64 (aarch64).

    Returns:
      The select(); another platform fails with a message naming these two.
    """
    return select(
        {
            "//tools/platforms:amd64": amd64,
            "//tools/platforms:arm64": arm64,
        },
        no_match_error = "docintel's images are built for linux/amd64 and linux/arm64 only " +
                         "(//tools/platforms): build for one of them, e.g. --platforms=//tools/platforms:linux_arm64",
    )

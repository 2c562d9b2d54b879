"""strip_toolchain: the strip program oci_layer runs on a layer's shared libraries.

Example (tools/oci/BUILD.bazel):

    strip_toolchain(
        name = "strip_aarch64",
        strip = "@debian_build_tools//:aarch64_strip",
    )

    toolchain(
        name = "strip_arm64_toolchain",
        exec_compatible_with = ["@platforms//os:linux", "@platforms//cpu:x86_64"],
        target_compatible_with = ["@platforms//os:linux", "@platforms//cpu:aarch64"],
        toolchain = ":strip_aarch64",
        toolchain_type = ":strip_toolchain_type",
    )

A strip must know the object format of the libraries it strips, which is the
target platform's, while it runs on the execution platform: Bazel's toolchain
resolution picks the one for the pair, so a linux/arm64 layer (built under
oci_image_index's platform transition) is stripped by aarch64 binutils.
"""

def _strip_toolchain_impl(ctx):
    return [platform_common.ToolchainInfo(strip = ctx.file.strip)]

strip_toolchain = rule(
    doc = "A strip program (binutils) for one target platform's object files, as a toolchain.",
    implementation = _strip_toolchain_impl,
    attrs = {
        "strip": attr.label(
            mandatory = True,
            allow_single_file = True,
            cfg = "exec",
            doc = "The strip program; it runs through @debian_build_tools' loader and libraries.",
        ),
    },
)

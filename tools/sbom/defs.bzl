"""image_sbom: an SPDX 2.3 JSON SBOM of an oci_image, or one per platform of an oci_image_index.

Example:

    image_sbom(
        name = "ml_sbom",
        image = ":ml",
    )

Lists every Debian package (by the dpkg status files our Debian layers write)
and every wheel (by its .dist-info) in the image, with versions and sha256: a
.deb's as tools/debian/bookworm.lock.json pins it (the image's architecture's
entry), a wheel's from the very file the image's layers installed (which
requirements_lock.txt must pin). An oci_image gives `<name>.spdx.json`; an
oci_image_index gives `<name>.<os>_<arch>[_<variant>].spdx.json` per platform,
e.g. `base_sbom.linux_arm64_v8.spdx.json`.
"""

load("//tools/oci:defs.bzl", "OciImageIndexInfo", "OciImageInfo")

def _sbom(ctx, image, suffix):
    """Writes the SBOM of one image (an OciImageInfo); `suffix` tells a platform's apart."""
    sbom = ctx.actions.declare_file(ctx.label.name + suffix + ".spdx.json")
    listings = image.listings.to_list()
    wheels = image.wheels.to_list()
    args = ctx.actions.args()
    args.add("--name", ctx.attr.image.label.name + suffix.replace(".", "-"))
    args.add("--digest-file", image.digest)
    args.add_all(listings, before_each = "--listing")
    args.add("--debian-lock", ctx.file.debian_lock)
    args.add("--architecture", image.platform.split("/")[1])
    args.add("--python-lock", ctx.file.python_lock)
    args.add_all(wheels, before_each = "--wheel")
    args.add("--output", sbom)
    ctx.actions.run(
        executable = ctx.executable._sbom_tool,
        arguments = [args],
        inputs = [image.digest, ctx.file.debian_lock, ctx.file.python_lock] + listings + wheels,
        outputs = [sbom],
        mnemonic = "ImageSbom",
        progress_message = "Writing SBOM %{label} (" + image.platform + ")",
    )
    return sbom

def _image_sbom_impl(ctx):
    if OciImageIndexInfo in ctx.attr.image:
        images = ctx.attr.image[OciImageIndexInfo].images
        sboms = [_sbom(ctx, image, "." + image.platform.replace("/", "_")) for image in images]
    else:
        sboms = [_sbom(ctx, ctx.attr.image[OciImageInfo], "")]
    return [DefaultInfo(files = depset(sboms))]

image_sbom = rule(
    doc = "Writes `<name>.spdx.json` (per platform for an index): the Debian packages and wheels of an image, with versions and hashes.",
    implementation = _image_sbom_impl,
    attrs = {
        "image": attr.label(mandatory = True, providers = [[OciImageInfo], [OciImageIndexInfo]], doc = "The oci_image or oci_image_index to describe."),
        "debian_lock": attr.label(default = "//tools/debian:bookworm.lock.json", allow_single_file = True, doc = "Versions and sha256 of the Debian packages."),
        "python_lock": attr.label(default = "//:requirements_lock.txt", allow_single_file = True, doc = "Versions and hashes of the wheels."),
        "_sbom_tool": attr.label(default = "//tools/sbom:sbom", executable = True, cfg = "exec"),
    },
)

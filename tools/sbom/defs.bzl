"""image_sbom: an SPDX 2.3 JSON SBOM of an oci_image.

Example:

    image_sbom(
        name = "ml_sbom",
        image = ":ml",
    )

Lists every Debian package (by the dpkg status files our Debian layers write)
and every wheel (by its .dist-info) in the image, with versions and the sha256
pinned in tools/debian/bookworm.lock.json and requirements_lock.txt.
"""

load("//tools/oci:defs.bzl", "OciImageInfo")

def _image_sbom_impl(ctx):
    image = ctx.attr.image[OciImageInfo]
    sbom = ctx.actions.declare_file(ctx.label.name + ".spdx.json")
    listings = image.listings.to_list()
    args = ctx.actions.args()
    args.add("--name", ctx.attr.image.label.name)
    args.add("--digest-file", image.digest)
    args.add_all(listings, before_each = "--listing")
    args.add("--debian-lock", ctx.file.debian_lock)
    args.add("--python-lock", ctx.file.python_lock)
    args.add("--output", sbom)
    ctx.actions.run(
        executable = ctx.executable._sbom_tool,
        arguments = [args],
        inputs = [image.digest, ctx.file.debian_lock, ctx.file.python_lock] + listings,
        outputs = [sbom],
        mnemonic = "ImageSbom",
        progress_message = "Writing SBOM %{label}",
    )
    return [DefaultInfo(files = depset([sbom]))]

image_sbom = rule(
    doc = "Writes `<name>.spdx.json`: the Debian packages and wheels of an image, with versions and hashes.",
    implementation = _image_sbom_impl,
    attrs = {
        "image": attr.label(mandatory = True, providers = [OciImageInfo], doc = "The oci_image to describe."),
        "debian_lock": attr.label(default = "//tools/debian:bookworm.lock.json", allow_single_file = True, doc = "Versions and sha256 of the Debian packages."),
        "python_lock": attr.label(default = "//:requirements_lock.txt", allow_single_file = True, doc = "Versions and hashes of the wheels."),
        "_sbom_tool": attr.label(default = "//tools/sbom:sbom", executable = True, cfg = "exec"),
    },
)

"""The OCI platform (os, architecture, variant) an oci_image is built for.

Example:

    load(":platform.bzl", "PLATFORM_ATTRS", "image_platform")

    my_rule = rule(attrs = dict(PLATFORM_ATTRS, ...), ...)

    def _impl(ctx):
        platform = image_platform(ctx)  # {"os": "linux", "architecture": "arm64", "variant": "v8"}

The attributes are rules_oci's; left empty, the platform is the target
platform's (Bazel's --platforms, which oci_image_index's transition sets), so
one oci_image target gives the amd64 and the arm64 image.
"""

load(":labels.bzl", "label_text")

# CPU constraint -> the OCI architecture and variant of an image for it.
_CPUS = {
    "aarch64": ("arm64", "v8"),
    "x86_64": ("amd64", ""),
}

PLATFORM_ATTRS = {
    "os": attr.string(default = "linux", doc = "Config os."),
    "architecture": attr.string(doc = "Config architecture (amd64, arm64); default: the target platform's CPU's."),
    "variant": attr.string(doc = "Config variant (v8 for arm64); with `architecture` only."),
    "_cpus": attr.label_keyed_string_dict(
        default = {"@platforms//cpu:" + cpu: cpu for cpu in _CPUS},
        providers = [platform_common.ConstraintValueInfo],
        doc = "The CPU constraints the target platform is tested for.",
    ),
}

def image_platform(ctx):
    """The image's platform: the attributes, else the target platform's CPU.

    Args:
      ctx: the context of a rule with PLATFORM_ATTRS.

    Returns:
      A dict with os, architecture and, if any, variant.
    """
    if ctx.attr.variant and not ctx.attr.architecture:
        fail("%s: variant %r without architecture; set `architecture` too (e.g. \"arm64\" with \"v8\"), or neither" %
             (label_text(ctx.label), ctx.attr.variant))
    if ctx.attr.architecture:
        platform = {"architecture": ctx.attr.architecture, "os": ctx.attr.os, "variant": ctx.attr.variant}
    else:
        cpus = [cpu for target, cpu in ctx.attr._cpus.items() if ctx.target_platform_has_constraint(target[platform_common.ConstraintValueInfo])]
        if not cpus:
            fail("%s: the target platform's CPU is none of %s; set `architecture` (and `variant`)" %
                 (ctx.label, ", ".join(_CPUS)))
        architecture, variant = _CPUS[cpus[0]]
        platform = {"architecture": architecture, "os": ctx.attr.os, "variant": variant}
    return {key: value for key, value in platform.items() if value}

def platform_name(platform):
    """`os/architecture[/variant]` of an image_platform() dict, e.g. `linux/arm64/v8`."""
    return "/".join([platform[key] for key in ("os", "architecture", "variant") if key in platform])

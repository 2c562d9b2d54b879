"""Stamping, the way bazel-lib's stamping.bzl does it: a `stamp` attribute and `--stamp`.

Example:

    load(":stamp.bzl", "STAMP_ATTRS", "maybe_stamp")

    my_rule = rule(attrs = dict(STAMP_ATTRS, image = ...), ...)

    def _impl(ctx):
        stamp = maybe_stamp(ctx)  # None unless stamping
        if stamp:
            ... stamp.stable_status_file, stamp.volatile_status_file ...

`stamp = 1` always stamps, `0` never, `-1` (the default) when Bazel runs with
`--stamp`. The status files are what tools/workspace_status.sh prints
(STABLE_GIT_COMMIT in the stable one).
"""

load(":providers.bzl", "StampSettingInfo")

STAMP_ATTRS = {
    "stamp": attr.int(
        default = -1,
        values = [1, 0, -1],
        doc = "1: stamp; 0: do not; -1: stamp when Bazel runs with --stamp.",
    ),
    "_stamp_setting": attr.label(
        default = "//tools/oci:stamp",
        providers = [StampSettingInfo],
        doc = "Whether --stamp is on (a stamp_setting).",
    ),
}

def maybe_stamp(ctx):
    """The workspace status files when the target stamps, else None.

    Args:
      ctx: the context of a rule with STAMP_ATTRS.

    Returns:
      struct(stable_status_file, volatile_status_file) or None.
    """
    stamp = ctx.attr.stamp
    if stamp == 1 or (stamp == -1 and ctx.attr._stamp_setting[StampSettingInfo].value):
        return struct(stable_status_file = ctx.info_file, volatile_status_file = ctx.version_file)
    return None

def _stamp_setting_impl(ctx):
    return [StampSettingInfo(value = ctx.attr.value)]

stamp_setting = rule(
    doc = "Tells rules whether --stamp is on: give `value` a select on a config_setting of `stamp`.",
    implementation = _stamp_setting_impl,
    attrs = {
        "value": attr.bool(mandatory = True, doc = "True under --stamp."),
    },
    provides = [StampSettingInfo],
)

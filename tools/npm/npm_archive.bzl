"""Repository rule that unpacks one pinned npm package.

Example (MODULE.bazel), buildifier's release binaries from their npm package:

    npm_archive = use_repo_rule("//tools/npm:npm_archive.bzl", "npm_archive")
    npm_archive(name = "buildifier", package = "@bazel/buildifier", version = "8.2.1",
                sha256 = "<sha256 of the tarball>", build_file = "//tools/lint:buildifier.BUILD")

The registry is `DOCINTEL_NPM_REGISTRY` (tools/bazel sets it from the host's
`npm config get registry`; `--repo_env` also works). No registry is ever
written into the repo. The package's `package/` folder becomes the
repository's root; the tarball is checked against `sha256` (a tarball's
sha256, not the registry's sha512 `integrity`: `npm pack NAME@VERSION` and
`sha256sum` give it).
"""

_NO_REGISTRY = ("%s: no npm registry. Set DOCINTEL_NPM_REGISTRY to the URL of an npm registry " +
                "(tools/bazel sets it from `npm config get registry` where npm is installed), " +
                "or add `common --repo_env=DOCINTEL_NPM_REGISTRY=<url>` to user.bazelrc")

def _tarball_url(registry, package, version):
    """The registry's tarball URL: <registry>/<@scope/name>/-/<name>-<version>.tgz."""
    return "%s/%s/-/%s-%s.tgz" % (registry, package, package.rpartition("/")[2], version)

def _npm_archive_impl(rctx):
    spec = "%s@%s" % (rctx.attr.package, rctx.attr.version)
    sha256 = rctx.attr.sha256
    if len(sha256) != 64 or sha256.lstrip("0123456789abcdef"):
        fail(("%s: sha256 = \"%s\" is not 64 lowercase hex characters, so the download could not be " +
              "verified. Pin the tarball's sha256 in MODULE.bazel: `npm pack %s` downloads it, " +
              "`sha256sum` of the .tgz prints it") % (rctx.attr.name, sha256, spec))
    registry = rctx.os.environ.get("DOCINTEL_NPM_REGISTRY", "").strip().rstrip("/")
    if not registry:
        fail(_NO_REGISTRY % rctx.attr.name)
    url = _tarball_url(registry, rctx.attr.package, rctx.attr.version)
    result = rctx.download_and_extract(
        url = url,
        sha256 = sha256,
        stripPrefix = "package",
        canonical_id = spec,
        allow_fail = True,
    )
    if not result.success:
        probe = rctx.download(url = url, output = "probe.tgz", allow_fail = True)
        if probe.success:
            fail(("%s: %s has sha256 %s but MODULE.bazel pins %s: the registry serves another file. " +
                  "Check it (`npm pack %s`), then pin the new sha256 or use another registry " +
                  "(DOCINTEL_NPM_REGISTRY)") % (rctx.attr.name, url, probe.sha256, sha256, spec))
        fail(("%s: cannot download %s. Check that the registry (DOCINTEL_NPM_REGISTRY=%s) is " +
              "reachable and serves %s") % (rctx.attr.name, url, registry, spec))
    rctx.file("BUILD.bazel", rctx.read(rctx.attr.build_file))

npm_archive = repository_rule(
    doc = "Downloads one npm package's tarball (pinned by sha256) from the host's npm registry and unpacks it.",
    implementation = _npm_archive_impl,
    attrs = {
        "package": attr.string(mandatory = True, doc = "The package's name, e.g. `@bazel/buildifier`."),
        "version": attr.string(mandatory = True, doc = "The exact version, e.g. `8.2.1`."),
        "sha256": attr.string(mandatory = True, doc = "sha256 of the package's tarball (64 lowercase hex characters)."),
        "build_file": attr.label(mandatory = True, allow_single_file = True, doc = "BUILD file of the repository."),
    },
    environ = ["DOCINTEL_NPM_REGISTRY"],
)

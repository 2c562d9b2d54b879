"""Repository rule that unpacks pinned Debian packages into one tree.

Example (MODULE.bazel):

    deb_archive = use_repo_rule("//tools/debian:deb_archive.bzl", "deb_archive")
    deb_archive(
        name = "python3_11",
        lock = "//tools/debian:bookworm.lock.json",
        packages = ["python3.11-minimal", "libpython3.11-minimal"],
        build_file = "//tools/python:python3_11.BUILD",
    )

A lock pins each package per architecture (tools/debian/lock.py); the
repository takes `architecture`'s entries (default amd64) and those built for
all architectures, so the same lock and package list give arm64 packages with
`architecture = "arm64"`.

The mirror is `DOCINTEL_DEBIAN_MIRROR` (`--repo_env`) or else the first
Debian archive in the apt sources of the machine Bazel runs on; the security
archive is `DOCINTEL_DEBIAN_SECURITY_MIRROR` or else the mirror's sibling
`debian-security` folder. No mirror is ever written into the repo.
"""

# How to re-pin a suite's lock (tools/debian/README.md): apt must follow the
# suite, so Debian 12's locks are written on a Debian 12 host and sid's in the
# build root. %s is the lock's name, e.g. `sid` for sid.in and sid.lock.json.
_REPIN = {
    "bookworm": "on a Debian 12 host: python3 tools/debian/lock.py tools/debian/%s.in tools/debian/%s.lock.json",
    "sid": "tools/bazel run //tools/debian:lock -- --suite sid --update tools/debian/%s.in tools/debian/%s.lock.json",
}

def _repin(rctx, lock):
    """The re-pin command for a decoded lock (locks without a suite are Debian 12's)."""
    suite = lock.get("suite", "bookworm")
    name = rctx.attr.lock.name.removesuffix(".lock.json")
    return _REPIN[suite] % (name, name) if suite in _REPIN else "see tools/debian/README.md"

def _apt_sources_mirror(rctx):
    """The first non-security Debian archive URL in the apt sources, or None."""
    files = ["/etc/apt/sources.list"]
    listing = rctx.path("/etc/apt/sources.list.d")
    if listing.exists:
        files += [str(f) for f in listing.readdir()]
    for name in files:
        path = rctx.path(name)
        if not path.exists or not (name.endswith(".list") or name.endswith(".sources")):
            continue
        for line in rctx.read(path).splitlines():
            words = line.strip().split(" ")
            if words[0] == "deb":
                urls = [w for w in words[1:] if "://" in w]
            elif words[0] == "URIs:":
                urls = words[1:]
            else:
                continue
            for url in urls:
                url = url.rstrip("/")
                if url.endswith("/debian") and "security" not in url:
                    return url
    return None

def _mirrors(rctx):
    """Maps the lock's archive names to base URLs."""
    mirror = rctx.os.environ.get("DOCINTEL_DEBIAN_MIRROR") or _apt_sources_mirror(rctx)
    if not mirror:
        fail("no Debian mirror: set --repo_env=DOCINTEL_DEBIAN_MIRROR=<url of a Debian archive> " +
             "(e.g. in user.bazelrc), or add a Debian archive to /etc/apt/sources.list")
    mirror = mirror.rstrip("/")
    security = rctx.os.environ.get("DOCINTEL_DEBIAN_SECURITY_MIRROR") or (mirror + "-security")
    return {"debian": mirror, "debian-security": security.rstrip("/")}

def _architecture(entry):
    """The architecture a lock entry's file name ends with (`amd64`, `arm64`, `all`)."""
    return entry["path"].removesuffix(".deb").rpartition("_")[2]

def _lock_entries(rctx, lock):
    """The lock's entries of the requested packages for the architecture, failing on unknown names."""
    wanted = (rctx.attr.architecture, "all")
    by_name = {entry["name"]: entry for entry in lock["packages"] if _architecture(entry) in wanted}
    missing = [name for name in rctx.attr.packages if name not in by_name]
    if not missing:
        return [by_name[name] for name in rctx.attr.packages]
    pinned = sorted({_architecture(entry): True for entry in lock["packages"] if _architecture(entry) != "all"}.keys())
    if rctx.attr.architecture not in pinned:
        fail("%s: the lock %s pins %s packages, not %s; re-pin adding `--architecture %s` (%s)" %
             (rctx.attr.name, rctx.attr.lock, ", ".join(pinned), rctx.attr.architecture, rctx.attr.architecture, _repin(rctx, lock)))
    fail("%s: %s not in the lock %s for %s; add it to tools/debian/%s.in and re-pin, %s" %
         (rctx.attr.name, ", ".join(missing), rctx.attr.lock, rctx.attr.architecture, rctx.attr.lock.name.removesuffix(".lock.json"), _repin(rctx, lock)))

def _fetch(rctx, entry, url, output, repin):
    """Downloads one .deb, telling a hash mismatch apart from an unreachable mirror."""
    sha256 = entry.get("sha256", "")
    if len(sha256) != 64 or sha256.lstrip("0123456789abcdef"):
        fail(("%s %s: the lock %s pins sha256 \"%s\", not 64 lowercase hex characters, so the download " +
              "could not be verified. Re-pin, which writes the sha256 of every package: %s") %
             (entry["name"], entry["version"], rctx.attr.lock, sha256, repin))
    result = rctx.download(url = url, output = output, sha256 = sha256, allow_fail = True)
    if result.success:
        return

    # Bazel refuses plain http without a checksum: probe over https.
    probe_url = "https://" + url.removeprefix("http://") if url.startswith("http://") else url
    probe = rctx.download(url = probe_url, output = output + ".unverified", allow_fail = True)
    if probe.success:
        fail(("%s %s: %s has sha256 %s but the lock pins %s. The mirror serves another file; " +
              "re-pin (%s), or use another mirror (--repo_env=DOCINTEL_DEBIAN_MIRROR=...)") %
             (entry["name"], entry["version"], url, probe.sha256, sha256, repin))
    fail(("%s %s: cannot download %s. Check that the mirror is reachable, or set " +
          "--repo_env=DOCINTEL_DEBIAN_MIRROR=<url>; if the mirror dropped this version, re-pin: " +
          "%s") % (entry["name"], entry["version"], url, repin))

def _deb_archive_impl(rctx):
    mirrors = _mirrors(rctx)
    lock = json.decode(rctx.read(rctx.attr.lock))
    entries = _lock_entries(rctx, lock)
    for entry in entries:
        deb = "debs/%s.deb" % entry["name"]
        _fetch(rctx, entry, "%s/%s" % (mirrors[entry["archive"]], entry["path"]), deb, _repin(rctx, lock))
        if not rctx.attr.extract:
            continue
        members = "_members/" + entry["name"]
        rctx.extract(deb, output = members)
        data = [f for f in rctx.path(members).readdir() if f.basename.startswith("data.tar")]
        if len(data) != 1:
            fail("%s: %s holds no single data.tar.* member" % (entry["name"], deb))
        rctx.extract(data[0], output = ".")
    rctx.delete("_members")
    rctx.file("BUILD.bazel", rctx.read(rctx.attr.build_file))
    rctx.file("packages.json", json.encode_indent(entries) + "\n")

deb_archive = repository_rule(
    doc = "Downloads pinned Debian packages (by sha256) into debs/ and unpacks their files into one repository.",
    implementation = _deb_archive_impl,
    attrs = {
        "lock": attr.label(mandatory = True, allow_single_file = [".json"], doc = "Lock file written by tools/debian/lock.py."),
        "packages": attr.string_list(mandatory = True, doc = "Names of the lock's packages to unpack, in order."),
        "architecture": attr.string(default = "amd64", doc = "Debian architecture of the packages (`amd64`, `arm64`); packages built for `all` serve every one."),
        "build_file": attr.label(mandatory = True, allow_single_file = True, doc = "BUILD file of the repository."),
        "extract": attr.bool(default = True, doc = "Unpack the packages' files; otherwise keep only the .deb files under debs/."),
    },
    environ = ["DOCINTEL_DEBIAN_MIRROR", "DOCINTEL_DEBIAN_SECURITY_MIRROR"],
)

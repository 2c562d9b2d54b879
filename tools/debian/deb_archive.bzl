"""Repository rule that unpacks pinned Debian packages into one tree.

Example (MODULE.bazel):

    deb_archive = use_repo_rule("//tools/debian:deb_archive.bzl", "deb_archive")
    deb_archive(
        name = "python3_11",
        lock = "//tools/debian:bookworm.lock.json",
        packages = ["python3.11-minimal", "libpython3.11-minimal"],
        build_file = "//tools/python:python3_11.BUILD",
    )

The mirror is `DOCINTEL_DEBIAN_MIRROR` (`--repo_env`) or else the first
Debian archive in the apt sources of the machine Bazel runs on; the security
archive is `DOCINTEL_DEBIAN_SECURITY_MIRROR` or else the mirror's sibling
`debian-security` folder. No mirror is ever written into the repo.
"""

_LOCK_UPDATE = "python3 tools/debian/lock.py tools/debian/bookworm.in tools/debian/bookworm.lock.json"

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

def _lock_entries(rctx):
    """The lock's entries for the requested packages, failing on unknown names."""
    lock_name = str(rctx.attr.lock)
    by_name = {entry["name"]: entry for entry in json.decode(rctx.read(rctx.attr.lock))["packages"]}
    missing = [name for name in rctx.attr.packages if name not in by_name]
    if missing:
        fail("%s: %s not in the lock %s; add it to tools/debian/bookworm.in and run `%s`" %
             (rctx.attr.name, ", ".join(missing), lock_name, _LOCK_UPDATE))
    return [by_name[name] for name in rctx.attr.packages]

def _fetch(rctx, entry, url, output):
    """Downloads one .deb, telling a hash mismatch apart from an unreachable mirror."""
    result = rctx.download(url = url, output = output, sha256 = entry["sha256"], allow_fail = True)
    if result.success:
        return
    probe = rctx.download(url = url, output = output + ".unverified", allow_fail = True)
    if probe.success:
        fail(("%s %s: %s has sha256 %s but the lock pins %s. The mirror serves another file; " +
              "re-pin with `%s` on a Debian 12 host, or use another mirror " +
              "(--repo_env=DOCINTEL_DEBIAN_MIRROR=...)") %
             (entry["name"], entry["version"], url, probe.sha256, entry["sha256"], _LOCK_UPDATE))
    fail(("%s %s: cannot download %s. Check that the mirror is reachable, or set " +
          "--repo_env=DOCINTEL_DEBIAN_MIRROR=<url>; if the mirror dropped this version, re-pin " +
          "with `%s`") % (entry["name"], entry["version"], url, _LOCK_UPDATE))

def _deb_archive_impl(rctx):
    mirrors = _mirrors(rctx)
    for entry in _lock_entries(rctx):
        deb = "debs/%s.deb" % entry["name"]
        _fetch(rctx, entry, "%s/%s" % (mirrors[entry["archive"]], entry["path"]), deb)
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
    rctx.file("packages.json", json.encode_indent(_lock_entries(rctx)) + "\n")

deb_archive = repository_rule(
    doc = "Downloads pinned Debian packages (by sha256) into debs/ and unpacks their files into one repository.",
    implementation = _deb_archive_impl,
    attrs = {
        "lock": attr.label(mandatory = True, allow_single_file = [".json"], doc = "Lock file written by tools/debian/lock.py."),
        "packages": attr.string_list(mandatory = True, doc = "Names of the lock's packages to unpack, in order."),
        "build_file": attr.label(mandatory = True, allow_single_file = True, doc = "BUILD file of the repository."),
        "extract": attr.bool(default = True, doc = "Unpack the packages' files; otherwise keep only the .deb files under debs/."),
    },
    environ = ["DOCINTEL_DEBIAN_MIRROR", "DOCINTEL_DEBIAN_SECURITY_MIRROR"],
)

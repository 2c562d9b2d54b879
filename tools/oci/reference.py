"""Image names and tags as registries and container engines accept them (the distribution spec's grammar).

split_reference("127.0.0.1:5000/team/app:v1")   # ("127.0.0.1:5000", "team/app", "v1")
reference_problem("Bad Tag")                     # what is wrong with it, or None
"""

from __future__ import annotations

import re

# A path component of a repository name: lower case, digits, separated by '.', '_', '__' or dashes.
NAME_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
TAG = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
# A registry host: DNS labels (or an IPv4 address), an optional port.
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]+)?")
TAG_RULE = "1 to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'"
NAME_RULE = "lower-case components of letters and digits, joined by '.', '_' or '-', separated by '/'"


def is_path(path: str) -> bool:
    """Whether `path` is a repository path (`team/app`): '/'-separated name components."""
    return all(NAME_COMPONENT.fullmatch(part) for part in path.split("/"))


def split_host(name: str) -> tuple[str | None, str]:
    """A repository name as (host or None, path): a first part with '.' or ':', or localhost, is a host."""
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return None, name


def split_reference(reference: str) -> tuple[str | None, str, str | None]:
    """`[HOST/]PATH[:TAG]` as (host or None, path, tag or None); no check of the parts."""
    name, tag = reference, None
    last_colon = reference.rfind(":")
    if last_colon > reference.rfind("/"):
        name, tag = reference[:last_colon], reference[last_colon + 1 :]
    host, path = split_host(name)
    return host, path, tag


def reference_problem(reference: str) -> str | None:
    """What keeps `reference` (`[HOST/]PATH[:TAG]`) from being an image name engines accept, or None."""
    host, path, tag = split_reference(reference)
    if host is not None and not _HOST.fullmatch(host):
        return f"its registry host {host!r} is not a host name or address with an optional :PORT"
    if not is_path(path):
        return f"its name {path!r} is not {NAME_RULE}"
    if tag is not None and not TAG.fullmatch(tag):
        return f"its tag {tag!r} is not {TAG_RULE}"
    return None

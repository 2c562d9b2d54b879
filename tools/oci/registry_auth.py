"""Registry credentials and the OCI distribution spec's auth flows (basic and bearer token).

    auth = RegistryAuth.from_docker_config()           # ~/.docker/config.json
    header = auth.authorization(host, challenge, scopes)  # after a 401's WWW-Authenticate

Credentials come from the Docker config ($DOCKER_CONFIG/config.json, else
~/.docker/config.json), as `docker login` and `podman login --authfile` write
it: an `auths` entry (`auth`, or `username` and `password`), or a credential
helper (`credHelpers` per registry, `credsStore` for all), run as
`docker-credential-<name> get`. A bearer challenge is answered with a token
from its realm, asked for with those credentials (or anonymously); tokens are
kept per realm, service and scopes until they expire. Secrets never appear in
an error message.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from http_stream import HttpError, request

_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]*))')
# A token is used until this many seconds before the expiry its realm gave.
_EXPIRY_MARGIN = 10.0
_DEFAULT_TOKEN_SECONDS = 60.0


class AuthError(Exception):
    """A registry wants credentials we do not have, or refused the ones we have; the message says what to do."""


@dataclass(frozen=True)
class Challenge:
    """A WWW-Authenticate header: the scheme (basic or bearer) and its parameters."""

    scheme: str
    params: dict[str, str]

    @classmethod
    def parse(cls, header: str) -> Challenge:
        """Parses `Bearer realm="...",service="...",scope="..."` or `Basic realm="..."`."""
        scheme, _, rest = header.strip().partition(" ")
        params = {match[1].lower(): match[2] or match[3] for match in _PARAM.finditer(rest)}
        return cls(scheme.lower(), params)


@dataclass(frozen=True)
class Credentials:
    """A user name and secret for one registry."""

    username: str
    secret: str

    def basic(self) -> str:
        """The Authorization header value for HTTP basic auth."""
        return "Basic " + base64.b64encode(f"{self.username}:{self.secret}".encode()).decode()


def docker_config_path() -> Path:
    """$DOCKER_CONFIG/config.json, else ~/.docker/config.json."""
    directory = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return Path(directory) / "config.json"


def _registry_host(key: str) -> str:
    """A Docker config key (`host`, `https://host/v1/`) as a host[:port]."""
    return urlsplit(key if "://" in key else "//" + key).netloc


class RegistryAuth:
    """Credentials per registry host, and the tokens obtained with them."""

    def __init__(self, config: dict[str, object], source: str) -> None:
        """`config` is a parsed Docker config; `source` names it in messages."""
        self.config, self.source = config, source
        self._tokens: dict[tuple[str, str, tuple[str, ...]], tuple[str, float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_docker_config(cls, path: Path | None = None) -> RegistryAuth:
        """The credentials of the Docker config at `path` (default: docker_config_path()); none if it is absent."""
        path = path or docker_config_path()
        try:
            config = json.loads(path.read_text())
        except FileNotFoundError:
            return cls({}, str(path))
        except (OSError, ValueError) as error:
            raise AuthError(f"cannot read the Docker config {path}: {error}; fix or remove it") from None
        if not isinstance(config, dict):
            raise AuthError(f"the Docker config {path} is not a JSON object; fix or remove it")
        return cls(config, str(path))

    def credentials(self, host: str) -> Credentials | None:
        """The credentials the config holds for `host`, if any."""
        helpers = self.config.get("credHelpers")
        helper = helpers.get(host) if isinstance(helpers, dict) else None
        helper = helper or self.config.get("credsStore")
        if isinstance(helper, str) and helper:
            found = self._from_helper(helper, host)
            if found:
                return found
        auths = self.config.get("auths")
        if not isinstance(auths, dict):
            return None
        for key, entry in auths.items():
            if _registry_host(str(key)) == host and isinstance(entry, dict):
                return self._from_entry(entry, host)
        return None

    def _from_entry(self, entry: dict[str, object], host: str) -> Credentials | None:
        if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
            return Credentials(str(entry["username"]), str(entry["password"]))
        encoded = entry.get("auth")
        if not isinstance(encoded, str) or not encoded:
            return None
        try:
            username, _, secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            raise AuthError(
                f"the `auth` of {host} in {self.source} is not base64 of user:password; log in again"
            ) from None
        return Credentials(username, secret)

    def _from_helper(self, helper: str, host: str) -> Credentials | None:
        program = f"docker-credential-{helper}"
        try:
            result = subprocess.run([program, "get"], input=host, capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise AuthError(
                f"{self.source} names the credential helper {program}, which is not on PATH: install it, or "
                f"remove the helper from {self.source} and log in with `docker login {host}`"
            ) from None
        if result.returncode != 0:
            return None  # the helper has nothing for this host
        try:
            answer = json.loads(result.stdout)
            return Credentials(str(answer["Username"]), str(answer["Secret"]))
        except (ValueError, KeyError, TypeError):
            raise AuthError(f"{program} gave no Username/Secret for {host}") from None

    def authorization(self, host: str, challenge: Challenge, scopes: tuple[str, ...], *, renew: bool = False) -> str:
        """The Authorization header that answers `challenge` for `scopes` (a cached token unless `renew`)."""
        credentials = self.credentials(host)
        if challenge.scheme == "basic":
            if credentials is None:
                raise AuthError(f"{host} wants a login; run `docker login {host}` (it writes {self.source})")
            return credentials.basic()
        if challenge.scheme != "bearer" or "realm" not in challenge.params:
            raise AuthError(f"{host} asks for {challenge.scheme!r} authentication, which this push does not speak")
        realm, service = challenge.params["realm"], challenge.params.get("service", "")
        # A challenge may name several scopes, space-separated; the token request repeats `scope`.
        wanted = tuple(sorted(set(scopes) | set(challenge.params.get("scope", "").split())))
        key = (realm, service, wanted)
        with self._lock:
            cached = self._tokens.get(key)
            if cached and not renew and cached[1] > time.monotonic():
                return "Bearer " + cached[0]
        token, lifetime = self._fetch_token(host, realm, service, wanted, credentials)
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + max(lifetime - _EXPIRY_MARGIN, 1.0))
        return "Bearer " + token

    def _fetch_token(
        self, host: str, realm: str, service: str, scopes: tuple[str, ...], credentials: Credentials | None
    ) -> tuple[str, float]:
        query = urlencode([("service", service), *(("scope", scope) for scope in scopes)])
        headers = {"Authorization": credentials.basic()} if credentials else {}
        try:
            status, _, body = request("GET", f"{realm}?{query}", headers=headers)
        except HttpError as error:
            raise AuthError(f"cannot get a token for {host} from {realm}: {error}") from None
        if status in (401, 403):
            who = "your login in " + self.source if credentials else "anonymous access"
            raise AuthError(f"{realm} refused {who} for {host} ({status}); run `docker login {host}`")
        if status != 200:
            raise AuthError(f"{realm} answered {status} to a token request for {host}")
        try:
            answer = json.loads(body)
            token = answer.get("token") or answer["access_token"]
            lifetime = float(answer.get("expires_in") or _DEFAULT_TOKEN_SECONDS)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise AuthError(f"{realm} gave no token for {host}") from None
        return str(token), lifetime

"""Registry auth: Docker config credentials, and basic and bearer-token flows against a real docker-registry.

The registry is Debian's docker-registry with htpasswd auth (basic) or token
auth (bearer). The token service is this test's own (no Debian package
provides one): a small HTTP server that checks the login and signs RS256 JWTs
with a key and certificate made by openssl, which the registry trusts.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import stat
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import warnings
from pathlib import Path

import loopback_http
from local_registry import LocalRegistry
from oci_layout import GZIP_LAYER_TYPE, Descriptor
from registry_auth import AuthError, Challenge, Credentials, RegistryAuth
from registry_client import Registry, RegistryError

USER, PASSWORD = "ci", "pa55word"


def blob(data: bytes) -> Descriptor:
    return Descriptor(GZIP_LAYER_TYPE, "sha256:" + hashlib.sha256(data).hexdigest(), len(data))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def login_config(host: str, user: str = USER, password: str = PASSWORD) -> RegistryAuth:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    return RegistryAuth({"auths": {f"https://{host}/v1/": {"auth": auth}}}, "config.json")


class ConfigTest(unittest.TestCase):
    def test_challenges(self) -> None:
        bearer = Challenge.parse('Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull"')
        self.assertEqual(bearer.scheme, "bearer")
        self.assertEqual(bearer.params["scope"], "repository:a:pull")
        self.assertEqual(Challenge.parse('Basic realm="r"'), Challenge("basic", {"realm": "r"}))

    def test_credentials_by_host(self) -> None:
        auth = RegistryAuth(
            {
                "auths": {
                    "https://reg.example/v1/": {"auth": base64.b64encode(b"u:p:with:colons").decode()},
                    "other.example:5000": {"username": "x", "password": "y"},
                }
            },
            "config.json",
        )
        self.assertEqual(auth.credentials("reg.example"), Credentials("u", "p:with:colons"))
        self.assertEqual(auth.credentials("other.example:5000"), Credentials("x", "y"))
        self.assertIsNone(auth.credentials("third.example"))

    def test_credential_helper(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            helper = Path(tmp, "docker-credential-fake")
            helper.write_text('#!/bin/sh\nread host\necho "{\\"Username\\": \\"h-$host\\", \\"Secret\\": \\"s\\"}"\n')
            helper.chmod(helper.stat().st_mode | stat.S_IXUSR)
            path = os.environ["PATH"]
            os.environ["PATH"] = f"{tmp}:{path}"
            try:
                auth = RegistryAuth({"credHelpers": {"reg.example": "fake"}}, "config.json")
                self.assertEqual(auth.credentials("reg.example"), Credentials("h-reg.example", "s"))
            finally:
                os.environ["PATH"] = path

    def test_missing_config_has_no_credentials(self) -> None:
        auth = RegistryAuth.from_docker_config(Path("/nonexistent/config.json"))
        self.assertIsNone(auth.credentials("reg.example"))

    def test_broken_config_is_a_clear_error(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp, "config.json")
            config.write_text("{not json")
            with self.assertRaisesRegex(AuthError, "cannot read the Docker config .*fix or remove it"):
                RegistryAuth.from_docker_config(config)


class BasicAuthTest(unittest.TestCase):
    def setUp(self) -> None:
        tmp = Path(self.enterContext(tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR"))))
        with warnings.catch_warnings():  # crypt (bcrypt for htpasswd) is deprecated, not gone, in 3.11
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt

            hashed = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH))
        (tmp / "htpasswd").write_text(f"{USER}:{hashed}\n")
        self.registry = LocalRegistry.start(
            tmp / "registry", auth=f"{{htpasswd: {{realm: docintel-test, path: {tmp}/htpasswd}}}}"
        )
        self.addCleanup(self.registry.stop)

    def test_login_from_the_docker_config_pushes(self) -> None:
        client = Registry(self.registry.address, login_config(self.registry.address))
        data = b"layer bytes" * 100
        client.upload("team/app", blob(data), iter([data]))
        self.assertTrue(client.has_blob("team/app", blob(data).digest))

    def test_no_login_says_how_to_log_in(self) -> None:
        client = Registry(self.registry.address, RegistryAuth({}, "/root/.docker/config.json"))
        with self.assertRaisesRegex(RegistryError, rf"{self.registry.address} wants a login; run `docker login"):
            client.has_blob("team/app", blob(b"x").digest)

    def test_wrong_password_is_denied(self) -> None:
        client = Registry(self.registry.address, login_config(self.registry.address, password="wrong"))
        with self.assertRaisesRegex(RegistryError, r"denied HEAD .* \(401\); log in with `docker login"):
            client.has_blob("team/app", blob(b"x").digest)


class TokenService(http.server.ThreadingHTTPServer):
    """Issues RS256 tokens for USER:PASSWORD, with the scopes asked for; remembers the requests."""

    def __init__(self, key: Path, cert_der: bytes, service: str) -> None:
        super().__init__(loopback_http.ANY_PORT, TokenHandler)
        self.key, self.cert_der, self.service = key, cert_der, service
        self.requests: list[dict[str, list[str]]] = []

    def token(self, scopes: list[str]) -> str:
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(self.cert_der).decode()]}
        access = []
        for scope in scopes:
            kind, name, actions = scope.split(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims = {"iss": "docintel-test", "sub": USER, "aud": self.service, "exp": now + 300, "nbf": now - 10}
        claims.update({"iat": now, "jti": str(now), "access": access})
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.key)],
            input=signing_input.encode(),
            capture_output=True,
            check=True,
        ).stdout
        return f"{signing_input}.{b64url(signature)}"


class TokenHandler(loopback_http.QuietHandler):
    server: TokenService

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        self.server.requests.append(query)
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.reply(401)
            return
        body = json.dumps({"token": self.server.token(query.get("scope", [])), "expires_in": 300}).encode()
        self.reply(200, body, {"Content-Type": "application/json"})


class BearerTokenTest(unittest.TestCase):
    def setUp(self) -> None:
        tmp = Path(self.enterContext(tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR"))))
        key, cert = tmp / "key.pem", tmp / "cert.pem"
        request = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        subprocess.run(
            [*request, "-keyout", str(key), "-out", str(cert), "-subj", "/CN=docintel-test-token-issuer"],
            check=True,
            capture_output=True,
        )
        der = subprocess.run(
            ["openssl", "x509", "-in", str(cert), "-outform", "DER"], capture_output=True, check=True
        ).stdout
        self.tokens = loopback_http.serve(self, TokenService(key, der, "docintel-registry"))
        realm = f"http://{loopback_http.host(self.tokens)}/token"
        token = f"realm: '{realm}', service: docintel-registry, issuer: docintel-test, rootcertbundle: {cert}"
        auth = f"{{token: {{{token}}}}}"
        self.registry = LocalRegistry.start(tmp / "registry", auth=auth)
        self.addCleanup(self.registry.stop)

    def test_token_flow_with_a_cross_repository_mount(self) -> None:
        client = Registry(self.registry.address, login_config(self.registry.address))
        data = b"shared layer" * 1000
        client.upload("team/base", blob(data), iter([data]))
        self.assertIsNone(client.mount("team/ml", blob(data).digest, source="team/base"), "not mounted")
        self.assertTrue(client.has_blob("team/ml", blob(data).digest))
        scopes = {scope for request in self.tokens.requests for scope in request.get("scope", [])}
        self.assertIn("repository:team/ml:pull,push", scopes)
        self.assertIn("repository:team/base:pull", scopes)
        self.assertEqual({request["service"][0] for request in self.tokens.requests}, {"docintel-registry"})

    def test_a_refused_login_says_so(self) -> None:
        client = Registry(self.registry.address, login_config(self.registry.address, password="wrong"))
        with self.assertRaisesRegex(RegistryError, r"refused your login in config.json .* \(401\); run `docker login"):
            client.has_blob("team/base", blob(b"x").digest)


if __name__ == "__main__":
    unittest.main()

"""An HTTPS token endpoint like Entra ID's, for msal's certificate flow against the sandbox."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import logging
import re
import ssl
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from c3po_sync.errors import C3POError

log = logging.getLogger(__name__)

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


# --- certificates --------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificatePair:
    """A private key and its self-signed certificate, both PEM, with the SHA-1 thumbprint."""

    key_pem: bytes
    cert_pem: bytes

    @property
    def thumbprint(self) -> str:
        return certificate_thumbprint(self.cert_pem)

    def write(self, directory: Path, stem: str) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        key, cert = directory / f"{stem}.key.pem", directory / f"{stem}.cert.pem"
        key.write_bytes(self.key_pem)
        key.chmod(0o600)
        cert.write_bytes(self.cert_pem)
        return key, cert


def self_signed_certificate(common_name: str, *, ip: str | None = None) -> CertificatePair:
    """A fresh RSA-2048 key and a one-year self-signed certificate (SAN = ``ip`` if given)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )
    if ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
            critical=False,
        )
    cert = builder.sign(key, hashes.SHA256())
    return CertificatePair(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert.public_bytes(serialization.Encoding.PEM),
    )


def certificate_thumbprint(cert_pem: bytes) -> str:
    """The SHA-1 thumbprint (upper-case hex), as the Entra portal shows it."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - the format's hash


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- the endpoint --------------------------------------------------------------------------


@dataclass
class _Client:
    client_id: str
    tenant: str
    certs: dict[str, x509.Certificate] = field(default_factory=dict)  # x5t -> cert
    certs256: dict[str, x509.Certificate] = field(default_factory=dict)  # x5t#S256 -> cert
    # Application permissions consented to the app; an app-only token lists them in `roles`
    # (https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference).
    roles: list[str] = field(default_factory=lambda: ["Sites.Selected"])


class TokenEndpointError(C3POError):
    """An OAuth error reply: status, ``error`` code and an AADSTS-style description."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


class TokenServer:
    """Entra ID's discovery and token endpoints, over HTTPS, for registered certificate apps.

    It verifies the client assertion (signature against the registered certificate, ``aud``
    = this token endpoint, ``iss`` = ``sub`` = client id, ``exp``), refuses client secrets
    as SharePoint does, and issues RS256 access tokens that ``validate`` accepts — hand
    ``validate`` to the SharePoint sandbox as its token validator.
    """

    def __init__(
        self,
        tls: CertificatePair,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token_lifetime: int = 3599,
        workdir: Path | None = None,
    ) -> None:
        import tempfile

        self.token_lifetime = token_lifetime
        self._clients: dict[str, _Client] = {}
        self._lock = threading.Lock()
        self.stats: Counter[str] = Counter()
        self._signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="c3po-tokens-")
            workdir = Path(self._tmp.name)
        key_file, cert_file = tls.write(workdir, "token-server-tls")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_file, key_file)
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.owner = self
        self._thread: threading.Thread | None = None

    # --- registration and tokens -------------------------------------------------------------

    def register_client(
        self,
        client_id: str,
        cert_pem: bytes,
        tenant: str = "city",
        roles: list[str] | None = None,
    ) -> None:
        """Uploads a certificate to an app registration (several may be live during rotation).

        ``roles``: the application permissions consented to the app (default Sites.Selected).
        """
        cert = x509.load_pem_x509_certificate(cert_pem)
        der = cert.public_bytes(serialization.Encoding.DER)
        sha1 = hashes.Hash(hashes.SHA1())  # noqa: S303 - x5t is defined as SHA-1
        sha1.update(der)
        sha256 = hashes.Hash(hashes.SHA256())
        sha256.update(der)
        with self._lock:
            client = self._clients.setdefault(client_id, _Client(client_id, tenant))
            if roles is not None:
                client.roles = list(roles)
            client.certs[_b64url(sha1.finalize())] = cert
            client.certs256[_b64url(sha256.finalize())] = cert

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"https://{name}:{port}"

    def authority(self, tenant: str = "city") -> str:
        return f"{self.url}/{tenant}"

    def token_endpoint(self, tenant: str) -> str:
        return f"{self.url}/{tenant}/oauth2/v2.0/token"

    def validate(self, token: str, audience: str | None = None) -> bool:
        """True for an unexpired access token this server issued to a certificate client."""
        try:
            claims = jwt.decode(
                token,
                self._signing_key.public_key(),
                algorithms=["RS256"],
                audience=audience,
                options={"verify_aud": audience is not None, "require": ["exp", "aud"]},
            )
        except jwt.PyJWTError as e:
            log.debug("token refused: %s", e)
            return False
        return claims.get("appidacr") == "2"

    def discovery(self, tenant: str) -> dict[str, Any]:
        base = f"{self.url}/{tenant}"
        return {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": self.token_endpoint(tenant),
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "response_types_supported": ["code", "token"],
            "tenant_region_scope": "NA",
        }

    def issue(self, tenant: str, form: dict[str, str]) -> dict[str, Any]:
        """The client-credentials grant; raises TokenEndpointError as Entra would answer."""
        if "client_secret" in form:
            self.stats["refused_secret"] += 1
            raise TokenEndpointError(
                401,
                "invalid_client",
                "AADSTS7000218: client secrets are not accepted for SharePoint app-only access; "
                "authenticate with a certificate (client_assertion).",
            )
        if form.get("grant_type") != "client_credentials":
            raise TokenEndpointError(
                400, "unsupported_grant_type", f"grant_type {form.get('grant_type')!r}"
            )
        client_id = form.get("client_id", "")
        with self._lock:
            client = self._clients.get(client_id)
        if client is None or client.tenant != tenant:
            raise TokenEndpointError(
                400,
                "unauthorized_client",
                f"AADSTS700016: application {client_id!r} was not found in tenant {tenant!r}",
            )
        if form.get("client_assertion_type") != JWT_BEARER or not form.get("client_assertion"):
            raise TokenEndpointError(
                401, "invalid_client", "AADSTS7000216: client_assertion is required"
            )
        self._check_assertion(client, tenant, form["client_assertion"])
        scope = form.get("scope", "")
        resource = next((s for s in scope.split() if s.endswith("/.default")), None)
        if resource is None:
            raise TokenEndpointError(
                400, "invalid_scope", f"AADSTS1002012: scope {scope!r} must end in /.default"
            )
        now = int(time.time())
        claims = {
            "aud": resource[: -len("/.default")],
            "iss": f"https://sts.windows.net/{tenant}/",
            "iat": now,
            "nbf": now,
            "exp": now + self.token_lifetime,
            "appid": client_id,
            "appidacr": "2",  # 2 = certificate; SharePoint refuses 1 (secret)
            "tid": tenant,
            "roles": list(client.roles),
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, client_id)),
        }
        token = jwt.encode(claims, self._signing_key, algorithm="RS256")
        self.stats["issued"] += 1
        return {
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "ext_expires_in": self.token_lifetime,
            "access_token": token,
        }

    def _check_assertion(self, client: _Client, tenant: str, assertion: str) -> None:
        def refuse(why: str) -> TokenEndpointError:
            self.stats["refused_assertion"] += 1
            return TokenEndpointError(401, "invalid_client", f"AADSTS700027: {why}")

        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError as e:
            raise refuse(f"client assertion is not a JWT: {e}") from None
        with self._lock:
            # msal pads the base64url thumbprint, other clients do not: compare unpadded.
            cert = client.certs.get(str(header.get("x5t", "")).rstrip("=")) or client.certs256.get(
                str(header.get("x5t#S256", "")).rstrip("=")
            )
        if cert is None:
            raise refuse(
                "the certificate with the assertion's thumbprint is not registered "
                f"for application {client.client_id}"
            )
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):  # RS256/PS256 are the algorithms Entra takes
            raise refuse("the registered certificate does not hold an RSA key")
        try:
            claims = jwt.decode(
                assertion,
                key,
                algorithms=["RS256", "PS256"],
                audience=self.token_endpoint(tenant),
                options={"require": ["exp", "aud", "iss", "sub"]},
                leeway=300,
            )
        except jwt.PyJWTError as e:
            raise refuse(f"client assertion failed validation: {e}") from None
        if claims["iss"] != client.client_id or claims["sub"] != client.client_id:
            raise refuse("client assertion iss and sub must be the client id")

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> TokenServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="token-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> TokenServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: TokenServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see sandbox/server.py: no delayed-ACK wait per reply
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        log.debug("token server %s", format % args)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        parts = urlsplit(self.path).path.strip("/").split("/")
        if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            self._json(200, self.server.owner.discovery(parts[0]))
        else:
            self._json(404, {"error": "not_found", "error_description": self.path})

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        parts = urlsplit(self.path).path.strip("/").split("/")
        if len(parts) != 4 or parts[1:] != ["oauth2", "v2.0", "token"]:
            self._json(404, {"error": "not_found", "error_description": self.path})
            return
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        try:
            self._json(200, self.server.owner.issue(parts[0], form))
        except TokenEndpointError as e:
            self._json(
                e.status,
                {
                    "error": e.error,
                    "error_description": e.description,
                    "error_codes": [int(c) for c in re.findall(r"^AADSTS(\d+)", e.description)],
                    "trace_id": str(uuid.uuid4()),
                    "correlation_id": str(uuid.uuid4()),
                },
            )

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

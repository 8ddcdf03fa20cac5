"""SandboxServer options: HTTPS with a given SSL context, and a bearer-token validator."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from office365.runtime.client_request_exception import ClientRequestException
from office365.sharepoint.client_context import ClientContext

from c3po_sync.sandbox.server import SandboxServer

from .conftest import small_tenant


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _token(value: str):
    return lambda: {"access_token": value, "token_type": "Bearer", "expires_in": 3600}


def test_https_serves_the_client_and_builds_https_links(tmp_path, monkeypatch):
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    with SandboxServer(small_tenant(), ssl_context=server_ctx) as server:
        assert server.url.startswith("https://127.0.0.1:")
        client_ctx = ssl.create_default_context(cafile=str(cert))
        req = urllib.request.Request(
            server.url + "/sites/x/_api/web",
            headers={"Authorization": "Bearer t", "Accept": "application/json;odata=verbose"},
        )
        with urllib.request.urlopen(req, context=client_ctx) as resp:  # noqa: S310 - loopback
            d = json.load(resp)["d"]
        assert d["__metadata"]["uri"].startswith(server.url + "/sites/x/_api")
        assert d["Url"] == server.url + "/sites/x"

        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
        ctx = ClientContext(server.url + "/sites/x").with_access_token(_token("t"))
        items = ctx.web.lists.get_by_title("Tasks").items.get().execute_query()
        assert len(items) == 6
        # A plain-http request to the TLS port gets no reply, and the server keeps serving.
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen(server.url.replace("https", "http") + "/sites/x/_api/web")  # noqa: S310
        assert ctx.web.get().execute_query().properties["Title"] == "X Site"


def test_token_validator_rejects_with_sharepoints_401():
    seen: list[str] = []

    def validator(token: str) -> bool:
        seen.append(token)
        if token == "boom":
            raise ValueError("bad token format")
        return token == "good"

    with SandboxServer(small_tenant(), token_validator=validator) as server:
        ok = ClientContext(server.url + "/sites/x").with_access_token(_token("good"))
        assert ok.web.get().execute_query().properties["Title"] == "X Site"
        for bad in ("bad", "boom"):
            ctx = ClientContext(server.url + "/sites/x").with_access_token(_token(bad))
            with pytest.raises(ClientRequestException) as err:
                ctx.web.get().execute_query()
            resp = err.value.response
            assert resp.status_code == 401
            assert "client_id=" in resp.headers["WWW-Authenticate"]
            assert "UnauthorizedAccessException" in resp.text
        assert {"good", "bad", "boom"} <= set(seen)
        assert server.stats.statuses[401] == 2


def test_default_accepts_any_non_empty_token():
    with SandboxServer(small_tenant()) as server:
        assert server.url.startswith("http://")
        ctx = ClientContext(server.url + "/sites/x").with_access_token(_token("anything"))
        assert ctx.web.get().execute_query().properties["Title"] == "X Site"

"""Certificate auth end to end: msal → the sandbox's HTTPS token endpoint → the office365 client.

The token server checks the client assertion's signature against the registered certificate;
the SharePoint sandbox accepts only tokens it issued. Secrets and unregistered certificates
are refused as Entra ID and SharePoint would.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msal
import pytest
from typer.testing import CliRunner

from c3po_sync.cli.main import app
from c3po_sync.m365.auth import MsalCertificateTokenProvider
from c3po_sync.m365.errors import M365Error, TokenError
from c3po_sync.m365.http import SiteConnection, list_path
from c3po_sync.sandbox.demo import load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sandbox.token_server import CertificatePair, TokenServer, self_signed_certificate

CLIENT_ID = "5f1f7a1e-0000-4000-8000-c3p0c3p0c3p0"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Identity:
    tokens: TokenServer
    sharepoint: SandboxServer
    app_cert: CertificatePair
    key_file: Path
    ca_file: Path
    tmp: Path

    def provider(self, key_file: Path | None = None, thumbprint: str | None = None, **kw):  # noqa: ANN003, ANN201
        return MsalCertificateTokenProvider(
            tenant_id="city",
            client_id=CLIENT_ID,
            thumbprint=thumbprint or self.app_cert.thumbprint,
            private_key_path=key_file or self.key_file,
            resource=self.sharepoint.url,
            authority=self.tokens.authority("city"),
            verify=str(self.ca_file),
            **kw,
        )


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Identity]:
    tmp = tmp_path_factory.mktemp("identity")
    tls = self_signed_certificate("127.0.0.1", ip="127.0.0.1")
    ca_file = tmp / "sandbox-ca.pem"
    ca_file.write_bytes(tls.cert_pem)
    app_cert = self_signed_certificate("C3PO Sync")
    key_file, _ = app_cert.write(tmp, "c3po-sync")
    with TokenServer(tls) as tokens:
        tokens.register_client(CLIENT_ID, app_cert.cert_pem, tenant="city")
        with SandboxServer(load_demo_tenant(), port=0, token_validator=tokens.validate) as sp:
            yield Identity(tokens, sp, app_cert, key_file, ca_file, tmp)


def test_certificate_token_reads_sharepoint_through_the_client(identity: Identity) -> None:
    provider = identity.provider(token_cache_path=identity.tmp / "cache" / "msal.json")
    conn = SiteConnection.open(identity.sharepoint.url + "/sites/c3po", provider)
    web = conn.get_json(conn.api("Web?$select=Title"), route="web")
    assert web["Title"]
    issued = identity.tokens.stats["issued"]
    conn.get_json(conn.api("Web/lists?$select=Title"), route="lists")
    assert identity.tokens.stats["issued"] == issued  # the token was reused, not re-fetched
    cache = identity.tmp / "cache" / "msal.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert provider()["access_token"] not in repr(provider)


def test_sharepoint_refuses_tokens_the_endpoint_did_not_issue(identity: Identity) -> None:
    from c3po_sync.m365.auth import StaticTokenProvider

    conn = SiteConnection.open(identity.sharepoint.url + "/sites/c3po", StaticTokenProvider("x"))
    with pytest.raises(M365Error, match="401"):
        conn.send_once("GET", conn.api("Web"), route="web")


def test_an_unregistered_certificate_is_refused(identity: Identity) -> None:
    other = self_signed_certificate("someone else")
    key, _ = other.write(identity.tmp, "other")
    with pytest.raises(TokenError, match="AADSTS700027"):
        identity.provider(key_file=key, thumbprint=other.thumbprint)()
    # Right thumbprint, wrong key: the signature check fails.
    with pytest.raises(TokenError, match="AADSTS700027"):
        identity.provider(key_file=key)()


def test_a_client_secret_grant_is_refused(
    identity: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # they override msal's verify=
        monkeypatch.delenv(var, raising=False)
    app_ = msal.ConfidentialClientApplication(
        CLIENT_ID,
        client_credential="not-a-certificate-s3cret",
        authority=identity.tokens.authority("city"),
        instance_discovery=False,
        verify=str(identity.ca_file),
    )
    result = app_.acquire_token_for_client([f"{identity.sharepoint.url}/.default"])
    assert "access_token" not in result
    assert result["error"] == "invalid_client"
    assert "certificate" in result["error_description"]
    assert identity.tokens.stats["refused_secret"] >= 1


def test_certificate_from_environment(identity: Identity, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C3PO_CERT_PEM", identity.app_cert.key_pem.decode())
    monkeypatch.setenv("C3PO_CERT_THUMBPRINT", identity.app_cert.thumbprint)
    provider = MsalCertificateTokenProvider(
        tenant_id="city",
        client_id=CLIENT_ID,
        thumbprint=None,
        private_key_path=None,
        resource=identity.sharepoint.url,
        authority=identity.tokens.authority("city"),
        verify=str(identity.ca_file),
    )
    assert identity.tokens.validate(provider()["access_token"])


def test_missing_certificate_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("C3PO_CERT_PEM", raising=False)
    with pytest.raises(TokenError, match="C3PO_CERT_PEM"):
        MsalCertificateTokenProvider(
            tenant_id="t",
            client_id="c",
            thumbprint="AB" * 20,
            private_key_path=None,
            resource="https://city.sharepoint.com",
        )


def _cert_config(identity: Identity, mappings: str) -> Path:
    cfg = identity.tmp / "city.yaml"
    cfg.write_text(
        f"tenant:\n  base_url: {identity.sharepoint.url}\n  auth:\n    mode: certificate\n"
        f"    tenant_id: city\n    client_id: {CLIENT_ID}\n"
        f"    thumbprint: {identity.app_cert.thumbprint}\n"
        f"    private_key_path: {identity.key_file}\n"
        f"    authority: {identity.tokens.authority('city')}\n"
        f"    ca_bundle: {identity.ca_file}\n"
        f"mappings_dir: {mappings}\nrules_file: {ROOT / 'config' / 'rules.yaml'}\n"
        f"jobs_dir: {ROOT / 'jobs'}\nstate_url: sqlite:///{identity.tmp / 'state.db'}\n"
    )
    return cfg


def test_auth_test_reports_reach_per_site_and_list(identity: Identity) -> None:
    mappings = identity.tmp / "mappings"
    mappings.mkdir(exist_ok=True)
    for f in (ROOT / "mappings").glob("*.yaml"):
        (mappings / f.name).write_text(f.read_text())
    # One mapped list that does not exist on its site.
    text = (mappings / "ppm-finance.yaml").read_text().replace("list: Project List", "list: Gone")
    (mappings / "ppm-finance.yaml").write_text(text)
    result = CliRunner().invoke(
        app, ["auth", "test", "--json", "--config", str(_cert_config(identity, str(mappings)))]
    )
    assert result.exit_code == 3, result.output
    rows = json.loads(result.stdout)
    by = {(r["site"], r["target"]): r["status"] for r in rows}
    assert by[("/sites/ppm-finance", "Gone")] == "missing"
    assert by[("/sites/ppm-finance", "(site)")] == "ok"
    assert by[("/sites/c3po", "(site)")] == "ok"
    assert sum(1 for s in by.values() if s == "ok") >= 6


def test_list_path_quotes_titles() -> None:
    assert list_path("O'Brien & Co") == "Web/lists/GetByTitle('O''Brien%20%26%20Co')"

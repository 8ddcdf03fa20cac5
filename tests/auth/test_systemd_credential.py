"""The private key delivered by systemd (`LoadCredential=c3po-sync-key:…`) is found and used.

systemd puts each credential in a file in $CREDENTIALS_DIRECTORY readable by the service alone
(https://systemd.io/CREDENTIALS/); the shipped unit delivers the key that way, so the settings need
neither `private_key_path` nor the key in an environment variable.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from c3po_sync.cli.main import app
from c3po_sync.m365.auth import CREDENTIAL_NAME, load_certificate
from c3po_sync.m365.errors import TokenError
from c3po_sync.sandbox.token_server import self_signed_certificate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, str]:
    pair = self_signed_certificate("C3PO Sync")
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / CREDENTIAL_NAME).write_bytes(pair.key_pem)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    monkeypatch.delenv("C3PO_CERT_PEM", raising=False)
    return pair.key_pem, pair.thumbprint


def test_the_key_comes_from_the_credentials_directory(credential: tuple[bytes, str]) -> None:
    key, thumb = credential
    assert load_certificate(None, thumb) == (key.decode(), thumb.upper())


def test_a_key_file_named_in_the_settings_still_wins(
    credential: tuple[bytes, str], tmp_path: Path
) -> None:
    other = self_signed_certificate("other")
    path = tmp_path / "other.key.pem"
    path.write_bytes(other.key_pem)
    assert load_certificate(path, credential[1])[0] == other.key_pem.decode()


def test_without_credential_the_error_names_every_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    monkeypatch.delenv("C3PO_CERT_PEM", raising=False)
    with pytest.raises(TokenError, match=f"systemd credential {CREDENTIAL_NAME}"):
        load_certificate(None, "AB" * 20)


def test_validate_accepts_settings_without_a_key_path_under_systemd(
    credential: tuple[bytes, str], tmp_path: Path
) -> None:
    cfg = tmp_path / "city.yaml"
    cfg.write_text(
        "tenant:\n  base_url: https://city.sharepoint.com\n  auth:\n    mode: certificate\n"
        f"    tenant_id: city\n    client_id: 11111111-1111-1111-1111-111111111111\n"
        f"    thumbprint: {credential[1]}\n"
        f"mappings_dir: {ROOT / 'mappings'}\nrules_file: {ROOT / 'config' / 'rules.yaml'}\n"
        f"jobs_dir: {ROOT / 'jobs'}\nstate_url: sqlite:///{tmp_path / 'state.db'}\n"
        f"output_dir: {tmp_path / 'out'}\n"
    )
    result = CliRunner().invoke(app, ["validate", "--json", "--config", str(cfg)])
    assert result.exit_code == 0, result.output

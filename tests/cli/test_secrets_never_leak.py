"""A planted secret (private key, bearer token, client secret) appears in no log or output."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from c3po_sync.logs import configure_logging, redact
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
FAKE_KEY = (
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7PLANTED\n"
    "-----END PRIVATE KEY-----"
)
BEARER = "eyJhbGciOiJSUzI1NiJ9.eyJwbGFudGVkIjoiYmVhcmVyIn0.c2lnbmF0dXJlUExBTlRFRA"
CLIENT_SECRET = "Qx8~PLANTED-client-secret-value"


def _planted(text: str) -> list[str]:
    return [s for s in ("7PLANTED", BEARER, CLIENT_SECRET) if s in text]


def test_redact_masks_every_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C3PO_CLIENT_SECRET", CLIENT_SECRET)
    line = f"key {FAKE_KEY} header Authorization: Bearer {BEARER} raw {BEARER} s {CLIENT_SECRET}"
    assert _planted(redact(line)) == []
    assert _planted(redact(f'{{"client_secret": "{CLIENT_SECRET}"}}')) == []


def test_log_formats_redact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for json_lines in (False, True):
        log_file = tmp_path / f"log-{json_lines}.txt"
        configure_logging(logging.DEBUG, json_lines=json_lines, file=log_file)
        logging.getLogger("c3po_sync.test").warning("token %s key %s", f"Bearer {BEARER}", FAKE_KEY)
        try:
            raise RuntimeError(f"access_token={BEARER}")
        except RuntimeError:
            logging.getLogger("c3po_sync.test").exception("failed")
        logging.shutdown()
        text = log_file.read_text()
        assert "c3po_sync.test" in text and _planted(text) == []
        if json_lines:
            assert all(json.loads(line)["logger"] for line in text.splitlines())
    assert _planted(capsys.readouterr().err) == []
    configure_logging(logging.WARNING)


@pytest.mark.slow
def test_a_full_run_leaks_no_planted_secret(tmp_path: Path) -> None:
    with SandboxServer(load_demo_tenant(), port=0) as server:
        cfg = tmp_path / "settings.yaml"
        cfg.write_text(
            f"tenant:\n  base_url: {server.url}\n  auth:\n    mode: sandbox\n"
            "    token: ${C3PO_TEST_BEARER}\n"
            f"mappings_dir: {ROOT / 'mappings'}\nrules_file: {ROOT / 'config/rules.yaml'}\n"
            f"jobs_dir: {ROOT / 'jobs'}\nstate_url: sqlite:///{tmp_path / 'state.db'}\n"
            f"output_dir: {tmp_path / 'out'}\n"
        )
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "C3PO_CERT_PEM": FAKE_KEY,
            "C3PO_TEST_BEARER": BEARER,
            "C3PO_CLIENT_SECRET": CLIENT_SECRET,
        }
        log_file = tmp_path / "run.log"
        outputs = []
        for args in (
            ["-v", "--log-file", str(log_file), "run", "nightly", "--json"],
            ["--log-json", "runs", "--json"],
            ["validate", "--json"],
            ["jobs"],
        ):
            if "run" in args:
                args += ["--today", DEMO_ANCHOR.isoformat()]
            p = subprocess.run(
                [sys.executable, "-m", "c3po_sync.cli.main", *args, "--config", str(cfg)],
                capture_output=True,
                text=True,
                env=env,
                timeout=300,
            )
            assert p.returncode == 0, p.stderr[-2000:]
            outputs += [p.stdout, p.stderr]
    assert "step" in log_file.read_text()  # the log file really has the run's log
    workbooks = list((tmp_path / "out").glob("*.xlsx"))
    assert workbooks
    texts = [*outputs, log_file.read_text()]
    for wb in workbooks:
        with zipfile.ZipFile(wb) as z:
            texts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    for db in tmp_path.glob("state.db*"):
        texts.append(db.read_bytes().decode("latin-1"))
    leaks = [(i, _planted(t)) for i, t in enumerate(texts) if _planted(t)]
    assert leaks == []


def test_credentials_in_urls_are_masked_everywhere() -> None:
    """One masking function: a password in any URL, in any text, keeps its user and host."""
    assert (
        redact("postgresql://user:s3cret@db.city.gov/c3po")
        == "postgresql://user:***@db.city.gov/c3po"
    )
    line = (
        'state "postgresql+psycopg://svc:p%40ss:w0rd@h:5432/x" and https://a:b@t.sharepoint.com/s'
    )
    out = redact(line)
    assert "s3cret" not in out and "p%40ss" not in out and "w0rd" not in out and ":b@" not in out
    assert "svc:***@h:5432/x" in out and "https://a:***@t.sharepoint.com/s" in out
    assert (
        redact("https://tenant.sharepoint.com/sites/c3po")
        == "https://tenant.sharepoint.com/sites/c3po"
    )


def test_validate_json_masks_a_database_password(tmp_path: Path) -> None:
    cfg = tmp_path / "settings.yaml"
    cfg.write_text(
        "tenant:\n  base_url: http://127.0.0.1:1\n  auth:\n    mode: sandbox\n    token: t0k3n\n"
        f"mappings_dir: {ROOT / 'mappings'}\nrules_file: {ROOT / 'config/rules.yaml'}\n"
        f"jobs_dir: {ROOT / 'jobs'}\n"
        "state_url: postgresql://c3po:Sup3rSecretPW@db.city.gov/c3po\n"
        "scheduler:\n  job_store_url: postgresql://jobs:Sup3rSecretPW@db.city.gov/jobs\n"
    )
    from typer.testing import CliRunner

    from c3po_sync.cli.main import app

    result = CliRunner().invoke(app, ["validate", "--json", "--config", str(cfg)])
    assert "Sup3rSecretPW" not in result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["state_url"] == "postgresql://c3po:***@db.city.gov/c3po"
    assert summary["job_store_url"] == "postgresql://jobs:***@db.city.gov/jobs"

"""`c3po-sync sandbox serve` options: TLS, strict tokens, a budget, the non-loopback warning."""

from __future__ import annotations

import pytest
import requests
from typer.testing import CliRunner

from c3po_sync.cli.main import app
from c3po_sync.sandbox.serve_options import (
    ServeOptionError,
    ServeOptions,
    build,
    is_loopback,
    loopback_warning,
)

from .conftest import small_tenant


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_hosts_give_no_warning(host):
    assert is_loopback(host) and loopback_warning(host) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::", "sandbox.city.local"])  # noqa: S104
def test_other_hosts_are_warned_about(host):
    assert "not loopback" in (loopback_warning(host) or "")


def test_tls_and_strict_tokens_and_budget(tmp_path):
    opts = ServeOptions(tls_self_signed=True, strict_tokens=True, ru_per_minute=100,
                        workdir=tmp_path)  # fmt: skip
    served = build(small_tenant(), opts=opts)
    try:
        server = served.server
        assert server.url.startswith("https://")
        cert = next(tmp_path.glob("sandbox-tls.cert.pem"))
        resp = requests.get(
            server.url + "/sites/x/_api/web",
            headers={"Authorization": "Bearer anything", "Accept": "application/json"},
            verify=str(cert),
            timeout=10,
        )
        assert resp.status_code == 401  # strict: only the token endpoint's tokens pass
        assert server.token_validator == served.tokens.validate
        assert server.budget is not None and server.budget.units_per_minute == 100
        assert any("authority" in n for n in served.notes)
    finally:
        served.stop()


def test_inconsistent_options_are_refused(tmp_path):
    with pytest.raises(ServeOptionError, match="--tls-cert and --tls-key"):
        build(small_tenant(), opts=ServeOptions(tls_cert=tmp_path / "c.pem", workdir=tmp_path))
    with pytest.raises(ServeOptionError, match="need --strict-tokens"):
        build(small_tenant(), opts=ServeOptions(client_id="x", workdir=tmp_path))


def test_serve_help_lists_the_options():
    out = CliRunner().invoke(app, ["sandbox", "serve", "--help"], terminal_width=200).output
    for flag in ("--tls-cert", "--tls-self-signed", "--strict-tokens", "--ru-per-minute"):
        assert flag in out


def test_serve_refuses_bad_options_after_warning_on_stderr(tmp_path):
    result = CliRunner().invoke(
        app, ["sandbox", "serve", "--host", "0.0.0.0", "--port", "0", "--client-id", "x"]
    )  # noqa: S104
    assert result.exit_code == 2
    assert "not loopback" in result.stderr and "need --strict-tokens" in result.stderr


def test_python_m_server_warns_too(capsys, monkeypatch):
    from c3po_sync.sandbox import server as server_mod

    def refuse(*_a, **_k):
        raise KeyboardInterrupt  # stop before binding: only the warning matters here

    monkeypatch.setattr(server_mod, "_demo_tenant", refuse)
    with pytest.raises(KeyboardInterrupt):
        server_mod.main(["--host", "0.0.0.0"])  # noqa: S104
    assert "not loopback" in capsys.readouterr().err

"""Settings and jobs: valid files load, broken ones fail with the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from c3po_sync.config.errors import ConfigError
from c3po_sync.config.jobs import load_job, load_jobs
from c3po_sync.config.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_sandbox_config_loads_with_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C3PO_SANDBOX_URL", "http://127.0.0.1:9999")
    s = load_settings(ROOT / "config" / "sandbox.yaml")
    assert s.tenant.base_url == "http://127.0.0.1:9999"
    assert s.tenant.auth.mode == "sandbox"
    assert s.resolve(s.mappings_dir) == (ROOT / "mappings").resolve()


def test_sandbox_config_default_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("C3PO_SANDBOX_URL", raising=False)
    s = load_settings(ROOT / "config" / "sandbox.yaml")
    assert s.tenant.base_url == "http://127.0.0.1:8765"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "settings.yaml"
    p.write_text(text)
    return p


def test_missing_env_var_names_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOPE_URL", raising=False)
    p = _write(tmp_path, "tenant:\n  base_url: ${NOPE_URL}\n")
    with pytest.raises(ConfigError) as e:
        load_settings(p)
    assert (
        str(p) in str(e.value) and "tenant.base_url" in str(e.value) and "NOPE_URL" in str(e.value)
    )


def test_unknown_key_is_located(tmp_path: Path) -> None:
    p = _write(tmp_path, "tenant:\n  base_url: https://x.sharepoint.com\n  verfy_tls: false\n")
    with pytest.raises(ConfigError) as e:
        load_settings(p)
    assert "tenant.verfy_tls" in str(e.value) and "unknown key" in str(e.value)


def test_bad_url_and_bad_hub(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="tenant.base_url"):
        load_settings(_write(tmp_path, "tenant:\n  base_url: city.sharepoint.com/sites/x\n"))
    with pytest.raises(ConfigError, match="hub_site"):
        load_settings(
            _write(
                tmp_path, "tenant:\n  base_url: https://c.sharepoint.com\nhub_site: sites/c3po\n"
            )
        )


def test_certificate_auth_requires_its_fields(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "tenant:\n  base_url: https://c.sharepoint.com\n  auth:\n    mode: certificate\n"
        "    client_id: abc\n",
    )
    with pytest.raises(ConfigError, match="tenant.auth"):
        load_settings(p)


def test_shipped_jobs_load() -> None:
    jobs = load_jobs(ROOT / "jobs")
    assert jobs["nightly"].ordered_steps == ["sync", "evaluate", "write_lists", "intake", "rollup"]


def test_job_errors_are_located(tmp_path: Path) -> None:
    p = tmp_path / "weekly.yaml"
    p.write_text("id: weekly\nsteps: [sync, evaulate]\n")
    with pytest.raises(ConfigError) as e:
        load_job(p)
    assert "weekly.yaml:2: steps[1]" in str(e.value)
    p.write_text("id: other\nsteps: [sync]\n")
    with pytest.raises(ConfigError, match="must match the file name"):
        load_job(p)


def test_dashboard_public_errors_are_located(tmp_path: Path) -> None:
    """A public field that does not exist, or a PPM name without show_people, names the key."""
    base = (ROOT / "config" / "sandbox.yaml").read_text(encoding="utf-8")
    base = base[: base.index("dashboard:")]
    p = tmp_path / "settings.yaml"
    p.write_text(base + "dashboard:\n  public:\n    project_fields: [title, sponsor]\n")
    with pytest.raises(ConfigError) as e:
        load_settings(p)
    assert "dashboard.public.project_fields" in str(e.value) and "sponsor" in str(e.value)
    p.write_text(base + "dashboard:\n  public:\n    project_fields: [title, ppm_name]\n")
    with pytest.raises(ConfigError, match="show_people"):
        load_settings(p)

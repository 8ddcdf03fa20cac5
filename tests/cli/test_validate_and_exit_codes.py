"""`validate` on broken files (each names file, key and fix); exit codes; JSON output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c3po_sync.cli.main import app, exit_code_for
from c3po_sync.pipeline.result import RunResult, SourceOutcome

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture()
def deployment_files(tmp_path: Path) -> Path:
    """A copy of the shipped configuration, free to break."""
    for d in ("config", "mappings", "jobs"):
        shutil.copytree(ROOT / d, tmp_path / d)
    return tmp_path / "config" / "sandbox.yaml"


def _validate(cfg: Path) -> tuple[int, list[dict]]:
    result = runner.invoke(app, ["validate", "--json", "--config", str(cfg)])
    return result.exit_code, json.loads(result.stdout)["problems"]


def test_shipped_configuration_is_valid(deployment_files: Path) -> None:
    code, problems = _validate(deployment_files)
    assert code == 0 and problems == []


@pytest.mark.parametrize(
    ("kind", "file", "old", "new", "key"),
    [
        ("settings", "config/sandbox.yaml", "hub_site: /sites/c3po", "hub_site: sites", "hub_site"),
        ("settings", "config/sandbox.yaml", "concurrency: 4", "concurency: 4", "read.concurency"),
        ("job", "jobs/nightly.yaml", '"0 2 * * *"', '"0 2 * *"', "schedule.cron"),
        ("job", "jobs/weekly-rollup.yaml", "[rollup]", "[rolup]", "steps[0]"),
        ("job", "jobs/nightly.yaml", "America/Los_Angeles", "Pacific/Nowhere", "schedule.timezone"),
        (
            "mapping",
            "mappings/ppm-finance.yaml",
            "target: projects",
            "target: projekts",
            "sources[0].target",
        ),
        ("rules", "config/rules.yaml", None, "stale_status_days: -1\n", ""),
    ],
)
def test_each_broken_file_names_file_key_and_fix(
    deployment_files: Path, kind: str, file: str, old: str | None, new: str, key: str
) -> None:
    path = deployment_files.parents[1] / file
    text = path.read_text()
    if old is None:
        path.write_text("not_a_rule_key: 1\n" + text)
    else:
        assert old in text
        path.write_text(text.replace(old, new, 1))
    code, problems = _validate(deployment_files)
    assert code == 2
    assert problems, "a broken file must be reported"
    p = next(p for p in problems if p["kind"] == kind)
    assert Path(p["file"]).name == path.name
    assert key in p["key"] or key in p["problem"]
    assert p["fix"] and ("docs/" in p["fix"])


def test_several_broken_files_are_all_reported(deployment_files: Path) -> None:
    root = deployment_files.parents[1]
    (root / "jobs" / "nightly.yaml").write_text("id: nightly\nsteps: [nope]\n")
    (root / "jobs" / "weekly-rollup.yaml").write_text("id: wrong\nsteps: [rollup]\n")
    code, problems = _validate(deployment_files)
    assert code == 2
    assert {Path(p["file"]).name for p in problems} >= {"nightly.yaml", "weekly-rollup.yaml"}


def test_certificate_problems_are_located_and_secrets_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("C3PO_CERT_PEM", raising=False)
    cfg = tmp_path / "city.yaml"
    cfg.write_text(
        "tenant:\n  base_url: https://city.sharepoint.com\n  auth:\n    mode: certificate\n"
        "    tenant_id: city.onmicrosoft.com\n    client_id: abc\n    thumbprint: 'XYZ'\n"
        f"mappings_dir: {ROOT / 'mappings'}\nrules_file: {ROOT / 'config' / 'rules.yaml'}\n"
        f"jobs_dir: {ROOT / 'jobs'}\n"
    )
    code, problems = _validate(cfg)
    assert code == 2
    (p,) = [p for p in problems if p["kind"] == "certificate"]
    assert p["key"].startswith("tenant.auth") and "C3PO_CERT_PEM" in p["problem"]


def test_exit_codes() -> None:
    ok = RunResult(run_id=1, job="nightly", outcome="ok", findings_by_recommendation={7: 3})
    assert exit_code_for(ok) == 0
    assert exit_code_for(ok, fail_on_findings=3) == 0
    assert exit_code_for(ok, fail_on_findings=2) == 1
    partial = RunResult(run_id=2, job="n", outcome="partial", sources=[SourceOutcome("s", 0, "x")])
    assert exit_code_for(partial, fail_on_findings=0) == 3
    assert exit_code_for(RunResult(run_id=3, job="n", outcome="interrupted")) == 3
    assert exit_code_for(RunResult(run_id=4, job="n", outcome="failed")) == 4
    for failure in ("tenant-unreachable", "auth-refused", "hub-unreachable"):
        down = RunResult(run_id=5, job="n", outcome="failed", failure=failure)
        assert exit_code_for(down) == 5


def test_config_error_exit_2_masks_secrets(tmp_path: Path) -> None:
    cfg = tmp_path / "s.yaml"
    cfg.write_text("tenant:\n  base_url: https://c.sharepoint.com\n  client_secret=hunter2xyz\n")
    result = runner.invoke(app, ["run", "nightly", "--config", str(cfg)])
    assert result.exit_code == 2
    assert "hunter2xyz" not in result.output


def test_jobs_json_has_next_run_times() -> None:
    result = runner.invoke(app, ["jobs", "--json", "--config", str(ROOT / "config/sandbox.yaml")])
    assert result.exit_code == 0, result.output
    rows = {r["job"]: r for r in json.loads(result.stdout)}
    assert rows["weekly-rollup"]["steps"] == ["rollup"]
    assert rows["nightly"]["next_run"] and rows["nightly"]["cron"] == "0 2 * * *"

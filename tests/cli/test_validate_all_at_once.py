"""`validate` lists every problem of every file at once, each once, with file, line and key;
an unknown time zone is one of them (not a traceback at run time); bad YAML names its file.
Unexpected errors are one line unless --debug (issue 13)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c3po_sync.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture()
def cfg(tmp_path: Path) -> Path:
    for d in ("config", "mappings", "jobs"):
        shutil.copytree(ROOT / d, tmp_path / d)
    return tmp_path / "config" / "sandbox.yaml"


def _line(path: Path, starts: str) -> int:
    lines = path.read_text().splitlines()
    return next(i for i, t in enumerate(lines, 1) if t.strip().startswith(starts))


def test_every_problem_in_every_file_at_once_each_once_with_its_line(cfg: Path) -> None:
    root = cfg.parents[1]
    text = cfg.read_text()
    text = text.replace("time_zone: America/Los_Angeles", "time_zone: America/Las_Vegas")
    text = text.replace("hub_site: /sites/c3po", "hub_site: sites/c3po")
    text = text.replace("  concurrency: 4", "  concurency: 4")
    cfg.write_text(text)
    nightly = root / "jobs" / "nightly.yaml"
    nightly.write_text(nightly.read_text().replace('"0 2 * * *"', '"0 25 * * *"'))
    (root / "jobs" / "weekly-rollup.yaml").write_text("id: weekly-rollup\nsteps: [sync\n")
    rules = root / "config" / "rules.yaml"
    rules.write_text(rules.read_text() + "\nnot_a_rule_key: 1\n")

    result = runner.invoke(app, ["validate", "--json", "--config", str(cfg)])
    assert result.exit_code == 2
    problems = json.loads(result.stdout)["problems"]
    got = {(Path(p["file"]).name, p["line"], p["key"]) for p in problems}
    assert got >= {
        ("sandbox.yaml", _line(cfg, "time_zone:"), "time_zone"),
        ("sandbox.yaml", _line(cfg, "hub_site:"), "hub_site"),
        ("sandbox.yaml", _line(cfg, "concurency:"), "read.concurency"),
        ("nightly.yaml", _line(nightly, "cron:"), "schedule.cron"),
        ("rules.yaml", _line(rules, "not_a_rule_key"), "not_a_rule_key"),
    }, problems
    tz = next(p for p in problems if p["key"] == "time_zone")
    assert "America/Las_Vegas" in tz["problem"] and "IANA" in tz["problem"]
    bad_yaml = next(p for p in problems if p["file"].endswith("weekly-rollup.yaml"))
    assert bad_yaml["line"] and "not valid YAML" in bad_yaml["problem"]
    assert "<unicode string>" not in result.stdout
    assert len(problems) == len({json.dumps(p, sort_keys=True) for p in problems})

    plain = runner.invoke(app, ["validate", "--config", str(cfg)])
    assert plain.exit_code == 2
    lines = [ln for ln in plain.output.splitlines() if "— fix:" in ln]
    assert len(lines) == len(problems), plain.output  # each problem printed once
    assert any(f"sandbox.yaml:{_line(cfg, 'time_zone:')}: time_zone:" in ln for ln in lines)


def test_an_unknown_time_zone_fails_run_as_a_config_error_before_any_request(cfg: Path) -> None:
    cfg.write_text(cfg.read_text().replace("America/Los_Angeles", "Mars/Olympus_Mons"))
    result = runner.invoke(app, ["run", "nightly", "--config", str(cfg)])
    assert result.exit_code == 2, result.output
    assert "time_zone" in result.output and "Traceback" not in result.output


def test_unexpected_errors_are_one_line_unless_debug(cfg: Path, monkeypatch) -> None:
    import c3po_sync.state.store as store_mod

    def broken(self, *a, **k):  # noqa: ANN001
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store_mod.StateStore, "runs", broken)
    monkeypatch.chdir(cfg.parents[1])
    monkeypatch.delenv("C3PO_STATE_URL", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        app(["runs"], standalone_mode=True)
    assert exit_info.value.code == 4
    with pytest.raises(RuntimeError, match="disk on fire"):
        app(["--debug", "runs"])

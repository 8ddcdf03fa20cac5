"""Each run prunes snapshots past the retention; history and council deltas outlive them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from c3po_sync.config.errors import ConfigError
from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.steps.council_report import deltas_between
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.state import timeline
from c3po_sync.state.store import RunNotFoundError, StateStore
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"


def _config(tmp_path: Path, extra: str = "") -> Path:
    """The sandbox config with absolute paths, its jobs in ``tmp_path/jobs`` (a sync-only job:
    pruning is the sync step's), and ``extra`` appended."""
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / "sync.yaml").write_text("id: sync\nsteps: [sync]\n")
    (jobs / "night.yaml").write_text("id: night\nsteps: [sync, evaluate, write_lists, rollup]\n")
    text = CONFIG.read_text().replace("../jobs", str(jobs)).replace("../", f"{ROOT}/")
    text = text.replace("rules.yaml", str(CONFIG.parent / "rules.yaml"))
    cfg = tmp_path / "sandbox.yaml"
    cfg.write_text(text + extra)
    return cfg


def test_runs_prune_old_snapshots_and_keep_history(tmp_path: Path, monkeypatch):
    cfg = _config(tmp_path)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    monkeypatch.setenv("C3PO_STATE_URL", url)
    monkeypatch.setenv("C3PO_OUTPUT_DIR", str(tmp_path / "out"))
    runs = []
    tenant = load_demo_tenant()
    projects = tenant.sites["/sites/ppm-finance"].list_by_title("Project List")
    with SandboxServer(tenant, port=0) as server:
        monkeypatch.setenv("C3PO_SANDBOX_URL", server.url)
        for day in (0, 10, 20):  # the default keeps 14 days
            # A night with no change keeps the stored tables and saves no snapshot of its own
            # (pipeline/quiet.py): each of these nights has one.
            projects.update_item(sorted(projects.items)[0], {"Title": f"Edited on day {day}"})
            today = DEMO_ANCHOR + timedelta(days=day)
            inputs = prepare_run(cfg, "sync", settings=load_settings(cfg), today=today)
            result = run_prepared(inputs)
            assert result.outcome == "ok"
            runs.append(result.run_id)
    with StateStore(url) as store:
        with pytest.raises(RunNotFoundError):
            store.load_snapshot(runs[0])  # 20 days old on the last night
        store.load_snapshot(runs[1])  # 10 days: kept
        assert timeline.oldest_snapshot_run(store) == runs[0]  # still in the change log
        _, base, to = deltas_between(store, since_run=runs[0])
        assert (base, to) == (runs[0], runs[2])


def test_history_shorter_than_the_reporting_window_is_a_config_error(tmp_path: Path):
    cfg = _config(tmp_path, "\nretention:\n  history_days: 30\n")
    with pytest.raises(ConfigError, match=r"retention.history_days: 30 is shorter than .* \(60\)"):
        prepare_run(cfg, "sync")


def test_nightly_runs_on_postgresql(tmp_path: Path, monkeypatch, pg_url: str):
    """The whole nightly job, twice (the second incremental), with its state on PostgreSQL."""
    cfg = _config(tmp_path)
    monkeypatch.setenv("C3PO_STATE_URL", pg_url)
    monkeypatch.setenv("C3PO_OUTPUT_DIR", str(tmp_path / "out"))
    results = []
    with SandboxServer(load_demo_tenant(), port=0) as server:
        monkeypatch.setenv("C3PO_SANDBOX_URL", server.url)
        for day in (0, 1):
            today = DEMO_ANCHOR + timedelta(days=day)
            inputs = prepare_run(cfg, "night", settings=load_settings(cfg), today=today)
            results.append(run_prepared(inputs))
    assert [r.outcome for r in results] == ["ok", "ok"], [r.error for r in results]
    assert results[0].opened > 0 and results[1].opened == 0
    with StateStore(pg_url) as store:
        assert store.engine.dialect.name == "postgresql"
        assert len(store.findings("open")) == results[0].opened
        assert store.load_evaluation(results[1].run_id) is not None
        assert len(timeline.project_snapshots(store)) == 1  # nothing changed on night 2

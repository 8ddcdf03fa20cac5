"""The weekly reconcile job: a full read that reports what the nightly incremental reads missed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from c3po_sync.bench.workspace import prepare_workspace
from c3po_sync.config.errors import ConfigError
from c3po_sync.config.jobs import load_jobs
from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.sandbox.generate import generate_tenant
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]


def test_the_reconcile_job_is_weekly_and_reads_in_full() -> None:
    job = load_jobs(ROOT / "jobs")["reconcile"]
    assert job.reconcile and "sync" in job.steps
    assert job.schedule is not None and job.schedule.cron.split()[4] != "*"  # one weekday
    assert not load_jobs(ROOT / "jobs")["nightly"].reconcile


def test_the_token_age_limit_stays_inside_sharepoints_retention(tmp_path: Path) -> None:
    raw = yaml.safe_load((ROOT / "config" / "sandbox.yaml").read_text(encoding="utf-8"))
    raw["read"]["max_token_age_days"] = 90
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert "max_token_age_days" in str(caught.value)
    assert load_settings(ROOT / "config" / "sandbox.yaml").read.max_token_age_days == 45


@pytest.mark.slow
def test_reconcile_reports_items_the_change_log_never_showed(tmp_path: Path) -> None:
    data = generate_tenant(3, sites=1, projects=6, documents_per_project=1, assets=4)
    tenant = Tenant.from_dict(data)
    with SandboxServer(tenant, port=0) as server:
        config = prepare_workspace(data, tmp_path / "ws", server.url)
        shutil.copy(ROOT / "jobs" / "reconcile.yaml", config.parent / "jobs" / "reconcile.yaml")

        def run(job: str) -> RunResult:
            settings = load_settings(config)
            inputs = prepare_run(config, job, settings=settings, today=data["generator"]["anchor"])
            return run_prepared(inputs)

        assert run("nightly").outcome == "ok"
        site = next(s for path, s in tenant.sites.items() if path != "/sites/c3po")
        lst = max(site.lists.values(), key=lambda x: len(x.items))
        gone = max(lst.items)
        del lst.items[gone]  # deleted without a trace in the change log

        result = run("reconcile")

    assert result.outcome == "ok"
    missed = [d for d in result.reconciled if d.count]
    assert len(missed) == 1 and missed[0].extra == [gone], [d.describe() for d in missed]
    assert result.counts()["reconciled"] == {missed[0].source: missed[0].as_dict()}
    assert len(result.reconciled) == len(result.sources)

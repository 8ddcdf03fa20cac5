"""The nightly job end to end on the demo City tenant: real client, real HTTP, real files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.hub_lists import FINDINGS_LIST, PORTFOLIO
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def demo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    tenant = load_demo_tenant()
    with SandboxServer(tenant, port=0) as server:
        monkeypatch.setenv("C3PO_SANDBOX_URL", server.url)
        monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
        monkeypatch.setenv("C3PO_OUTPUT_DIR", str(tmp_path / "out"))
        yield server, tenant, tmp_path


def _run(job: str = "nightly", **kw) -> RunResult:
    config = ROOT / "config" / "sandbox.yaml"
    inputs = prepare_run(config, job, settings=load_settings(config), today=DEMO_ANCHOR, **kw)
    return run_prepared(inputs)


def _hub_rows(tenant, title: str, key: str) -> list[str]:
    site = tenant.site_for_path("/sites/c3po/_api/web")[0]
    lst = site.list_by_title(title)
    return [item.values.get(key) for item in lst.items.values()]


def test_nightly_twice_same_rows_and_second_run_writes_nothing(demo_env) -> None:
    server, tenant, tmp = demo_env
    first = _run()
    assert first.outcome == "ok", [s.error for s in first.failed_sources]
    assert first.tables["projects"] >= 15
    portfolio = _hub_rows(tenant, PORTFOLIO.title, "ProjectKey")
    findings = _hub_rows(tenant, FINDINGS_LIST.title, "FindingId")
    assert len(portfolio) == first.tables["projects"]
    assert max(Counter(portfolio).values()) == 1
    assert max(Counter(findings).values()) == 1
    assert len(findings) == sum(first.findings_by_recommendation.values())

    server.stats.reset()
    second = _run()
    assert second.outcome == "ok"
    assert sorted(_hub_rows(tenant, PORTFOLIO.title, "ProjectKey")) == sorted(portfolio)
    assert sorted(_hub_rows(tenant, FINDINGS_LIST.title, "FindingId")) == sorted(findings)
    assert all(w.writes == 0 for w in second.writes), [vars(w) for w in second.writes]
    assert second.opened == 0 and second.resolved == 0


def test_seeded_problems_are_found(demo_env) -> None:
    result = _run()
    from c3po_sync.config.settings import load_settings as _ls
    from c3po_sync.state.store import StateStore

    s = _ls(ROOT / "config" / "sandbox.yaml")
    found = StateStore(s.resolved_state_url).findings(status="open")
    pairs = {(r.rule_id, r.project_key) for r in found.itertuples()}
    rules_for = {k: {r for r, p in pairs if p == k} for k in ("AMANDA7", "FMS", "TMS", "WCOMP")}
    assert any("charter" in r for r in rules_for["AMANDA7"]), rules_for
    assert any("commitment" in r or "signoff" in r for r in rules_for["FMS"]), rules_for
    assert any("ppm" in r.lower() or "engagement" in r for r in rules_for["TMS"]), rules_for
    assert any("stale" in r for r in rules_for["WCOMP"]), rules_for
    assert {7, 9, 10} <= set(result.findings_by_recommendation)


def test_workbook_saved_and_uploaded(demo_env) -> None:
    server, tenant, tmp = demo_env
    result = _run()
    assert result.workbook is not None and result.workbook.is_file()
    assert result.workbook.parent == tmp / "out"
    wb = openpyxl.load_workbook(result.workbook)
    assert {"Summary", "Portfolio", "Findings"} <= set(wb.sheetnames)
    assert result.uploaded_to == f"/sites/c3po/Rollups/{result.workbook.name}"
    site = tenant.site_for_path("/sites/c3po/_api/web")[0]
    _lst, item = site.file(result.uploaded_to)
    assert item is not None


def test_dry_run_writes_nothing(demo_env) -> None:
    server, tenant, tmp = demo_env
    result = _run(dry_run=True)
    assert result.dry_run
    planned = {w.list_title: len(w.added) for w in result.writes}
    assert planned[PORTFOLIO.title] == result.tables["projects"]
    site = tenant.site_for_path("/sites/c3po/_api/web")[0]
    for title in (PORTFOLIO.title, FINDINGS_LIST.title):
        with pytest.raises(Exception):  # noqa: B017 - the sandbox's ListNotFound
            site.list_by_title(title)
    assert result.workbook is None

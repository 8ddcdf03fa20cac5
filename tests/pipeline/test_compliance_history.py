"""Findings history across real runs on the sandbox: open, keep, resolve, re-open; and deltas."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.hub_lists import FINDINGS_LIST
from c3po_sync.state import timeline
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
STALE = "R9-status-stale:WCOMP"  # seeded: WCOMP's last status is 103 days old
WCOMP = ("/sites/ppm-finance/_api/web", "Project List", 4)
STALE_DATE = "2026-07-21T22:30:00Z"


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    tenant = load_demo_tenant()
    with SandboxServer(tenant, port=0) as server:
        monkeypatch.setenv("C3PO_SANDBOX_URL", server.url)
        monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
        monkeypatch.setenv("C3PO_OUTPUT_DIR", str(tmp_path / "out"))
        store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
        yield tenant, store, tmp_path
        store.close()


def _run(job: str = "nightly") -> RunResult:
    inputs = prepare_run(CONFIG, job, settings=load_settings(CONFIG), today=DEMO_ANCHOR)
    result = run_prepared(inputs)
    assert result.outcome == "ok", [s.error for s in result.failed_sources]
    return result


def _set_wcomp(tenant, **values) -> None:
    path, title, item_id = WCOMP
    tenant.site_for_path(path)[0].list_by_title(title).update_item(item_id, values)


def _hub_finding(tenant, finding_id: str) -> dict:
    hub = tenant.site_for_path("/sites/c3po/_api/web")[0].list_by_title(FINDINGS_LIST.title)
    [row] = [i.values for i in hub.items.values() if i.values.get("FindingId") == finding_id]
    return row


def test_open_keep_resolve_reopen_across_runs(env) -> None:
    tenant, store, _tmp = env
    first = _run()
    row = store.findings().set_index("finding_id").loc[STALE]
    assert row["status"] == "open" and row["first_run_id"] == first.run_id
    assert _hub_finding(tenant, STALE)["State"] == "Open"

    # Keep: an unchanged tenant leaves the finding open, first seen unchanged.
    second = _run()
    row = store.findings().set_index("finding_id").loc[STALE]
    assert row["status"] == "open" and row["first_run_id"] == first.run_id
    assert row["last_run_id"] == second.run_id and second.opened == 0

    # Resolve: the PPM posts a status; the finding is resolved with a date, never deleted.
    _set_wcomp(tenant, LastStatusUpdate="2026-10-30T17:00:00Z")
    third = _run()
    assert third.resolved >= 1
    row = store.findings().set_index("finding_id").loc[STALE]
    assert row["status"] == "resolved" and row["resolved_at"] is not None
    hub = _hub_finding(tenant, STALE)
    assert hub["State"] == "Resolved" and hub["ResolvedAt"]

    # Re-open: the status date is set back; the same finding comes back, marked re-opened.
    _set_wcomp(tenant, LastStatusUpdate=STALE_DATE)
    fourth = _run()
    assert fourth.reopened == 1 and fourth.opened == 0
    row = store.findings().set_index("finding_id").loc[STALE]
    assert row["status"] == "open" and row["times_reopened"] == 1
    assert row["first_run_id"] == first.run_id and row["reopened_at"] is not None
    assert _hub_finding(tenant, STALE)["State"] == "Open"
    events = [e["event"] for e in store.finding_events(STALE)]
    assert events == ["opened", "resolved", "reopened"]


def test_budget_change_after_signoff_becomes_a_finding_and_a_delta(env) -> None:
    tenant, store, tmp = env
    _run()
    # WCOMP's commitment sign-off is archived; its budget then changes with no amendment.
    _set_wcomp(tenant, Cost="$1,150,000", Health="On Track")
    second = _run()
    found = store.findings(status="open").set_index("finding_id")
    assert "R7-charter-changed-no-amendment:WCOMP" in found.index
    msg = found.loc["R7-charter-changed-no-amendment:WCOMP", "message"]
    assert "$980,000 -> $1,150,000" in msg
    # The rollup's changes sheet lists the budget and status change since the previous run.
    wb = openpyxl.load_workbook(second.workbook)
    rows = [r for r in wb["Changes since last report"].iter_rows(values_only=True) if r[0]]
    changes = {(r[0], r[2]) for r in rows}
    assert {("WCOMP", "Budget changed"), ("WCOMP", "Finding opened")} <= changes
    # The trend column now has the previous rollup's scores.
    assert timeline.bookmark(store, timeline.LAST_ROLLUP)["run_id"] == second.run_id
    score_rows = list(wb["Audit scorecard"].iter_rows(values_only=True))
    assert any(r[5] is not None for r in score_rows[1:11])


def test_council_report_covers_changes_since_the_last_council_report(env) -> None:
    tenant, store, tmp = env
    first = _run("council-report")
    assert first.workbook.name == f"C3PO Council Report {DEMO_ANCHOR:%Y-%m-%d}.xlsx"
    assert first.uploaded_to.endswith(first.workbook.name)
    _set_wcomp(tenant, LastStatusUpdate="2026-10-30T17:00:00Z")
    _run()  # a nightly in between does not move the council bookmark
    _set_wcomp(tenant, Stage="Deploy")
    report = _run("council-report")
    mark = timeline.bookmark(store, timeline.LAST_COUNCIL_REPORT)
    assert mark["run_id"] == report.run_id
    wb = openpyxl.load_workbook(report.workbook)
    rows = [r for r in wb["Changes since last report"].iter_rows(values_only=True) if r[0]]
    changes = {(r[0], r[2]) for r in rows}
    assert ("WCOMP", "Finding resolved") in changes  # resolved by the nightly in between
    assert ("WCOMP", "Phase changed") in changes


@pytest.mark.slow  # three runs on the sandbox
def test_each_job_writes_its_own_workbook(env) -> None:
    """Nightly, weekly and council workbooks of one day neither overwrite nor look alike."""
    _tenant, _store, _tmp = env
    results = {job: _run(job) for job in ("nightly", "weekly-rollup", "council-report")}
    day = f"{DEMO_ANCHOR:%Y-%m-%d}"
    titles = {
        "nightly": "C3PO Rollup",
        "weekly-rollup": "C3PO Weekly Rollup",
        "council-report": "C3PO Council Report",
    }
    for job, result in results.items():
        assert result.workbook.name == f"{titles[job]} {day}.xlsx"
        assert result.workbook.exists()
        assert result.uploaded_to.endswith(result.workbook.name)
        wb = openpyxl.load_workbook(result.workbook)
        assert wb.properties.title == f"{titles[job]} {day}"
        assert wb["Summary"]["A1"].value == titles[job]
        assert wb["Portfolio"].oddHeader.center.text == f"{titles[job]} {day} - Portfolio"
    assert len({r.uploaded_to for r in results.values()}) == 3

"""Nights proportional to change (issue 16): an idle night reads change logs and nothing else;
a hub edit is found through the hub's change log; a new day re-runs the date-driven rules."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.m365.http import SiteConnection
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.hub_lists import PORTFOLIO
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import SharePointPorts, run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
HUB = "/sites/c3po"
HUB_EXTRA = 4  # the hub's rights, and the intake list's list, fields and items reads


@pytest.fixture()
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The demo tenant served; every site connection a run opens, by site."""
    tenant = load_demo_tenant()
    opened: dict[str, SiteConnection] = {}
    original = SharePointPorts.connection

    def recording(self: SharePointPorts, site: str) -> SiteConnection:
        conn = original(self, site)
        opened[site] = conn
        return conn

    monkeypatch.setattr(SharePointPorts, "connection", recording)
    with SandboxServer(tenant, port=0) as server:
        monkeypatch.setenv("C3PO_SANDBOX_URL", server.url)
        monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
        monkeypatch.setenv("C3PO_OUTPUT_DIR", str(tmp_path / "out"))
        yield server, tenant, opened, tmp_path


def _run(today: date = DEMO_ANCHOR) -> RunResult:
    inputs = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG), today=today)
    return run_prepared(inputs)


def _requests(opened: dict[str, SiteConnection]) -> dict[str, int]:
    return {site: conn.requests_sent for site, conn in opened.items()}


@pytest.mark.slow
def test_idle_night_reads_the_change_logs_only_and_evaluates_nothing(demo) -> None:
    server, _tenant, opened, tmp = demo
    first = _run()
    assert first.outcome == "ok"
    sources = set(opened) - {HUB}
    opened.clear()
    server.stats.reset()

    idle = _run()

    assert idle.outcome == "ok"
    # One change-log request per site; on the hub also the rights a run's writes need (asked
    # before the first step, so a missing grant never half-writes a night) and the intake
    # list, read every night so a new request is triaged the night it arrives. Nothing else.
    assert _requests(opened) == dict.fromkeys(sources, 1) | {HUB: 1 + HUB_EXTRA}
    assert dict(server.stats.requests) == {
        ("POST", "web_changes"): len(sources) + 1,
        ("GET", "web_permissions"): 1,
        ("GET", "list"): 1,
        ("GET", "fields"): 1,
        ("GET", "items"): 1,
    }
    assert not server.stats.batch_operations
    assert idle.requests == len(sources) + 1 + HUB_EXTRA
    assert [s.split(":")[0] for s in idle.skipped] == [
        "normalize",
        "evaluate",
        "hub lists",
        "rollup",
    ]
    assert idle.uploaded_to is None
    assert idle.writes and all(w.writes == 0 and w.requests == 0 for w in idle.writes)
    # Same figures as the run that built the tables; no snapshot or evaluation of its own.
    assert idle.tables == first.tables and idle.items_read == first.items_read
    assert idle.findings_by_recommendation == first.findings_by_recommendation
    with StateStore(f"sqlite:///{tmp / 'state.db'}") as store:
        assert store.latest_snapshot_run() == first.run_id
        assert store.latest_evaluation_run() == first.run_id
        assert len(store.findings(status="open")) == sum(first.findings_by_recommendation.values())


@pytest.mark.slow
def test_a_hub_edit_is_found_in_the_hub_change_log_and_a_new_day_re_runs_date_rules(demo) -> None:
    """One tenant for both (a first run costs most of the time): a hand edit on the hub, then
    the calendar moving on with no data change at all."""
    _server, tenant, opened, tmp = demo
    first = _run()
    assert first.outcome == "ok"
    assert _run().skipped  # idle: the hub's change log is the baseline now
    portfolio = tenant.sites[HUB].list_by_title(PORTFOLIO.title)
    item_id = sorted(portfolio.items)[0]
    key = portfolio.items[item_id].values[PORTFOLIO.key_column]
    portfolio.update_item(item_id, {"Title": "edited on the hub by hand"})
    opened.clear()

    edited = _run()

    assert edited.outcome == "ok"
    by_list = {w.list_title: w for w in edited.writes}
    # The edited list is read back and put right; the others, unchanged and untouched since
    # they were written, are not read at all.
    assert by_list[PORTFOLIO.title].changed == {key: ["Title"]}
    others = [w for title, w in by_list.items() if title != PORTFOLIO.title]
    assert others and all(w.requests == 0 and w.writes == 0 for w in others)
    assert portfolio.items[item_id].values["Title"] != "edited on the hub by hand"
    assert any(s.startswith("evaluate") for s in edited.skipped)  # same day, same data
    opened.clear()
    after = _run()  # our own repair is not mistaken for someone else's edit
    assert _requests(after_opened := opened)[HUB] == 1 + HUB_EXTRA, after_opened
    assert not any(w.writes for w in after.writes)

    # A new day, nothing changed anywhere: the date rules re-run over the stored tables.
    later = DEMO_ANCHOR + timedelta(days=400)  # every status report is long overdue by then
    next_day = _run(later)

    assert next_day.outcome == "ok"
    assert next_day.skipped == ["normalize: no source changed since the stored tables were built"]
    assert next_day.opened > 0  # date-driven findings opened with the calendar alone
    assert next_day.uploaded_to and later.isoformat() in next_day.uploaded_to
    with StateStore(f"sqlite:///{tmp / 'state.db'}") as store:
        assert store.latest_snapshot_run() == first.run_id  # no re-normalized snapshot
        assert store.latest_evaluation_run() == next_day.run_id

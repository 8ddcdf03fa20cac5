"""The hub diff from the stored copy (issue 16): a night whose hub change log shows nobody but
this product touched a list diffs its rows against what was last written, and sends only the
changed ones without reading the list back; a hand edit, or a write whose outcome is not all
known, sends the list back to the full read-and-diff."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.m365.http import SiteConnection
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.quiet import HUB_WATCH
from c3po_sync.pipeline.result import RunResult
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.hub_lists import HUB_LISTS, PORTFOLIO
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import SharePointPorts, run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
HUB = "/sites/c3po"
LATER = DEMO_ANCHOR + timedelta(days=400)  # status reports overdue: findings open, rows change


@pytest.fixture()
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The demo tenant served, two settled nights run; every site connection a run opens."""
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
        assert _run().outcome == "ok"
        assert _run().outcome == "ok"  # reads the intake list the first run made once more
        opened.clear()
        server.stats.reset()
        yield server, tenant, opened, tmp_path


def _run(today: date = DEMO_ANCHOR) -> RunResult:
    inputs = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG), today=today)
    return run_prepared(inputs)


def _hub_list_reads(opened: dict[str, SiteConnection]) -> dict[str, int]:
    """Requests the hub's connection sent to read a consolidated list's items, by list."""
    routes = opened[HUB].routes
    return {
        spec.title: sum(n for r, n in routes.items() if r.startswith(f"items of '{spec.title}'"))
        for spec in HUB_LISTS
    }


def _full_diff_writes_nothing(tmp: Path, today: date) -> None:
    """With the hub's change-log position forgotten, every list is read back and diffed: the
    lists already hold exactly what the nights planned (and no key twice)."""
    with StateStore(f"sqlite:///{tmp / 'state.db'}") as store:
        store.clear_checkpoint(HUB_WATCH)
    check = _run(today)
    assert check.outcome == "ok"
    assert {w.list_title: w.writes for w in check.writes} == dict.fromkeys(
        (s.title for s in HUB_LISTS), 0
    )
    assert not any(getattr(w, "recycled", None) for w in check.writes)


@pytest.mark.slow
def test_a_changed_night_sends_only_its_changed_rows_and_a_hand_edit_forces_the_full_diff(
    demo,
) -> None:
    server, tenant, opened, tmp = demo

    night = _run(LATER)  # no source changed; the date-driven findings open, their rows change

    assert night.outcome == "ok"
    by_list = {w.list_title: w for w in night.writes}
    written = sum(w.writes for w in night.writes)
    assert written > 0 and sum(w.unchanged for w in night.writes) > 0
    # No hub list read back, and only the changed rows in the $batch.
    assert server.stats.count("GET", "items") == 0, dict(server.stats.requests)
    assert server.stats.count("GET", "items", in_batch=True) == 0
    assert _hub_list_reads(opened) == dict.fromkeys((s.title for s in HUB_LISTS), 0)
    assert (
        server.stats.count(None, "items", in_batch=True)
        + server.stats.count(None, "item", in_batch=True)
        == written
    ), dict(server.stats.batch_operations)

    # A person edits a portfolio row on the hub: that list is read and put right, the others
    # (untouched since written) are not read at all.
    portfolio = tenant.sites[HUB].list_by_title(PORTFOLIO.title)
    item_id = sorted(portfolio.items)[0]
    key = portfolio.items[item_id].values[PORTFOLIO.key_column]
    portfolio.update_item(item_id, {"Title": "edited on the hub by hand"})
    opened.clear()

    edited = _run(LATER)

    assert edited.outcome == "ok"
    assert {w.list_title: w for w in edited.writes}[PORTFOLIO.title].changed == {key: ["Title"]}
    assert portfolio.items[item_id].values["Title"] != "edited on the hub by hand"
    reads = _hub_list_reads(opened)
    assert reads.pop(PORTFOLIO.title) == 1 and set(reads.values()) == {0}
    assert by_list  # (the first night's reports, for the failure message)
    _full_diff_writes_nothing(tmp, LATER)


@pytest.mark.slow
def test_writes_whose_answers_were_lost_leave_the_copy_in_doubt_and_the_next_night_reads(
    demo,
) -> None:
    """A new project's rows are added but every hub ``$batch`` answer is cut off: the writer
    re-reads and re-plans (nothing is sent twice), and the stored copy is left in doubt. The
    next night that writes reads the list back instead of trusting the copy, which does not
    know the new rows' items: trusting it would add them a second time."""
    server, tenant, opened, tmp = demo
    projects = tenant.sites["/sites/ppm-community"].list_by_title("Projects")
    projects.add_item(
        {
            "Title": "Library kiosks (KIOSK1)",
            "Project_x0020_Key": "KIOSK1",
            "Phase": "Initiate",
            "Status": "Green",
            "Project_x0020_State": "Active",
        }  # fmt: skip
    )
    server.faults = FaultConfig(p_truncate=1.0, routes={"batch"}, sites={HUB})
    lost = _run()
    server.faults = FaultConfig()
    assert lost.outcome == "ok"
    portfolio = {w.list_title: w for w in lost.writes}[PORTFOLIO.title]
    assert portfolio.added == ["KIOSK1"] and getattr(portfolio, "replans", 0)

    first = sorted(projects.items)[0]  # the next night, the portfolio's rows differ again
    projects.update_item(first, {"Budget": 3500000})
    opened.clear()
    after = _run(DEMO_ANCHOR + timedelta(days=1))

    assert after.outcome == "ok"
    portfolio = {w.list_title: w for w in after.writes}[PORTFOLIO.title]
    assert list(portfolio.changed) == ["SJ311"] and not portfolio.added
    assert _hub_list_reads(opened)[PORTFOLIO.title] == 1  # in doubt: read back
    _full_diff_writes_nothing(tmp, DEMO_ANCHOR + timedelta(days=1))

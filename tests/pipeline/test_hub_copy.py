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
from c3po_sync.sandbox.demo import DEMO_ANCHOR
from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sinks.hub_lists import HUB_LISTS, PORTFOLIO
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
HUB = "/sites/c3po"
LATER = DEMO_ANCHOR + timedelta(days=400)  # status reports overdue: findings open, rows change


@pytest.fixture()
def demo(demo_env, opened_sites, tmp_path: Path):
    """The demo tenant served, two settled nights run; every site connection a run opens."""
    server, tenant = demo_env
    assert _run().outcome == "ok"
    assert _run().outcome == "ok"  # reads the intake list the first run made once more
    opened_sites.clear()
    server.stats.reset()
    return server, tenant, opened_sites, tmp_path


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
def test_the_hub_diff_trusts_its_stored_copy_only_on_the_change_log_s_word(demo) -> None:
    """One tenant for three nights (a first run costs most of the time):

    1. every hub ``$batch`` answer is cut off while a new project's rows are added: the writer
       re-reads and re-plans (nothing is sent twice) and leaves the stored copy in doubt, so
       the next night that writes reads the list back (trusting the copy, which does not know
       the new rows' items, would add them a second time);
    2. a new day with no source change: the rows that fall due are sent, and only they,
       from the stored copy: no hub list is read back;
    3. a person edits a portfolio row: that list alone is read back and put right.
    Then a full read-and-diff of every list finds nothing left to write and no key twice.
    """
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

    projects.update_item(sorted(projects.items)[0], {"Budget": 3500000})
    opened.clear()
    after = _run(DEMO_ANCHOR + timedelta(days=1))

    assert after.outcome == "ok"
    portfolio = {w.list_title: w for w in after.writes}[PORTFOLIO.title]
    assert list(portfolio.changed) == ["SJ311"] and not portfolio.added
    assert _hub_list_reads(opened)[PORTFOLIO.title] == 1  # in doubt: read back
    # Its own writes are counted by the next night's change-log read: not read again now.
    assert opened[HUB].routes["site changes"] == 1

    opened.clear()
    server.stats.reset()
    night = _run(LATER)  # no source changed; the date-driven findings open, their rows change

    assert night.outcome == "ok"
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

    hub_portfolio = tenant.sites[HUB].list_by_title(PORTFOLIO.title)
    item_id = sorted(hub_portfolio.items)[0]
    key = hub_portfolio.items[item_id].values[PORTFOLIO.key_column]
    hub_portfolio.update_item(item_id, {"Title": "edited on the hub by hand"})
    opened.clear()

    edited = _run(LATER)

    assert edited.outcome == "ok"
    assert {w.list_title: w for w in edited.writes}[PORTFOLIO.title].changed == {key: ["Title"]}
    assert hub_portfolio.items[item_id].values["Title"] != "edited on the hub by hand"
    reads = _hub_list_reads(opened)
    assert reads.pop(PORTFOLIO.title) == 1 and set(reads.values()) == {0}
    _full_diff_writes_nothing(tmp, LATER)

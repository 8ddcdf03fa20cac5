"""One clock per run (issue 11): first seen, days open, report date and snapshots share it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.context import run_clock
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.state import timeline
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"


def test_run_clock_is_now_today_and_noon_of_another_day() -> None:
    tz = ZoneInfo("America/Los_Angeles")
    now = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)  # 15:30 on Dec 6 in Los Angeles
    assert run_clock(date(2026, 12, 6), tz, now) == now
    past = run_clock(date(2026, 11, 1), tz, now)
    assert past.astimezone(tz).date() == past.date() == date(2026, 11, 1)


def test_a_run_as_of_a_past_date_records_that_date(tmp_path: Path, monkeypatch) -> None:
    with SandboxServer(load_demo_tenant(), port=0) as server:
        monkeypatch.setenv("C3PO_SANDBOX_URL", server.url)
        monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
        monkeypatch.setenv("C3PO_OUTPUT_DIR", str(tmp_path / "out"))
        settings = load_settings(CONFIG)
        inputs = prepare_run(CONFIG, "nightly", settings=settings, today=DEMO_ANCHOR)
        assert DEMO_ANCHOR < datetime.now(UTC).date(), "the demo anchor is in the past"
        result = run_prepared(inputs)
    assert result.outcome == "ok"
    tz = ZoneInfo(settings.time_zone)
    with StateStore(settings.resolved_state_url) as store:
        seen = store.findings()["first_seen"]
        saved = timeline.snapshot_saved_at(store, result.run_id)
    assert {t.astimezone(tz).date() for t in seen} == {DEMO_ANCHOR}
    assert saved.astimezone(tz).date() == DEMO_ANCHOR
    sheet = openpyxl.load_workbook(result.workbook)["Findings"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    at = next(i for i, r in enumerate(rows) if "Days open" in r)
    days = [r[rows[at].index("Days open")] for r in rows[at + 1 :] if r[0]]
    assert days and all(d == 0 for d in days), days


@pytest.mark.parametrize("today", [None])
def test_today_defaults_to_the_sites_date(today) -> None:
    settings = load_settings(CONFIG)
    inputs = prepare_run(CONFIG, "nightly", settings=settings, today=today)
    assert inputs.today == datetime.now(ZoneInfo(settings.time_zone)).date()
    assert inputs.as_of is not None and inputs.as_of.tzinfo is not None

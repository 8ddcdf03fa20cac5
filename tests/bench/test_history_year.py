"""The year-of-history scenario runs end to end at a tiny size (figures only, no timing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from c3po_sync.bench.history_year import synthesize_year

pytestmark = pytest.mark.bench


def test_a_synthesized_year_grows_with_change_not_with_nights(tmp_path: Path):
    nights = 18
    report = synthesize_year(
        tmp_path, sites=1, projects=30, documents=60, assets=10, nights=nights, change=0.05
    )
    assert {k: v["outcome"] for k, v in report.evaluate.items()} == {"1": "ok", "18": "ok"}
    assert all(v["cpu_s"] > 0 and v["peak_rss_mb"] > 0 for v in report.evaluate.values())
    t = report.tables
    assert t["runs"] == nights + 1  # night 1's sync, then one run a night
    assert t["snapshots"] <= 14 + 2  # retention: 14 days plus the newest two
    # 30 projects, about 2 edited a night: versions follow the edits, not 30 x 24 rows.
    assert 30 + (nights - 1) <= t["entity_versions"] <= 30 + 3 * (nights - 1)
    assert json.loads(report.to_json())["evaluate_cpu_ratio"] is not None

"""A Compliance Findings row is built from its finding's ``FINDING_COLUMNS`` only, so a new day
can tell which rows may differ from a column-wise hash of those (``hub_plan.finding_tokens``)
without building every finding's row (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from c3po_sync.pipeline.hub_plan import finding_tokens
from c3po_sync.sinks.hub_lists import FINDING_COLUMNS, findings_rows

TZ = ZoneInfo("America/Los_Angeles")
T0 = datetime(2026, 3, 1, 15, tzinfo=UTC)


def _history() -> pd.DataFrame:
    """Findings as the store returns them: FINDINGS plus the history columns."""
    rows = []
    for i in range(4):
        resolved = i == 3
        rows.append(
            {
                "finding_id": f"F{i} ",
                "rule_id": f"R{i % 2}",
                "recommendation": float(i),
                "severity": "high" if i else "low",
                "entity_kind": "project",
                "entity_key": f"P{i}",
                "project_key": f"P{i}",
                "ppm": f"ppm{i}@city.gov" if i != 1 else None,
                "portfolio": "Ops",
                "message": f"message {i}",
                "source_url": f"https://h/sites/p/Lists/P/EditForm.aspx?ID={i}",
                "status": "resolved" if resolved else "open",
                "first_seen": pd.Timestamp(T0 - timedelta(days=i)),
                "last_seen": pd.Timestamp(T0),
                "resolved_at": pd.Timestamp(T0) if resolved else pd.NaT,
                "reopened_at": pd.NaT if i != 2 else pd.Timestamp(T0 - timedelta(hours=3)),
                "times_reopened": 1 if i == 2 else 0,
                "first_run_id": 1,
                "last_run_id": 7,
            }
        )
    return pd.DataFrame(rows)


def test_a_findings_row_reads_only_its_finding_columns() -> None:
    history = _history()
    rows = findings_rows(history, TZ)
    # every column a row reads is named: the row is the same from those columns alone
    assert findings_rows(history[list(FINDING_COLUMNS)], TZ) == rows
    assert list(finding_tokens(history)) == ["F0", "F1", "F2", "F3"]  # keys as the writer's


@pytest.mark.parametrize("column", ["last_seen", "last_run_id", "first_run_id", "entity_key"])
def test_what_moves_every_evaluate_moves_no_token(column: str) -> None:
    history = _history()
    before = finding_tokens(history)
    moved = history.copy()
    moved[column] = moved[column].map(lambda v: v + timedelta(days=1) if column == "last_seen"
                                      else (v + 1 if isinstance(v, int) else f"{v}x"))  # fmt: skip
    assert findings_rows(moved, TZ) == findings_rows(history, TZ)
    assert finding_tokens(moved) == before


@pytest.mark.parametrize("column", [c for c in FINDING_COLUMNS if c != "finding_id"])
def test_a_change_to_what_a_row_reads_moves_that_findings_token_only(column: str) -> None:
    history = _history()
    before = finding_tokens(history)
    moved = history.copy()
    value = moved.at[2, column]
    if isinstance(value, pd.Timestamp):
        changed = value + timedelta(days=2)
    elif pd.isna(value):
        changed = pd.Timestamp(T0) if column.endswith(("_at", "_seen")) else "x"
    elif isinstance(value, str):
        changed = value + "!"
    else:
        changed = value + 1
    moved.at[2, column] = changed  # in the column's own dtype (a dtype change moves them all)
    after = finding_tokens(moved)
    assert after["F2"] != before["F2"]
    assert {k: v for k, v in after.items() if k != "F2"} == {
        k: v for k, v in before.items() if k != "F2"
    }

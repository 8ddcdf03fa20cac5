"""Recording a night's findings writes what changed in them, not every open finding again.

A finding seen again exactly as it was only moves its last seen (one statement per chunk of
ids); only a finding whose message, severity or other fields changed is rewritten. The history
it leaves is the same as before: checked here on more findings than one chunk holds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from c3po_sync.model.schema import FINDINGS
from c3po_sync.state import StateStore
from tests.state.test_store_history import finding as stale_finding

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
N = 1_203  # more than one IN (...) chunk of ids


def finding(key: str, message: str = "") -> dict:
    return stale_finding(
        "R9-status-stale", key, message or f"no status report on {key} since 2026-09-01"
    )


@pytest.fixture
def store(tmp_path):
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


def _record(store: StateStore, rows: list[dict], at: datetime, **kw) -> int:
    run_id = store.start_run("nightly", "test")
    store.record_findings(run_id, FINDINGS.frame(rows), at, **kw)
    store.finish_run(run_id, "ok", {})
    return run_id


def _rewritten(store: StateStore, action) -> int:
    """How many finding rows the action rewrote field by field (message included)."""
    count = 0

    def seen(conn, cursor, statement, parameters, context, executemany):
        nonlocal count
        if statement.lstrip().upper().startswith("UPDATE FINDINGS") and "message=" in (
            statement.replace(" ", "")
        ):
            count += len(parameters) if executemany else 1

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        action()
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    return count


def test_an_unchanged_night_rewrites_no_finding_and_keeps_the_history(store):
    rows = [finding(f"P{i:04d}") for i in range(N)]
    _record(store, rows, T0)
    at = T0 + timedelta(days=1)
    edited = {**rows[7], "message": "no status report on P0007 since 2026-10-01"}
    night = [edited, *rows[8:]]  # P0000..P0006 missing, but this is a partial run: kept open
    run2 = 0

    def record() -> None:
        nonlocal run2
        run2 = _record(store, night, at, resolve_missing=False)

    assert _rewritten(store, record) == 1  # only the finding whose message changed

    df = store.findings().set_index("finding_id")
    assert (df["status"] == "open").all()
    again = df.loc[[r["finding_id"] for r in night]]
    assert (again["last_seen"] == at).all() and (again["last_run_id"] == run2).all()
    assert (again["first_seen"] == T0).all()
    kept = df.loc[[r["finding_id"] for r in rows[:7]]]
    assert (kept["last_seen"] == T0).all()  # not seen this run: last seen stays
    assert df.loc[edited["finding_id"], "message"] == edited["message"]
    assert df.loc[rows[8]["finding_id"], "message"] == rows[8]["message"]

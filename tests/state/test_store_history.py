"""Findings history across runs: open, keep, resolve, reopen, and idempotent re-recording."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from c3po_sync.model.schema import FINDINGS
from c3po_sync.state import FindingsDelta, StateStore

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def finding(rule_id: str, key: str, message: str = "", severity: str = "medium") -> dict:
    return {
        "finding_id": f"{rule_id}:{key}",
        "rule_id": rule_id,
        "recommendation": 7,
        "severity": severity,
        "entity_kind": "project",
        "entity_key": key,
        "project_key": key,
        "ppm": "ppm@city.gov",
        "portfolio": "Community",
        "message": message or f"{rule_id} on {key}",
        "source_url": None,
    }


@pytest.fixture
def store(tmp_path):
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


def _run(store: StateStore, rows: list[dict], at: datetime) -> tuple[int, FindingsDelta]:
    run_id = store.start_run("sync", "test")
    delta = store.record_findings(run_id, FINDINGS.frame(rows), at)
    store.finish_run(run_id, "ok", {"findings": len(rows)})
    return run_id, delta


def test_history_across_three_runs_with_reopen(store):
    a, b, c = (
        finding("R7-charter-missing", "A"),
        finding("R9-status-stale", "B"),
        finding("R6-engagement-no-ppm", "C"),
    )

    _, d1 = _run(store, [a, b], T0)
    assert d1 == FindingsDelta(opened=[a["finding_id"], b["finding_id"]])

    # run 2: A fixed, B still there with a new message, C appears
    b2 = {**b, "message": "still stale", "severity": "high"}
    _, d2 = _run(store, [b2, c], T0 + timedelta(days=1))
    assert d2 == FindingsDelta(
        opened=[c["finding_id"]], resolved=[a["finding_id"]], still_open=[b["finding_id"]]
    )

    # run 3: A comes back, C fixed
    _, d3 = _run(store, [a, b2], T0 + timedelta(days=2))
    assert d3 == FindingsDelta(
        reopened=[a["finding_id"]], resolved=[c["finding_id"]], still_open=[b["finding_id"]]
    )

    df = store.findings().set_index("finding_id")
    assert len(df) == 3  # nothing is ever deleted
    ra, rb, rc = df.loc[a["finding_id"]], df.loc[b["finding_id"]], df.loc[c["finding_id"]]
    assert ra["status"] == "open" and ra["times_reopened"] == 1
    assert ra["first_seen"] == T0 and ra["last_seen"] == T0 + timedelta(days=2)
    assert ra["reopened_at"] == T0 + timedelta(days=2) and pd.isna(ra["resolved_at"])
    assert rb["message"] == "still stale" and rb["severity"] == "high"
    assert rb["first_seen"] == T0 and rb["times_reopened"] == 0
    assert rc["status"] == "resolved" and rc["resolved_at"] == T0 + timedelta(days=2)
    assert rc["last_seen"] == T0 + timedelta(days=1)

    assert store.findings("open")["finding_id"].tolist() == [a["finding_id"], b["finding_id"]]
    assert store.findings("resolved")["finding_id"].tolist() == [c["finding_id"]]
    events = [(e["finding_id"], e["event"]) for e in store.finding_events(a["finding_id"])]
    assert events == [
        (a["finding_id"], "opened"),
        (a["finding_id"], "resolved"),
        (a["finding_id"], "reopened"),
    ]


def test_recording_the_same_run_twice_changes_nothing(store):
    a = finding("R7-charter-missing", "A")
    run_id, first = _run(store, [a], T0)
    before = store.findings()
    again = store.record_findings(run_id, FINDINGS.frame([]), T0 + timedelta(hours=1))
    assert again == first
    assert store.findings().equals(before)
    assert len(store.finding_events()) == 1


def test_partial_run_does_not_resolve(store):
    a, b = finding("R7-charter-missing", "A"), finding("R9-status-stale", "B")
    _run(store, [a, b], T0)
    run_id = store.start_run("sync", "test")
    delta = store.record_findings(
        run_id, FINDINGS.frame([a]), T0 + timedelta(days=1), resolve_missing=False
    )
    assert delta == FindingsDelta(still_open=[a["finding_id"]])
    assert set(store.findings("open")["finding_id"]) == {a["finding_id"], b["finding_id"]}


def test_findings_frame_has_schema_dtypes_then_history(store):
    _run(store, [finding("R7-charter-missing", "A")], T0)
    df = store.findings()
    assert list(df.columns[: len(FINDINGS.column_names)]) == FINDINGS.column_names
    assert df[FINDINGS.column_names].dtypes.equals(FINDINGS.empty().dtypes)
    assert str(df["first_seen"].dtype) == "datetime64[ns, UTC]"
    assert str(df["times_reopened"].dtype) == "Int64"
    empty = StateStore("sqlite://").findings()
    assert empty.empty and list(empty.columns) == list(df.columns)


def test_naive_datetime_is_rejected(store):
    run_id = store.start_run("sync", "test")
    with pytest.raises(Exception, match="naive datetime"):
        store.record_findings(run_id, FINDINGS.frame([finding("R1-x", "A")]), datetime(2026, 1, 1))
    assert store.findings().empty  # the failed transaction left nothing behind


def test_a_protected_finding_is_not_resolved_without_evidence(store):
    """Its source was not re-read this run: missing from the rules' output is no evidence."""
    a, b = finding("R7-charter-missing", "A"), finding("R9-status-stale", "B")
    _run(store, [a, b], T0)
    run_id = store.start_run("sync", "test")
    delta = store.record_findings(
        run_id, FINDINGS.frame([]), T0 + timedelta(days=1), protect={a["finding_id"]}
    )
    assert delta.resolved == [b["finding_id"]]
    hist = store.findings().set_index("finding_id")
    assert hist.at[a["finding_id"], "status"] == "open"
    assert hist.at[b["finding_id"], "status"] == "resolved"
    assert pd.notna(hist.at[b["finding_id"], "resolved_at"])


def test_the_findings_load_by_columns_with_no_python_call_per_finding(store) -> None:
    """Issue 16: the findings are read two or three times on a new day; they were built as a
    dict per finding, each taking the schema's column list anew. Now by columns: the load's
    own Python calls do not grow with the findings (the datetime columns' type, called per
    value by SQLAlchemy, aside). Same frame either way (the tests above)."""
    import sys

    def own_calls(n: int) -> int:
        store.record_findings(
            store.start_run("sync", "test"),
            FINDINGS.frame([finding("R1", f"P{i}") for i in range(n)]),
            T0,
        )
        calls = [0]

        def count(frame, event, arg):  # type: ignore[no-untyped-def]
            code = frame.f_code
            if event == "call" and "c3po_sync" in code.co_filename:
                calls[0] += code.co_name != "process_result_value"

        sys.setprofile(count)
        try:
            loaded = store.findings()
        finally:
            sys.setprofile(None)
        assert len(loaded) >= n
        return calls[0]

    few = own_calls(3)
    assert own_calls(300) <= few + 10

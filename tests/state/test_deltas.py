"""Council-report deltas: the pure diff, the store lookups by run and by date, and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from c3po_sync.cli.main import app
from c3po_sync.model.schema import FINDINGS, PROJECTS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.pipeline.steps.council_report import DeltaRangeError, deltas_between
from c3po_sync.rules.deltas import compute_deltas, finding_deltas
from c3po_sync.state import timeline
from c3po_sync.state.store import StateStore


def tables(*projects: dict) -> CanonicalTables:
    base = {"title": "T", "phase": "Execution", "status": "Green", "budget": 100.0}
    return CanonicalTables(projects=PROJECTS.frame([{**base, **p} for p in projects]))


def finding(fid: str, key: str) -> dict:
    rule = fid.split(":")[0]
    return {"finding_id": fid, "rule_id": rule, "recommendation": 9, "severity": "low",
            "entity_kind": "project", "entity_key": key, "project_key": key,
            "message": f"{rule} on {key}"}  # fmt: skip


def test_project_changes_new_removed_and_fields():
    before = tables(
        {"project_key": "A", "phase": "Execution", "target_end": date(2026, 6, 30)},
        {"project_key": "GONE"},
        {"project_key": "SAME", "phase": "Release", "budget": 500_000.0},
    )
    after = tables(
        {"project_key": "A", "phase": "Release", "status": "Red", "budget": 250.0,
         "target_end": date(2026, 12, 31)},
        {"project_key": "NEW", "title": "New thing", "budget": 1_000_000.0},
        {"project_key": "SAME", "phase": "release", "budget": 500_000.004},
    )  # fmt: skip
    out = compute_deltas(before, after)
    got = [tuple(r) for r in out.itertuples(index=False)]
    assert got == [
        ("NEW", "New project", None, "New thing, Execution, $1,000,000"),
        ("GONE", "Project removed", "T, Execution, $100", None),
        ("A", "Phase changed", "Execution", "Release"),
        ("A", "Status changed", "Green", "Red"),
        ("A", "Budget changed", 100.0, 250.0),
        ("A", "Target end changed", date(2026, 6, 30), date(2026, 12, 31)),
    ]


def test_unchanged_tables_have_no_deltas():
    t = tables({"project_key": "A"})
    out = compute_deltas(t, t, pd.DataFrame(columns=["finding_id", "event", "at"]))
    assert list(out.columns) == ["project_key", "change", "before", "after"] and out.empty


def test_finding_deltas_net_over_the_period():
    at = [datetime(2026, 10, d, tzinfo=UTC) for d in (1, 2, 3)]
    events = pd.DataFrame(
        [
            {"finding_id": "R9:A", "event": "opened", "at": at[0], "project_key": "A",
             "message": "stale A"},
            {"finding_id": "R9:B", "event": "resolved", "at": at[1], "project_key": "B",
             "message": "stale B"},
            {"finding_id": "R9:C", "event": "opened", "at": at[0], "project_key": "C"},
            {"finding_id": "R9:C", "event": "resolved", "at": at[2], "project_key": "C"},
            {"finding_id": "R9:D", "event": "reopened", "at": at[2], "project_key": "D",
             "message": "stale D"},
        ]
    )  # fmt: skip
    got = [tuple(r) for r in finding_deltas(events).itertuples(index=False)]
    assert got == [
        ("A", "Finding opened", None, "stale A"),
        ("B", "Finding resolved", "stale B", "Resolved 2026-10-02"),
        ("D", "Finding reopened", None, "stale D"),
    ]


@pytest.fixture()
def store_with_three_runs(tmp_path: Path):
    """Runs 1-3: A's phase moves on run 2, B is new on run 3; R9:A opens on 1, resolves on 3."""
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    frames = [
        tables({"project_key": "A"}),
        tables({"project_key": "A", "phase": "Release"}),
        tables({"project_key": "A", "phase": "Release"}, {"project_key": "B"}),
    ]
    findings = [[finding("R9:A", "A")], [finding("R9:A", "A")], []]
    for i, (t, f) in enumerate(zip(frames, findings, strict=True), start=1):
        run = store.start_run("nightly", "test")
        store.save_snapshot(run, t)
        store.record_findings(run, FINDINGS.frame(f), datetime(2026, 10, i, 9, tzinfo=UTC))
        store.finish_run(run, "ok")
    yield store, tmp_path
    store.close()


def _changes(frame: pd.DataFrame) -> list[tuple]:
    return [(r.project_key, r.change) for r in frame.itertuples(index=False)]


def test_deltas_between_runs_and_defaults(store_with_three_runs):
    store, _ = store_with_three_runs
    frame, base, to = deltas_between(store, since_run=1)
    assert (base, to) == (1, 3)
    assert _changes(frame) == [("B", "New project"), ("A", "Phase changed"),
                               ("A", "Finding resolved")]  # fmt: skip
    frame, base, to = deltas_between(store)  # no council report yet: the previous run
    assert (base, to) == (2, 3) and ("A", "Phase changed") not in _changes(frame)
    frame, base, to = deltas_between(store, since_run=1, to_run=2)
    assert _changes(frame) == [("A", "Phase changed")]
    timeline.set_bookmark(store, timeline.LAST_COUNCIL_REPORT, 1, date(2026, 10, 1), {9: 0.5})
    assert deltas_between(store)[1] == 1
    assert timeline.bookmark_scores(timeline.bookmark(store, timeline.LAST_COUNCIL_REPORT)) == {
        9: 0.5
    }


def test_deltas_since_a_date_uses_the_last_snapshot_before_it(store_with_three_runs):
    store, _ = store_with_three_runs
    # Snapshots are stamped with the real clock; a date after today means "the newest before".
    with pytest.raises(DeltaRangeError, match="no snapshot taken before 2000-01-01"):
        deltas_between(store, since=date(2000, 1, 1))
    with pytest.raises(DeltaRangeError, match="not before"):
        deltas_between(store, since=date(2999, 1, 1))
    with pytest.raises(DeltaRangeError, match="no snapshot for run 99"):
        deltas_between(store, since_run=1, to_run=99)


def test_project_snapshots_read_only_projects(store_with_three_runs):
    store, _ = store_with_three_runs
    snaps = timeline.project_snapshots(store, upto_run=2)
    assert [r for r, _, _ in snaps] == [1, 2]
    assert snaps[1][2]["phase"].tolist() == ["Release"]
    assert timeline.oldest_snapshot_run(store) == 1


def test_deltas_survive_pruned_snapshots(store_with_three_runs):
    """The council compares with the last report's run, often older than the snapshots kept:
    its projects come back from the change log."""
    store, _ = store_with_three_runs
    assert store.prune_snapshots(keep=1) == [1, 2]
    frame, base, to = deltas_between(store, since_run=1)
    assert (base, to) == (1, 3)
    assert _changes(frame) == [("B", "New project"), ("A", "Phase changed"),
                               ("A", "Finding resolved")]  # fmt: skip
    assert [r for r, _, _ in timeline.project_snapshots(store, upto_run=2)] == [1, 2]
    assert timeline.oldest_snapshot_run(store) == 1


def test_deltas_cli(store_with_three_runs, monkeypatch):
    store, tmp = store_with_three_runs
    monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp / 'state.db'}")
    runner = CliRunner()
    res = runner.invoke(app, ["deltas", "--since-run", "1", "--json"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(line) for line in res.output.splitlines() if line.startswith("{")]
    assert {(r["project_key"], r["change"]) for r in lines} >= {("B", "New project")}
    assert all(r["from_run"] == 1 and r["to_run"] == 3 for r in lines)
    res = runner.invoke(app, ["deltas", "--since", "01/09/2026"])
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.output
    res = runner.invoke(app, ["deltas"])
    assert res.exit_code == 0 and "from run 2 to run 3" in res.output

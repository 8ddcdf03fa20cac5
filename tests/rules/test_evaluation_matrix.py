"""The evaluation table and the compliance matrix: pass, fail, not applicable, not checked."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from c3po_sync.model.schema import FINDINGS
from c3po_sync.rules import RulesConfig, all_rules, evaluate
from c3po_sync.rules.evaluation import evaluation_table
from c3po_sync.rules.history import project_history
from c3po_sync.rules.matrix import compliance_matrix, wide

from . import TODAY, asset, document, project, tenant


def _status(ev: pd.DataFrame, rule_id: str, entity: str) -> tuple[str, str | None]:
    row = ev[(ev["rule_id"] == rule_id) & (ev["entity_key"] == entity)]
    assert len(row) == 1, row
    note = row["note"].iloc[0]
    return row["status"].iloc[0], None if pd.isna(note) else note


def _history(rows: list[dict]) -> pd.DataFrame:
    """A findings history frame like StateStore.findings() returns."""
    cols = FINDINGS.column_names
    base = FINDINGS.frame([{k: v for k, v in r.items() if k in cols} for r in rows])
    for col in ("status", "first_seen", "resolved_at"):
        base[col] = [r.get(col) for r in rows]
    for col in ("first_seen", "resolved_at"):
        base[col] = pd.to_datetime(base[col], utc=True)
    return base


def _docs(key: str, *types: str, **kw) -> list[dict]:
    return [document(key, t, **kw) for t in types]


@pytest.fixture
def judged():
    t = tenant(
        [
            project("OK"),
            project("EARLY", phase="Initiation"),
            project("ODD", phase="Someday"),
            project("NOSPONSOR", sponsor=None),
        ],
        _docs("OK", "charter", "commitment_signoff", template_version="v2")
        + _docs("NOSPONSOR", "charter", "commitment_signoff"),
        assets=[asset("A1", "OK"), asset("A2", "NOSPONSOR")],
    )
    config = RulesConfig()
    findings = evaluate(t, config, TODAY)
    return t, config, findings, evaluation_table(t, config, TODAY, findings)


def test_every_rule_declares_its_scope():
    assert [r.rule_id for r in all_rules() if r.scope is None] == []


def test_statuses_pass_fail_not_applicable_not_checked(judged):
    _, _, _, ev = judged
    assert _status(ev, "R2-sponsor-missing", "OK") == ("pass", None)
    assert _status(ev, "R2-sponsor-missing", "NOSPONSOR")[0] == "fail"
    assert _status(ev, "R2-sponsor-missing", "EARLY") == ("not_applicable", None)
    status, note = _status(ev, "R2-sponsor-missing", "ODD")
    assert status == "not_checked" and "phase unknown" in note
    # no current charter template configured: the check cannot run, it never "passes"
    path = document("OK", "charter")["path"]
    status, note = _status(ev, "R1-charter-template-outdated", path)
    assert status == "not_checked" and "current_charter_template" in note
    # rules that judge change over time, without the store's history
    status, note = _status(ev, "R7-charter-changed-no-amendment", "OK")
    assert status == "not_checked" and "history" in note


def test_configured_template_and_history_make_checks_run():
    t = tenant([project("OK")], _docs("OK", "charter", "commitment_signoff", template_version="v2"))
    config = RulesConfig(current_charter_template="v2")
    history = project_history([])  # a first run: history with nothing before it
    findings = evaluate(t, config, TODAY, history=history)
    ev = evaluation_table(t, config, TODAY, findings, history=history)
    assert _status(ev, "R1-charter-template-outdated", document("OK", "charter")["path"])[0] == (
        "pass"
    )
    assert _status(ev, "R7-charter-changed-no-amendment", "OK")[0] == "pass"
    old = RulesConfig(current_charter_template="v3")
    f2 = evaluate(t, old, TODAY)
    ev2 = evaluation_table(t, old, TODAY, f2)
    assert _status(ev2, "R1-charter-template-outdated", document("OK", "charter")["path"])[0] == (
        "fail"
    )


def test_disabled_rule_is_not_checked_where_it_would_apply():
    t = tenant([project("OK"), project("EARLY", phase="Initiation")])
    config = RulesConfig(disabled=["R3-methodology-missing"])
    ev = evaluation_table(t, config, TODAY, evaluate(t, config, TODAY))
    status, note = _status(ev, "R3-methodology-missing", "OK")
    assert status == "not_checked" and "disabled" in note
    assert _status(ev, "R3-methodology-missing", "EARLY")[0] == "not_applicable"


def test_matrix_cells(judged):
    t, _, findings, ev = judged
    seen = datetime(2026, 9, 14, 18, 0, tzinfo=UTC)
    hist = _history(
        [
            {**r, "status": "open", "first_seen": seen}
            for r in findings.to_dict("records")
            if r["project_key"] == "NOSPONSOR"
        ]
        + [
            {
                "finding_id": "R9-status-stale:OK",
                "rule_id": "R9-status-stale",
                "recommendation": 9,
                "project_key": "OK",
                "status": "resolved",
                "first_seen": datetime(2026, 8, 1, tzinfo=UTC),
                "resolved_at": datetime(2026, 10, 2, 3, 0, tzinfo=UTC),  # Oct 1 in San Jose
            }
        ]
    )
    from zoneinfo import ZoneInfo

    m = compliance_matrix(ev, hist, t.projects, tz=ZoneInfo("America/Los_Angeles"))
    cell = {(r.project_key, r.recommendation): r for r in m.itertuples()}
    assert cell[("NOSPONSOR", 2)].text == "finding open since 2026-09-14"
    assert cell[("NOSPONSOR", 2)].date == date(2026, 9, 14)
    assert cell[("OK", 2)].text == "complies"
    assert cell[("OK", 9)].text == "resolved on 2026-10-01"
    assert cell[("EARLY", 3)].text == "not applicable"
    assert cell[("ODD", 2)].state == "not checked" and "phase unknown" in cell[("ODD", 2)].text
    # rec 1's only check cannot run with the shipped settings: not checked, never complies
    assert cell[("OK", 1)].state == "not checked"
    assert "current_charter_template" in cell[("OK", 1)].text
    assert cell[("EARLY", 1)].state == "not applicable"  # no charter to check yet
    grid = wide(m)
    assert list(grid.columns) == ["project_key", *range(1, 11)]
    assert list(grid["project_key"]) == ["EARLY", "NOSPONSOR", "ODD", "OK"]


def test_asset_rules_count_for_the_project_they_name():
    t = tenant([project("OK")], assets=[asset("A1", "OK", owner=None)])
    config = RulesConfig()
    f = evaluate(t, config, TODAY)
    ev = evaluation_table(t, config, TODAY, f)
    m = compliance_matrix(ev, f.assign(status="open", first_seen=pd.NaT), t.projects)
    [r10] = m[(m["project_key"] == "OK") & (m["recommendation"] == 10)].itertuples()
    assert r10.state == "open" and r10.text == "finding open since an unknown date"

"""Horizons (rules/horizons.py): what lets a quiet new day re-check only the date-driven rules.

Two promises hold the incremental evaluate to the full one: a rule without a horizon judges
alike on every day, and a date-driven rule judges alike on every day before its horizon (walked
here from horizon to horizon), reading only the tables it declares.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from c3po_sync.rules import RulesConfig, evaluate
from c3po_sync.rules.evaluation import evaluation_table
from c3po_sync.rules.horizons import OnlyTables, TableNotReadError, dated_rules, rule_horizons
from c3po_sync.rules.registry import Rule, RuleContext, all_rules
from tests.rules import TODAY, asset, document, project, tenant

CONFIG = RulesConfig(council_reports_from=TODAY - timedelta(days=130))


def _tables():
    d = TODAY
    projects = [
        project("P1", status_date=d - timedelta(days=45), vendor_last_review=d - timedelta(80)),
        project("P2", status_date=d + timedelta(days=4), target_end=d + timedelta(days=9)),
        project("P3", status_date=None, target_end=d - timedelta(days=3)),
        project("P4", phase="Closed", status_date=d - timedelta(days=20), actual_end=d),
        project("P5", status_date=d - timedelta(days=10), vendor_last_review=None),
    ]
    for i, p in enumerate(projects, start=1):
        p["source_item_id"] = i
    reports = [
        {"project_key": "P1", "report_date": d + timedelta(days=30), "source_site": "/sites/x",
         "source_list": "Status Reports", "source_item_id": 1},
        {"project_key": "P5", "report_date": d - timedelta(days=5), "source_site": "/sites/x",
         "source_list": "Status Reports", "source_item_id": 2},
    ]  # fmt: skip
    assets = [
        asset("A1", "P1", end_of_support=d + timedelta(days=5)),
        asset("A2", "P2", lifecycle_stage="Retiring", end_of_support=d + timedelta(days=11)),
        asset("A3", "P3", renewal=d + timedelta(days=2), last_reviewed=d - timedelta(days=350)),
        asset("A4", "P5", kind="Subscription", renewal=d + timedelta(days=40)),
    ]
    docs = [document(p["project_key"], "charter") for p in projects]
    docs.append(
        document("P1", "council_report", path="/sites/x/c.pdf",
                 source_modified=pd.Timestamp(d + timedelta(days=20), tz="UTC"))
    )  # fmt: skip
    return tenant(projects=projects, documents=docs, assets=assets, reports=reports)


def _judged(tables, rules: list[Rule], day: date) -> tuple[list, list]:
    ids = [r.rule_id for r in rules]
    ctx = RuleContext(tables=tables, config=CONFIG, today=day)
    found = evaluate(tables, CONFIG, day, only=ids, context=ctx)
    rows = evaluation_table(tables, CONFIG, day, found, context=ctx, only=ids)
    return found.to_dict("records"), rows.to_dict("records")


def test_rules_without_a_horizon_judge_alike_on_every_day() -> None:
    tables = _tables()
    undated = [r for r in all_rules() if r.dated is None]
    today = _judged(tables, undated, TODAY)
    for later in (61, 1000):
        assert _judged(tables, undated, TODAY + timedelta(days=later)) == today, later


@pytest.mark.parametrize("rule", dated_rules(), ids=lambda r: r.rule_id)
def test_a_date_driven_rule_judges_alike_until_its_horizon(rule: Rule) -> None:
    """From horizon to horizon: the day before each, the rule says what it said on the last;
    on its declared tables alone (any other table raises)."""
    assert rule.dated is not None
    full = _tables()
    tables = OnlyTables(full, rule.dated.reads)
    day, moved = TODAY, 0
    for _ in range(8):
        ctx = RuleContext(tables=tables, config=CONFIG, today=day)
        horizon = rule_horizons(ctx, [rule])[rule.rule_id]
        if horizon is None:
            break
        nxt = date.fromisoformat(horizon)
        assert nxt > day
        assert _judged(tables, [rule], nxt - timedelta(days=1)) == _judged(tables, [rule], day)
        moved += _judged(tables, [rule], nxt) != _judged(tables, [rule], day)
        day = nxt
    assert moved, f"{rule.rule_id}: no verdict ever moved in this tenant"


def test_a_table_not_declared_raises_instead_of_looking_empty() -> None:
    tables = OnlyTables(_tables(), ("projects",))
    assert len(tables.projects) == 5
    with pytest.raises(TableNotReadError, match="documents"):
        _ = tables.documents

"""Rules config loading, registry tagging, engine determinism and the generated catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from c3po_sync.model.schema import FINDINGS
from c3po_sync.rules import (
    RulesConfig,
    RulesConfigError,
    all_rules,
    evaluate,
    load_rules_config,
    parse_rules_config,
    rules_markdown,
    rules_table,
)

from . import TODAY, project, tenant

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_loads_with_the_audit_thresholds():
    cfg = load_rules_config(ROOT / "config" / "rules.yaml")
    assert cfg.reporting_window_days == 60
    assert cfg.engagement.budget_over == 500_000
    assert cfg.max_active_projects_per_ppm == 4
    assert cfg.required_from() == {
        "charter": "Execution",
        "commitment_signoff": "Execution",
        "acceptance_signoff": "Closed",
        "lessons_learned": "Closed",
    }


def _load(tmp_path: Path, text: str) -> RulesConfig:
    p = tmp_path / "rules.yaml"
    p.write_text(text)
    return load_rules_config(p)


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("engagement:\n  budget_ovr: 1\n", "engagement.budget_ovr", "did you mean 'budget_over'"),
        ("reporting_window: 60\n", "reporting_window", "reporting_window_days"),
        ("reporting_window_days: soon\n", "reporting_window_days", "integer"),
        ("disabled: [R7-charter-mising]\n", "disabled", "did you mean 'R7-charter-missing'"),
        ("severities: {R9-stale: high}\n", "severities.R9-stale", "R9-status-stale"),
        ("severities: {R9-status-stale: urgent}\n", "severities.R9-status-stale", "high"),
        ("phase_gates: {sponsor: Chartring}\n", "phase_gates.sponsor", "'Chartering'"),
        (
            "required_documents: {Execution: [charta]}\n",
            "required_documents.Execution",
            "'charter'",
        ),
        ("inactive_phases: [Done]\n", "inactive_phases", "unknown phase 'Done'"),
        ("- a list\n", "", "mapping"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, text, key, words):
    with pytest.raises(RulesConfigError) as err:
        _load(tmp_path, text)
    assert err.value.key == key
    assert str(tmp_path / "rules.yaml") in str(err.value)
    assert words in str(err.value)


def test_invalid_yaml_gives_the_line(tmp_path):
    with pytest.raises(RulesConfigError, match=r"rules.yaml:2: not valid YAML \(column 13\)"):
        _load(tmp_path, "phases: [a, b]\nengagement: : x\n")


def test_missing_file_is_located(tmp_path):
    with pytest.raises(RulesConfigError, match="nope.yaml: cannot read"):
        load_rules_config(tmp_path / "nope.yaml")


def test_empty_file_means_defaults(tmp_path):
    assert _load(tmp_path, "") == RulesConfig()


def test_parse_accepts_a_mapping():
    cfg = parse_rules_config({"max_active_projects_per_ppm": 3}, "inline")
    assert cfg.max_active_projects_per_ppm == 3


def test_every_rule_is_tagged_and_documented():
    rules = all_rules()
    assert len({r.rule_id for r in rules}) == len(rules)
    for r in rules:
        assert 0 <= r.recommendation <= 10
        assert r.description and r.near_miss, r.rule_id
        prefix = "DQ-" if r.recommendation == 0 else f"R{r.recommendation}-"
        assert r.rule_id.startswith(prefix), r.rule_id
    assert {r.recommendation for r in rules} >= {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}


def test_docs_rules_md_is_generated_from_the_registry():
    """Regenerate with: .venv/bin/python -m c3po_sync.rules.docs > docs/rules.md"""
    from c3po_sync.rules.docs import render

    doc = (ROOT / "docs" / "rules.md").read_text()
    assert doc == render(load_rules_config(ROOT / "config" / "rules.yaml"))
    for r in all_rules():
        assert f"`{r.rule_id}`" in doc


def test_rules_table_reflects_overrides():
    cfg = RulesConfig(severities={"R9-status-stale": "high"}, disabled=["R6-metrics-missing"])
    table = rules_table(cfg).set_index("rule_id")
    assert table.loc["R9-status-stale", "severity"] == "high"
    assert not table.loc["R6-metrics-missing", "enabled"]
    assert "`R9-status-stale` | 9 | high" in rules_markdown(cfg)


def _messy_tenant():
    return tenant(
        [
            project("B", ppm=None, budget=600_000.0, status_date=None, phase="Closed"),
            project("A", sponsor=None, phase="Release", ppm_is_contract=True, metrics=None),
            project("C", phase="Sustain", methodology=None),
        ],
        documents=[],
    )


def test_findings_frame_schema_ids_and_order():
    out = evaluate(_messy_tenant(), RulesConfig(), TODAY)
    assert list(out.columns) == FINDINGS.column_names
    assert out.dtypes.equals(FINDINGS.empty().dtypes)
    assert (out["finding_id"] == out["rule_id"] + ":" + out["entity_key"]).all()
    assert out["finding_id"].is_monotonic_increasing and out["finding_id"].is_unique
    again = evaluate(_messy_tenant(), RulesConfig(), TODAY)
    assert out.equals(again)
    row = out.set_index("finding_id").loc["R2-sponsor-missing:A"]
    assert (row["recommendation"], row["severity"], row["entity_kind"]) == (2, "medium", "project")
    assert row["ppm"] == "ppm@city.gov" and row["portfolio"] == "Community"
    assert row["source_url"].startswith("https://")


def test_disabled_rule_and_severity_override():
    cfg = RulesConfig(disabled=["R2-sponsor-missing"], severities={"R3-methodology-missing": "low"})
    out = evaluate(_messy_tenant(), cfg, TODAY)
    assert "R2-sponsor-missing" not in set(out["rule_id"])
    assert set(out.loc[out["rule_id"] == "R3-methodology-missing", "severity"]) == {"low"}


def test_duplicate_project_keys_give_one_finding(caplog):
    t = tenant(
        [
            project("DUP", sponsor=None, phase="Release"),
            project("DUP", sponsor=None, phase="Release", source_site="/sites/other"),
        ]
    )
    out = evaluate(t, RulesConfig(), TODAY, only=["R2-sponsor-missing"])
    assert out["finding_id"].tolist() == ["R2-sponsor-missing:DUP"]
    assert "duplicate finding id" in caplog.text


def test_empty_tables_give_empty_findings():
    from c3po_sync.model.tables import CanonicalTables

    out = evaluate(CanonicalTables(), RulesConfig(), TODAY)
    assert out.empty and list(out.columns) == FINDINGS.column_names

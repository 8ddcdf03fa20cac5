"""The audit scenario portfolio end to end (audit_portfolio/README.md): tenant YAML -> sandbox ->
the real office365 client -> normalize -> rules, twice (the second sync sees two projects move,
so the methodology-in-time rule has history), then every expectation compared exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.sandbox.demo import DEMO_ANCHOR
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import run_prepared

HERE = Path(__file__).parent / "audit_portfolio"
EXPECTED = yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))
INVENTORY = "/sites/itd-scenario/IT Asset Inventory"


def _edit(tenant, key: str, values: dict) -> None:
    """A PPM edits one project item between the two syncs."""
    site = tenant.site_for_path("/sites/ppm-scenario/_api/web")[0]
    lst = site.list_by_title("Projects")
    [item] = [i for i in lst.items.values() if i.values.get("Key") == key]
    lst.update_item(item.id, values, if_match=None)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("audit-scenario")
    tenant = Tenant.from_file(HERE / "tenant.yaml")
    config = HERE / "settings.yaml"
    mp = pytest.MonkeyPatch()
    with SandboxServer(tenant, port=0) as server:
        mp.setenv("C3PO_SANDBOX_URL", server.url)
        mp.setenv("C3PO_STATE_URL", f"sqlite:///{tmp / 'state.db'}")
        mp.setenv("C3PO_OUTPUT_DIR", str(tmp / "out"))

        def run():
            inputs = prepare_run(config, "audit", settings=load_settings(config), today=DEMO_ANCHOR)
            result = run_prepared(inputs)
            assert result.outcome == "ok", [s.error for s in result.failed_sources]
            return result

        first = run()
        _edit(tenant, "METH-LATE", {"Methodology": "Agile"})
        _edit(tenant, "METH-OK", {"Phase": "Procurement"})
        second = run()
        with StateStore(f"sqlite:///{tmp / 'state.db'}") as store:
            findings = store.findings(status="open")
            evaluation = store.load_evaluation()
            tables = store.load_snapshot(store.latest_snapshot_run())
    mp.undo()
    yield first, second, findings, evaluation, tables


def _by(findings, kinds: tuple[str, ...], key: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in findings[findings["entity_kind"].isin(kinds)].itertuples():
        out.setdefault(str(getattr(row, key)), []).append(row.rule_id)
    return {k: sorted(v) for k, v in out.items()}


def _expected(section: str) -> dict[str, list[str]]:
    return {str(k): sorted(v) for k, v in EXPECTED[section].items() if v}


def test_portfolio_is_as_large_as_the_issue_asks(scenario) -> None:
    *_, tables = scenario
    assert len(tables.projects) >= 30 and len(tables.assets) >= 10
    assert set(tables.projects["project_key"]) == set(EXPECTED["projects"])
    assert set(tables.assets["name"]) == set(EXPECTED["assets"])
    assert tables.quarantine.empty, tables.quarantine.to_dict("records")


def test_every_project_raises_exactly_the_expected_rules(scenario) -> None:
    _, _, findings, _, _ = scenario
    got = _by(findings, ("project", "document"), "project_key")
    assert got == _expected("projects")


def test_every_asset_raises_exactly_the_expected_rules(scenario) -> None:
    _, _, findings, _, tables = scenario
    names = dict(zip(tables.assets["asset_id"], tables.assets["name"], strict=True))
    got = {names[k]: v for k, v in _by(findings, ("asset",), "entity_key").items()}
    assert got == _expected("assets")


def test_ppm_load_and_council_cycles_exact(scenario) -> None:
    _, _, findings, _, _ = scenario
    assert _by(findings, ("ppm",), "entity_key") == _expected("ppms")
    assert _by(findings, ("council_report",), "entity_key") == _expected("council_reports")
    assert set(findings["entity_kind"]) <= {"project", "document", "asset", "ppm", "council_report"}


def test_precision_cases_show_their_status(scenario) -> None:
    _, _, _, evaluation, _ = scenario
    ev = evaluation.set_index(["rule_id", "entity_key"])["status"]
    for rule_id, cases in EXPECTED["statuses"].items():
        for key, status in cases.items():
            assert ev.get((rule_id, key)) == status, (rule_id, key)


def test_the_first_sync_saw_the_late_methodology_as_missing(scenario) -> None:
    first, second, *_ = scenario
    assert first.findings_by_recommendation.get(3) == 2  # NO-METH and METH-LATE: none yet
    assert second.not_checked == {}  # every check ran: the scenario configures them all

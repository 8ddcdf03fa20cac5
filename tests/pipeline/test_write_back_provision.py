"""`c3po-sync provision` from nothing: dry run first, then create, then nothing left to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from c3po_sync.cli.main import app
from c3po_sync.sandbox.demo import load_demo_tenant
from c3po_sync.sandbox.errors import ListNotFound
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.hub_lists import HUB_LISTS

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / "config" / "sandbox.yaml")
KINDS = {"Text", "Note", "Number", "Currency", "DateTime", "Boolean", "Choice", "URL", "User"}


@pytest.fixture()
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    tenant = load_demo_tenant()
    with SandboxServer(tenant, port=0) as server:
        monkeypatch.setenv("C3PO_SANDBOX_URL", server.url)
        monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
        yield server, tenant


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(
        app, ["provision", "--config", CONFIG, *args], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_provision_dry_run_then_create_then_nothing(sandbox) -> None:
    server, tenant = sandbox
    hub = tenant.site_for_path("/sites/c3po/_api/web")[0]

    planned = _invoke("--dry-run")
    assert "Planned changes (dry run: nothing written)" in planned
    for spec in HUB_LISTS:
        assert spec.title in planned
        with pytest.raises(ListNotFound):
            hub.list_by_title(spec.title)
    assert "PPMPerson (User, FieldTypeKind 20)" in planned
    assert server.stats.count("POST", "lists") == 0

    made = _invoke()
    assert "Changes made" in made
    for spec in HUB_LISTS:
        lst = hub.list_by_title(spec.title)
        assert lst.field(spec.key_column).indexed, spec.title
        for column in spec.columns:
            field = lst.field(column.internal_name)
            assert field.kind == column.kind, (spec.title, column.internal_name)
            if column.kind == "Choice":
                assert tuple(field.choices) == column.choices
    assert {c.kind for s in HUB_LISTS for c in s.columns} == KINDS

    again = _invoke("--dry-run")
    assert "nothing to change" in again
    assert again.count("up to date") == len(HUB_LISTS) + 1  # and the intake list


def test_provision_adds_only_missing_columns_and_keeps_the_ppms(sandbox) -> None:
    server, tenant = sandbox
    hub = tenant.site_for_path("/sites/c3po/_api/web")[0]
    lst = hub.create_list("C3PO Asset Inventory", 100)
    lst.add_field("Asset Id", "Text", internal_name="AssetId", indexed=True)
    lst.add_field("Budget Code", "Text", internal_name="BudgetCode")  # a PPM's own column

    planned = _invoke("--dry-run")
    assert "create list 'C3PO Asset Inventory'" not in planned
    assert "AssetId (" not in planned

    _invoke()
    assert lst.field("BudgetCode").kind == "Text"
    assert lst.field("EndOfSupport").kind == "DateTime"
    assert lst.field("PPMPerson").kind == "User"

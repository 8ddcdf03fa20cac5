"""``--dry-run`` writes nothing anywhere (issue 11): state store, hub, library and out/ alike."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.pipeline.runner import step_counts
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.hub_lists import HUB_LISTS
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
WRITES = ("POST", "MERGE", "PATCH", "PUT", "DELETE")
# A $batch of GETs, the form digest, GetChanges and GetItems (reads, sent as POST in
# SharePoint's REST).
READ_ONLY_POSTS = ("batch", "contextinfo", "web_changes", "get_items")


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    tenant = load_demo_tenant()
    with SandboxServer(tenant, port=0) as server:
        monkeypatch.setenv("C3PO_SANDBOX_URL", server.url)
        monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
        monkeypatch.setenv("C3PO_OUTPUT_DIR", str(tmp_path / "out"))
        yield server, tenant, tmp_path


def _run(**kw) -> RunResult:
    inputs = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG), today=DEMO_ANCHOR, **kw)
    return run_prepared(inputs)


def _dump(db: Path) -> dict[str, list]:
    with sqlite3.connect(db) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: sorted(map(repr, conn.execute(f'SELECT * FROM "{n}"'))) for n in names}


def _tenant(tenant) -> dict[str, list]:
    hub = tenant.site_for_path("/sites/c3po/_api/web")[0]
    out = {}
    for title in [s.title for s in HUB_LISTS] + ["Rollups"]:
        lst = hub.list_by_title(title)
        out[title] = sorted(repr(sorted(i.values.items())) for i in lst.items.values())
    return out


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def _writes(server) -> int:
    return sum(server.stats.count(m) for m in WRITES) - sum(
        server.stats.count("POST", r) for r in READ_ONLY_POSTS
    )


def test_dry_run_changes_no_state_row_no_hub_item_no_file(env) -> None:
    server, tenant, tmp = env
    assert _run().outcome == "ok"
    # Something to plan: a project edited since the real run.
    projects = tenant.sites["/sites/ppm-finance"].list_by_title("Project List")
    projects.update_item(sorted(projects.items)[0], {"Title": "Edited before the dry run"})
    db, out = tmp / "state.db", tmp / "out"
    before = (_dump(db), _tenant(tenant), _files(out))
    writes = _writes(server)

    dry = _run(dry_run=True)
    assert dry.dry_run and dry.outcome == "ok"
    assert any(w.changed for w in dry.writes)
    assert dry.workbook is None and dry.uploaded_to is None
    assert any("would save workbook" in line for line in dry.planned)
    # the progress line agrees with the summary (it said "rollup — no workbook")
    assert step_counts("rollup", dry).startswith("would save workbook C3PO Rollup ")
    assert (_dump(db), _tenant(tenant), _files(out)) == before
    assert _writes(server) == writes


def test_a_first_dry_run_creates_no_state_database(env) -> None:
    server, tenant, tmp = env
    dry = _run(dry_run=True)
    assert dry.outcome == "ok" and dry.writes
    assert not (tmp / "state.db").exists()
    assert not (tmp / "out").exists() or not any((tmp / "out").iterdir())
    assert _writes(server) == 0

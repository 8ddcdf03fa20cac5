"""Write-back on the demo City tenant: four hub lists, never clobbering people, a write log."""

from __future__ import annotations

from pathlib import Path

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.m365.http import quote_title
from c3po_sync.m365.list_writer import SharePointListSink
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.sandbox.demo import DEMO_ANCHOR
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.hub_lists import ASSET_INVENTORY, HUB_LISTS, KNOWLEDGE, PORTFOLIO
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
WRITE_METHODS = ("POST", "MERGE", "PATCH", "PUT", "DELETE")


def _run(job: str = "nightly", **kw) -> RunResult:
    inputs = prepare_run(CONFIG, job, settings=load_settings(CONFIG), today=DEMO_ANCHOR, **kw)
    return run_prepared(inputs)


def _hub(tenant):
    return tenant.site_for_path("/sites/c3po/_api/web")[0]


def _item(tenant, title: str, key_column: str, key: str):
    lst = _hub(tenant).list_by_title(title)
    return lst, next(i for i in lst.items.values() if i.values.get(key_column) == key)


def _source_project(tenant, key: str):
    site = tenant.site_for_path("/sites/ppm-community/_api/web")[0]
    lst = site.list_by_title("Projects")
    item = next(i for i in lst.items.values() if i.values.get("Project_x0020_Key") == key)
    return lst, item


READS_BY_POST = ("contextinfo", "web_changes", "list_changes", "get_items", "getitems")


def _list_writes(server: SandboxServer) -> dict[tuple[str, str], int]:
    """Write requests other than the workbook upload (reads sent as POST left out)."""
    return {
        (m, r): n
        for (m, r), n in server.stats.requests.items()
        if m in WRITE_METHODS
        and r not in READS_BY_POST
        and "changes" not in r
        and "file" not in r
        and "upload" not in r
    }


def test_all_four_lists_are_written_with_typed_values(demo_env) -> None:
    server, tenant = demo_env
    result = _run()
    assert result.outcome == "ok"
    assert [w.list_title for w in result.writes] == [s.title for s in HUB_LISTS]
    hub = _hub(tenant)
    for spec in HUB_LISTS:
        lst = hub.list_by_title(spec.title)
        assert lst.field(spec.key_column).indexed
        assert lst.field("PPMPerson").kind == "User" if spec is not HUB_LISTS[1] else True
    knowledge = hub.list_by_title(KNOWLEDGE.title)
    states = {i.values["RetentionKey"]: i.values for i in knowledge.items.values()}
    # AMANDA7 is seeded without a charter (tests/pipeline/test_nightly_e2e.py).
    amanda = states["AMANDA7/charter"]
    assert amanda["DocumentState"] == "Missing" and amanda.get("Document") is None
    present = [v for v in states.values() if v["DocumentState"] == "Present"]
    assert present and all(v["Document"]["Url"].startswith("http") for v in present)
    assert all(v["LastModified"] for v in present)
    missing = {k for k, v in states.items() if v["DocumentState"] == "Missing"}
    assert len(missing) == result.findings_by_recommendation[7]
    assets = hub.list_by_title(ASSET_INVENTORY.title)
    assert len(assets.items) == result.tables["assets"]
    flags = [i.values for i in assets.items.values()]
    assert any(v["PastEndOfSupport"] for v in flags) or any(v["ReviewOverdue"] for v in flags)
    _lst, sj311 = _item(tenant, PORTFOLIO.title, "ProjectKey", "SJ311")
    david = tenant.user_by_login("david.nguyen@sanjoseca.gov")
    assert sj311.values["PPMPerson"] == david.id
    assert sj311.values["StartDate"] == "2019-03-04T08:00:00Z"  # Pacific midnight, in UTC


def test_second_identical_run_sends_no_write_and_is_logged(demo_env) -> None:
    server, tenant = demo_env
    first = _run()
    assert sum(w.writes for w in first.writes) > 0
    server.stats.reset()

    second = _run()

    assert all(w.writes == 0 for w in second.writes), [w.describe() for w in second.writes]
    assert _list_writes(server) == {}, dict(server.stats.requests)
    # read-only batches (schema, tokens) are fine; no write may travel inside any batch
    assert server.stats.count(None, None, in_batch=True) == server.stats.count(
        "GET", None, in_batch=True
    )
    assert server.stats.count("POST", "ensure_user") == 0
    with StateStore(load_settings(CONFIG).resolved_state_url) as store:
        logged = {r["list_title"]: r for r in store.writes_for_run(first.run_id)}
        again = store.writes_for_run(second.run_id)
    assert set(logged) == {s.title for s in HUB_LISTS}
    assert logged[PORTFOLIO.title]["added"] == first.tables["projects"]
    assert "SJ311" in logged[PORTFOLIO.title]["added_keys"]
    assert [(r["added"], r["changed"], r["marked"]) for r in again] == [(0, 0, 0)] * 4


def test_changed_project_is_one_merge_of_one_field_and_comments_survive(demo_env) -> None:
    server, tenant = demo_env
    _run()
    lst, row = _item(tenant, PORTFOLIO.title, "ProjectKey", "SJ311")
    lst.update_item(row.id, {"PPMComment": "waiting on council vote"})
    klst, krow = _item(tenant, KNOWLEDGE.title, "RetentionKey", "AMANDA7/charter")
    klst.update_item(krow.id, {"AuditorNote": "accepted risk until Q3"})
    src, item = _source_project(tenant, "SJ311")
    assert item.values["Methodology"] == "Agile"
    src.update_item(item.id, {"Methodology": "Hybrid"})
    server.stats.reset()

    result = _run()

    changed = {w.list_title: w.changed for w in result.writes if w.changed}
    assert changed == {PORTFOLIO.title: {"SJ311": ["Methodology"]}}
    assert server.stats.count("MERGE", "item", in_batch=True) == 1
    assert server.stats.count("POST", "items", in_batch=True) == 0
    assert lst.items[row.id].values["Methodology"] == "Hybrid"
    assert lst.items[row.id].values["PPMComment"] == "waiting on council vote"
    assert klst.items[krow.id].values["AuditorNote"] == "accepted risk until Q3"

    _run()  # and once more: nothing to write, the notes still there
    assert lst.items[row.id].values["PPMComment"] == "waiting on council vote"
    assert klst.items[krow.id].values["AuditorNote"] == "accepted risk until Q3"


def test_stale_etag_keeps_the_ppms_edit(demo_env, monkeypatch: pytest.MonkeyPatch) -> None:
    server, tenant = demo_env
    _run()
    lst, row = _item(tenant, PORTFOLIO.title, "ProjectKey", "SJ311")
    src, item = _source_project(tenant, "SJ311")
    src.update_item(item.id, {"Methodology": "Waterfall"})
    send = SharePointListSink._send_lanes  # every write batch goes through it, alone or shared
    portfolio = quote_title(PORTFOLIO.title)

    def ppm_edits_between_read_and_write(self, ops):
        if any(portfolio in op.url for op, _lane in ops):
            with tenant.lock:  # the PPM saves the form after our read: our ETag is now stale
                lst.update_item(row.id, {"PPMComment": "edited while the job ran"})
        return send(self, ops)

    monkeypatch.setattr(SharePointListSink, "_send_lanes", ppm_edits_between_read_and_write)
    server.stats.reset()

    result = _run()

    report = next(w for w in result.writes if w.list_title == PORTFOLIO.title)
    assert report.conflicts == 1 and not report.failed
    assert server.stats.statuses[412] == 1
    values = lst.items[row.id].values
    assert values["Methodology"] == "Waterfall"
    assert values["PPMComment"] == "edited while the job ran"


def test_project_gone_from_the_sources_is_marked_not_deleted(demo_env) -> None:
    server, tenant = demo_env
    _run()
    src, item = _source_project(tenant, "SJ311")
    src.delete_item(item.id)

    result = _run()

    portfolio = next(w for w in result.writes if w.list_title == PORTFOLIO.title)
    assert portfolio.marked == ["SJ311"]
    knowledge = next(w for w in result.writes if w.list_title == KNOWLEDGE.title)
    assert {k.split("/")[0] for k in knowledge.marked} == {"SJ311"}
    _lst, row = _item(tenant, PORTFOLIO.title, "ProjectKey", "SJ311")
    assert row.values["InSource"] is False


def test_dry_run_plans_every_list_and_describes_examples(demo_env) -> None:
    server, tenant = demo_env
    result = _run(dry_run=True)
    assert [w.list_title for w in result.writes] == [s.title for s in HUB_LISTS]
    assert all(w.dry_run and w.added for w in result.writes)
    line = result.writes[0].describe()
    assert line.startswith(f"{PORTFOLIO.title}: would write {result.tables['projects']} added (")
    assert "+" in line and "more" in line
    assert server.stats.count("POST", "ensure_user") == 0
    # read-only batches (schema, tokens) are fine; no write may travel inside any batch
    assert server.stats.count(None, None, in_batch=True) == server.stats.count(
        "GET", None, in_batch=True
    )

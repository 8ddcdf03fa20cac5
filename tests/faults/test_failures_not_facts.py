"""Failures are not facts (issue 11): a site down, a list renamed, a tenant down, a token refused.

Each test plants one failure between two runs on the sandbox and checks the end state: nothing
marked gone, resolved or removed that was not; the rows not re-read are kept and say so.
"""

from __future__ import annotations

from typing import Any

import openpyxl
import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.steps.council_report import deltas_between
from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sinks.hub_lists import HUB_LISTS
from c3po_sync.state.store import StateStore

from .helpers import HUB_URL, Env, canonical, end_state, findings, hub_rows

pytestmark = pytest.mark.faults

SITE = "/sites/ppm-finance"


def _down(*sites: str) -> FaultConfig:
    """Every request to ``sites`` (all sites when none) answered 503, retried at once."""
    return FaultConfig(p503=1.0, retry_after_s=0, sites=set(sites) if sites else None)


def _hub_items(env: Env, title: str) -> list[dict[str, Any]]:
    site = env.tenant.site_for_path(HUB_URL + "/_api/web")[0]
    return [i.values for i in site.list_by_title(title).items.values() if i.fs_obj_type == 0]


def _open_counts(env: Env) -> tuple[int, int]:
    with StateStore(load_settings(env.config).resolved_state_url) as store:
        open_ = store.findings(status="open")
        run = store.latest_snapshot_run()
        projects = len(store.load_snapshot(run).projects)
    return len(open_), projects


def _never_gone(env: Env) -> None:
    for spec in HUB_LISTS:
        for row in _hub_items(env, spec.title):
            assert row.get("InSource") is not False, (spec.title, row.get(spec.key_column))


def _events(env: Env, run_id: int) -> list[dict]:
    with StateStore(load_settings(env.config).resolved_state_url) as store:
        return [e for e in store.finding_events() if e["run_id"] == run_id]


def test_a_site_down_keeps_its_rows_and_marks_them(make_env) -> None:
    env = make_env("site-down")
    first = env.run()
    assert first.outcome == "ok"
    before = end_state(env)
    counts = _open_counts(env)

    env.server.faults = _down(SITE)
    second = env.run()
    assert second.outcome == "partial"
    assert {s.kind for s in second.failed_sources} == {"unreachable"}
    assert [s.label for s in second.stale] == [f"{SITE}/Project List", f"{SITE}/Documents"]
    # Same canonical tables, same findings and states, same counts: as if read unchanged.
    assert canonical(env.config) == before["canonical"]
    assert findings(env.config) == before["findings"]
    assert _open_counts(env) == counts
    assert second.resolved == second.opened == 0 and not _events(env, second.run_id)
    assert not any(f.startswith("DQ-source-unreadable") for f, _ in findings(env.config))
    _never_gone(env)
    portfolio = _hub_items(env, "C3PO Portfolio")
    marked = [r for r in portfolio if r.get("NotRereadSince")]
    assert marked and all("not re-read since" in r["NotRereadReason"] for r in marked)
    # the site's projects, and any project a kept row names (a document filed on that site)
    named = {r["project_key"] for t in ("projects", "documents", "assets")
             for r in before["canonical"][t] if r["source_site"] == SITE}  # fmt: skip
    assert {r["ProjectKey"] for r in marked} == named - {None}
    open_on_site = [
        r for r in _hub_items(env, "C3PO Compliance Findings") if r.get("NotRereadSince")
    ]
    assert open_on_site and all(r["State"] == "Open" for r in open_on_site)
    # The rollup keeps the projects and says which were not re-read.
    sheet = openpyxl.load_workbook(second.workbook)["Portfolio"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    at = next(i for i, r in enumerate(rows) if "Not re-read since" in r)
    col = rows[at].index("Not re-read since")
    notes = {r[0]: r[col] for r in rows[at + 1 :] if r[0]}
    assert len(notes) == counts[1]
    # Deltas never report the site's projects as a change.
    with StateStore(load_settings(env.config).resolved_state_url) as store:
        changes, _, _ = deltas_between(store, since_run=first.run_id, to_run=second.run_id)
    assert changes.empty, changes
    sheet = openpyxl.load_workbook(second.workbook)["Changes since last report"]
    assert not any("removed" in str(c.value) for r in sheet.iter_rows() for c in r)
    assert {k for k, v in notes.items() if v} == {r["ProjectKey"] for r in marked}

    env.server.faults = FaultConfig()
    third = env.run()
    assert third.outcome == "ok" and not third.stale
    assert third.resolved == third.opened == 0
    assert not any(r.get("NotRereadSince") for r in _hub_items(env, "C3PO Portfolio"))
    assert hub_rows(env.tenant)["C3PO Portfolio"] == before["hub"]["C3PO Portfolio"]


def test_a_renamed_list_is_a_finding_and_loses_nothing(make_env) -> None:
    env = make_env("renamed")
    assert env.run().outcome == "ok"
    before = end_state(env)
    site = env.tenant.sites[SITE]
    site.rename_list(site.list_by_title("Project List"), "Projects (old)")  # a PPM renames it
    second = env.run()
    assert second.outcome == "partial"
    [failed] = second.failed_sources
    assert failed.kind == "data"
    assert canonical(env.config) == before["canonical"]
    ids = dict(findings(env.config))
    assert ids.pop(f"DQ-source-unreadable:{SITE}/Project List") == "open"
    assert sorted(ids.items()) == before["findings"]  # nothing resolved
    _never_gone(env)


def test_run_level_failures_record_nothing(make_env) -> None:
    """Tenant down, token refused, hub down: each fails the run (exit 5) and records nothing."""
    env = make_env("run-level")
    assert env.run().outcome == "ok"
    before = end_state(env)
    with StateStore(load_settings(env.config).resolved_state_url) as store:
        snapshot = store.latest_snapshot_run()

    def refuse(_token: str) -> bool:
        return False

    for failure, faults, validator in (
        ("tenant-unreachable", _down(), None),
        ("auth-refused", FaultConfig(), refuse),
    ):
        env.server.faults, env.server.token_validator = faults, validator
        failed = env.run()
        assert failed.outcome == "failed" and failed.failure == failure, failed.error
        assert "no source could be read" in (failed.error or "")
        with StateStore(load_settings(env.config).resolved_state_url) as store:
            assert store.latest_snapshot_run() == snapshot  # no snapshot of the failed run
            assert store.get_run(failed.run_id)["outcome"] == "failed"
        assert findings(env.config) == before["findings"]  # none opened, none resolved
        assert not _events(env, failed.run_id)

    env.server.faults, env.server.token_validator = _down(HUB_URL), None
    failed = env.run()
    assert failed.outcome == "failed" and failed.failure == "hub-unreachable", failed.error

    env.server.faults = FaultConfig()
    good = env.run()
    assert good.outcome == "ok" and good.resolved == good.opened == 0
    assert end_state(env) == before


def test_a_person_deleting_and_editing_findings_rows_during_a_run(make_env) -> None:
    """Hub rows deleted or hand-resolved while the job writes: the next run restores the
    auditors' record from the evidence; nothing is resolved or removed that was not."""
    env = make_env("humans")
    assert env.run().outcome == "ok"
    before = end_state(env)
    hub = env.tenant.site_for_path(HUB_URL + "/_api/web")[0]
    findings_list = hub.list_by_title("C3PO Compliance Findings")
    ids = sorted(findings_list.items)
    gone, edited = ids[0], ids[1]
    original = env.server.handle
    fired: list[int] = []

    def person_then_handle(request):  # type: ignore[no-untyped-def]
        if not fired and request.method == "POST" and request.path.startswith(HUB_URL):
            fired.append(1)
            with env.tenant.lock:
                findings_list.update_item(edited, {"State": "Resolved", "FirstSeen": None})
                findings_list.delete_item(gone)
        return original(request)

    env.server.handle = person_then_handle  # type: ignore[method-assign]
    try:
        env.run()  # may finish or give up on the changed rows; either way nothing is lost
    except Exception:  # noqa: BLE001, S110 - the next run must repair it
        pass
    finally:
        env.server.handle = original  # type: ignore[method-assign]
    assert fired
    after = env.run()
    assert after.outcome == "ok" and after.resolved == 0
    assert findings(env.config) == before["findings"]
    assert (
        hub_rows(env.tenant)["C3PO Compliance Findings"]
        == (before["hub"]["C3PO Compliance Findings"])
    )
    _never_gone(env)

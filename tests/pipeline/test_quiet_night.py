"""Nights proportional to change (issue 16): an idle night reads change logs and nothing else;
a hub edit is found through the hub's change log; a new day re-runs the date-driven rules."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.m365.http import SiteConnection
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.pipeline.steps.dashboard import INTERNAL_PAGE, UPLOADS
from c3po_sync.rules.intake import MUST_MANAGE
from c3po_sync.sandbox.demo import DEMO_ANCHOR
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.hub_lists import FINDINGS_LIST, PORTFOLIO
from c3po_sync.sinks.intake_list import INTAKE
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
HUB = "/sites/c3po"


@pytest.fixture()
def demo(demo_env, opened_sites, tmp_path: Path):
    """The demo tenant served; every site connection a run opens, by site."""
    server, tenant = demo_env
    return server, tenant, opened_sites, tmp_path


def _run(today: date = DEMO_ANCHOR) -> RunResult:
    inputs = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG), today=today)
    return run_prepared(inputs)


def _requests(opened: dict[str, SiteConnection]) -> dict[str, int]:
    return {site: conn.requests_sent for site, conn in opened.items()}


@pytest.mark.slow
def test_idle_night_reads_the_change_logs_only_and_evaluates_nothing(demo) -> None:
    server, _tenant, opened, tmp = demo
    first = _run()
    assert first.outcome == "ok"
    sources = set(opened) - {HUB}
    # The first run created the intake list after the hub's change-log position it kept: the
    # next run sees that schema change, so it reads the list once more (and writes nothing).
    settling = _run()
    assert settling.outcome == "ok" and not any(s.startswith("intake") for s in settling.skipped)
    opened.clear()
    server.stats.reset()

    idle = _run()

    assert idle.outcome == "ok"
    # One change-log request per site, the hub's included. Nothing else: not the intake list
    # (its change log is empty), not the hub's rights (asked before a first write; there is
    # none).
    assert _requests(opened) == dict.fromkeys(sources, 1) | {HUB: 1}
    assert dict(server.stats.requests) == {("POST", "web_changes"): len(sources) + 1}
    assert not server.stats.batch_operations
    assert idle.requests == len(sources) + 1
    assert [s.split(":")[0] for s in idle.skipped] == [
        "normalize",
        "evaluate",
        "hub lists",
        "intake",
        "rollup",
    ]
    # The triage figures (dashboard, run summary) are those of the last read of the list.
    assert idle.intake is not None and first.intake is not None
    assert idle.intake.requests == first.intake.requests > 0
    assert idle.intake.by_outcome == first.intake.by_outcome
    assert idle.uploaded_to is None
    assert idle.writes and all(w.writes == 0 and w.requests == 0 for w in idle.writes)
    # Same figures as the run that built the tables; no snapshot or evaluation of its own.
    assert idle.tables == first.tables and idle.items_read == first.items_read
    assert idle.findings_by_recommendation == first.findings_by_recommendation
    with StateStore(f"sqlite:///{tmp / 'state.db'}") as store:
        assert store.latest_snapshot_run() == first.run_id
        assert store.latest_evaluation_run() == first.run_id
        assert len(store.findings(status="open")) == sum(first.findings_by_recommendation.values())


@pytest.mark.slow
def test_a_hub_edit_is_found_in_the_hub_change_log_and_a_new_day_re_runs_date_rules(demo) -> None:
    """One tenant for both (a first run costs most of the time): a hand edit on the hub, then
    the calendar moving on with no data change at all."""
    _server, tenant, opened, tmp = demo
    first = _run()
    assert first.outcome == "ok"
    assert _run().skipped  # idle: the hub's change log is the baseline now
    assert _run().skipped  # (the intake list, made by the first run, read once more)
    portfolio = tenant.sites[HUB].list_by_title(PORTFOLIO.title)
    item_id = sorted(portfolio.items)[0]
    key = portfolio.items[item_id].values[PORTFOLIO.key_column]
    portfolio.update_item(item_id, {"Title": "edited on the hub by hand"})
    opened.clear()

    edited = _run()

    assert edited.outcome == "ok"
    by_list = {w.list_title: w for w in edited.writes}
    # The edited list is read back and put right; the others, unchanged and untouched since
    # they were written, are not read at all.
    assert by_list[PORTFOLIO.title].changed == {key: ["Title"]}
    others = [w for title, w in by_list.items() if title != PORTFOLIO.title]
    assert others and all(w.requests == 0 and w.writes == 0 for w in others)
    assert portfolio.items[item_id].values["Title"] != "edited on the hub by hand"
    assert any(s.startswith("evaluate") for s in edited.skipped)  # same day, same data
    opened.clear()
    after = _run()  # our own repair is not mistaken for someone else's edit
    assert _requests(after_opened := opened)[HUB] == 1, after_opened
    assert not any(w.writes for w in after.writes)

    # A new day, nothing changed anywhere: the date rules re-run over the stored tables.
    later = DEMO_ANCHOR + timedelta(days=400)  # every status report is long overdue by then
    next_day = _run(later)

    assert next_day.outcome == "ok"
    # Only the date-driven rules are re-run (rules/horizons.py): the others' verdicts stand.
    assert next_day.skipped[0] == "normalize: no source changed since the stored tables were built"
    assert next_day.skipped[1].startswith("evaluate: data unchanged; re-checked only the rules")
    assert "R9-status-stale" in next_day.skipped[1]
    assert next_day.skipped[2:] == ["intake: no request new or edited since the last triage"]
    assert next_day.opened > 0  # date-driven findings opened with the calendar alone
    assert next_day.uploaded_to and later.isoformat() in next_day.uploaded_to
    with StateStore(f"sqlite:///{tmp / 'state.db'}") as store:
        assert store.latest_snapshot_run() == first.run_id  # no re-normalized snapshot
        assert store.latest_evaluation_run() == next_day.run_id


def _settled(server: SandboxServer, opened: dict[str, SiteConnection]) -> None:
    """A first run, then the one that reads the intake list it created once more."""
    assert _run().outcome == "ok"
    assert _run().outcome == "ok"
    opened.clear()
    server.stats.reset()


@pytest.mark.slow
def test_a_new_request_is_triaged_the_night_it_arrives_and_our_own_writes_are_not_edits(
    demo,
) -> None:
    server, tenant, opened, _tmp = demo
    _settled(server, opened)
    intake = tenant.sites[HUB].list_by_title(INTAKE.title)
    new = intake.add_item(
        {"Title": "a kiosk app", "RequestingDepartments": "Library", "CustomSoftware": "Yes"}
    ).id

    night = _run()

    assert night.outcome == "ok" and night.intake is not None
    assert night.intake.written == [new]
    assert intake.items[new].values["TriageOutcome"] == MUST_MANAGE
    hub = {k: n for k, n in server.stats.requests.items() if k != ("POST", "web_changes")}
    # The list's items (it is as provisioned: no list or fields read), the hub's rights asked
    # once right before the triage write, and that write.
    assert hub == {("GET", "items"): 1, ("GET", "web_permissions"): 1, ("GET", "list"): 1,
                   ("MERGE", "item"): 1}, hub  # fmt: skip
    opened.clear()

    after = _run()  # the change row of our own triage write is counted, not taken for an edit

    assert _requests(opened)[HUB] == 1
    assert "intake: no request new or edited since the last triage" in after.skipped
    intake.update_item(new, {"EstimatedCost": 20000})  # the requester edits: read again
    assert not any(s.startswith("intake") for s in _run().skipped)

    # A hub list repaired twice: ListItemEntityTypeFullName is fixed for a list's life, and the
    # repair's read of the items carries it (each item's __metadata.type): never asked for.
    portfolio = tenant.sites[HUB].list_by_title(PORTFOLIO.title)
    item_id = sorted(portfolio.items)[0]
    for n in range(2):
        portfolio.update_item(item_id, {"Title": f"edited on the hub by hand, {n}"})
        server.stats.reset()
        repair = _run()
        assert repair.outcome == "ok"
        assert {w.list_title: w for w in repair.writes}[PORTFOLIO.title].changed
        assert server.stats.requests.get(("GET", "list"), 0) == 0


@pytest.mark.slow
def test_rights_are_asked_before_the_first_write_and_a_new_day_uploads_its_workbook_only(
    demo,
) -> None:
    """A night with nothing to write needs no write right; one that would write stops before
    its first write, and the next night writes what it left, though its rules ran already.
    Then a new day with no change: the change logs, the rights and the day's workbook."""
    server, tenant, opened, _tmp = demo
    _settled(server, opened)
    hub = tenant.sites[HUB]
    hub.app_role = "read"

    quiet = _run()
    assert quiet.outcome == "ok"  # nothing to write: the right is not asked
    assert ("GET", "web_permissions") not in server.stats.requests

    later = DEMO_ANCHOR + timedelta(days=400)  # status reports overdue: findings open
    stopped = _run(later)

    assert stopped.outcome == "failed" and stopped.failure == "hub-rights-missing"
    # asked once, in the one read $batch that goes before the hub writes (with the zone)
    assert server.stats.batch_operations[("GET", "web_permissions")] == 1
    assert ("GET", "web_permissions") not in server.stats.requests
    sent = [*server.stats.requests, *server.stats.batch_operations]
    read_only = ("web_changes", "batch")  # the change log; the read $batch (GETs only, below)
    assert not [k for k in sent if k[0] in ("POST", "MERGE") and k[1] not in read_only]
    assert not [k for k in server.stats.batch_operations if k[0] != "GET"]
    assert stopped.opened > 0  # recorded in the state store, not yet on the hub
    findings = hub.list_by_title(FINDINGS_LIST.title)
    before = len(findings.items)

    hub.app_role = None
    caught_up = _run(later)  # same day, same data, rules already run: the lists still lag

    assert caught_up.outcome == "ok"
    assert "hub lists: nothing changed, nobody edited them" not in caught_up.skipped
    by_list = {w.list_title: w for w in caught_up.writes}
    assert len(by_list[FINDINGS_LIST.title].added) == stopped.opened
    assert len(findings.items) == before + stopped.opened

    # The next day, nothing changed. The auditors read the workbook's date, so it is uploaded;
    # the dashboard shows the same figures, so its hub copy stays; the library's folder is the
    # one the last upload returned.
    opened.clear()
    server.stats.reset()

    day_after = _run(later + timedelta(days=1))

    assert day_after.outcome == "ok"
    assert not any(w.writes for w in day_after.writes)
    asked = {k: n for k, n in server.stats.requests.items() if k != ("POST", "web_changes")}
    # The rights (asked before the upload) and the day's workbook; no root folder read, no
    # dashboard upload, no hub list or intake read.
    assert asked == {("GET", "web_permissions"): 1, ("POST", "file_add"): 1}, asked
    assert _requests(opened)[HUB] == 3
    assert (
        day_after.uploaded_to and (later + timedelta(days=1)).isoformat() in day_after.uploaded_to
    )
    assert any(s.startswith("dashboard upload") for s in day_after.skipped), day_after.skipped

    # Someone deletes the internal page from the library: the change log shows a file change
    # that is not ours, so the next night uploads the pages again.
    library = tenant.sites[HUB].list_by_title("Rollups")
    page = next(i for i in library.items.values() if str(i.file_ref).endswith(INTERNAL_PAGE))
    library.delete_item(page.id)
    server.stats.reset()
    again = _run(later + timedelta(days=2))
    assert again.outcome == "ok"
    assert server.stats.requests[("POST", "file_add")] == 1 + UPLOADS
    assert any(str(i.file_ref).endswith(INTERNAL_PAGE) for i in library.items.values())

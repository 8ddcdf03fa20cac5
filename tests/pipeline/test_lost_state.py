"""The findings history survives the loss of the state database (issue 11).

The hub's Compliance Findings list is the auditors' record: a run on an empty state store (or
one restored from an older backup, with ``adopt_history``) adopts first seen, resolved and
re-opened from it instead of overwriting them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.hub_lists import FINDINGS_LIST
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
STALE = "R9-status-stale:WCOMP"  # seeded: WCOMP's last status is 103 days old
FRESH_STATUS = "2026-10-30T17:00:00Z"
HISTORY = ("State", "FirstSeen", "ResolvedAt", "ReopenedAt", "TimesReopened")


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    tenant = load_demo_tenant()
    with SandboxServer(tenant, port=0) as server:
        monkeypatch.setenv("C3PO_SANDBOX_URL", server.url)
        monkeypatch.setenv("C3PO_OUTPUT_DIR", str(tmp_path / "out"))
        yield tenant, tmp_path, monkeypatch


def _run(url: str, monkeypatch, day: int, **kw) -> RunResult:
    monkeypatch.setenv("C3PO_STATE_URL", url)
    today = DEMO_ANCHOR + timedelta(days=day)
    inputs = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG), today=today)
    for k, v in kw.items():
        setattr(inputs, k, v)
    result = run_prepared(inputs)
    assert result.outcome == "ok", [s.error for s in result.failed_sources]
    return result


def _hub(tenant) -> dict[str, dict]:
    hub = tenant.site_for_path("/sites/c3po/_api/web")[0].list_by_title(FINDINGS_LIST.title)
    return {
        i.values["FindingId"]: {k: i.values.get(k) for k in HISTORY} for i in hub.items.values()
    }


def _set_status(tenant, when: str) -> None:
    site = tenant.site_for_path("/sites/ppm-finance/_api/web")[0]
    site.list_by_title("Project List").update_item(4, {"LastStatusUpdate": when})


def test_a_lost_state_database_adopts_the_hubs_history(env) -> None:
    tenant, tmp, mp = env
    db = f"sqlite:///{tmp / 'state.db'}"
    _run(db, mp, 0)
    _set_status(tenant, FRESH_STATUS)
    second = _run(db, mp, 1)
    assert second.resolved >= 1
    record = _hub(tenant)
    assert record[STALE]["State"] == "Resolved" and record[STALE]["ResolvedAt"]

    # The state database is lost: a new, empty one, two days later.
    lost = f"sqlite:///{tmp / 'new-state.db'}"
    third = _run(lost, mp, 2)
    assert third.opened == 0 and third.resolved == 0 and third.reopened == 0
    after = _hub(tenant)
    for fid, before in record.items():  # every first seen, resolution and re-open kept
        assert after[fid] == before, fid
    with StateStore(lost) as store:
        row = store.findings().set_index("finding_id").loc[STALE]
    assert row["status"] == "resolved" and row["resolved_at"] is not None

    # Then it really re-opens: a re-open on evidence, the first seen still the original.
    _set_status(tenant, "2026-07-21T22:30:00Z")
    fourth = _run(lost, mp, 3)
    assert fourth.reopened == 1 and fourth.opened == 0
    assert _hub(tenant)[STALE]["FirstSeen"] == record[STALE]["FirstSeen"]


def test_a_restored_backup_adopts_what_happened_after_it(env) -> None:
    tenant, tmp, mp = env
    db = tmp / "state.db"
    url = f"sqlite:///{db}"
    _run(url, mp, 0)
    backup = tmp / "backup.db"
    with StateStore(url) as store:  # a consistent copy, as an admin's backup would be
        store.engine.dispose()
    backup.write_bytes(db.read_bytes())
    _set_status(tenant, FRESH_STATUS)
    _run(url, mp, 1)  # resolves WCOMP's stale finding
    record = _hub(tenant)
    # The older backup is restored: it still has the finding open. The hub's later
    # resolution is adopted, not re-dated by this run.
    db.write_bytes(backup.read_bytes())
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    third = _run(url, mp, 2, adopt_history=True)
    assert third.resolved == 0 and third.opened == 0
    assert _hub(tenant) == record

"""A PPM edits a consolidated row while the job writes it: nobody's change is lost."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.hub_lists import PORTFOLIO
from c3po_sync.wiring import run_prepared

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
KEY = "SJ311"


class _PPMEditsBeforeWrite(SandboxServer):
    """Before the first `$batch` POST to the hub, a PPM saves an edit of the SJ311 hub row.

    That is the window between the job's read of the hub list and its MERGE: the job's
    If-Match ETag is then stale.
    """

    edit: dict[str, object] = {}
    armed = False
    fired = 0

    def handle(self, request):  # type: ignore[no-untyped-def]
        if (
            self.armed
            and not self.fired
            and request.method == "POST"
            and request.path.startswith("/sites/c3po/_api/$batch")
        ):
            self.fired += 1
            with self.tenant.lock:
                lst = _portfolio(self.tenant)
                lst.update_item(_row(self.tenant).id, dict(self.edit))
        return super().handle(request)


def _portfolio(tenant: Tenant):  # type: ignore[no-untyped-def]
    return tenant.site_for_path("/sites/c3po/_api/web")[0].list_by_title(PORTFOLIO.title)


def _row(tenant: Tenant):  # type: ignore[no-untyped-def]
    rows = [i for i in _portfolio(tenant).items.values() if i.values.get("ProjectKey") == KEY]
    assert len(rows) == 1, rows
    return rows[0]


def _run(cfg: Path) -> RunResult:
    inputs = prepare_run(cfg, "nightly", settings=load_settings(cfg), today=DEMO_ANCHOR)
    return run_prepared(inputs)


@pytest.fixture()
def hub(tmp_path: Path):
    tenant = load_demo_tenant()
    with _PPMEditsBeforeWrite(tenant, port=0) as server:
        cfg = tmp_path / "settings.yaml"
        cfg.write_text(
            f"tenant:\n  base_url: {server.url}\n  auth:\n    mode: sandbox\n"
            "hub_site: /sites/c3po\nrollups_library: Rollups\n"
            f"mappings_dir: {ROOT / 'mappings'}\nrules_file: {ROOT / 'config/rules.yaml'}\n"
            f"jobs_dir: {ROOT / 'jobs'}\nstate_url: sqlite:///{tmp_path / 'state.db'}\n"
            f"output_dir: {tmp_path / 'out'}\ntime_zone: America/Los_Angeles\n",
            encoding="utf-8",
        )
        assert _run(cfg).outcome == "ok"
        # The source changes, so the next run must MERGE the SJ311 hub row.
        with tenant.lock:
            src = tenant.site_for_path("/sites/ppm-community/_api/web")[0]
            src.list_by_title("Projects").update_item(1, {"Budget": 3_500_000})
        yield server, tenant, cfg


def _concurrent(server, cfg: Path, edit: dict[str, object]) -> RunResult:  # type: ignore[no-untyped-def]
    server.edit, server.armed, server.fired = edit, True, 0
    result = _run(cfg)
    assert server.fired == 1, "the job wrote nothing to the hub"
    return result


def test_ppm_comment_saved_during_the_write_survives(hub) -> None:
    server, tenant, cfg = hub
    result = _concurrent(server, cfg, {"PPMComment": "Budget re-baselined by council 10/28"})
    assert result.outcome == "ok", result.error
    row = _row(tenant)
    assert row.values["PPMComment"] == "Budget re-baselined by council 10/28"
    assert row.values["Budget"] == 3_500_000  # and the job's change landed too
    assert _run(cfg).outcome == "ok"  # a later run leaves the comment alone
    assert _row(tenant).values["PPMComment"] == "Budget re-baselined by council 10/28"


def test_ppm_edit_of_an_owned_column_ends_with_the_jobs_value(hub) -> None:
    server, tenant, cfg = hub
    before = _row(tenant).values["Title"]
    edit = {"Title": "PPM typed this on the hub", "PPMComment": "and a note"}
    result = _concurrent(server, cfg, edit)
    assert result.outcome == "ok", result.error
    row = _row(tenant)
    assert row.values["Budget"] == 3_500_000
    assert row.values["PPMComment"] == "and a note"  # never overwritten
    # Title is owned by the job: after the next run it is the source's value again.
    _run(cfg)
    row = _row(tenant)
    assert row.values["Title"] == before
    assert row.values["PPMComment"] == "and a note"


def test_ppm_edits_in_a_thread_while_runs_write_lose_nothing(hub) -> None:
    """PPM comments keep arriving from another thread across two runs; the last one stays."""
    server, tenant, cfg = hub
    stop = threading.Event()
    written: list[str] = []

    def ppm() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            with tenant.lock:
                _portfolio(tenant).update_item(_row(tenant).id, {"PPMComment": f"note {n}"})
            written.append(f"note {n}")
            stop.wait(0.2)

    t = threading.Thread(target=ppm)
    t.start()
    try:
        for _ in range(2):
            try:
                _run(cfg)
            except Exception as e:  # noqa: BLE001 - giving up on a row that keeps changing is fine
                assert "kept changing" in str(e), e
    finally:
        stop.set()
        t.join()
    assert _run(cfg).outcome == "ok"  # once the PPM stops, the job's change lands
    assert _row(tenant).values["PPMComment"] == written[-1]
    assert _row(tenant).values["Budget"] == 3_500_000

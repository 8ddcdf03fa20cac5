"""SIGTERM mid-run: the running step finishes, the run is recorded interrupted, state consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sinks.hub_lists import FINDINGS_LIST
from c3po_sync.state.store import StateStore

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "c3po_sync.cli.main"]


def _wait_for_running(url: str, proc: subprocess.Popen, deadline_s: float = 120) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        assert proc.poll() is None, proc.communicate()
        try:
            with StateStore(url) as store:
                if any(r["outcome"] == "running" for r in store.runs()):
                    return
        except Exception:  # the database is being created by the child
            pass
        time.sleep(0.1)
    raise AssertionError("the run never started")


@pytest.mark.slow
def test_sigterm_mid_run_records_interrupted_and_a_rerun_completes(deployment) -> None:  # noqa: ANN001
    deployment.add_job("sync-eval-lists", "[sync, evaluate, write_lists]")
    deployment.server.faults = FaultConfig(latency_s=0.05)  # sync takes seconds, not ms
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [*CLI, "run", "sync-eval-lists", "--config", str(deployment.config), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    _wait_for_running(deployment.state_url, proc)
    proc.send_signal(signal.SIGTERM)
    out, errout = proc.communicate(timeout=300)
    assert proc.returncode == 3, (out, errout)
    with StateStore(deployment.state_url) as store:
        (run,) = store.runs()
        assert run["outcome"] == "interrupted" and run["finished_at"] is not None
        assert "stopped before step" in run["error"]
        assert store.findings().empty  # nothing half-recorded
    site = deployment.tenant.site_for_path("/sites/c3po/_api/web")[0]
    with pytest.raises(Exception):  # noqa: B017 - the hub list was never written
        site.list_by_title(FINDINGS_LIST.title)
    # Run again, undisturbed: it completes from a consistent state.
    deployment.server.faults = FaultConfig()
    again = subprocess.run(
        [*CLI, "run", "sync-eval-lists", "--config", str(deployment.config)],
        capture_output=True,
        env=env,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    with StateStore(deployment.state_url) as store:
        assert [r["outcome"] for r in store.runs()] == ["ok", "interrupted"]
        assert not store.findings(status="open").empty

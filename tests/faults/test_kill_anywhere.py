"""SIGKILL the nightly job anywhere (reading, writing, uploading, saving state); rerun; same end."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .helpers import duplicate_keys, end_state, env_int

pytestmark = pytest.mark.faults

KILLS = env_int("C3PO_KILL_POINTS", 3)  # the 50: C3PO_KILL_POINTS=50
# The kill points run as independent chains (each its own tenant and state), so test workers
# share them rather than one worker running all fifty in a row.
CHAINS = max(1, min(5, KILLS))
CLI = Path(sys.executable).with_name("c3po-sync")


def _cmd(env) -> list[str]:
    return [str(CLI), "run", "nightly", "--config", str(env.config),
            "--today", env.today.isoformat()]  # fmt: skip


@pytest.mark.parametrize("chain", range(CHAINS))
def test_killed_runs_end_like_an_uninterrupted_run(make_env, chain: int) -> None:
    clean = make_env("clean")
    t0 = time.perf_counter()
    subprocess.run(_cmd(clean), check=True, capture_output=True, timeout=300)
    duration = time.perf_counter() - t0
    subprocess.run(_cmd(clean), check=True, capture_output=True, timeout=300)
    expected = end_state(clean)

    rng = random.Random(2024 + chain)
    env = make_env("killed")
    for _ in range(-(-KILLS // CHAINS)):
        proc = subprocess.Popen(_cmd(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    final = subprocess.run(_cmd(env), capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stdout[-2000:] + final.stderr[-2000:]
    subprocess.run(_cmd(env), check=True, capture_output=True, timeout=300)
    assert duplicate_keys(env.tenant) == {}
    state = end_state(env)
    assert state["findings"] == expected["findings"]
    assert state["canonical"] == expected["canonical"]
    assert state["hub"] == expected["hub"]
    # No killed run is left "running": the next run found its process gone (issue 11).
    from c3po_sync.config.settings import load_settings
    from c3po_sync.state.store import StateStore

    with StateStore(load_settings(env.config).resolved_state_url) as store:
        outcomes = [r["outcome"] for r in store.runs(limit=1000)]
    assert "running" not in outcomes, outcomes

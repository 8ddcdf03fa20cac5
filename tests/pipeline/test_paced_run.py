"""A first run paced to a small resource-unit budget is never refused (issue 16).

The sandbox's budget mode charges SharePoint's published costs per request and per `$batch`
operation and answers 429 once a minute's units are spent. The run's pacer and the sandbox
share one fake clock, so minutes pass without the test waiting for them.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import c3po_sync.wiring as wiring
from c3po_sync.config.settings import load_settings
from c3po_sync.m365.pacing import ResourcePacer
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.sandbox.budget import ResourceBudget
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
BUDGET = 150  # resource units per minute: the demo's first run needs several minutes of it


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@pytest.mark.slow
def test_first_run_paced_to_a_small_budget_gets_no_429(tmp_path: Path, monkeypatch) -> None:
    clock = FakeClock()
    pacers: list[ResourcePacer] = []

    def pacer(units_per_minute: int) -> ResourcePacer:
        assert units_per_minute == 1200  # the configured default reaches the pacer
        made = ResourcePacer(BUDGET, clock=clock, sleep=clock.sleep)
        pacers.append(made)
        return made

    monkeypatch.setattr(wiring, "ResourcePacer", pacer)
    budget = ResourceBudget(BUDGET, clock=clock)
    with SandboxServer(load_demo_tenant(), port=0, budget=budget) as server:
        monkeypatch.setenv("C3PO_SANDBOX_URL", server.url)
        monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
        monkeypatch.setenv("C3PO_OUTPUT_DIR", str(tmp_path / "out"))
        inputs = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG), today=DEMO_ANCHOR)
        result = wiring.run_prepared(inputs)

    assert result.outcome == "ok"
    assert server.stats.faults["budget"] == 0  # never refused
    assert 429 not in server.stats.statuses
    [paced] = pacers
    # The run's estimate is what the sandbox charged, unit for unit, and is reported.
    assert result.resource_units == paced.units == budget.spent
    assert budget.spent > 2 * BUDGET  # it did need more than two minutes' worth
    # and waited for them instead of being throttled (fake-clock seconds: no real time passes,
    # nothing here is timed; the bench measures speed)
    assert paced.waited_s > 60

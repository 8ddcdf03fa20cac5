"""A new day's rollup holds and reads no more than it needs (issue 16): the evaluation is let go
once the compliance matrix is made, not held while the workbook is saved (the 4x peak); the
findings are read once per run, not again for the deltas; the hub lists' plans share one
fingerprint of the run's inputs. Counted on the demo tenant, never timed."""

from __future__ import annotations

import gc
import weakref
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline import hub_plan, runner
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.pipeline.steps import rollup
from c3po_sync.sandbox.demo import DEMO_ANCHOR
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"


def _run(day=DEMO_ANCHOR) -> RunResult:
    inputs = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG), today=day)
    return run_prepared(inputs)


@pytest.mark.slow
def test_a_new_day_rollup_lets_the_evaluation_go_and_reads_findings_once(
    demo_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    _server, tenant = demo_env
    assert _run().outcome == "ok"
    # A status changed in a source: a second snapshot, so the new day has deltas to show.
    projects = tenant.sites["/sites/ppm-community"].list_by_title("Projects")
    projects.update_item(1, {"Status": "Yellow"})
    assert _run().outcome == "ok"
    seen: dict[str, Any] = {"evaluation": None, "alive_at_save": None, "reads": 0,
                            "held": None, "fingerprints": 0}  # fmt: skip

    real_matrix = rollup.compliance_matrix

    def matrix(evaluation: Any, *a: Any, **kw: Any) -> Any:
        seen["evaluation"] = weakref.ref(evaluation)
        return real_matrix(evaluation, *a, **kw)

    real_save = rollup.save_rollup

    def save(*a: Any, **kw: Any) -> Any:
        gc.collect()
        seen["alive_at_save"] = seen["evaluation"]() is not None
        return real_save(*a, **kw)

    real_findings = StateStore.findings
    in_rollup = {"on": False}

    def findings(self: StateStore, *a: Any, **kw: Any) -> Any:
        seen["reads"] += in_rollup["on"]
        return real_findings(self, *a, **kw)

    real_step = runner.STEPS["rollup"]

    def step(ctx: Any) -> None:
        seen["held"] = ctx.history is not None  # read by an earlier step (the hub lists)
        in_rollup["on"] = True
        try:
            real_step(ctx)
        finally:
            in_rollup["on"] = False

    real_fingerprint = hub_plan.inputs_fingerprint

    def fingerprint(inputs: Any) -> str:
        seen["fingerprints"] += 1
        return real_fingerprint(inputs)

    monkeypatch.setattr(rollup, "compliance_matrix", matrix)
    monkeypatch.setattr(rollup, "save_rollup", save)
    monkeypatch.setattr(StateStore, "findings", findings)
    monkeypatch.setitem(runner.STEPS, "rollup", step)
    monkeypatch.setattr(hub_plan, "inputs_fingerprint", fingerprint)

    new_day = _run(DEMO_ANCHOR + timedelta(days=1))

    assert new_day.outcome == "ok" and new_day.workbook is not None
    assert seen["evaluation"] is not None  # the matrix was made from this run's evaluation
    assert seen["alive_at_save"] is False  # ...and it was gone when the workbook was saved
    assert seen["reads"] == (0 if seen["held"] else 1)  # the deltas reuse the run's findings
    assert seen["fingerprints"] == 1  # one for the four hub lists' plans

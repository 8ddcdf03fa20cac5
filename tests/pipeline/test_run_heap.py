"""A run that loads the stored tables moves its heap out of the cyclic garbage collector's
scans until the run ends (pipeline/context.py, ``RunContext.current_tables``).

Issue 16: on a new day at city size the rollup's full collections re-scanned everything the
run held. Checked by the collector's own count of frozen objects, not by a
clock: frozen while the later steps run, handed back when the run ends, even a failed one.
"""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline import runner
from c3po_sync.pipeline.ports import in_memory_ports
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.runner import JobRunner
from c3po_sync.sandbox.demo import DEMO_ANCHOR
from c3po_sync.state.store import StateStore
from tests.rules import project, tenant

ROOT = Path(__file__).resolve().parents[2]


def test_the_heap_is_frozen_after_the_tables_load_and_thawed_at_the_run_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    config = ROOT / "config" / "sandbox.yaml"
    inputs = prepare_run(config, "nightly", settings=load_settings(config), today=DEMO_ANCHOR)
    seen: list[int] = []

    def later_step(ctx) -> None:  # type: ignore[no-untyped-def]
        ctx.current_tables()
        seen.append(gc.get_freeze_count())
        raise RuntimeError("a step failed after the load")

    steps = dict.fromkeys(inputs.job.ordered_steps, later_step)
    monkeypatch.setattr(runner, "STEPS", steps)
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store:
        store.save_snapshot(1, tenant([project("P1")]), at=datetime(2026, 11, 1, tzinfo=UTC))
        gc.unfreeze()  # whatever an earlier test in this process left
        with pytest.raises(RuntimeError, match="a step failed"):
            JobRunner(inputs, in_memory_ports([]), store).run()
    assert seen and seen[0] > 0  # frozen for the steps after the load
    assert gc.get_freeze_count() == 0  # handed back when the run ended

"""Runs a job's steps in pipeline order and records the run, whatever happens."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from c3po_sync.config.jobs import Step
from c3po_sync.pipeline.context import RunContext, RunInputs
from c3po_sync.pipeline.failures import RunLevelError
from c3po_sync.pipeline.ports import Ports
from c3po_sync.pipeline.result import RunResult
from c3po_sync.pipeline.steps.council_report import run_council_report
from c3po_sync.pipeline.steps.evaluate import run_evaluate
from c3po_sync.pipeline.steps.intake import run_intake
from c3po_sync.pipeline.steps.notify import run_notify
from c3po_sync.pipeline.steps.rollup import run_rollup
from c3po_sync.pipeline.steps.sync import run_sync
from c3po_sync.pipeline.steps.write_lists import run_write_lists
from c3po_sync.state.store import StateStore

__all__ = ["JobRunner", "RunInputs"]

log = logging.getLogger(__name__)

STEPS: dict[Step, Callable[[RunContext], None]] = {
    "sync": run_sync,
    "evaluate": run_evaluate,
    "write_lists": run_write_lists,
    "intake": run_intake,
    "rollup": run_rollup,
    "council_report": run_council_report,
    "notify": run_notify,
}


def step_counts(step: str, result: RunResult) -> str:
    """What a step did, in a few figures: for progress lines and the scheduler's log."""
    if step == "sync":
        failed = f", {len(result.failed_sources)} failed" if result.failed_sources else ""
        return f"{result.items_read} items from {len(result.sources)} sources{failed}"
    if step == "evaluate":
        open_ = sum(result.findings_by_recommendation.values())
        return (
            f"{open_} open findings ({result.opened} opened, {result.resolved} resolved, "
            f"{result.reopened} re-opened)"
        )
    if step == "write_lists":
        writes = sum(w.writes for w in result.writes)
        return f"{len(result.writes)} hub lists, {writes} row writes"
    if step == "intake":
        return result.intake.describe() if result.intake is not None else "no intake list"
    if step == "notify":
        sent = sum(1 for d in result.digests if d.state in ("sent", "would send"))
        return f"{sent} digest(s), {len(result.digests) - sent} not delivered"
    if step in ("rollup", "council_report"):
        if result.workbook:
            return f"workbook {Path(result.workbook).name}"
        # A dry run builds the workbook and saves nothing: say so, as its summary does.
        would = [p for p in result.planned if p.startswith("would save workbook: ")]
        if would:
            return f"would save workbook {Path(would[-1].split(': ', 1)[1]).name} (dry run)"
        return "no workbook"
    return "done"


class JobRunner:
    """One job run over the given ports and state store."""

    def __init__(self, inputs: RunInputs, ports: Ports, store: StateStore) -> None:
        self.inputs = inputs
        self.ports = ports
        self.store = store

    def run(self) -> RunResult:
        job = self.inputs.job
        self.store.mark_dead_runs()  # a run killed earlier is "died", never left "running"
        run_id = self.store.start_run(job.id, self.inputs.trigger)
        result = RunResult(run_id=run_id, job=job.id, dry_run=self.inputs.dry_run)
        ctx = RunContext(self.inputs, self.ports, self.store, result)
        try:
            for step in job.ordered_steps:
                if self.inputs.should_stop():
                    # A step is never cut in half: stop between steps and say where.
                    result.outcome = "interrupted"
                    result.error = f"shutdown requested; stopped before step {step}"
                    log.warning("run %s interrupted before step %s", run_id, step)
                    break
                log.info("run %s: step %s", run_id, step)
                started = time.monotonic()
                STEPS[step](ctx)
                log.info(
                    "run %s: step %s done in %.2fs: %s",
                    run_id,
                    step,
                    time.monotonic() - started,
                    step_counts(step, result),
                )
            else:
                result.outcome = "partial" if result.failed_sources else "ok"
        except RunLevelError as e:
            # Tenant, token or hub: nothing about the data is known, nothing is recorded as a
            # fact; the caller reports it with its own exit code.
            result.outcome = "failed"
            result.failure = e.kind
            result.error = str(e)
            log.error("run %s failed: %s", run_id, e)
        except Exception as e:
            result.outcome = "failed"
            result.error = f"{type(e).__name__}: {e}"
            log.exception("run %s failed", run_id)
            raise
        except BaseException as e:  # KeyboardInterrupt/SystemExit inside a step
            result.outcome = "interrupted"
            result.error = f"{type(e).__name__} during the run"
            raise
        finally:
            ctx.close()
            result.requests = self.ports.request_count()
            result.resource_units = self.ports.unit_count()
            self.store.finish_run(run_id, result.outcome, result.counts(), result.error)
        return result

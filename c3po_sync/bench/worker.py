"""One benchmark row in its own process, so CPU seconds and peak memory are that row's alone."""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from c3po_sync.pipeline import runner


def _timed_steps(timings: dict[str, float]) -> None:
    """Wraps each pipeline step to record its wall time (the bench's own process only)."""
    for name, fn in list(runner.STEPS.items()):

        def timed(ctx: Any, _fn: Any = fn, _name: str = name) -> None:
            t0 = time.perf_counter()
            try:
                _fn(ctx)
            finally:
                timings[_name] = timings.get(_name, 0.0) + time.perf_counter() - t0

        runner.STEPS[name] = timed


def run_product(config: Path, job: str, today: date) -> dict[str, Any]:
    from c3po_sync.config.settings import load_settings
    from c3po_sync.pipeline.prepare import prepare_run
    from c3po_sync.pipeline.steps import sync as sync_step
    from c3po_sync.wiring import run_prepared

    _start()
    timings: dict[str, float] = {}
    _timed_steps(timings)
    normalize = sync_step.normalize

    def timed_normalize(*a: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return normalize(*a, **kw)
        finally:
            timings["normalize"] = time.perf_counter() - t0

    sync_step.normalize = timed_normalize
    inputs = prepare_run(config, job, settings=load_settings(config), today=today)
    result = run_prepared(inputs)
    return {
        "outcome": result.outcome,
        "error": result.error,
        "items_read": result.items_read,
        "tables": result.tables,
        "client_requests": result.requests,
        "writes": {w.list_title: w.writes for w in result.writes},
        "failed_sources": [s.source for s in result.failed_sources],
        "steps": timings,
    }


def run_baseline(config: Path, today: date) -> dict[str, Any]:
    from c3po_sync.m365.naive_baseline import run_naive_job

    _start()
    return run_naive_job(config, today)


_MARK: dict[str, Any] = {}


def _start() -> None:
    """Starts the clocks once the imports are done: a row measures its work, not Python's start."""
    _MARK["t0"] = time.perf_counter()
    _MARK["ru"] = resource.getrusage(resource.RUSAGE_SELF)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--job", default="nightly", help="a job id, or 'baseline'")
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args(argv)
    if args.job == "baseline":
        out = run_baseline(args.config, args.today)
    else:
        out = run_product(args.config, args.job, args.today)
    wall = time.perf_counter() - _MARK["t0"]
    after, before = resource.getrusage(resource.RUSAGE_SELF), _MARK["ru"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out.update(wall_s=wall, cpu_s=cpu, peak_rss_mb=after.ru_maxrss / 1024)
    sys.stdout.write("BENCH-RESULT " + json.dumps(out, default=str) + "\n")


if __name__ == "__main__":
    main()

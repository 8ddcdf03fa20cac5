"""One benchmark row in its own process, so CPU seconds and peak memory are that row's alone.

``--serve`` keeps one interpreter with the imports done and forks a child per row: the child's
CPU counters start at zero (fork resets them), and no row pays Python's start-up again.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import traceback
from datetime import date
from pathlib import Path
from typing import Any

from c3po_sync.pipeline import runner


def _timed_steps(
    timings: dict[str, float],
    peaks: dict[str, float] | None = None,
    cpus: dict[str, float] | None = None,
) -> None:
    """Wraps each pipeline step to record its wall time (the bench's own process only) and,
    in ``peaks``, the process's peak memory (MB) once the step is done: the step after which
    it grew is the one that set it."""
    for name, fn in list(runner.STEPS.items()):

        def timed(ctx: Any, _fn: Any = fn, _name: str = name) -> None:
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                _fn(ctx)
            finally:
                timings[_name] = timings.get(_name, 0.0) + time.perf_counter() - t0
                if cpus is not None:  # the step's own CPU (its wall time waits on the server)
                    cpus[_name] = cpus.get(_name, 0.0) + time.process_time() - c0
                if peaks is not None:
                    peaks[_name] = _peak_mb()

        runner.STEPS[name] = timed


def run_product(config: Path, job: str, today: date) -> dict[str, Any]:
    from c3po_sync.config.settings import load_settings
    from c3po_sync.pipeline.prepare import prepare_run
    from c3po_sync.pipeline.steps import sync as sync_step
    from c3po_sync.wiring import run_prepared

    _start()
    timings: dict[str, float] = {}
    peaks: dict[str, float] = {"start": _peak_mb()}
    cpus: dict[str, float] = {}
    _timed_steps(timings, peaks, cpus)
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
        "client_units": result.resource_units,
        "skipped": result.skipped,
        "writes": {w.list_title: w.writes for w in result.writes},
        "failed_sources": [s.source for s in result.failed_sources],
        "steps": timings,
        "step_peak_mb": peaks,
        "step_cpu_s": cpus,
    }


def run_baseline(
    config: Path, today: date, *, write: bool = True, fair: bool = False
) -> dict[str, Any]:
    from c3po_sync.m365.naive_baseline import run_naive_job

    _start()
    return run_naive_job(config, today, write=write, fair=fair)


_MARK: dict[str, Any] = {}


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


BASELINE_JOBS = ("baseline", "baseline-read", "fair-baseline", "fair-baseline-read")


def _start() -> None:
    """Starts the clocks once the imports are done: a row measures its work, not Python's start."""
    _MARK["t0"] = time.perf_counter()
    _MARK["ru"] = resource.getrusage(resource.RUSAGE_SELF)


def run_row(config: Path, job: str, today: date) -> None:
    """Runs one row in this process and prints its figures on one ``BENCH-RESULT`` line."""
    if job in BASELINE_JOBS:
        out = run_baseline(
            config, today, write=not job.endswith("-read"), fair=job.startswith("fair")
        )
    else:
        out = run_product(config, job, today)
    wall = time.perf_counter() - _MARK["t0"]
    after, before = resource.getrusage(resource.RUSAGE_SELF), _MARK["ru"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out.update(wall_s=wall, cpu_s=cpu, peak_rss_mb=after.ru_maxrss / 1024)
    sys.stdout.write("BENCH-RESULT " + json.dumps(out, default=str) + "\n")
    sys.stdout.flush()


def _preload() -> None:
    """Imports what every row needs, so forked rows start warm (and the parent stays idle)."""
    import c3po_sync.m365.naive_baseline  # noqa: F401
    import c3po_sync.pipeline.steps.rollup  # noqa: F401
    import c3po_sync.wiring  # noqa: F401
    from c3po_sync.config.settings import load_settings  # noqa: F401
    from c3po_sync.pipeline.prepare import prepare_run  # noqa: F401


def serve() -> None:
    """Reads one JSON request a line from stdin, forks a child per request, reports its end.

    The server process has no threads, so forking it is safe; each child exits after its row.
    """
    _preload()
    sys.stdout.write("BENCH-READY\n")
    sys.stdout.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                run_row(Path(req["config"]), req["job"], date.fromisoformat(req["today"]))
            except BaseException:
                traceback.print_exc(file=sys.stderr)
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(f"BENCH-EXIT {os.waitstatus_to_exitcode(status)}\n")
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", action="store_true", help="fork a row per stdin line")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--job", default="nightly", help="a job id, 'baseline' or 'baseline-read'")
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args(argv)
    if args.serve:
        serve()
    elif args.config is None:
        parser.error("--config is required without --serve")
    else:
        run_row(args.config, args.job, args.today)


if __name__ == "__main__":
    main()

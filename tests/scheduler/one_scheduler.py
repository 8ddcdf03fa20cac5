"""One scheduler process for test_shared_job_store: `c3po-sync schedule`'s serve() with its
jobs firing every second (cron_trigger patched) and a job function that records each run."""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from pathlib import Path

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.triggers.cron import CronTrigger

from c3po_sync.config.jobs import load_jobs
from c3po_sync.config.settings import load_settings
from c3po_sync.scheduler import service
from c3po_sync.scheduler.claims import ClaimingExecutor


def record(config_path: str, job_id: str) -> str:
    """Appends "time pid settings-file" for each run (O_APPEND: one line per write)."""
    with open(os.environ["C3PO_TEST_FIRES"], "a") as f:
        f.write(f"{time.time():.3f} {os.getpid()} {config_path}\n")
    time.sleep(0.2)  # a run takes a while: the other scheduler wakes meanwhile
    return "ok"


def log_fire_times() -> None:
    """Appends "fire-time pid" for each fire time this scheduler submits once claimed: the test
    judges "each fire time once" on the scheduled times, not on when the runs happened."""
    submit = ClaimingExecutor._do_submit_job

    def logged(self: ClaimingExecutor, job: object, run_times: list[datetime]) -> object:
        with open(os.environ["C3PO_TEST_FIRES"] + ".times", "a") as f:
            f.writelines(f"{t.isoformat()} {os.getpid()}\n" for t in run_times)
        return submit(self, job, run_times)

    ClaimingExecutor._do_submit_job = logged  # type: ignore[method-assign]


def slow_link() -> None:
    """Job-store writes take 0.3 s, as over a slow link to the database: a scheduler that
    wakes meanwhile still finds the fire time due. Schedulers sharing a store then overlap
    every time, not only on the rare tie, which is what the claims must absorb."""
    update = SQLAlchemyJobStore.update_job

    def slow_update(self: SQLAlchemyJobStore, job: object) -> None:
        time.sleep(0.3)
        update(self, job)

    SQLAlchemyJobStore.update_job = slow_update  # type: ignore[method-assign]


def main() -> None:
    config = Path(sys.argv[1])
    settings = load_settings(config)
    jobs = load_jobs(settings.resolve(settings.jobs_dir))
    service.cron_trigger = lambda schedule, where="": CronTrigger(second="*", timezone="UTC")
    service.JOB_FUNC = "one_scheduler:record"
    slow_link()
    log_fire_times()
    service.serve(settings, config, jobs, ready=lambda: print("ready", flush=True))


if __name__ == "__main__":
    main()

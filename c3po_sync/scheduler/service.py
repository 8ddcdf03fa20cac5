"""APScheduler wiring: jobs/*.yaml into a persistent job store, locked runs, clean shutdown."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import make_url

from c3po_sync.config.errors import ConfigError
from c3po_sync.config.jobs import Job, Schedule
from c3po_sync.config.settings import Settings
from c3po_sync.pipeline.context import RunInputs
from c3po_sync.pipeline.result import RunResult
from c3po_sync.private_files import private_sqlite
from c3po_sync.scheduler.claims import ClaimingExecutor
from c3po_sync.scheduler.cron import crontab_trigger
from c3po_sync.scheduler.lock import JobLock, JobLockedError, create_once, lock_engine

log = logging.getLogger(__name__)

JOB_FUNC = "c3po_sync.scheduler.service:run_scheduled"
# Set by SIGTERM/SIGINT; runs poll it between steps and stop cleanly.
STOP = threading.Event()


def cron_trigger(schedule: Schedule, where: str = "schedule.cron") -> CronTrigger:
    """The job's cron trigger; a bad expression or zone is a config error naming the key."""
    try:
        return crontab_trigger(schedule.cron, schedule.timezone)
    except (ValueError, KeyError) as e:
        raise ConfigError(
            where, "schedule", f"{e} (expected 5 crontab fields and an IANA zone)"
        ) from None


def next_run_time(job: Job, now: datetime | None = None) -> datetime | None:
    """When the job next fires, from its cron trigger; None for a manual-only job."""
    if job.schedule is None:
        return None
    trigger = cron_trigger(job.schedule, f"jobs/{job.id}.yaml")
    now = now or datetime.now(trigger.timezone)
    return trigger.get_next_fire_time(None, now)


def job_store_url(settings: Settings) -> str:
    return settings.resolved_job_store_url


def _engine_options(url: str) -> dict[str, Any]:
    if make_url(url).get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True}


def run_locked(inputs: RunInputs) -> RunResult:
    """Runs a job under its database lock; raises JobLockedError if it is already running."""
    from c3po_sync.wiring import run_prepared  # the adapters are chosen at the edge

    if inputs.dry_run:  # writes nothing, so it needs no lock (and must not write one)
        return run_prepared(inputs)
    settings = inputs.settings
    engine = lock_engine(settings.resolved_lock_url)
    try:
        with JobLock(engine, inputs.job.id, ttl=settings.scheduler.lock_ttl_seconds):
            return run_prepared(inputs)
    finally:
        engine.dispose()


def run_scheduled(config_path: str, job_id: str) -> str:
    """What the job store calls (by textual reference, so only strings are persisted)."""
    from c3po_sync.pipeline.prepare import prepare_run

    if STOP.is_set():
        log.warning("job %s: not started, shutdown in progress", job_id)
        return "skipped"
    log.info("job %s: started (scheduled)", job_id)
    started = time.monotonic()
    try:
        inputs = prepare_run(Path(config_path), job_id, trigger="schedule")
    except ConfigError as e:
        log.error("job %s: not run, configuration error: %s", job_id, e)
        return "failed"
    inputs.should_stop = STOP.is_set
    try:
        result = run_locked(inputs)
    except JobLockedError as e:
        log.warning("job %s: %s; this run is skipped", job_id, e)
        return "skipped"
    except Exception:
        log.exception("job %s: failed after %.1fs", job_id, time.monotonic() - started)
        raise
    level = logging.INFO if result.outcome == "ok" else logging.WARNING
    log.log(level, "job %s run %s: %s in %.1fs; %s", job_id, result.run_id, result.outcome,
            time.monotonic() - started, run_counts(result))  # fmt: skip
    return result.outcome


def run_counts(result: RunResult) -> str:
    """A finished run in one line of figures, for the service log (journalctl)."""
    parts = [
        f"{result.items_read} items from {len(result.sources)} sources",
        f"{len(result.failed_sources)} failed" if result.failed_sources else "",
        f"{sum(result.findings_by_recommendation.values())} open findings "
        f"({result.opened} opened, {result.resolved} resolved, {result.reopened} re-opened)",
        f"{sum(w.writes for w in result.writes)} row writes",
        f"{result.requests} requests",
        f"workbook {Path(result.workbook).name}" if result.workbook else "",
        f"error: {result.error}" if result.error else "",
    ]
    return "; ".join(p for p in parts if p)


def build_scheduler(
    settings: Settings,
    config_path: Path,
    jobs: dict[str, Job],
    *,
    scheduler_cls: type[BaseScheduler] = BlockingScheduler,
) -> BaseScheduler:
    """A scheduler over the persistent job store, its jobs replaced from ``jobs``.

    Edits to jobs/*.yaml apply on the next start. A job whose trigger did not change keeps the
    next run time stored before the restart, so a run missed while the scheduler was down is
    handled by the job's misfire grace and coalescing, not silently skipped.
    """
    url = private_sqlite(job_store_url(settings))
    store = SQLAlchemyJobStore(url=url, engine_options=_engine_options(url))
    # A job store shared by schedulers on several hosts holds the settings path of whichever
    # wrote the job last; each scheduler runs the jobs with its own.
    own_args = {JOB_FUNC: str(Path(config_path).resolve())}
    claims = ClaimingExecutor(
        lock_engine(settings.resolved_lock_url), settings.scheduler.max_workers, own_args
    )
    scheduler = scheduler_cls(
        jobstores={"default": store},
        executors={"default": claims},
        job_defaults={"max_instances": 1},
        timezone=settings.time_zone,
    )
    # start() creates the job table if missing: so the stored jobs can be read before start()
    create_once(lambda: store.start(scheduler, "default"))
    try:
        existing = {j.id: j for j in store.get_all_jobs()}
    except Exception as e:  # an unreadable job store row: rebuild it from jobs/
        log.warning("job store %s unreadable (%s); jobs re-created from jobs/", url, e)
        store.remove_all_jobs()
        existing = {}
    for job_id in set(existing) - {j.id for j in jobs.values() if j.schedule}:
        store.remove_job(job_id)
        log.info("job %s removed from the schedule (no longer in jobs/ or no schedule)", job_id)
    for job in jobs.values():
        if job.schedule is None:
            continue
        trigger = cron_trigger(job.schedule, f"jobs/{job.id}.yaml")
        kwargs: dict[str, Any] = {}
        old = existing.get(job.id)
        if old is not None and _same_trigger(old.trigger, trigger):
            kwargs["next_run_time"] = old.next_run_time
        scheduler.add_job(
            JOB_FUNC,
            trigger=trigger,
            args=[str(Path(config_path).resolve()), job.id],
            id=job.id,
            name=job.description or job.id,
            misfire_grace_time=job.schedule.misfire_grace_seconds,
            coalesce=job.schedule.coalesce,
            max_instances=1,
            replace_existing=True,
            **kwargs,
        )
    return scheduler


def _same_trigger(a: Any, b: CronTrigger) -> bool:
    return str(a) == str(b) and str(getattr(a, "timezone", "")) == str(b.timezone)


def install_stop_handlers(on_stop: Callable[[], None] | None = None) -> None:
    """SIGTERM/SIGINT set STOP (the running step finishes, the run is recorded interrupted)."""

    def handler(signum: int, _frame: object) -> None:
        if STOP.is_set():
            return
        log.warning(
            "signal %s: stopping; the running step finishes first",
            signal.Signals(signum).name,
        )
        STOP.set()
        if on_stop is not None:
            on_stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def _shutdown_when_started(scheduler: BaseScheduler, patience_s: float = 30.0) -> None:
    """Shuts the scheduler down, waiting for the running job; a SIGTERM that arrives while
    it is still starting waits for start() (shutdown() before it would be lost, and start()
    would then run forever)."""
    deadline = time.monotonic() + patience_s
    while not scheduler.running and time.monotonic() < deadline:
        time.sleep(0.05)
    if scheduler.running:
        scheduler.shutdown(wait=True)


def serve(
    settings: Settings,
    config_path: Path,
    jobs: dict[str, Job],
    ready: Callable[[], None] | None = None,
) -> None:
    """Runs the scheduler in the foreground until SIGTERM/SIGINT.

    ``ready`` is called once SIGTERM is handled: a "running" message printed earlier would
    invite a SIGTERM that kills the process instead of stopping it cleanly.
    """
    scheduler = build_scheduler(settings, config_path, jobs)
    stoppers: list[threading.Thread] = []

    def stop() -> None:
        # shutdown(wait=True) waits for the running job; not from the signal handler itself,
        # which may have interrupted a thread holding a scheduler lock.
        t = threading.Thread(target=_shutdown_when_started, args=(scheduler,), name="shutdown")
        t.start()
        stoppers.append(t)

    install_stop_handlers(stop)
    if ready is not None:
        ready()
    log.info("scheduler started: %s", ", ".join(j.id for j in jobs.values() if j.schedule))
    scheduler.start()
    for t in stoppers:
        t.join()
    log.info("scheduler stopped")

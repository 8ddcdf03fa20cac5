"""Loads and cross-checks every file a run needs, so a config error fails before any request."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from c3po_sync.config.errors import ConfigError
from c3po_sync.config.jobs import Job, load_jobs
from c3po_sync.config.settings import Settings, load_settings
from c3po_sync.normalize import load_mappings
from c3po_sync.pipeline.context import RunInputs
from c3po_sync.rules import RulesConfig, load_rules_config


def load_job_by_id(settings: Settings, job_id: str) -> Job:
    jobs_dir = settings.resolve(settings.jobs_dir)
    jobs = load_jobs(jobs_dir)
    if job_id not in jobs:
        known = ", ".join(sorted(jobs)) or "none"
        raise ConfigError(jobs_dir, job_id, f"no such job; jobs defined: {known}")
    return jobs[job_id]


def check_retention(settings: Settings, rules: RulesConfig) -> None:
    """The change log must cover the rules' reporting window: the council report compares the
    portfolio with the start of its period, and R7/R8 judge changes within it."""
    days, window = settings.retention.history_days, rules.reporting_window_days
    if days is not None and days < max(window, settings.retention.snapshot_days):
        raise ConfigError(
            settings.source_file or "settings",
            "retention.history_days",
            f"{days} is shorter than the rules' reporting_window_days ({window}) or "
            f"retention.snapshot_days ({settings.retention.snapshot_days}): raise it to at "
            f"least {max(window, settings.retention.snapshot_days)} or remove it (keep all)",
        )


def prepare_run(
    config: Path,
    job_id: str,
    *,
    today: date | None = None,
    trigger: str = "manual",
    dry_run: bool = False,
    settings: Settings | None = None,
) -> RunInputs:
    """Everything validated: settings, the job, the mappings and the rules."""
    settings = settings or load_settings(config)
    job = load_job_by_id(settings, job_id)
    if "notify" in job.steps and settings.notify is None:
        raise ConfigError(
            settings.source_file or config,
            "notify",
            f"job {job.id!r} has the notify step but the settings have no notify section "
            "(channel, sender or webhook_url)",
        )
    mappings = load_mappings(settings.resolve(settings.mappings_dir))
    rules = load_rules_config(settings.resolve(settings.rules_file))
    check_retention(settings, rules)
    return RunInputs(
        job=job,
        settings=settings,
        mappings=mappings,
        rules=rules,
        # The site's date, not the machine's: one clock per run (RunInputs.as_of).
        today=today or datetime.now(ZoneInfo(settings.time_zone)).date(),
        trigger=trigger,
        dry_run=dry_run,
    )

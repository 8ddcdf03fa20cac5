"""`c3po-sync schedule`: run jobs/*.yaml on their cron schedules until SIGTERM."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()


def register(app: typer.Typer) -> None:
    app.command("schedule")(schedule)


def schedule(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Settings file, e.g. config/city.yaml.")
    ] = Path("config/sandbox.yaml"),
) -> None:
    """Run the jobs in jobs/ on their schedules, in the foreground, until SIGTERM or Ctrl-C.

    Schedules persist in the state database (or scheduler.job_store_url), so a restart keeps
    them and a run missed while stopped is handled by the job's misfire grace and coalescing.
    A job never runs twice at once, across processes too. On SIGTERM the running step
    finishes and its run is recorded as interrupted.

    Example: c3po-sync schedule --config config/city.yaml
    """
    from c3po_sync.cli.shell import _config_errors, _fail_config, _load_settings
    from c3po_sync.config.jobs import load_jobs
    from c3po_sync.scheduler.service import next_run_time, serve

    try:
        s = _load_settings(config)
        # A service logs each job's start, end, counts and outcome (journalctl shows a
        # healthy service), at the settings' logging.level unless --verbose asks for more.
        _raise_console_level(s.logging.level)
        jobs = load_jobs(s.resolve(s.jobs_dir))
        for j in jobs.values():
            if j.schedule:
                console.print(f"{j.id}: {j.schedule.cron} ({j.schedule.timezone}), "
                              f"next {next_run_time(j):%a %Y-%m-%d %H:%M %Z}")  # fmt: skip
    except _config_errors() as e:
        raise _fail_config(e) from None
    serve(
        s,
        config,
        jobs,
        ready=lambda: console.print(
            "scheduler running; SIGTERM or Ctrl-C stops it after the running step"
        ),
    )
    console.print("scheduler stopped")


def _raise_console_level(level_name: str) -> None:
    import logging

    from c3po_sync.cli.shell import _LOG_STATE, _setup_logging

    if not _LOG_STATE["verbose"]:
        _setup_logging(
            False,
            bool(_LOG_STATE["json"]),
            _LOG_STATE["file"],  # type: ignore[arg-type]
            level=getattr(logging, level_name),
        )

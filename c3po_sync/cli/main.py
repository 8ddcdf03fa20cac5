"""The c3po-sync command line: a thin shell over the library."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from c3po_sync import __version__
from c3po_sync.cli.shell import (  # noqa: F401 (re-exported for the command modules)
    _LOG_STATE,
    DEFAULT_CONFIG,
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_UNREACHABLE,
    ConfigOpt,
    _App,
    _config_errors,
    _fail_config,
    _load_settings,
    _print_json,
    _setup_logging,
    console,
    err,
    exit_code_for_error,
)
from c3po_sync.cli.summary import render_result

app = _App(
    help="C3PO Sync: SharePoint project portfolios checked against the City's 2019 IT audit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"c3po-sync {__version__}", highlight=False)
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    log_json: Annotated[
        bool, typer.Option("--log-json", help="Log JSON lines instead of the human format.")
    ] = False,
    log_file: Annotated[
        Path | None, typer.Option("--log-file", help="Also write the log to this file.")
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of an unexpected error.")
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_version
        ),
    ] = False,
) -> None:
    """Exit codes: 0 ok, 1 findings over --fail-on-findings, 2 configuration error,
    3 partial failure (a source failed, or the run was interrupted), 4 total failure,
    5 tenant or hub unreachable or authentication refused (nothing recorded)."""
    _LOG_STATE["debug"] = debug
    _setup_logging(verbose, log_json, log_file)


@app.command()
def version() -> None:
    """Print the version.

    Example: c3po-sync version
    """
    console.print(__version__)


@app.command()
def validate(
    config: ConfigOpt = DEFAULT_CONFIG,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check settings, jobs, mappings and rules before anything runs (no request is sent).

    Every problem names the file, the key and how to fix it; secrets are masked.
    Exit code 2 if anything is wrong.

    Example: c3po-sync validate --config config/sandbox.yaml
    """
    from c3po_sync.cli.validate import validate_all

    report = validate_all(config)
    if as_json:
        _print_json(report.as_dict())
    else:
        report.render(console, err)
    if report.problems:
        raise typer.Exit(EXIT_CONFIG)


@app.command()
def run(
    job: Annotated[str, typer.Argument(help="Job id from jobs/, e.g. nightly.")],
    config: ConfigOpt = DEFAULT_CONFIG,
    dry_run: Annotated[bool, typer.Option(help="Plan the writes, write nothing.")] = False,
    today: Annotated[
        str | None, typer.Option(help="Evaluate as of this date (YYYY-MM-DD).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    fail_on_findings: Annotated[
        int | None,
        typer.Option(
            "--fail-on-findings", help="Exit 1 if more than N findings are open after the run."
        ),
    ] = None,
    adopt_history: Annotated[
        bool,
        typer.Option(
            "--adopt-history",
            help="After restoring an older state backup: adopt the findings history recorded "
            "on the hub (an empty state store always does).",
        ),
    ] = False,
) -> None:
    """Run one job now against the configured tenant (locked: never twice at once).

    SIGTERM or Ctrl-C lets the running step finish, then records the run as interrupted.
    Exit codes: 0 ok, 1 findings over --fail-on-findings, 2 config error, 3 partial or
    interrupted, 4 failed (or the job is already running elsewhere), 5 tenant or hub
    unreachable or authentication refused (no finding or snapshot recorded).

    Example: c3po-sync run nightly --config config/sandbox.yaml --fail-on-findings 50
    """
    from c3po_sync.cli.progress import StepProgress
    from c3po_sync.pipeline.prepare import prepare_run
    from c3po_sync.scheduler.lock import JobLockedError
    from c3po_sync.scheduler.service import STOP, install_stop_handlers, run_locked

    try:
        settings = _load_settings(config)
        inputs = prepare_run(
            config,
            job,
            settings=settings,
            today=date.fromisoformat(today) if today else None,
            dry_run=dry_run,
        )
    except _config_errors() as e:
        raise _fail_config(e) from None
    except ValueError as e:  # --today not a date
        raise _fail_config(f"--today: {e}") from None
    inputs.should_stop = STOP.is_set
    inputs.adopt_history = adopt_history
    install_stop_handlers()
    try:
        with StepProgress(err, enabled=not as_json, steps=inputs.job.ordered_steps):
            result = run_locked(inputs)
    except JobLockedError as e:
        err.print(f"[red]not run:[/red] {e}")
        raise typer.Exit(exit_code_for_error(e)) from None
    except Exception as e:
        if _LOG_STATE.get("debug"):
            raise
        from c3po_sync.logs import redact

        err.print(
            f"[red]run failed:[/red] {redact(f'{type(e).__name__}: {e}')} "
            "(--debug shows the traceback)"
        )
        raise typer.Exit(exit_code_for_error(e)) from None
    _report(result, as_json, fail_on_findings)


def exit_code_for(result, fail_on_findings: int | None = None) -> int:  # noqa: ANN001
    """The documented exit code for a finished run (docs/admin-guide.md, "Exit codes")."""
    if getattr(result, "failure", None):
        return EXIT_UNREACHABLE
    if result.outcome == "failed":
        return EXIT_FAILED
    if result.outcome in ("partial", "interrupted"):
        return EXIT_PARTIAL
    open_findings = sum(result.findings_by_recommendation.values())
    if fail_on_findings is not None and open_findings > fail_on_findings:
        return EXIT_FINDINGS
    return EXIT_OK


def _report(result, as_json: bool, fail_on_findings: int | None = None) -> None:  # noqa: ANN001
    code = exit_code_for(result, fail_on_findings)
    if as_json:
        payload = {
            "run_id": result.run_id,
            "job": result.job,
            "outcome": result.outcome,
            "exit_code": code,
            **result.counts(),
            "findings_by_recommendation": result.findings_by_recommendation,
            "workbook": str(result.workbook) if result.workbook else None,
            "uploaded_to": result.uploaded_to,
            "error": result.error,
            "failure": result.failure,
            "dry_run": result.dry_run,
            "planned": result.planned,
            "errors": [s.error for s in result.failed_sources],
        }
        _print_json(payload)
    else:
        render_result(result, console)
        if code == EXIT_FINDINGS:
            err.print(f"[yellow]more than {fail_on_findings} open findings[/yellow] (exit 1)")
    if code != EXIT_OK:
        raise typer.Exit(code)


@app.command()
def runs(
    config: ConfigOpt = DEFAULT_CONFIG,
    limit: Annotated[int, typer.Option(help="How many runs, newest first.")] = 20,
    job: Annotated[str | None, typer.Option(help="Only this job's runs.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show run history: job, trigger, start, end, outcome, counts and error of every run.

    Example: c3po-sync runs --limit 5 --json
    """
    from c3po_sync.logs import redact
    from c3po_sync.state.store import StateStore

    try:
        s = _load_settings(config)
    except _config_errors() as e:
        raise _fail_config(e) from None
    with StateStore(s.resolved_state_url) as store:
        rows = store.runs(limit if job is None else max(limit * 20, 200))
    if job is not None:
        rows = [r for r in rows if r["job"] == job][:limit]
    if as_json:
        _print_json(rows)
        return
    if not rows:
        where = redact(s.resolved_state_url.removeprefix("sqlite:///"))
        which = f"of job {job!r} " if job else ""
        console.print(
            f"no run {which}recorded yet in {where}: `c3po-sync run nightly` (or `make demo`) "
            "records the first.",
            markup=False,
            highlight=False,
        )
        return
    t = Table(title="Runs")
    for col in ("run", "job", "trigger", "started", "finished", "outcome", "items", "error"):
        t.add_column(col)
    for r in rows:
        t.add_row(
            str(r["run_id"]),
            r["job"],
            r["trigger"],
            f"{r['started_at']:%Y-%m-%d %H:%M:%S}",
            f"{r['finished_at']:%Y-%m-%d %H:%M:%S}" if r["finished_at"] else "",
            r["outcome"],
            str(r["counts"].get("items_read", "")),
            escape(redact(r["error"] or "")[:80]),
        )
    console.print(t)


@app.command()
def jobs(
    config: ConfigOpt = DEFAULT_CONFIG,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the jobs defined in jobs/ with their schedules and next run times.

    Example: c3po-sync jobs --json
    """
    from c3po_sync.config.jobs import load_jobs
    from c3po_sync.scheduler.service import next_run_time

    try:
        s = _load_settings(config)
        defined = load_jobs(s.resolve(s.jobs_dir))
        rows: list[dict[str, Any]] = [
            {
                "job": j.id,
                "steps": j.ordered_steps,
                "cron": j.schedule.cron if j.schedule else None,
                "timezone": j.schedule.timezone if j.schedule else None,
                "misfire_grace_seconds": j.schedule.misfire_grace_seconds if j.schedule else None,
                "coalesce": j.schedule.coalesce if j.schedule else None,
                "next_run": next_run_time(j),
                "description": j.description,
            }
            for j in defined.values()
        ]
    except _config_errors() as e:
        raise _fail_config(e) from None
    if as_json:
        _print_json(rows)
        return
    t = Table(title="Jobs")
    for col in ("job", "steps", "schedule", "time zone", "next run"):
        t.add_column(col)
    for r in rows:
        t.add_row(
            r["job"],
            ", ".join(r["steps"]),
            r["cron"] or "manual",
            r["timezone"] or "",
            f"{r['next_run']:%a %Y-%m-%d %H:%M %Z}" if r["next_run"] else "",
        )
    console.print(t)


# Commands that live in their own modules register themselves here, one line each.
# (add `from c3po_sync.cli import cmd_<name>` and `cmd_<name>.register(app)` below)
from c3po_sync.cli import cmd_sandbox  # noqa: E402

cmd_sandbox.register(app)
from c3po_sync.cli import cmd_auth  # noqa: E402

cmd_auth.register(app)
from c3po_sync.cli import cmd_schedule  # noqa: E402

cmd_schedule.register(app)
from c3po_sync.cli import cmd_provision  # noqa: E402

cmd_provision.register(app)
from c3po_sync.cli import cmd_report  # noqa: E402

cmd_report.register(app)
from c3po_sync.cli import cmd_bench  # noqa: E402

cmd_bench.register(app)
from c3po_sync.cli import cmd_quarantine  # noqa: E402

cmd_quarantine.register(app)
from c3po_sync.cli import cmd_demo  # noqa: E402

cmd_demo.register(app)
from c3po_sync.cli import cmd_init  # noqa: E402

cmd_init.register(app)
from c3po_sync.cli import cmd_findings  # noqa: E402

cmd_findings.register(app)
from c3po_sync.cli import cmd_audit_report  # noqa: E402

cmd_audit_report.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

"""`c3po-sync report audit`: the compliance matrix and findings as a printable HTML or PDF."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

EXIT_CONFIG, EXIT_FAILED = 2, 4

report_app = typer.Typer(
    help="Printable reports from the state store.", no_args_is_help=True, add_completion=False
)


@report_app.command("audit")
def audit(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Settings file, e.g. config/sandbox.yaml.")
    ] = Path("config/sandbox.yaml"),
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML report here.")] = None,
    pdf: Annotated[
        Path | None,
        typer.Option("--pdf", help="Write a PDF here (needs LibreOffice's soffice on PATH)."),
    ] = None,
    run: Annotated[
        int | None, typer.Option("--run", help="Report this run's evaluation (default: newest).")
    ] = None,
) -> None:
    """The auditor's report: per project and audit recommendation, complies, finding open since,
    resolved on, not applicable or not checked; then every finding per recommendation with its
    first seen, resolved and re-opened dates, in the audit's own words. Without --html or --pdf
    the HTML goes to standard output.

    Example: c3po-sync report audit --html audit.html --pdf audit.pdf
    """
    from zoneinfo import ZoneInfo

    from c3po_sync.config.errors import ConfigError
    from c3po_sync.config.settings import load_settings
    from c3po_sync.logs import redact
    from c3po_sync.pipeline.carry import load_stale, stale_projects
    from c3po_sync.rules.matrix import compliance_matrix
    from c3po_sync.sinks.audit_pdf import PdfUnavailableError, build_audit_workbook, to_pdf
    from c3po_sync.sinks.audit_report import render_audit_html
    from c3po_sync.state import timeline
    from c3po_sync.state.store import RunNotFoundError, StateStore

    err = Console(stderr=True)

    def fail(message: str, code: int = EXIT_CONFIG) -> typer.Exit:
        err.print(f"[red]error:[/red] {escape(redact(message))}", highlight=False, soft_wrap=True)
        return typer.Exit(code)

    try:
        s = load_settings(config)
    except ConfigError as e:
        raise fail(f"configuration error: {e}") from None
    tz = ZoneInfo(s.time_zone)
    with StateStore(s.resolved_state_url) as store:
        evaluated = store.latest_evaluation_run(upto_run=run)
        if evaluated is None or (run is not None and evaluated != run):
            which = f"run {run}" if run is not None else "any run"
            raise fail(
                f"no rule evaluation stored for {which} in the state store: run a job with "
                "the 'evaluate' step first (e.g. c3po-sync run nightly)",
                EXIT_FAILED,
            )
        evaluation = store.load_evaluation(evaluated)
        findings = store.findings()
        snap = store.latest_snapshot_run(before_run=evaluated + 1)
        if snap is None:
            raise fail(f"no snapshot of the projects for run {evaluated}", EXIT_FAILED)
        try:
            tables = store.load_snapshot(snap)
            as_of = timeline.snapshot_saved_at(store, snap).astimezone(tz)
        except RunNotFoundError as e:
            raise fail(str(e), EXIT_FAILED) from None
        # projects kept from a source the newest sync could not read say so (issue 11)
        marks = {k: v.note() for k, v in stale_projects(tables, load_stale(store)).items()}
    projects = tables.projects
    matrix = compliance_matrix(evaluation, findings, projects, tz=tz)
    text = render_audit_html(
        matrix, findings, as_of=as_of, run_id=evaluated, tz=tz, not_reread=marks
    )
    if html is None and pdf is None:
        sys.stdout.write(text)
        return
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(text, encoding="utf-8")
        err.print(f"audit report (HTML): {escape(str(html))}", highlight=False)
    if pdf is not None:
        try:
            book = build_audit_workbook(
                matrix, findings, as_of=as_of, run_id=evaluated, tz=tz, not_reread=marks
            )
            to_pdf(book, pdf)
        except PdfUnavailableError as e:
            raise fail(str(e), EXIT_FAILED) from None
        err.print(f"audit report (PDF): {escape(str(pdf))}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")

"""`c3po-sync deltas`: what changed between two runs or since a date (council report, rec 9)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

EXIT_CONFIG, EXIT_FAILED = 2, 4


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def register(app: typer.Typer) -> None:
    @app.command()
    def deltas(
        config: Annotated[
            Path, typer.Option("--config", "-c", help="Settings file, e.g. config/sandbox.yaml.")
        ] = Path("config/sandbox.yaml"),
        since_run: Annotated[
            int | None, typer.Option("--since-run", help="Baseline run id (its snapshot).")
        ] = None,
        since: Annotated[
            str | None,
            typer.Option(help="Baseline date YYYY-MM-DD: the last snapshot before that day."),
        ] = None,
        to_run: Annotated[
            int | None, typer.Option("--to-run", help="End run id; default the newest snapshot.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
    ) -> None:
        """Show what changed for the council: new and removed projects, phase, status, budget and
        date changes, findings opened and resolved. Without --since-run or --since, the baseline
        is the last council report (else the previous run).

        Example: c3po-sync deltas --since 2026-09-01
        """
        from zoneinfo import ZoneInfo

        from c3po_sync.config.errors import ConfigError
        from c3po_sync.config.settings import load_settings
        from c3po_sync.pipeline.steps.council_report import DeltaRangeError, deltas_between
        from c3po_sync.state.store import StateStore

        err = Console(stderr=True)
        if since_run is not None and since is not None:
            err.print("[red]give --since-run or --since, not both[/red]")
            raise typer.Exit(EXIT_CONFIG)
        day: date | None = None
        if since is not None:
            try:
                day = datetime.strptime(since, "%Y-%m-%d").date()
            except ValueError:
                err.print(f"[red]--since {since!r}: expected YYYY-MM-DD, e.g. 2026-09-01[/red]")
                raise typer.Exit(EXIT_CONFIG) from None
        try:
            s = load_settings(config)
        except ConfigError as e:
            err.print(f"[red]{e}[/red]")
            raise typer.Exit(EXIT_CONFIG) from None
        with StateStore(s.resolved_state_url) as store:
            try:
                frame, base, to = deltas_between(
                    store, since_run=since_run, since=day, to_run=to_run,
                    tz=ZoneInfo(s.time_zone),
                )  # fmt: skip
            except DeltaRangeError as e:
                err.print(f"[red]{e}[/red]")
                raise typer.Exit(EXIT_FAILED) from None
        console = Console()
        if as_json:
            for rec in frame.to_dict("records"):
                typer.echo(json.dumps({"from_run": base, "to_run": to, **rec}, default=str))
            return
        t = Table(title=f"{len(frame)} change(s) from run {base} to run {to}")
        for col in ("project_key", "change", "before", "after"):
            t.add_column(col, overflow="fold")
        for r in frame.itertuples(index=False):
            t.add_row(_text(r.project_key), r.change, _text(r.before), _text(r.after))
        console.print(t)

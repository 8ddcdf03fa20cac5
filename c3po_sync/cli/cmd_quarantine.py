"""`c3po-sync quarantine`: the values a run could not use, grouped by column to fix at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

EXIT_CONFIG, EXIT_FAILED = 2, 4


def register(app: typer.Typer) -> None:
    @app.command()
    def quarantine(
        config: Annotated[
            Path, typer.Option("--config", "-c", help="Settings file, e.g. config/sandbox.yaml.")
        ] = Path("config/sandbox.yaml"),
        run: Annotated[
            int | None, typer.Option("--run", help="Run id (its snapshot); default the newest.")
        ] = None,
        site: Annotated[
            str | None, typer.Option(help="Only this site, e.g. /sites/ppm-finance.")
        ] = None,
        list_title: Annotated[str | None, typer.Option("--list", help="Only this list.")] = None,
        detail: Annotated[
            bool, typer.Option("--detail", help="One line per value instead of per column.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
    ) -> None:
        """Show quarantined values grouped by site, list, column and problem, with counts, the
        item ids and an example, from a run's snapshot.

        Example: c3po-sync quarantine --site /sites/ppm-finance
        """
        from c3po_sync.config.errors import ConfigError
        from c3po_sync.config.settings import load_settings
        from c3po_sync.normalize.quarantine import group_by_column, sort_for_fixing
        from c3po_sync.state.store import StateStore

        err = Console(stderr=True)
        try:
            s = load_settings(config)
        except ConfigError as e:
            err.print(f"[red]{escape(str(e))}[/red]")
            raise typer.Exit(EXIT_CONFIG) from None
        with StateStore(s.resolved_state_url) as store:
            run_id = run if run is not None else store.latest_snapshot_run()
            if run_id is None:
                err.print("[red]no run with a snapshot yet; run a job first[/red]")
                raise typer.Exit(EXIT_FAILED)
            try:
                q = store.load_snapshot(run_id).quarantine
            except (KeyError, LookupError) as e:
                err.print(f"[red]run {run_id}: {escape(str(e))}[/red]")
                raise typer.Exit(EXIT_FAILED) from None
        if site is not None:
            q = q[q["source_site"].str.casefold() == site.rstrip("/").casefold()]
        if list_title is not None:
            q = q[q["source_list"].str.casefold() == list_title.casefold()]
        frame = sort_for_fixing(q) if detail else group_by_column(q)
        if as_json:
            for rec in frame.to_dict("records"):
                typer.echo(json.dumps({"run": run_id, **rec}, default=str, ensure_ascii=False))
            return
        console = Console()
        title = f"run {run_id}: {len(q)} value(s) quarantined"
        t = Table(title=title)
        if detail:
            shown = [
                "source_site",
                "source_list",
                "column",
                "source_item_id",
                "raw_value",
                "reason",
            ]
        else:
            shown = ["source_site", "source_list", "column", "problem", "count", "items"]
            shown += ["example_value", "example_reason"]
        for col in shown:
            t.add_column(col.removeprefix("source_"), overflow="fold")
        for rec in frame.to_dict("records"):
            t.add_row(*(escape("" if rec[c] is None else str(rec[c])) for c in shown))
        console.print(t)

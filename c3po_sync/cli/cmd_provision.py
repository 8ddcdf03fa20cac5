"""`c3po-sync provision`: create the hub's consolidated lists and their missing columns."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

EXIT_CONFIG, EXIT_FAILED = 2, 4


def _split(change: str) -> tuple[str, str]:
    """'add column X (Text, ...)' -> ('add column', 'X (Text, ...)')."""
    for verb in ("create list", "add column", "index column"):
        if change.startswith(verb):
            return verb, change[len(verb) :].strip()
    return change, ""


def provision_table(plan: dict[str, list[str]], *, dry_run: bool) -> Table:
    """One row per change, grouped by list; a list with nothing to do says so."""
    title = "Planned changes (dry run: nothing written)" if dry_run else "Changes made"
    table = Table(title=title, show_edge=False)
    table.add_column("list")
    table.add_column("action")
    table.add_column("detail")
    for list_title, changes in plan.items():
        if not changes:
            table.add_row(list_title, "[green]up to date[/green]", "")
        for i, change in enumerate(changes):
            action, detail = _split(change)
            table.add_row(list_title if i == 0 else "", action, detail)
    return table


def register(app: typer.Typer) -> None:
    @app.command()
    def provision(
        config: Annotated[
            Path, typer.Option("--config", "-c", help="Settings file, e.g. config/sandbox.yaml.")
        ] = Path("config/sandbox.yaml"),
        dry_run: Annotated[
            bool, typer.Option(help="Show what would be created; change nothing.")
        ] = False,
    ) -> None:
        """Create the consolidated lists on the hub site and any missing columns, key indexed.

        Existing columns are never changed; columns a PPM added are left alone.

        Example: c3po-sync provision --config config/sandbox.yaml --dry-run
        """
        from c3po_sync.config.errors import ConfigError
        from c3po_sync.config.settings import load_settings
        from c3po_sync.sinks.hub_lists import HUB_LISTS
        from c3po_sync.sinks.intake_list import INTAKE
        from c3po_sync.wiring import SharePointPorts

        console, err = Console(), Console(stderr=True)
        try:
            settings = load_settings(config)
        except ConfigError as e:
            err.print(f"[red]configuration error:[/red] {e}")
            raise typer.Exit(EXIT_CONFIG) from None
        ports = SharePointPorts(settings)
        sink = ports.ports().list_sink
        plan: dict[str, list[str]] = {}
        try:
            for spec in (*HUB_LISTS, INTAKE):
                plan[spec.title] = sink.ensure_list(spec, dry_run=dry_run)
        except Exception as e:
            if plan:
                console.print(provision_table(plan, dry_run=dry_run))
            err.print(f"[red]provision failed:[/red] {type(e).__name__}: {e}")
            raise typer.Exit(EXIT_FAILED) from None
        console.print(f"hub site: {settings.tenant.base_url}{settings.hub_site}")
        console.print(provision_table(plan, dry_run=dry_run))
        total = sum(len(c) for c in plan.values())
        if not total:
            console.print("nothing to change: every list and column is in place")
        elif dry_run:
            console.print(f"{total} change(s) planned; run without --dry-run to apply them")
        else:
            console.print(f"{total} change(s) made; {ports.requests_sent()} requests")

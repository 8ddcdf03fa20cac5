"""`c3po-sync deltas`: what changed between two runs or since a date (council report, rec 9)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from c3po_sync.state.store import StateStore

EXIT_CONFIG, EXIT_FAILED = 2, 4


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def _young_install_baseline(
    store: StateStore, since_run: int | None, day: date | None, to_run: int | None, tz: ZoneInfo
) -> tuple[int | None, date | None, str | None]:
    """On an install younger than the baseline asked for, what to compare instead.

    Returns (since_run, since, note). With no run at all, or only one, there is nothing to
    compare: the note says so and both baselines are None. With ``since`` before the first
    run, the first run becomes the baseline and the note says so. Otherwise nothing changes.
    """
    from c3po_sync.state import timeline

    where = _where(store)
    to = to_run if to_run is not None else store.latest_snapshot_run()
    if since_run is not None:
        return since_run, day, None
    if to is None:
        return (
            None,
            None,
            (
                f"no run recorded yet in {where}: nothing to compare. "
                "`c3po-sync run nightly` (or `make demo`) records the first."
            ),
        )
    # `to` is a snapshot run, so an oldest one exists; `to` itself if it is the only one.
    first = timeline.oldest_snapshot_run(store) or to
    first_day = f"{timeline.snapshot_saved_at(store, first):%Y-%m-%d}"
    if day is not None and timeline.snapshot_run_before(store, day, tz) is None:
        note = f"no run before {day} in {where}: the first run is run {first} ({first_day})"
        if first >= to:
            return None, None, f"{note}, the only one so far: nothing to compare yet."
        return first, None, f"{note}; showing what changed from run {first} to run {to} instead."
    if day is None and first >= to and not timeline.bookmark(store, timeline.LAST_COUNCIL_REPORT):
        return (
            None,
            None,
            (
                f"only one run so far in {where} (run {first}, {first_day}): nothing to compare "
                "yet; the next run will show what changed."
            ),
        )
    return None, day, None


def _where(store: StateStore) -> str:
    from c3po_sync.logs import redact

    return redact(store.url.removeprefix("sqlite:///"))


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
            tz = ZoneInfo(s.time_zone)
            since_run, day, young = _young_install_baseline(store, since_run, day, to_run, tz)
            if young is not None:
                (err if as_json else Console()).print(young, markup=False, highlight=False)
            if since_run is None and day is None and young is not None:
                return  # nothing to compare yet: a sentence, not an error (exit 0)
            try:
                frame, base, to = deltas_between(
                    store, since_run=since_run, since=day, to_run=to_run, tz=tz
                )
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

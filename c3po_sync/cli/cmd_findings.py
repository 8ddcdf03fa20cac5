"""`c3po-sync findings`: the auditor's list of findings, open and resolved, with their dates.

Output is a table on a terminal, JSON Lines (``--json``: one object a line, ISO 8601 dates or
null) or CSV (``--csv``) for spreadsheets and scripts. A filter value that matches nothing the
store has ever recorded is an error that lists the valid values, because an empty answer to a
misspelt PPM looks exactly like a clean bill of health.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from c3po_sync.errors import C3POError

EXIT_CONFIG = 2
STATUSES = ("open", "resolved", "all")
# The columns of --json and --csv, in order; dates are ISO 8601 (UTC) or null/empty.
COLUMNS = (
    "finding_id", "recommendation", "rule_id", "severity", "status", "project_key",
    "entity_kind", "entity_key", "ppm", "portfolio", "first_seen", "resolved_at",
    "reopened_at", "times_reopened", "last_seen", "message", "source_url",
)  # fmt: skip
_DATES = ("first_seen", "resolved_at", "reopened_at", "last_seen")
_SHOWN_VALID = 25  # how many valid values an error lists before "and N more"


class FilterValueError(C3POError, ValueError):
    """A filter value that matches no recorded finding; the message lists the valid ones."""


def sort_findings(frame: pd.DataFrame) -> pd.DataFrame:
    """Recommendation as a number (0, 4, 10 — never 0, 10, 4), then project, then finding id."""
    if frame.empty:
        return frame
    rec = pd.to_numeric(frame["recommendation"], errors="coerce")
    keyed = frame.assign(_rec=rec, _proj=frame["project_key"].fillna("").astype(str))
    keyed = keyed.sort_values(["_rec", "_proj", "finding_id"], kind="stable", na_position="last")
    return keyed.drop(columns=["_rec", "_proj"]).reset_index(drop=True)


def _valid_list(values: list[str]) -> str:
    shown = ", ".join(values[:_SHOWN_VALID])
    more = len(values) - _SHOWN_VALID
    return shown + (f" and {more} more" if more > 0 else "") if values else "(none recorded)"


def apply_filters(
    frame: pd.DataFrame, known_recs: list[int], filters: dict[str, Any]
) -> pd.DataFrame:
    """Narrows ``frame`` by each given filter; raises FilterValueError for an unknown value.

    Valid values are the recommendations the rules know and, for text filters, every value the
    findings history holds (open or resolved), compared without regard to letter case.
    """
    rec = filters.get("recommendation")
    if rec is not None:
        if rec not in known_recs:
            raise FilterValueError(
                f"--rec {rec}: no such audit recommendation; valid: "
                + ", ".join(str(r) for r in known_recs)
            )
        frame = frame[pd.to_numeric(frame["recommendation"], errors="coerce") == rec]
    options = {"ppm": "--ppm", "portfolio": "--portfolio", "project_key": "--project"}
    for col, option in options.items():
        value = filters.get(col)
        if value is None:
            continue
        have = frame[col].dropna().astype(str)
        all_values = sorted(set(filters["_all"][col].dropna().astype(str)), key=str.casefold)
        if value.casefold() not in {v.casefold() for v in all_values}:
            raise FilterValueError(
                f"{option} {value!r}: no finding was ever recorded for it; valid: "
                + _valid_list(all_values)
            )
        frame = frame[have.reindex(frame.index).fillna("").str.casefold() == value.casefold()]
    return frame


def _iso(value: Any) -> str | None:
    if value is None or (not isinstance(value, str | list) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().isoformat()
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Plain JSON-able rows in COLUMNS order: NA is None, dates ISO strings, counts ints."""
    out = []
    for row in frame.reindex(columns=list(COLUMNS)).astype(object).to_dict("records"):
        rec: dict[str, Any] = {}
        for col in COLUMNS:
            v = row[col]
            if col in _DATES:
                rec[col] = _iso(v)
            elif v is None or (not isinstance(v, str) and pd.isna(v)):
                rec[col] = None
            elif col in ("recommendation", "times_reopened"):
                rec[col] = int(v)
            else:
                rec[col] = str(v)
        out.append(rec)
    return out


def write_jsonl(rows: list[dict[str, Any]], out: Any) -> None:
    from c3po_sync.logs import redact

    for rec in rows:
        out.write(redact(json.dumps(rec, ensure_ascii=False)) + "\n")


def write_csv(rows: list[dict[str, Any]], out: Any) -> None:
    """RFC 4180 CSV (every field with a comma, quote or line break is quoted)."""
    from c3po_sync.logs import redact

    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for rec in rows:
        w.writerow(["" if rec[c] is None else redact(str(rec[c])) for c in COLUMNS])


def _day(value: Any) -> str:
    iso = _iso(value)
    return iso[:10] if iso else ""


def register(app: typer.Typer) -> None:
    @app.command()
    def findings(
        config: Annotated[
            Path, typer.Option("--config", "-c", help="Settings file, e.g. config/sandbox.yaml.")
        ] = Path("config/sandbox.yaml"),
        status: Annotated[
            str, typer.Option(help="open, resolved or all (open and resolved).")
        ] = "open",
        recommendation: Annotated[
            int | None, typer.Option("--rec", help="Audit recommendation 1-10 (0: data quality).")
        ] = None,
        portfolio: Annotated[str | None, typer.Option(help="Portfolio name.")] = None,
        ppm: Annotated[str | None, typer.Option(help="PPM e-mail.")] = None,
        project: Annotated[str | None, typer.Option(help="Project key.")] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="JSON Lines: one finding a line, ISO dates or null.")
        ] = False,
        as_csv: Annotated[bool, typer.Option("--csv", help="CSV with a header row.")] = False,
    ) -> None:
        """List findings from the state store with first seen, resolved and re-opened dates.

        Unknown filter values are errors (exit 2) that list the valid ones.

        Example: c3po-sync findings --status all --rec 7 --ppm maria.lopez@sanjoseca.gov --csv
        """
        from c3po_sync.config.errors import ConfigError
        from c3po_sync.config.settings import load_settings
        from c3po_sync.logs import redact
        from c3po_sync.rules import all_rules
        from c3po_sync.state.store import StateStore

        err = Console(stderr=True)

        def fail(message: str) -> typer.Exit:
            err.print(
                f"[red]error:[/red] {escape(redact(message))}", highlight=False, soft_wrap=True
            )
            return typer.Exit(EXIT_CONFIG)

        if status not in STATUSES:
            raise fail(f"--status {status!r}: valid: {', '.join(STATUSES)}")
        if as_json and as_csv:
            raise fail("give --json or --csv, not both")
        try:
            s = load_settings(config)
        except ConfigError as e:
            raise fail(f"configuration error: {e}") from None
        with StateStore(s.resolved_state_url) as store:
            every = store.findings()
        if every.empty:  # a young install: nothing to filter, and no filter value is wrong yet
            if not (as_json or as_csv):
                Console().print(
                    f"0 findings: no finding recorded yet in {redact(s.resolved_state_url)}; "
                    "run a job first (c3po-sync run nightly)",
                    highlight=False,
                    soft_wrap=True,
                )
            return
        frame = every if status == "all" else every[every["status"] == status]
        known_recs = sorted({r.recommendation for r in all_rules()})
        wanted = {
            "recommendation": recommendation,
            "ppm": ppm,
            "portfolio": portfolio,
            "project_key": project,
            "_all": every,
        }
        try:
            frame = sort_findings(apply_filters(frame, known_recs, wanted))
        except FilterValueError as e:
            raise fail(str(e)) from None
        if as_json:
            write_jsonl(records(frame), sys.stdout)
            return
        if as_csv:
            write_csv(records(frame), sys.stdout)
            return
        word = "" if status == "all" else f" {status}"
        t = Table(title=f"{len(frame)}{word} finding(s)")
        rows = [
            {
                "rec": r.recommendation, "severity": r.severity, "status": r.status,
                "project": r.project_key, "ppm": r.ppm, "first seen": _day(r.first_seen),
                "resolved": _day(r.resolved_at), "re-opened": _day(r.reopened_at),
                "message": r.message,
            }
            for r in frame.itertuples(index=False)
        ]  # fmt: skip
        # A column that says the same thing on every row (one status; no resolved or re-opened
        # date) is left out, so the message keeps room on an 80-column terminal or a log.
        same = {"status"} if status != "all" else set()
        same |= {c for c in ("resolved", "re-opened") if not any(row[c] for row in rows)}
        for col in ("rec", "severity", "status", "project", "ppm"):
            if col not in same:
                t.add_column(col, overflow="fold")
        for col in ("first seen", "resolved", "re-opened"):  # dates never break mid-way
            if col not in same:
                t.add_column(col, no_wrap=True, min_width=10)
        # No min_width: rich keeps a column's minimum even past the console's width and then
        # crops the row, so at 80 columns (a pipe, a log) the message lost its right-hand words
        # with no ellipsis. The message takes what the other columns leave and wraps in it.
        t.add_column("message", overflow="fold", ratio=1)
        for row in rows:
            cells = [v for k, v in row.items() if k not in same]
            t.add_row(*(escape("" if pd.isna(c) else str(c)) for c in cells))
        Console().print(t)

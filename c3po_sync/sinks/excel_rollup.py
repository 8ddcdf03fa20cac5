"""The Excel rollup for the division manager and auditors: build, save and serialize it."""

from __future__ import annotations

import io
import logging
import os
import tempfile
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

from c3po_sync.errors import C3POError
from c3po_sync.model.schema import ASSETS, FINDINGS, PROJECTS, QUARANTINE
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules.config import RulesConfig
from c3po_sync.rules.engine import recommendations_not_checked
from c3po_sync.sinks import excel_data, excel_matrix, excel_sheets, excel_summary
from c3po_sync.sinks.excel_data import RECOMMENDATIONS, scorecard
from c3po_sync.sinks.excel_print import set_print
from c3po_sync.sinks.excel_safety import UnsafePathError, path_inside, safe_file_name
from c3po_sync.sinks.excel_stream import StreamedWorkbook, save_streamed

__all__ = [
    "RECOMMENDATIONS",
    "SHEETS",
    "RollupInputError",
    "UnsafePathError",
    "build_rollup",
    "rollup_bytes",
    "rollup_file_name",
    "save_rollup",
    "scorecard",
]

log = logging.getLogger(__name__)

SHEETS = (
    "Summary",
    "Portfolio",
    "Audit scorecard",
    excel_matrix.SHEET,
    "Findings",
    "Changes since last report",
    "PPM workload",
    "Assets",
    "Data quality",
)


DEFAULT_TITLE = "C3PO Rollup"
PRINTED_COLUMNS = {
    "Portfolio": excel_sheets.PORTFOLIO_PRINTED,
    "Findings": excel_sheets.FINDINGS_PRINTED,
    "Assets": excel_sheets.ASSETS_PRINTED,
}
"""Sheets with detail columns left to the screen: how many leading columns print."""


class RollupInputError(C3POError, ValueError):
    """A frame handed to the rollup lacks columns the canonical schema promises."""


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise RollupInputError(f"Excel rollup: {what} frame lacks columns {missing}")


def build_rollup(
    tables: CanonicalTables,
    findings: pd.DataFrame,
    *,
    today: date,
    run_info: Mapping[str, Any],
    previous_scores: Mapping[int, float] | None = None,
    changes: pd.DataFrame | None = None,
    not_reread: Mapping[str, str] | None = None,
    rules: RulesConfig | None = None,
    title: str = DEFAULT_TITLE,
    matrix: pd.DataFrame | None = None,
) -> Workbook:
    """Builds the rollup workbook from one run's canonical tables and findings.

    Args:
        tables: the run's canonical tables (documents are summarised, never listed).
        findings: FINDINGS columns plus optional history (first_seen, last_seen, resolved_at,
            status); rows without a resolution count as open.
        today: the report date; windows (30 days resolved, 12 months to end of support) use it.
        run_info: run_id, generated_at, sites_read, items_read (others are listed as given).
        previous_scores: the previous rollup's :func:`scorecard`, for the trend column.
        changes: deltas since the last report (project_key, change, before, after); None means
            there was no previous report.
        not_reread: project key -> "not re-read since <time>: <reason>" for projects kept
            from the last read of a source this run could not read.
        matrix: rules.matrix.compliance_matrix of the run's stored evaluation; None when no
            evaluation is stored (the sheet then says so).

    Every string from the data is written as literal text (never a formula); no cell in the
    workbook is a formula.
    """
    _require(tables.projects, PROJECTS.column_names, "projects")
    _require(tables.assets, ASSETS.column_names, "assets")
    _require(tables.quarantine, QUARANTINE.column_names, "quarantine")
    _require(tables.documents, ["project_key", "doc_type"], "documents")
    _require(findings, FINDINGS.column_names, "findings")
    if changes is not None:
        _require(changes, ["project_key", "change"], "changes")
    rules = rules or RulesConfig()
    state = excel_data.with_state(findings)
    open_f = excel_data.open_only(state)

    wb = StreamedWorkbook()  # table bodies become cells only as it is saved
    summary = wb.active
    summary.title = SHEETS[0]
    sheets = {name: wb.create_sheet(name) for name in SHEETS[1:]}
    stamp = excel_summary.generated_at(run_info)
    support = excel_data.support_status(tables.assets, today)  # for Summary and Assets
    excel_summary.summary_sheet(
        summary,
        tables,
        state,
        today=today,
        run_info=run_info,
        generated=stamp,
        rules=rules,
        title=title,
        support=support,
    )
    excel_sheets.portfolio_sheet(sheets["Portfolio"], tables, open_f, today, not_reread)
    excel_summary.scorecard_sheet(
        sheets["Audit scorecard"],
        excel_data.scorecard_counts(tables, state),
        previous_scores,
        recommendations_not_checked(rules),
    )
    excel_matrix.matrix_sheet(
        sheets[excel_matrix.SHEET],
        matrix,
        today=today,
        run_id=run_info.get("run_id"),
        not_reread=not_reread,
    )
    excel_sheets.findings_sheet(sheets["Findings"], state, today, tables.projects)
    excel_sheets.changes_sheet(sheets["Changes since last report"], changes, tables.projects)
    excel_sheets.workload_sheet(sheets["PPM workload"], tables.projects, open_f, rules)
    excel_sheets.assets_sheet(sheets["Assets"], tables.assets, today, tables.projects, support)
    excel_sheets.quarantine_sheet(sheets["Data quality"], tables.quarantine)

    report = f"{title} {today:%Y-%m-%d}"
    for ws in wb.worksheets:  # printed or converted to PDF: see excel_print
        set_print(
            ws, report_title=report, report_date=today, print_columns=PRINTED_COLUMNS.get(ws.title)
        )
    wb.properties.title = report
    wb.properties.creator = "C3PO Sync"
    wb.properties.created = wb.properties.modified = stamp
    log.info(
        "built rollup for %s: %d projects, %d findings (%d open), %d assets",
        today,
        len(tables.projects),
        len(state),
        len(open_f),
        len(tables.assets),
    )
    return wb


def rollup_file_name(today: date, prefix: str = "C3PO Rollup") -> str:
    """The file name for a day's rollup; the prefix is sanitized to one safe path component."""
    return f"{safe_file_name(prefix)} {today:%Y-%m-%d}.xlsx"


def save_rollup(wb: Workbook, out_dir: Path, *, today: date, prefix: str = "C3PO Rollup") -> Path:
    """Saves the rollup as ``out_dir / "<prefix> <today>.xlsx"`` and returns that path.

    A second run on the same day replaces that day's file: the rollup describes the state of
    the portfolio on a date, so the latest run is the right one and reruns stay idempotent. The
    file is written to a temporary name and renamed, so a killed run never leaves a torn file.

    Raises:
        UnsafePathError: the name would resolve outside ``out_dir`` (e.g. a symlink there).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = path_inside(out_dir, rollup_file_name(today, prefix))
    fd, tmp = tempfile.mkstemp(prefix=".rollup-", suffix=".xlsx", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            save_streamed(wb, fh)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("saved rollup to %s", target)
    return target


def rollup_bytes(wb: Workbook) -> bytes:
    """The workbook as .xlsx bytes, for uploading to a library without touching disk."""
    buf = io.BytesIO()
    save_streamed(wb, buf)
    return buf.getvalue()

"""The audit report as a PDF, through LibreOffice Calc.

The servers this runs on (and CI) carry LibreOffice without its Writer component
(``libreoffice-calc-nogui``), and Calc's HTML import ignores print CSS — it printed the HTML
report portrait with 4-character columns. So the PDF is rendered from a workbook with the same
content (summary in the audit's words, the matrix, every finding per recommendation) whose
page setup Calc honours: landscape, one page wide, header rows repeated, page X of Y.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from datetime import datetime, tzinfo
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from c3po_sync.errors import C3POError
from c3po_sync.rules.matrix import CELL_STATES, LEGEND
from c3po_sync.rules.recommendations import AUDIT, RECOMMENDATIONS
from c3po_sync.sinks.audit_report import local_day
from c3po_sync.sinks.excel_format import BOLD, FONT_NAME, TITLE_FONT
from c3po_sync.sinks.excel_matrix import matrix_sheet
from c3po_sync.sinks.excel_print import text_lines
from c3po_sync.sinks.excel_safety import set_text

SOFFICE_TIMEOUT_S = 180
_WRAP = Alignment(wrap_text=True, vertical="top")


class PdfUnavailableError(C3POError, RuntimeError):
    """LibreOffice (soffice) is not on PATH, or it failed to convert; the message says which."""


def _print_setup(ws: Worksheet, header_row: int, title: str) -> None:
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = f"{title} - page &P of &N"


def _table(
    ws: Worksheet, top: int, headers: list[str], widths: list[float], rows: list[list]
) -> int:
    """Writes a header and rows from ``top``; row heights fit their wrapped text."""
    for col, (text, width) in enumerate(zip(headers, widths, strict=True), start=1):
        set_text(ws.cell(row=top, column=col), text).font = BOLD
        ws.cell(row=top, column=col).alignment = _WRAP
        ws.column_dimensions[get_column_letter(col)].width = width
    for r, values in enumerate(rows, start=top + 1):
        tallest = 1
        for col, (value, width) in enumerate(zip(values, widths, strict=True), start=1):
            set_text(ws.cell(row=r, column=col), value).alignment = _WRAP
            tallest = max(tallest, text_lines(str(value or ""), width))
        ws.row_dimensions[r].height = 13 * tallest
    return top


def build_audit_workbook(
    matrix: pd.DataFrame,
    findings: pd.DataFrame,
    *,
    as_of: datetime,
    run_id: int | None,
    tz: tzinfo | None = None,
    not_reread: Mapping[str, str] | None = None,
) -> Workbook:
    """The report's content as a print-ready workbook (see the module docstring)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Audit report"
    title = f"Compliance with the {AUDIT}, as of {as_of:%Y-%m-%d}"
    set_text(ws.cell(row=1, column=1), title).font = TITLE_FONT
    set_text(ws.cell(row=2, column=1), f"Evaluated in run {run_id}.")
    row = 4
    set_text(ws.cell(row=row, column=1), "Legend").font = BOLD
    for state, meaning in LEGEND.items():
        row += 1
        set_text(ws.cell(row=row, column=2), state).font = BOLD
        set_text(ws.cell(row=row, column=3), meaning).alignment = _WRAP
        ws.row_dimensions[row].height = 13 * text_lines(meaning, 40)
    summary = []
    for n, rec in sorted(RECOMMENDATIONS.items()):
        states = matrix.loc[matrix["recommendation"] == n, "state"]
        summary.append([n, rec.finding, rec.solution, *((states == s).sum() for s in CELL_STATES)])
    header = _table(
        ws,
        row + 2,
        ["#", "Audit finding (the audit's words)", "Solution", *CELL_STATES],
        [4, 44, 40, *(11 for _ in CELL_STATES)],
        [[int(v) if not isinstance(v, str) else v for v in r] for r in summary],
    )
    _print_setup(ws, header, title)

    matrix_sheet(
        wb.create_sheet("Compliance matrix"),
        matrix,
        today=as_of.date(),
        run_id=run_id,
        not_reread=not_reread,
    )

    fs = wb.create_sheet("Findings")
    rows = []
    for n in sorted(RECOMMENDATIONS):
        mine = findings[findings["recommendation"] == n] if len(findings) else findings
        if mine.empty:
            rows.append(
                [n, RECOMMENDATIONS[n].short, "", "", "", "", "", "", "no finding recorded"]
            )
            continue
        for r in mine.sort_values(["status", "project_key", "finding_id"]).itertuples():
            who = r.entity_key if pd.isna(r.project_key) else r.project_key
            rows.append(
                [
                    n,
                    RECOMMENDATIONS[n].short,
                    r.status,
                    who,
                    None if pd.isna(r.ppm) else r.ppm,
                    local_day(r.first_seen, tz),
                    local_day(r.resolved_at, tz),
                    local_day(r.reopened_at, tz),
                    r.message,
                ]  # fmt: skip
            )
    set_text(fs.cell(row=1, column=1), "Findings by recommendation, open and resolved").font = Font(
        name=FONT_NAME, size=14, bold=True
    )
    header = _table(
        fs,
        3,
        [
            "#",
            "Recommendation",
            "Status",
            "Project",
            "PPM",
            "First seen",
            "Resolved",
            "Re-opened",
            "Finding",
        ],  # fmt: skip
        [4, 24, 9, 18, 24, 11, 11, 11, 60],
        rows,
    )
    _print_setup(fs, header, title)
    wb.properties.title = title
    wb.properties.creator = "C3PO Sync"
    return wb


def soffice() -> str | None:
    """The LibreOffice executable on PATH, if any."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(wb: Workbook, target: Path) -> Path:
    """Converts the workbook to a PDF at ``target`` with headless LibreOffice (own profile, so
    a user's running LibreOffice neither blocks nor is disturbed).

    Raises:
        PdfUnavailableError: soffice is not on PATH, failed, or wrote no PDF.
    """
    exe = soffice()
    if exe is None:
        raise PdfUnavailableError(
            "PDF needs LibreOffice: 'soffice' is not on PATH (install LibreOffice Calc, or "
            "write --html and print it from a browser)"
        )
    with tempfile.TemporaryDirectory(prefix="c3po-audit-") as tmp:
        src = Path(tmp) / "audit-report.xlsx"
        wb.save(src)
        cmd = [
            exe, f"-env:UserInstallation=file://{Path(tmp) / 'profile'}", "--headless",
            "--convert-to", "pdf", "--outdir", tmp, str(src),
        ]  # fmt: skip
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=SOFFICE_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfUnavailableError(f"soffice failed to convert the report: {exc}") from None
        out = Path(tmp) / "audit-report.pdf"
        if done.returncode != 0 or not out.exists():
            raise PdfUnavailableError(
                f"soffice exited {done.returncode} without a PDF: "
                f"{(done.stderr or done.stdout).strip()[:300]}"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, target)
    return target

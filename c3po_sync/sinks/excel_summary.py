"""The rollup's front sheets: the Summary (KPIs and charts) and the Audit scorecard."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import pandas as pd
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart.series import DataPoint
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from c3po_sync.model import domain, labels
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules.config import RulesConfig
from c3po_sync.rules.engine import recommendations_not_checked
from c3po_sync.sinks import excel_data as d
from c3po_sync.sinks.excel_format import (
    BOLD,
    CURRENCY,
    DATETIME,
    FONT_NAME,
    GREEN,
    GREY,
    INTEGER,
    LINK_FONT,
    PERCENT,
    POINTS,
    RED,
    Col,
    add_value_fills,
    write_table,
    write_title,
)
from c3po_sync.sinks.excel_safety import append_row, cell_value, safe_url

log = logging.getLogger(__name__)
NOT_CHECKED = "Not checked"
RIGHT = Alignment(horizontal="right")
INDENT = Alignment(horizontal="left", indent=1)

_RUN_LABELS = {
    "run_id": "Run id",
    "generated_at": "Generated at (UTC)",
    "sites_read": "Sites read",
    "items_read": "Items read",
    "job": "Job",
    "changes_since": "Changes since",
}
HEADER_FILL = PatternFill(start_color="DDEBF7", end_color="DDEBF7", fill_type="solid")
SECTION_FONT = Font(name=FONT_NAME, bold=True, size=12, color="1F4E78")
HEADER_BORDER = Border(bottom=Side(style="thin", color="1F4E78"))
STATUS_COLOURS = {"Green": "63BE7B", "Yellow": "FFD966", "Red": "F8696B"}


def generated_at(run_info: Mapping[str, Any]) -> datetime:
    """The run's timestamp as naive UTC (Excel has no time zones); now when not given."""
    value = run_info.get("generated_at")
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        log.warning("run_info generated_at %r is not a date-time; using now", value)
        ts = None
    if ts is None or ts is pd.NaT:
        return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime().replace(microsecond=0)


def _link_text(url: str) -> str:
    """A link's readable name: its page's file name, decoded, without the extension."""
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return name.rsplit(".", 1)[0] or url


def _run_value(value: Any) -> Any:
    if isinstance(value, list | tuple | set):
        return f"{len(value)}: " + "; ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def summary_sheet(
    ws: Worksheet,
    tables: CanonicalTables,
    findings: pd.DataFrame,
    *,
    today: date,
    run_info: Mapping[str, Any],
    generated: datetime,
    rules: RulesConfig,
    title: str,
    support: list[str] | None = None,
) -> None:
    """KPIs for the division manager, with a findings bar chart and a project-status pie.

    ``support``: each asset's ``excel_data.support_status`` when the caller has it (the
    Assets sheet lists it too)."""
    write_title(ws, title, "Portfolio at a glance; details on the other sheets.")
    append_row(ws, [])
    append_row(ws, ["Report date", today])[1].number_format = "yyyy-mm-dd"
    append_row(ws, ["Generated at (UTC)", generated])[1].number_format = DATETIME
    for key, label in _RUN_LABELS.items():
        if key != "generated_at" and key in run_info:
            append_row(ws, [label, _run_value(run_info[key])])[1].alignment = RIGHT
    link_widths = [0.0]
    for key in sorted(k for k in run_info if k not in _RUN_LABELS):
        label = str(key).replace("_", " ").strip().capitalize()
        url = safe_url(run_info[key])
        cell = append_row(ws, [label, _link_text(url) if url else _run_value(run_info[key])])[1]
        cell.alignment = RIGHT
        if url:  # e.g. the dashboard's page: its name, a link, not a clipped address
            cell.hyperlink, cell.font = url, LINK_FONT
            link_widths.append(len(str(cell.value)) + 2)  # a linked cell never wraps
    append_row(ws, [])

    p, a = tables.projects, tables.assets
    active = d.active(p, rules)
    budget = p["budget"].astype("Float64")
    open_f = d.open_only(findings)
    high = open_f["severity"].astype("string").str.lower().eq("high").fillna(False)
    cutoff = pd.Timestamp(today - timedelta(days=d.RESOLVED_WINDOW_DAYS))
    recent = (~findings["is_open"] & (findings["resolved_on"] >= cutoff).fillna(False)).sum()
    if support is None:
        support = d.support_status(a, today)
    support_states = pd.Series(support, dtype=object)
    kpis: list[tuple[str, Any, str]] = [
        ("Projects", len(p), INTEGER),
        ("Active projects", int(active.sum()), INTEGER),
        ("Budget under management (active projects)", _money(budget[active].sum()), CURRENCY),
        ("Total budget, all projects", _money(budget.sum()), CURRENCY),
        ("Open findings", len(open_f), INTEGER),
        ("High-severity open findings", int(high.sum()), INTEGER),
        (f"Findings resolved in the last {d.RESOLVED_WINDOW_DAYS} days", int(recent), INTEGER),
        ("Assets", len(a), INTEGER),
        (
            "Assets past end of support",
            int((support_states == "Past end of support").sum()),
            INTEGER,
        ),
        (
            "Assets ending support within 12 months",
            int((support_states == "Ends within 12 months").sum()),
            INTEGER,
        ),
        ("Documents archived", len(tables.documents), INTEGER),
        ("Quarantined values", len(tables.quarantine), INTEGER),
    ]
    append_row(ws, ["Key figures"])[0].font = SECTION_FONT
    for label, value, fmt in kpis:
        append_row(ws, [label, value])[1].number_format = fmt

    phase_rows = d.order_counts(p["phase"], d.PHASE_ORDER)
    p_first, p_last = _block(ws, "Projects by phase", ["Phase", "Projects"], phase_rows)
    status_rows = d.order_counts(p["status"], d.STATUS_ORDER)
    s_first, s_last = _block(ws, "Projects by status", ["Status", "Projects"], status_rows)
    for row in range(s_first, s_last + 1):
        colour = STATUS_COLOURS.get(str(ws.cell(row, 1).value))
        if colour:
            ws.cell(row, 1).fill = PatternFill(
                start_color=colour, end_color=colour, fill_type="solid"
            )
    rec_counts = pd.to_numeric(open_f["recommendation"], errors="coerce").value_counts()
    # A recommendation no rule checks has no count, not a count of 0 (the scorecard agrees).
    skipped = recommendations_not_checked(rules)
    rec_rows = [
        (f"R{r}", NOT_CHECKED if r in skipped else int(rec_counts.get(r, 0)), name)
        for r, name in d.RECOMMENDATIONS.items()
    ]
    rec_rows.append(("Data quality", int(rec_counts.get(d.DATA_QUALITY_REC, 0)), "Data quality"))
    r_first, r_last = _block(
        ws, "Open findings by recommendation", ["Recommendation", "Open findings", "Name"], rec_rows
    )
    for row in range(r_first - 1, r_last + 1):
        ws.cell(row, 3).alignment = INDENT
        if isinstance(ws.cell(row, 2).value, str) and row >= r_first:
            ws.cell(row, 2).alignment = RIGHT  # "Not checked" lines up with the counts
    _block(
        ws,
        "Documents by type",
        ["Document type", "Documents"],
        [
            (labels.doc_type_label(code), n)
            for code, n in d.order_counts(tables.documents["doc_type"], ())
        ],
    )
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = max(18, *link_widths)
    ws.column_dimensions["C"].width = 40
    ws.column_dimensions["D"].width = 3
    ws.sheet_view.showGridLines = False

    bar = BarChart()
    bar.type = "col"
    bar.title = "Open findings by audit recommendation"
    bar.y_axis.title = "Open findings"
    bar.legend = None
    bar.add_data(
        Reference(ws, min_col=2, min_row=r_first - 1, max_row=r_last), titles_from_data=True
    )
    bar.set_categories(Reference(ws, min_col=1, min_row=r_first, max_row=r_last))
    bar.height, bar.width = 7.5, 17
    bar.gapWidth = 60
    bar.y_axis.majorGridlines = None
    bar.y_axis.numFmt = "0"
    bar.y_axis.scaling.min = 0  # a count axis starts at zero, or bars mislead (issue 13)
    bar.x_axis.delete = False
    bar.y_axis.delete = False
    bar.series[0].graphicalProperties.solidFill = "2E75B6"
    ws.add_chart(bar, "E3")

    if p_last >= p_first:
        phases = BarChart()
        phases.type = "bar"
        phases.title = "Projects by phase"
        phases.legend = None
        phases.add_data(
            Reference(ws, min_col=2, min_row=p_first - 1, max_row=p_last), titles_from_data=True
        )
        phases.set_categories(Reference(ws, min_col=1, min_row=p_first, max_row=p_last))
        phases.x_axis.scaling.orientation = "maxMin"  # first phase on top, as in the table
        phases.x_axis.delete = False
        phases.y_axis.delete = False
        phases.y_axis.majorGridlines = None
        phases.y_axis.scaling.min = 0
        phases.y_axis.numFmt = "0"
        phases.series[0].graphicalProperties.solidFill = "5B9BD5"
        phases.gapWidth = 60
        phases.height, phases.width = 7.5, 8.5
        ws.add_chart(phases, "E20")

    if s_last >= s_first:  # a chart with no series makes Excel "repair" the file
        pie = PieChart()
        pie.title = "Projects by status"
        pie.add_data(
            Reference(ws, min_col=2, min_row=s_first - 1, max_row=s_last), titles_from_data=True
        )
        pie.set_categories(Reference(ws, min_col=1, min_row=s_first, max_row=s_last))
        for i, row in enumerate(range(s_first, s_last + 1)):
            colour = STATUS_COLOURS.get(str(ws.cell(row, 1).value), "BFBFBF")
            point = DataPoint(idx=i)
            point.graphicalProperties.solidFill = colour
            pie.series[0].dPt.append(point)
        pie.height, pie.width = 7.5, 8.5
        ws.add_chart(pie, "J20")


def _money(value: Any) -> float:
    value = domain.na_to_python(value)
    return 0.0 if value is None else float(value)


def _block(
    ws: Worksheet, title: str, headers: list[str], rows: list[tuple[Any, ...]]
) -> tuple[int, int]:
    """A titled two-or-three-column block; returns the first and last data row."""
    append_row(ws, [])
    append_row(ws, [title])[0].font = SECTION_FONT
    for i, cell in enumerate(append_row(ws, headers)):
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        if i == 1:
            cell.alignment = RIGHT
    first = ws._current_row + 1
    for row in rows:
        append_row(ws, list(row))
    return first, ws._current_row


def scorecard_sheet(
    ws: Worksheet,
    counts: Mapping[int, tuple[int, int]],
    previous: Mapping[int, float] | None,
    not_checked: Mapping[int, str] | None = None,
) -> None:
    """The ten recommendations: share compliant, and the trend against the previous rollup.

    A recommendation none of whose checks can run (``not_checked``: rec -> why) says "Not
    checked" and why, never 100% compliant: no finding is not evidence of compliance.
    """
    not_checked = not_checked or {}
    cols = [
        Col("Recommendation", INTEGER, width=16),
        Col("Name", width=44, wrap=True),
        Col("In scope", INTEGER),
        Col("Non-compliant", INTEGER),
        Col("Share compliant", PERCENT),
        Col("Previous", PERCENT),
        Col("Change", POINTS),
        Col("Trend", width=12),
        Col("Note", width=44, wrap=True),
    ]
    rows: list[list[Any]] = [[] for _ in cols]
    for rec, name in d.RECOMMENDATIONS.items():
        total, bad = counts.get(rec, (0, 0))
        why = not_checked.get(rec)
        share = 1.0 - bad / total if total and why is None else None
        prev = _score(previous, rec)
        change = None if share is None or prev is None else round((share - prev) * 100, 1)
        trend = NOT_CHECKED if why else _trend(share, prev, change)
        note = f"Not checked: {why}" if why else None
        for i, v in enumerate(
            [rec, name, total, None if why else bad, share, prev, change, trend, note]
        ):
            rows[i].append(v)
    first, last = write_table(ws, "tblScorecard", cols, rows)
    add_value_fills(ws, 8, first + 1, last, {"Better": GREEN, "Worse": RED, NOT_CHECKED: GREY})
    append_row(ws, [])
    append_row(
        ws,
        [
            "Share compliant = 1 - in-scope projects (and, for 10, assets) with an open finding "
            "for the recommendation / entities in scope. Blank when nothing is in scope, or when "
            "the recommendation is not checked (none of its checks can run with the settings).",
        ],
    )
    if previous is None:
        append_row(ws, ["No previous report: trends start with the next rollup."])
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Share compliant by recommendation"
    chart.legend = None
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.x_axis.scaling.orientation = "maxMin"  # recommendation 1 on top, as in the table
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.numFmt = "0%"
    chart.add_data(Reference(ws, min_col=5, min_row=first, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first + 1, max_row=last))
    chart.height, chart.width = 9, 16
    # Below the table, inside the printed columns (a chart to the right was cut off on paper).
    ws.add_chart(chart, f"A{ws._current_row + 2}")


def _score(previous: Mapping[int, float] | None, rec: int) -> float | None:
    if not previous:
        return None
    value = previous.get(rec, previous.get(str(rec)))  # type: ignore[call-overload]
    value = cell_value(value)
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        return None
    return float(value)


def _trend(share: float | None, prev: float | None, change: float | None) -> str:
    if share is None:
        return "n/a"
    if prev is None:
        return "New"
    if change is not None and change > 0:
        return "Better"
    if change is not None and change < 0:
        return "Worse"
    return "Same"

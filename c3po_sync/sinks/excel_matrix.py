"""The rollup's "Compliance matrix" sheet: project x audit recommendation, in words.

Each cell says complies, finding open since <date>, resolved on <date>, not applicable or not
checked (rules.matrix); a fill colours it too, but the words carry the meaning, so a grey-scale
print or a colour-blind reader loses nothing. A legend above the grid says what each state
means. The sheet prints landscape, one page wide, with the header row on every page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from c3po_sync.model import domain
from c3po_sync.rules.matrix import (
    COMPLIES,
    LEGEND,
    NOT_APPLICABLE,
    OLDER,
    OPEN,
    RESOLVED,
    UNCHECKED,
)
from c3po_sync.rules.recommendations import RECOMMENDATIONS
from c3po_sync.sinks.excel_format import BOLD, TITLE_FONT
from c3po_sync.sinks.excel_print import set_print, text_lines
from c3po_sync.sinks.excel_safety import cell_value, set_text
from c3po_sync.sinks.excel_stream import TableBody, add_body, has_cell

SHEET = "Compliance matrix"
FILLS: Mapping[str, str] = {
    COMPLIES: "C6EFCE",
    OPEN: "FFC7CE",
    RESOLVED: "DDEBF7",
    UNCHECKED: "FFEB9C",
    OLDER: "E4DFEC",
    NOT_APPLICABLE: "F2F2F2",
}
_THIN = Side(style="thin", color="BFBFBF")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_LEAD = ("Project", "Title", "PPM")
_REC_WIDTH = 17
_NO_DATA = (
    "No evaluation is stored for this run yet: run a job with the 'evaluate' step "
    "(e.g. nightly) to fill the matrix."
)


def _fill(state: str) -> PatternFill:
    return PatternFill("solid", start_color=FILLS[state], end_color=FILLS[state])


def _grid_style(ws: Worksheet, state: str | None) -> StyleArray:
    """A grid cell's style (wrapped, bordered, filled for ``state``), built once per sheet and
    copied into each cell: assigning style objects cell by cell hashes them every time."""
    probe = Cell(ws)
    probe.alignment = _WRAP
    probe.border = _GRID
    if state is not None:
        probe.fill = _fill(state)
    return probe._style


def matrix_sheet(
    ws: Worksheet,
    matrix: pd.DataFrame | None,
    *,
    today: date,
    run_id: Any = None,
    not_reread: Mapping[str, str] | None = None,
) -> None:
    """Fills ``ws`` with the legend and the grid from :func:`rules.matrix.compliance_matrix`.

    ``not_reread``: project key -> "not re-read since <time>: <reason>" for projects kept from
    the last read of a source this run could not read; said under the project's title, since
    its cells judge that older data (issue 11).

    ``matrix`` None means no evaluation was stored (a store older than the evaluation table):
    the sheet says so instead of showing an empty grid that looks like nothing to report.
    """
    set_text(ws.cell(row=1, column=1), "Compliance matrix: projects by audit recommendation")
    ws.cell(row=1, column=1).font = TITLE_FONT
    run = f", evaluated in run {run_id}" if run_id is not None else ""
    set_text(
        ws.cell(row=2, column=1),
        f"As of {today:%Y-%m-%d}{run}. Columns are the recommendations of the November 2019 "
        "Technology Deployments Audit; data-quality checks are on the Findings sheet.",
    )
    row = 4
    set_text(ws.cell(row=row, column=1), "Legend").font = BOLD
    for state, meaning in LEGEND.items():
        row += 1
        key = ws.cell(row=row, column=1)
        set_text(key, state).fill = _fill(state)
        key.border = _GRID
        set_text(ws.cell(row=row, column=2), meaning)
    header = row + 2
    if matrix is None:
        set_text(ws.cell(row=header, column=1), _NO_DATA)
        return
    recs = sorted(RECOMMENDATIONS)
    titles = [f"{n}. {RECOMMENDATIONS[n].short}" for n in recs]
    for col, text in enumerate([*_LEAD, *titles], start=1):
        cell = set_text(ws.cell(row=header, column=col), text)
        cell.font = BOLD
        cell.alignment = _WRAP
        cell.border = _GRID
    ws.row_dimensions[header].height = 15 * max(text_lines(t, _REC_WIDTH) for t in titles)
    # Columns as lists first: iterating a column boxes each value in turn.
    judged = dict(
        zip(
            zip(matrix["project_key"].tolist(), matrix["recommendation"].tolist(), strict=True),
            zip(matrix["state"].tolist(), matrix["text"].tolist(), strict=True),
            strict=True,
        )
    )
    firsts = matrix.drop_duplicates("project_key")  # title and PPM: the project's first row
    leads = dict(zip(firsts["project_key"], zip(firsts["title"], firsts["ppm"], strict=True),
                     strict=True))  # fmt: skip
    lead_style = _grid_style(ws, None)
    styles = {state: _grid_style(ws, state) for state in FILLS}
    columns: list[list[Any]] = [[] for _ in range(len(_LEAD) + len(recs))]
    cell_styles: list[list[StyleArray]] = [[] for _ in recs]
    # A cell's words and the lines they wrap to, worked out once per distinct text: a city's
    # 20,000 cells hold a few hundred texts ("complies", "finding open since <day>"...).
    fitted: dict[Any, tuple[Any, int]] = {}
    lines: list[int] = []  # each row's tallest cell, in lines
    for key, (raw_title, ppm) in leads.items():
        title = str(domain.na_to_python(raw_title) or "")
        mark = (not_reread or {}).get(key)
        lead = [key, f"{title}\n({mark})" if mark else title, ppm]
        for col, value in enumerate(lead):
            columns[col].append(cell_value(domain.na_to_python(value)))
        tallest = text_lines(lead[1], 30) + (1 if mark else 0)
        for i, rec in enumerate(recs):
            state, text = judged[(key, rec)]
            fit = fitted.get(text)
            if fit is None:
                fit = fitted[text] = (cell_value(text), text_lines(text, _REC_WIDTH))
            columns[len(_LEAD) + i].append(fit[0])
            cell_styles[i].append(styles[state])
            if fit[1] > tallest:
                tallest = fit[1]
        lines.append(tallest)
    # The grid's cells are made as the workbook is saved (excel_stream): each bordered, the
    # judged ones filled by state, an empty one too.
    body = TableBody(
        first_row=header + 1,
        columns=columns,
        urls={},
        plain=[lead_style] * len(columns),
        linked=[None] * len(columns),
        fmt_dates=[False] * len(columns),
        cell_styles={len(_LEAD) + i: cell_styles[i] for i in range(len(recs))},
        keep_empty=True,
    )
    for i, tallest in enumerate(lines):  # kept by the body: no openpyxl object per row
        body.set_height(i, 15 * tallest)
    add_body(ws, body)
    for col, width in enumerate((12, 30, 28), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    for col in range(len(_LEAD) + 1, len(_LEAD) + len(recs) + 1):
        ws.column_dimensions[get_column_letter(col)].width = _REC_WIDTH
    # A coordinate, not ws.cell(): that would add a second cell where the grid has one.
    ws.freeze_panes = (
        f"B{header + 1}" if has_cell(ws, header + 1, 2) else ws.cell(row=header + 1, column=2)
    )
    ws.print_options.gridLines = False
    # its header row is below the legend; the rollup sets the same again with its own title
    set_print(ws, report_title="Compliance matrix", report_date=today, header_row=header)

"""The printable audit report: the compliance matrix and every finding, per recommendation.

One self-contained HTML file (no scripts, no external resources) that prints well: landscape
pages, the matrix header repeated on every page, rows never split across pages, each state in
words (colour only repeats them). The PDF comes from sinks.audit_pdf (same content, via Calc).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo
from html import escape

import pandas as pd

from c3po_sync.model import domain
from c3po_sync.rules.matrix import CELL_STATES, LEGEND, NOT_APPLICABLE, OPEN, RESOLVED, UNCHECKED
from c3po_sync.rules.recommendations import AUDIT, RECOMMENDATIONS

_CLASS = {s: s.replace(" ", "-") for s in CELL_STATES}

_CSS = """
@page { size: A4 landscape; margin: 12mm 10mm 14mm 10mm; }
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 9pt; color: #000; }
h1 { font-size: 16pt; margin: 0 0 4pt 0; }
h2 { font-size: 12pt; margin: 14pt 0 4pt 0; break-after: avoid; page-break-after: avoid; }
p.meta { margin: 0 0 8pt 0; }
table { border-collapse: collapse; width: 100%; margin-bottom: 8pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 0.5pt solid #808080; padding: 2pt 3pt; vertical-align: top; text-align: left; }
th { background: #e7e6e6; }
td.complies { background: #c6efce; }
td.open { background: #ffc7ce; font-weight: bold; }
td.resolved { background: #ddebf7; }
td.not-checked { background: #ffeb9c; font-style: italic; }
td.not-applicable { background: #f2f2f2; color: #404040; }
section.rec { break-before: page; page-break-before: always; }
.small { font-size: 8pt; }
"""


def _t(value: object) -> str:
    """Escaped text; missing values are empty."""
    value = domain.na_to_python(value)
    return "" if value is None else escape(str(value))


def local_day(value: object, tz: tzinfo | None) -> str:
    """A recorded time as its calendar day in ``tz`` (the hub's zone); missing is empty."""
    if domain.na_to_python(value) is None:
        return ""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None and tz is not None:
        ts = ts.tz_convert(tz)
    return f"{ts:%Y-%m-%d}"


def _counts(matrix: pd.DataFrame, rec: int) -> dict[str, int]:
    states = matrix.loc[matrix["recommendation"] == rec, "state"]
    return {s: int((states == s).sum()) for s in CELL_STATES}


def _summary(matrix: pd.DataFrame) -> Iterable[str]:
    yield "<h2>Summary by recommendation</h2><table><thead><tr><th>#</th>"
    yield "<th>Audit finding (the audit's words)</th><th>Solution</th>"
    yield "".join(f"<th>{escape(s)}</th>" for s in CELL_STATES)
    yield "</tr></thead><tbody>"
    for n, rec in sorted(RECOMMENDATIONS.items()):
        counts = _counts(matrix, n)
        yield f"<tr><td>{n}</td><td>{escape(rec.finding)}</td><td>{escape(rec.solution)}</td>"
        yield "".join(f"<td>{counts[s]}</td>" for s in CELL_STATES) + "</tr>"
    yield "</tbody></table>"


def _legend() -> Iterable[str]:
    yield "<h2>Legend</h2><table class='small'><tbody>"
    for state, meaning in LEGEND.items():
        yield f"<tr><td class='{_CLASS[state]}'>{escape(state)}</td><td>{escape(meaning)}</td></tr>"
    yield "</tbody></table>"


def _grid(matrix: pd.DataFrame, marks: Mapping[str, str]) -> Iterable[str]:
    recs = sorted(RECOMMENDATIONS)
    yield "<h2>Compliance matrix: project by recommendation</h2><table class='small'><thead><tr>"
    yield "<th>Project</th><th>Title</th><th>PPM</th>"
    yield "".join(f"<th>{n}. {escape(RECOMMENDATIONS[n].short)}</th>" for n in recs)
    yield "</tr></thead><tbody>"
    for key, g in matrix.groupby("project_key", sort=False):
        g = g.set_index("recommendation")
        first = g.iloc[0]
        mark = f"<br><em>({_t(marks[key])})</em>" if key in marks else ""
        yield f"<tr><td>{_t(key)}</td><td>{_t(first['title'])}{mark}</td>"
        yield f"<td>{_t(first['ppm'])}</td>"
        for n in recs:
            state, text = g.at[n, "state"], g.at[n, "text"]
            yield f"<td class='{_CLASS[state]}'>{_t(text)}</td>"
        yield "</tr>"
    yield "</tbody></table>"


def _findings_section(n: int, found: pd.DataFrame, matrix: pd.DataFrame, tz: tzinfo | None):
    rec = RECOMMENDATIONS[n]
    counts = _counts(matrix, n)
    yield f"<section class='rec'><h2>Recommendation {n}: {escape(rec.finding)}</h2>"
    yield f"<p class='meta'>Solution: {escape(rec.solution)}. Projects: "
    yield ", ".join(f"{counts[s]} {escape(s)}" for s in CELL_STATES) + ".</p>"
    unchecked = matrix[(matrix["recommendation"] == n) & (matrix["state"] == UNCHECKED)]
    if len(unchecked):
        why = sorted({str(x) for x in unchecked["note"].dropna()})
        yield "<p class='meta'>Not checked: " + escape("; ".join(why)) + ".</p>"
    mine = found[found["recommendation"] == n] if len(found) else found
    if mine.empty:
        yield "<p>No finding was ever recorded for this recommendation.</p></section>"
        return
    mine = mine.sort_values(["status", "project_key", "finding_id"], na_position="last")
    yield "<table class='small'><thead><tr><th>Status</th><th>Project</th><th>PPM</th>"
    yield "<th>First seen</th><th>Resolved</th><th>Re-opened</th><th>Finding</th></tr>"
    yield "</thead><tbody>"
    for r in mine.itertuples(index=False):
        who = r.entity_key if r.project_key is None or pd.isna(r.project_key) else r.project_key
        css = _CLASS[OPEN] if r.status == "open" else _CLASS[RESOLVED]
        yield (
            f"<tr><td class='{css}'>{_t(r.status)}</td><td>{_t(who)}"
            f"</td><td>{_t(r.ppm)}</td><td>{local_day(r.first_seen, tz)}</td>"
            f"<td>{local_day(r.resolved_at, tz)}</td><td>{local_day(r.reopened_at, tz)}</td>"
            f"<td>{_t(r.message)}</td></tr>"
        )
    yield "</tbody></table></section>"


def render_audit_html(
    matrix: pd.DataFrame,
    findings: pd.DataFrame,
    *,
    as_of: date | datetime,
    run_id: int | None,
    tz: tzinfo | None = None,
    not_reread: Mapping[str, str] | None = None,
) -> str:
    """The report as one HTML document.

    Args:
        matrix: rules.matrix.compliance_matrix.
        findings: the store's findings history, open and resolved.
        as_of: the evaluated run's as-of date (shown on the title).
        run_id: the evaluated run.
        tz: the hub's time zone, for showing dates as calendar days.
        not_reread: project key -> "not re-read since ..." for projects whose source the
            newest sync could not read (their cells judge the last data read).
    """
    when = f"{as_of:%Y-%m-%d}"
    title = f"C3PO audit compliance report, {when}"
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Compliance with the {escape(AUDIT)}</h1>",
        f"<p class='meta'>As of {when}; evaluated in run {_t(run_id)}; "
        f"{matrix['project_key'].nunique() if len(matrix) else 0} projects. Each cell says "
        f"{', '.join(escape(s) for s in CELL_STATES)}; a check that could not run is "
        f"'{escape(UNCHECKED)}', never compliant. "
        f"'{escape(NOT_APPLICABLE)}' means no check of that recommendation covers the project "
        "now.</p>",
    ]
    parts += _legend()
    parts += _summary(matrix)
    parts += _grid(matrix, not_reread or {})
    for n in sorted(RECOMMENDATIONS):
        parts += _findings_section(n, findings, matrix, tz)
    parts.append("</body></html>")
    return "\n".join(parts)

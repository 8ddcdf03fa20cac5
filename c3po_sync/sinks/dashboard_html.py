"""The dashboard page: one self-contained HTML file (CSS inline, charts inline SVG).

Nothing is fetched: a Content-Security-Policy meta allows no script, font, frame or connection and
only inline styles and ``data:`` images. Every text from SharePoint is HTML-escaped. The page
reads on a phone (tables scroll sideways in their own region, charts scale) and prints (print
CSS drops the scroll regions and keeps sections whole).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Any

from c3po_sync.rules.intake import MUST_MANAGE, NOT_NEEDED, OUTCOMES, SHOULD_ADVISE
from c3po_sync.sinks.dashboard_data import (
    CHANGE_COLUMNS,
    PROJECT_COLUMNS,
    STATUS_WORDS,
    DashboardData,
)
from c3po_sync.sinks.dashboard_svg import Bar, bar_chart

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1a1a1a; background: #ffffff; }
header, main, footer { max-width: 84rem; margin: 0 auto; padding: 0 1rem; }
header { border-bottom: 3px solid #1f4e78; padding-bottom: .5rem; }
h1 { font-size: 1.6rem; margin: 1rem 0 .25rem; color: #1f4e78; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; color: #1f4e78; }
.meta { margin: .25rem 0; color: #444444; }
.kpis { display: flex; flex-wrap: wrap; gap: .75rem; padding: 0; list-style: none; }
.kpis li { border: 1px solid #c8d6e5; border-radius: .4rem; padding: .5rem .75rem;
           min-width: 10rem; }
.kpis strong { display: block; font-size: 1.4rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: .25rem; }
svg.chart { width: 100%; height: auto; max-width: 36rem; }
svg .label, svg .value { font: 14px system-ui, sans-serif; fill: #1a1a1a; }
.scroll { overflow-x: auto; border: 1px solid #dde3ea; }
.scroll:focus { outline: 3px solid #1f4e78; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
table.wide { min-width: 60rem; }
caption { text-align: left; font-weight: 600; padding: .4rem .5rem; }
th, td { border-bottom: 1px solid #dde3ea; padding: .35rem .5rem; text-align: left;
         vertical-align: top; }
thead th { background: #eef3f8; white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; }
td.date { white-space: nowrap; }
.note { color: #444444; font-style: italic; }
footer { margin-top: 2rem; padding: 1rem; color: #444444; border-top: 1px solid #dde3ea; }
@media (max-width: 40rem) {
  body { font-size: 15px; }
  h1 { font-size: 1.3rem; }
  .kpis li { min-width: 45%; }
}
@media print {
  body { font-size: 10pt; }
  header, main, footer { max-width: none; padding: 0; }
  .scroll { overflow: visible; border: none; }
  @page { size: landscape; margin: 1cm; }
  h2 { break-after: avoid; }
  table, table.wide { min-width: 0; font-size: 8.5pt; break-inside: auto; }
  .charts { display: flex; gap: 1cm; }
  tr, figure { break-inside: avoid; }
  thead { display: table-header-group; }
  svg.chart { max-width: 16cm; }
}
"""

STATUS_STYLE = {
    STATUS_WORDS["Green"]: "good",
    STATUS_WORDS["Yellow"]: "warn",
    STATUS_WORDS["Red"]: "bad",
}
WIDE = ' class="wide"'  # many columns: keeps its width on a phone and scrolls sideways
OUTCOME_STYLE = {MUST_MANAGE: "bad", SHOULD_ADVISE: "warn", NOT_NEEDED: "good"}


# Exact types whose text _table makes once per value (equal values, equal text). Numbers are
# not kept: 0.0 and -0.0 are equal keys but print differently, as do True and 1.
_KEPT = frozenset({str, date, type(None)})


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return f"${v:,.0f}"
    return str(v)


def _table(
    table_id: str,
    caption: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[dict[str, Any]],
    *,
    numeric: Sequence[str] = (),
    dates: Sequence[str] = (),
    wide: bool = False,
) -> str:
    """A data table: caption, column headers, the first cell of each row its row header."""
    if not rows:
        return f'<p class="note">{escape(caption)}: none.</p>'
    head = "".join(f'<th scope="col">{escape(label)}</th>' for _, label in columns)
    # Each column's tags made once; each text or day shown once escaped per column (phases,
    # portfolios and days repeat down a city's 1,700 rows).
    tags = []
    for i, (cid, _) in enumerate(columns):
        cls = ' class="num"' if cid in numeric else (' class="date"' if cid in dates else "")
        tags.append((cid, '<th scope="row">', "</th>") if i == 0 else (cid, f"<td{cls}>", "</td>"))
    # Built a column at a time: each kept value's cell made once, then the rows joined.
    cells = []
    for cid, start, end in tags:
        values = [r.get(cid) for r in rows]
        kept = {v for v in values if type(v) in _KEPT}  # others may be unhashable (a list)
        made = {v: f"{start}{escape(_text(v))}{end}" for v in kept}
        cells.append([
            made[v] if type(v) in _KEPT else f"{start}{escape(_text(v))}{end}" for v in values
        ])  # fmt: skip
    body = ["<tr>" + "".join(row) + "</tr>" for row in zip(*cells, strict=True)]
    tid = escape(table_id, quote=True)
    return (
        f'<div class="scroll" role="region" aria-labelledby="{tid}" tabindex="0">'
        f'<table{WIDE if wide else ""}><caption id="{tid}">{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def _projects_section(d: DashboardData) -> str:
    n = len(d.projects)
    budget = d.total_budget if any("budget" in p for p in d.projects) else None
    kpis = [f"<li><strong>{n}</strong> major projects underway</li>"]
    if budget is not None:
        kpis.append(f"<li><strong>${budget:,.0f}</strong> their total budget</li>")
    phase_bars = [Bar(label, count, f"{count} project(s)") for label, count in d.by_phase]
    status_bars = [
        Bar(label, count, f"{count} project(s)", STATUS_STYLE.get(label, "muted"))
        for label, count in d.by_status
    ]
    charts = ""
    if "phase" in d.project_columns:
        charts += _figure(bar_chart("phase", "Major projects by phase", phase_bars), "By phase")
    if "status" in d.project_columns:
        charts += _figure(
            bar_chart("status", "Major projects by status", status_bars),
            "By status (pattern and words, not colour alone)",
        )
    columns = [(c, PROJECT_COLUMNS[c]) for c in d.project_columns]
    table = _table(
        "projects-caption",
        "Major projects underway",
        columns,
        d.projects,
        numeric=("budget", "open_findings"),
        dates=("start_date", "target_end"),
        wide=True,
    )
    return (
        '<section aria-labelledby="h-projects"><h2 id="h-projects">Major projects underway</h2>'
        '<p class="meta">Projects meeting a C3PO engagement criterion (over budget threshold, '
        "several departments, over a year, high profile, custom software) and not closed.</p>"
        f'<ul class="kpis">{"".join(kpis)}</ul><div class="charts">{charts}</div>{table}</section>'
    )


def _changes_section(d: DashboardData) -> str:
    rows = d.changes
    counts = ""
    if d.finding_changes:
        counts = (
            '<p class="meta">Audit findings: '
            + escape(", ".join(f"{k.lower()}: {v}" for k, v in sorted(d.finding_changes.items())))
            + "</p>"
        )
    table = _table("changes-caption", "Changes", list(CHANGE_COLUMNS.items()), rows, wide=True)
    return (
        '<section aria-labelledby="h-changes"><h2 id="h-changes">'
        "Changes since the last council report</h2>"
        f'<p class="meta">Baseline: {escape(d.changes_since)}.</p>{counts}{table}</section>'
    )


def _scorecard_section(d: DashboardData) -> str:
    bars = []
    rows = []
    for r in d.scorecard:
        label = f"{r['recommendation']}. {r['name']}"
        share = r["share_compliant"]
        if share is None:
            bars.append(Bar(label, 0, "not checked", "muted"))
            text = "Not checked"
        else:
            style = "good" if share >= 0.9 else ("warn" if share >= 0.7 else "bad")
            bars.append(Bar(label, share * 100, f"{share:.0%} compliant", style))
            text = f"{share:.0%}"
        rows.append(
            {
                "rec": r["recommendation"],
                "name": r["name"],
                "in_scope": r["in_scope"],
                "open": "" if r["with_open_finding"] is None else r["with_open_finding"],
                "share": text,
            }
        )
    chart = bar_chart(
        "scorecard", "Share of projects and assets with no open finding, by recommendation",
        bars, maximum=100,
    )  # fmt: skip
    table = _table(
        "scorecard-caption",
        "Audit scorecard (2019 Technology Deployments Audit)",
        [("rec", "Rec."), ("name", "Recommendation"), ("in_scope", "In scope"),
         ("open", "With an open finding"), ("share", "Compliant")],
        rows,
        numeric=("in_scope", "open", "share"),
    )  # fmt: skip
    return (
        '<section aria-labelledby="h-scorecard"><h2 id="h-scorecard">'
        "Audit scorecard by recommendation</h2>"
        f"{_figure(chart, 'Share compliant per audit recommendation')}{table}</section>"
    )


def _intake_section(d: DashboardData) -> str:
    if d.intake is None:
        return (
            '<section aria-labelledby="h-intake"><h2 id="h-intake">Intake requests</h2>'
            '<p class="note">Intake was not triaged in this run.</p></section>'
        )
    bars = [
        Bar(o, d.intake.get(o, 0), f"{d.intake.get(o, 0)} request(s)", OUTCOME_STYLE[o])
        for o in OUTCOMES
    ]
    rows = [{"what": o, "n": d.intake.get(o, 0)} for o in OUTCOMES]
    rows.append({"what": "Engaged late (vendor already chosen)", "n": d.intake.get("late", 0)})
    rows.append({"what": "All requests", "n": d.intake.get("requests", 0)})
    table = _table(
        "intake-caption", "Intake requests by triage", [("what", "Triage"), ("n", "Requests")],
        rows, numeric=("n",),
    )  # fmt: skip
    chart = bar_chart("intake", "Intake requests by triage outcome", bars)
    return (
        '<section aria-labelledby="h-intake"><h2 id="h-intake">Intake requests</h2>'
        f"{_figure(chart, 'Requests by triage outcome')}{table}</section>"
    )


def render_page(d: DashboardData) -> str:
    """The whole page for ``d.audience``."""
    who = "Internal: C3PO and City staff" if d.audience == "internal" else "Public"
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in d.notes)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP, quote=True)}">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(d.title)} ({escape(who)})</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(d.title)}</h1>"
        f'<p class="meta">{escape(who)} page. As of {d.as_of.isoformat()}; '
        f"generated {escape(d.generated_at)}. Republished when a figure changes: an older date "
        f"means no figure has changed since.</p>{notes}</header><main>"
        f"{_projects_section(d)}{_changes_section(d)}{_scorecard_section(d)}"
        f"{_intake_section(d)}</main>"
        "<footer>Built by C3PO Sync from the PPM SharePoint sites; checked against the City's "
        "2019 Technology Deployments Audit recommendations.</footer></body></html>\n"
    )

"""What the dashboard shows, as plain rows: major projects underway, what changed since the last
council report, the audit scorecard by recommendation, intake counts; and the public cut of it.

One build gives both audiences: :func:`dashboard_data` gathers everything for the internal page,
:func:`public_view` keeps only what the configuration marks public (no people unless allowed, no
hidden or sensitive project, no finding text). The CSV and JSON are made from the public view
only, so the open-data files can never hold more than the public page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from c3po_sync.model import domain
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules.config import RulesConfig
from c3po_sync.rules.engine import recommendations_not_checked
from c3po_sync.rules.recommendations import RECOMMENDATIONS
from c3po_sync.sinks.excel_data import scorecard_counts

# Project columns: id -> heading. The public page shows the configured subset, in this order.
PROJECT_COLUMNS: dict[str, str] = {
    "title": "Project",
    "project_key": "Key",
    "portfolio": "Portfolio",
    "ppm_name": "PPM",
    "phase": "Phase",
    "status": "Status",
    "budget": "Budget",
    "start_date": "Start",
    "target_end": "Target end",
    "schedule": "Schedule against plan",
    "departments": "Departments",
    "why_major": "Why it is major",
    "open_findings": "Open findings",
}
INTERNAL_ONLY = ("project_key", "why_major", "open_findings")
CHANGE_COLUMNS: dict[str, str] = {
    "project": "Project",
    "change": "Change",
    "before": "Before",
    "after": "After",
}
STATUS_WORDS = {"Green": "Green (on track)", "Yellow": "Yellow (at risk)", "Red": "Red (off track)"}


@dataclass
class DashboardData:
    """Everything one page shows; ``audience`` is "internal" or "public"."""

    title: str
    audience: str
    as_of: date
    generated_at: str
    changes_since: str
    project_columns: list[str]
    projects: list[dict[str, Any]]
    by_phase: list[tuple[str, int]]
    by_status: list[tuple[str, int]]
    changes: list[dict[str, Any]]
    finding_changes: dict[str, int]
    scorecard: list[dict[str, Any]]
    intake: dict[str, int] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def total_budget(self) -> float:
        return float(sum(p["budget"] for p in self.projects if p.get("budget") is not None))


_PLAIN = (str, date, type(None))  # exact types a cell already holds as the page shows them


def _clean(v: Any) -> Any:
    """A cell for the page: plain Python (model.domain.na_to_python), timestamps as days."""
    if type(v) in _PLAIN:  # most cells: nothing to convert (na_to_python returns them as given)
        return v
    if type(v) is float:  # as na_to_python: NaN is missing, any other float as given
        return None if v != v else v
    v = domain.na_to_python(v)
    return v.date() if isinstance(v, pd.Timestamp) else v


def _cells(frame: pd.DataFrame, column: str) -> list[Any]:
    """A column's cells as objects, taken from its array at once: iterating a pandas column (or
    ``to_dict("records")``) boxes each cell in turn, most of the page's build time. Each cell
    goes through :func:`_clean`, so a number comes out the same from either."""
    values: list[Any] = frame[column].to_numpy(dtype=object).tolist()
    return values


def _day(v: Any) -> date | None:
    v = _clean(v)
    if v is None:
        return None
    if type(v) is date:  # pd.Timestamp(v).date() would give it back
        return v
    try:
        return pd.Timestamp(v).date()
    except (TypeError, ValueError):
        return None


def _schedule(row: dict[str, Any], slips: Mapping[str, tuple[Any, Any]], today: date) -> str:
    """Target end against the plan the council last saw (the deltas' "Target end changed")."""
    end = _day(row.get("target_end"))
    key = str(row.get("project_key"))
    moved = ""
    if key in slips:
        before, after = (_day(x) for x in slips[key])
        if before and after and before != after:
            days = (after - before).days
            word = "later" if days > 0 else "earlier"
            moved = f"target end moved {abs(days)} days {word} (was {before:%Y-%m-%d})"
    if end is None:
        return moved or "no target end"
    if end < today:
        return f"past target end; {moved}" if moved else "past target end"
    return moved or "on plan"


def _value_text(v: Any) -> str | None:
    v = _clean(v)
    if v is None:
        return None
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return f"${v:,.0f}" if v >= 1000 else f"{v:g}"
    if isinstance(v, list | tuple):
        return "; ".join(str(x) for x in v)
    return str(v)


def major_underway(
    projects: pd.DataFrame, rules: RulesConfig, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Major (an engagement criterion) and active (the domain's words), with why major.

    ``columns``: the project columns to keep (default all); the rows are picked before any
    column is copied, so a caller reading a few columns does not copy the whole table.
    """
    if projects.empty:
        return projects.assign(why_major=pd.Series(dtype=object))
    active = domain.active_rows(
        projects, rules.phases, rules.inactive_phases, rules.state_documents
    )
    reasons = domain.major_project_reasons(projects, rules.engagement)
    keep = active & (reasons != "")
    kept = projects.loc[keep, list(columns) if columns is not None else projects.columns]
    return kept.assign(why_major=reasons[keep].array)


_ROW_SOURCES = ("project_key", "title", "portfolio", "ppm_name", "phase", "status", "budget",
                "start_date", "target_end", "departments", "why_major", "high_profile")  # fmt: skip
"""The project columns :func:`dashboard_data` makes a page row from (``_schedule`` included)."""


def dashboard_data(
    tables: CanonicalTables,
    findings: pd.DataFrame,
    *,
    rules: RulesConfig,
    today: date,
    title: str,
    generated_at: str,
    changes: pd.DataFrame | None,
    changes_since: str,
    intake: Mapping[str, int] | None = None,
) -> DashboardData:
    """The internal page's data: every column, every change, the scorecard, intake counts."""
    sources = [c for c in _ROW_SOURCES if c in tables.projects.columns and c != "why_major"]
    major = major_underway(tables.projects, rules, sources)
    slips: dict[str, tuple[Any, Any]] = {}
    change_rows: list[dict[str, Any]] = []
    finding_changes: dict[str, int] = {}
    titles = {
        str(k): str(_clean(t) or k)
        for k, t in zip(_cells(tables.projects, "project_key"), _cells(tables.projects, "title"),
                        strict=True)
    }  # fmt: skip
    for c in changes.to_dict("records") if changes is not None else []:
        kind = str(c["change"])
        if kind.startswith("Finding"):
            finding_changes[kind] = finding_changes.get(kind, 0) + 1
        if kind == "Target end changed":
            slips[str(c["project_key"])] = (c["before"], c["after"])
        key = _clean(c["project_key"])
        change_rows.append(
            {
                "project_key": key,
                "project": titles.get(str(key), key),
                "change": kind,
                "before": _value_text(c["before"]),
                "after": _value_text(c["after"]),
            }
        )
    open_by_project: dict[str, int] = {}
    if len(findings) and "status" in findings:
        is_open = findings["status"] != "resolved"
        open_by_project = findings[is_open].groupby("project_key").size().to_dict()
    rows: list[dict[str, Any]] = []
    # Only the columns a row is made from: all thirty made a dict entry each per project.
    used = [c for c in _ROW_SOURCES if c in major.columns]
    ordered = major[used].sort_values(["portfolio", "title"], na_position="last")
    cells = [_cells(ordered, c) for c in used]
    for values in zip(*cells, strict=True):
        p = dict(zip(used, values, strict=True))
        key = str(p["project_key"])
        status = _clean(p["status"])
        rows.append(
            {
                "project_key": key,
                "title": _clean(p["title"]) or key,
                "portfolio": _clean(p["portfolio"]),
                "ppm_name": _clean(p["ppm_name"]),
                "phase": _clean(p["phase"]),
                "status": STATUS_WORDS.get(str(status), status),
                "budget": _clean(p["budget"]),
                "start_date": _day(p["start_date"]),
                "target_end": _day(p["target_end"]),
                "schedule": _schedule(p, slips, today),
                "departments": "; ".join(_clean(p["departments"]) or []) or None,
                "why_major": p["why_major"],
                "open_findings": int(open_by_project.get(key, 0)),
                "_high_profile": bool(_clean(p.get("high_profile")) or False),
            }
        )
    return DashboardData(
        title=title,
        audience="internal",
        as_of=today,
        generated_at=generated_at,
        changes_since=changes_since,
        project_columns=list(PROJECT_COLUMNS),
        projects=rows,
        by_phase=_counts([r["phase"] for r in rows], rules.phases),
        by_status=_counts([r["status"] for r in rows], list(STATUS_WORDS.values())),
        changes=change_rows,
        finding_changes=finding_changes,
        scorecard=scorecard_rows(tables, findings, rules),
        intake=dict(intake) if intake is not None else None,
    )


def _counts(values: Sequence[Any], order: Sequence[str]) -> list[tuple[str, int]]:
    """Counts in ``order``, then anything else (blank as "Not set"), zero counts left out."""
    seen: dict[str, int] = {}
    for v in values:
        label = str(v) if v is not None else "Not set"
        seen[label] = seen.get(label, 0) + 1
    ordered = [(o, seen.pop(o)) for o in order if o in seen]
    return ordered + sorted(seen.items())


def scorecard_rows(
    tables: CanonicalTables, findings: pd.DataFrame, rules: RulesConfig
) -> list[dict[str, Any]]:
    """Per audit recommendation 1-10: in scope, with an open finding, share compliant.

    A recommendation none of whose checks can run under ``rules`` says "not checked", never
    100% (DESIGN: a check that cannot run is not "compliant").
    """
    skipped = recommendations_not_checked(rules)
    rows = []
    for rec, (total, bad) in sorted(scorecard_counts(tables, findings).items()):
        checked = rec not in skipped and total > 0
        rows.append(
            {
                "recommendation": rec,
                "name": RECOMMENDATIONS[rec].short,
                "in_scope": total,
                "with_open_finding": bad if checked else None,
                "share_compliant": round(1 - bad / total, 4) if checked else None,
            }
        )
    return rows


def public_view(data: DashboardData, policy: Any) -> DashboardData:
    """The public cut: configured project columns only, hidden and (optionally) sensitive
    projects left out everywhere, no person unless ``show_people``, findings as counts only.

    ``policy`` is ``config.settings.DashboardPublic`` (duck-typed: the core reads no settings).
    """
    hidden = {k.strip().casefold() for k in policy.hide_projects}
    kept = [
        p
        for p in data.projects
        if str(p["project_key"]).casefold() not in hidden
        and not (policy.hide_high_profile and p.get("_high_profile"))
    ]
    visible = {str(p["project_key"]).casefold() for p in kept}
    changes = []
    for c in data.changes:
        if str(c["change"]).startswith("Finding"):
            continue
        if c["change"] == "PPM changed" and not policy.show_people:
            continue
        if str(c["project_key"]).casefold() not in visible:
            continue
        changes.append({k: c[k] for k in CHANGE_COLUMNS})
    return replace(
        data,
        audience="public",
        project_columns=list(policy.project_fields),
        projects=[{f: p.get(f) for f in policy.project_fields} for p in kept],
        by_phase=_counts([p.get("phase") for p in kept], [label for label, _ in data.by_phase]),
        by_status=_counts([p.get("status") for p in kept], list(STATUS_WORDS.values())),
        changes=changes,
    )

"""Pure data preparation for the Excel rollup: open findings, scorecard, workload, support."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any, Literal

import pandas as pd

from c3po_sync.model import domain
from c3po_sync.model.labels import DATA_QUALITY_REC, RECOMMENDATIONS
from c3po_sync.model.schema import PHASES, STATUSES
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules.config import RulesConfig
from c3po_sync.rules.engine import recommendations_not_checked

__all__ = ["DATA_QUALITY_REC", "RECOMMENDATIONS"]  # re-exported for the sheets

PHASE_ORDER = PHASES
STATUS_ORDER = STATUSES
RESOLVED_WINDOW_DAYS = 30
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
UNASSIGNED = "(unassigned)"

Kind = Literal["text", "int", "float", "bool", "date", "datetime", "any"]


def py_values(series: pd.Series, kind: Kind) -> list[Any]:
    """Turns one column into plain Python values openpyxl can write (NA -> None, UTC -> naive).

    Done per column, not per cell, because per-cell pandas access dominates the build time.
    """
    if kind == "datetime":
        ts = pd.to_datetime(series, utc=True, errors="coerce").dt.tz_convert(None)
        return [None if pd.isna(v) else v.to_pydatetime() for v in ts]
    if kind == "date":
        return [v if type(v) is date else _as_date(v) for v in series.astype(object)]
    if series.dtype.kind in "mM":  # to_numpy leaves these NaT where None is asked for
        out = series.astype(object).where(series.notna(), None).tolist() if len(series) else []
    else:
        out = series.to_numpy(dtype=object, na_value=None).tolist()  # one copy, not three
    if kind == "bool":
        return [None if v is None else ("Yes" if bool(v) else "No") for v in out]
    if kind in _PLAIN and set(map(type, out)) <= _PLAIN[kind]:
        return out  # already what the conversion below gives, value for value (most columns)
    if kind == "int":
        return [None if v is None else int(v) for v in out]
    if kind == "float":
        return [None if v is None else float(v) for v in out]
    if kind == "text":
        return [_as_text(v) for v in out]
    return out


# The types py_values() gives each kind as they are: a column of only these needs no pass.
_PLAIN: dict[str, set[type]] = {
    "int": {type(None), int},
    "float": {type(None), float},
    "text": {type(None), str},
}


def _as_date(value: Any) -> date | None:
    value = domain.na_to_python(value)
    if value is None:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        return None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value if domain.na_to_python(v) is not None)
    return str(value)


# The normalizer's asset id when a mapping names none: "<site>/<list title>/<item id>".
_ITEM_KEY = re.compile(r"^(?P<site>/.*)/(?P<list>[^/]+)/(?P<item>\d+)$")


def entity_text(key: str | None) -> str | None:
    """An entity key as a printed cell shows it: the part that tells two entities apart first.

    "/sites/itd/IT Asset Inventory/6" becomes "#6 IT Asset Inventory": clipped or wrapped, the
    full key's common prefix hid the item id, so two assets of one list looked identical on
    paper. The full key stays in the cell's link and in a detail column; any other key
    (project key, a mapped asset tag) is shown as it is.
    """
    if key is None:
        return None
    m = _ITEM_KEY.match(key)
    return f"#{m['item']} {m['list']}" if m else key


def ppm_names(projects: pd.DataFrame) -> dict[str, str]:
    """PPM e-mail -> the name the project lists carry for them (the first one met)."""
    pairs = projects[["ppm", "ppm_name"]].dropna().astype(str)
    return dict(zip(pairs["ppm"][::-1], pairs["ppm_name"][::-1], strict=True))


def as_dates(series: pd.Series) -> pd.Series:
    """A column of optional dates/datetimes as naive UTC timestamps (NaT when missing)."""
    if series.dtype == object:
        series = series.map(lambda v: v.isoformat() if isinstance(v, date) else v)
    return pd.to_datetime(series, utc=True, errors="coerce", format="mixed").dt.tz_convert(None)


def with_state(findings: pd.DataFrame) -> pd.DataFrame:
    """Adds ``is_open`` and ``resolved_on`` from the optional history columns.

    ``status`` decides where it is set (a reopened finding may still carry an old resolution
    date); otherwise a ``resolved_at`` means resolved. A frame fresh from the rules engine (no
    history columns) is all open.
    """
    out = findings.copy()
    index = out.index
    status = (
        out["status"].astype("string").str.strip().str.lower()
        if "status" in out.columns
        else pd.Series(pd.NA, index=index, dtype="string")
    )
    resolved_at = (
        as_dates(out["resolved_at"])
        if "resolved_at" in out.columns
        else pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    )
    resolved = status.eq("resolved").fillna(resolved_at.notna()).astype(bool)
    out["resolved_on"] = resolved_at.where(resolved)
    out["is_open"] = ~resolved
    return out


def open_only(findings: pd.DataFrame) -> pd.DataFrame:
    """The open findings (input must come from :func:`with_state`)."""
    return findings[findings["is_open"]]


def scope_sets(tables: CanonicalTables) -> dict[str, set[str]]:
    """Entity keys in scope for the scorecard, by entity kind."""
    projects = set(tables.projects["project_key"].dropna().astype(str))
    assets = set(tables.assets["asset_id"].dropna().astype(str))
    return {"project": projects, "asset": assets}


def _rec_scope(rec: int) -> tuple[str, ...]:
    # Rec 10 is about the inventory, but "released to production with no inventory entry" is a
    # project finding, so both kinds are in its scope; the others concern projects only.
    return ("asset", "project") if rec == 10 else ("project",)


def scorecard_counts(tables: CanonicalTables, findings: pd.DataFrame) -> dict[int, tuple[int, int]]:
    """Per recommendation 1-10: (entities in scope, in-scope entities with an open finding).

    A document or source finding counts against its project. Findings about entities not in the
    tables are ignored: they cannot be in scope, and counting them could push a share below zero.
    """
    scopes = scope_sets(tables)
    state = open_only(with_state(findings))
    kind = state["entity_kind"].astype("string").fillna("")
    is_asset = kind.eq("asset")
    entity = state["entity_key"].astype("string")
    project = state["project_key"].astype("string")
    key = entity.where(is_asset | (kind.eq("project") & entity.notna()), project)
    hits = pd.DataFrame(
        {
            "rec": pd.to_numeric(state["recommendation"], errors="coerce"),
            "kind": is_asset.map({True: "asset", False: "project"}),
            "key": key,
        }
    ).dropna()
    counts: dict[int, tuple[int, int]] = {}
    for rec in RECOMMENDATIONS:
        kinds = _rec_scope(rec)
        rows = hits[hits["rec"].eq(rec)]
        bad = {
            (k, v)
            for k, v in zip(rows["kind"], rows["key"], strict=True)
            if k in kinds and v in scopes[k]
        }
        counts[rec] = (sum(len(scopes[k]) for k in kinds), len(bad))
    return counts


def scorecard(
    tables: CanonicalTables, findings: pd.DataFrame, rules: RulesConfig | None = None
) -> dict[int, float]:
    """Share of in-scope projects/assets with no open finding, per recommendation 1-10.

    Recommendations with nothing in scope, or not checked under ``rules`` (none of their checks
    can run), are left out rather than reported as 100% or NaN, so a consumer that stores the
    scores for the next trend never stores a meaningless one.
    """
    skipped = recommendations_not_checked(rules or RulesConfig())
    return {
        rec: 1.0 - bad / total
        for rec, (total, bad) in scorecard_counts(tables, findings).items()
        if total and rec not in skipped
    }


def support_status(assets: pd.DataFrame, today: date) -> list[str]:
    """Per asset: the support state in words (model.domain.support_status)."""
    return domain.support_status(assets["lifecycle_stage"], assets["end_of_support"], today)


def active(projects: pd.DataFrame, rules: RulesConfig) -> pd.Series:
    """Active projects exactly as the rules count them (model.domain.active_projects): a known
    phase that is not inactive, and not halted (On hold, Cancelled)."""
    return domain.active_rows(projects, rules.phases, rules.inactive_phases, rules.state_documents)


def load(
    projects: pd.DataFrame, rules: RulesConfig, is_active: pd.Series | None = None
) -> pd.Series:
    """The projects a PPM's load counts, as the R6 overload rule counts them (model.domain).
    ``is_active``: :func:`active` of ``projects`` when the caller has it."""
    if is_active is None:
        is_active = active(projects, rules)
    return domain.load_counted(projects, is_active, rules.load_phases, rules.major_project)


def ppm_workload(
    projects: pd.DataFrame, open_findings: pd.DataFrame, rules: RulesConfig
) -> pd.DataFrame:
    """One row per PPM: active, load-counted and total projects, active budget, open and high
    findings.

    "Active", the load (major projects in the load phases) and its limit are the rules'
    (``rules``), so the sheet flags exactly the PPMs the R6 overload rule flags. A finding with
    no PPM is charged to the PPM of its project, so unowned findings still show up.
    """
    is_active = active(projects, rules)
    p = pd.DataFrame(
        {
            "ppm": projects["ppm"].astype("string").fillna(UNASSIGNED),
            "ppm_name": projects["ppm_name"].astype("string"),
            "contract": projects["ppm_is_contract"].astype("boolean").fillna(False).astype(bool),
            "active": is_active,
            "load": load(projects, rules, is_active),
            "budget": projects["budget"].astype("Float64"),
        }
    )
    p["active_budget"] = p["budget"].where(p["active"], 0).fillna(0)
    grouped = p.groupby("ppm", sort=False).agg(
        ppm_name=("ppm_name", "first"),
        contract=("contract", "any"),
        active=("active", "sum"),
        load=("load", "sum"),
        total=("active", "size"),
        active_budget=("active_budget", "sum"),
    )
    project_ppm = dict(
        zip(
            projects["project_key"].astype("string"),
            projects["ppm"].astype("string"),
            strict=True,
        )
    )
    f_ppm = open_findings["ppm"].astype("string")
    fallback = open_findings["project_key"].astype("string").map(project_ppm)
    f_ppm = f_ppm.fillna(fallback.astype("string")).fillna(UNASSIGNED)
    high = open_findings["severity"].astype("string").str.lower().eq("high").fillna(False)
    counts = pd.DataFrame({"ppm": f_ppm, "high": high.astype(int)}).groupby("ppm")
    grouped = grouped.join(counts.size().rename("open"), how="outer")
    grouped = grouped.join(counts["high"].sum().rename("high"), how="left")
    grouped = grouped.fillna(
        {"active": 0, "load": 0, "total": 0, "active_budget": 0.0, "open": 0, "high": 0}
    )
    grouped["contract"] = grouped["contract"].astype("boolean").fillna(False)
    grouped["over"] = grouped["load"] > rules.max_active_projects_per_ppm
    grouped = grouped.reset_index().rename(columns={"index": "ppm"})
    unassigned = grouped["ppm"].eq(UNASSIGNED)
    grouped["ppm_name"] = grouped["ppm_name"].astype("string").mask(unassigned, UNASSIGNED)
    grouped["ppm"] = grouped["ppm"].astype("string").mask(unassigned, pd.NA)
    return grouped.sort_values(["active", "open", "ppm"], ascending=[False, False, True])


def order_counts(values: pd.Series, order: tuple[str, ...]) -> list[tuple[str, int]]:
    """Counts values, known ones first in ``order``, then the rest by count; blanks last."""
    counts = values.astype("string").fillna("(blank)").value_counts()
    known = [(k, int(counts[k])) for k in order if k in counts.index]
    rest = [(str(k), int(v)) for k, v in counts.items() if k not in order and k != "(blank)"]
    blank = [("(blank)", int(counts["(blank)"]))] if "(blank)" in counts.index else []
    return known + rest + blank


def findings_for_sheet(findings: pd.DataFrame, today: date) -> pd.DataFrame:
    """Open findings plus those resolved in the last 30 days, open first, worst first."""
    cutoff = pd.Timestamp(today - timedelta(days=RESOLVED_WINDOW_DAYS))
    keep = findings["is_open"] | (findings["resolved_on"] >= cutoff).fillna(False)
    out = findings[keep].copy()
    sev = out["severity"].astype("string").str.lower().map(SEVERITY_RANK).fillna(9)
    out["_open"] = ~out["is_open"]
    out["_sev"] = sev.astype(float)
    out["_rec"] = pd.to_numeric(out["recommendation"], errors="coerce").fillna(99)
    out = out.sort_values(
        ["_open", "_sev", "_rec", "project_key", "finding_id"], na_position="last", kind="stable"
    )
    return out.drop(columns=["_open", "_sev", "_rec"])

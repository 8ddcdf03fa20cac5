"""The domain's words, defined once: active, halted and finished projects, major project, the
projects a PPM's load counts, grandfathered projects, projects that deliver a system, live asset,
subscription, support status, review overdue, required documents, and the one conversion of a
pandas missing value to Python's None.

The rules, the hub lists and the Excel rollup all import these, so a project the rules call
inactive is never counted as active on the Workload sheet (issue 13: the Excel sink used to treat
an unknown phase as active and hard-code ``closed``, while the rules read the phases from
config). Every function takes the policy values it needs as arguments (the core's config lives in
``rules/config.py``, which imports this module, not the reverse).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Protocol

import numpy as np
import pandas as pd

RETIRED = "retired"
IN_SERVICE = "in service"

# Support states, as a division manager reads them (Assets sheet, hub inventory list).
RETIRED_LABEL = "Retired"
NO_EOS = "No end-of-support date"
PAST_EOS = "Past end of support"
ENDS_SOON = "Ends within 12 months"
SUPPORTED = "Supported"


def _fold(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip().str.casefold()


def phase_rank(phases: pd.Series, order: Sequence[str]) -> pd.Series:
    """Position of each phase in the configured order; NA when blank or not in the order."""
    ranks = {p.casefold(): i for i, p in enumerate(order)}
    return _fold(phases).map(ranks).astype("Int64")


def na_to_python(value: Any) -> Any:
    """A cell as plain Python: None for every pandas/numpy missing value (NA, NaT, NaN), lists
    and dicts as given, numpy scalars as their Python value. The one such conversion: sinks
    writing SharePoint, Excel or the store use it rather than each testing ``pd.isna``."""
    if value is None or isinstance(value, list | tuple | dict | set):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value)
    return value.item() if isinstance(value, np.generic) else value


def halted_projects(states: pd.Series | None, halted: Iterable[str]) -> pd.Series | None:
    """Projects whose state (On hold, Cancelled...) is one of ``halted``; None without states."""
    if states is None:
        return None
    names = [h.casefold() for h in halted]
    return _fold(states).isin(names).fillna(False).astype(bool)


def active_projects(
    phases: pd.Series,
    order: Sequence[str],
    inactive: Sequence[str],
    states: pd.Series | None = None,
    halted: Iterable[str] = (),
) -> pd.Series:
    """Active: the phase is known (in ``order``), not one of the ``inactive`` phases, and the
    project is not halted (its state one of ``halted``: On hold, Cancelled).

    An unknown or blank phase is not active: the rules cannot place it in the lifecycle, and a
    phase-less row is reported by the data-quality checks instead of being counted twice.
    """
    rank = phase_rank(phases, order)
    folded = [p.casefold() for p in order]
    gone = [folded.index(p.casefold()) for p in inactive if p.casefold() in folded]
    out = (rank.notna() & ~rank.isin(gone)).fillna(False).astype(bool)
    stopped = halted_projects(states, halted)
    return out if stopped is None else out & ~stopped


def active_rows(
    projects: pd.DataFrame,
    order: Sequence[str],
    inactive: Sequence[str],
    halted: Iterable[str],
) -> pd.Series:
    """:func:`active_projects` of a projects table, its states read when it has them: every
    view of "active" (rules, rollup, digest, dashboard, intake) counts the same projects."""
    states = projects["state"] if "state" in projects.columns else None
    return active_projects(projects["phase"], order, inactive, states, halted)


def finished_projects(
    phases: pd.Series,
    order: Sequence[str],
    inactive: Sequence[str],
    states: pd.Series | None = None,
    finished_states: Iterable[str] = (),
) -> pd.Series:
    """Projects that are over: in an ``inactive`` phase (Closed) or in a finished state
    (Cancelled). On hold is not over: it may resume."""
    folded = _fold(phases)
    out = folded.isin([p.casefold() for p in inactive]).fillna(False).astype(bool)
    stopped = halted_projects(states, finished_states)
    return out if stopped is None else out | stopped


def grandfathered(finished: pd.Series, actual_end: pd.Series, effective: date) -> pd.Series:
    """Per project: True when it finished before the policy took ``effective``, False when it
    did not (still running, or finished on or after the date), NA when it finished on a date
    nobody recorded (then whether the policy applied cannot be told)."""
    ended = pd.to_datetime(actual_end, errors="coerce")
    before = (ended < pd.Timestamp(effective)).astype("boolean").mask(ended.isna(), pd.NA)
    out = pd.Series(False, index=finished.index, dtype="boolean")
    done = finished.fillna(False).astype(bool)
    out[done] = before[done]
    return out


def filled(values: pd.Series) -> pd.Series:
    """Cells holding a value: not NA, not blank text, not an empty list."""
    return pd.Series(
        [
            bool(v) if isinstance(v, list | tuple) else na_to_python(v) not in (None, "")
            for v in values.astype(object).tolist()
        ],
        index=values.index,
        dtype=bool,
    )


def unfilled_by_source(rows: pd.DataFrame, column: str) -> pd.Series:
    """Per row: True when no row of the same source list (site, list) fills ``column``."""
    if rows.empty:
        return pd.Series(False, index=rows.index, dtype=bool)
    has = filled(rows[column])
    src = rows["source_site"].astype(str) + "\n" + rows["source_list"].astype(str)
    return ~has.groupby(src).transform("any").astype(bool)


def delivers_system(kinds: pd.Series, system_kinds: Sequence[str]) -> pd.Series:
    """True where the project kind is one that delivers a system (must enter the inventory),
    False for other kinds (staffing, O&M line items), NA where no kind is recorded."""
    names = [k.casefold() for k in system_kinds]
    folded = _fold(kinds).replace("", pd.NA)
    return folded.isin(names).astype("boolean").mask(folded.isna(), pd.NA)


def load_counted(
    projects: pd.DataFrame,
    active: pd.Series,
    load_phases: Sequence[str],
    criteria: MajorCriteria,
) -> pd.Series:
    """The projects a PPM's load counts: major (``criteria``), active, and in one of the
    ``load_phases`` (ideas in Initiation and products in Sustain do not take a PPM's week)."""
    in_phase = _fold(projects["phase"]).isin([p.casefold() for p in load_phases])
    return active & in_phase.fillna(False).astype(bool) & major_projects(projects, criteria)


def at_or_past(phases: pd.Series, phase: str, order: Sequence[str]) -> pd.Series:
    """Projects whose phase is ``phase`` or later in ``order`` (unknown phases: False)."""
    start = [p.casefold() for p in order].index(phase.casefold())
    return (phase_rank(phases, order) >= start).fillna(False).astype(bool)


class MajorCriteria(Protocol):
    """The engagement criteria (``rules.config.EngagementCriteria``) a major project meets."""

    # Read-only properties: the configuration model is frozen.
    @property
    def budget_over(self) -> float: ...
    @property
    def departments_over(self) -> int: ...
    @property
    def duration_days_over(self) -> int: ...
    @property
    def high_profile(self) -> bool: ...
    @property
    def custom_software(self) -> bool: ...


def _flag(series: pd.Series) -> pd.Series:
    return series.astype("boolean").fillna(False).astype(bool)


def major_project_reasons(projects: pd.DataFrame, criteria: MajorCriteria) -> pd.Series:
    """Why each project is major (meets a C3PO engagement criterion); '' when it is not."""
    p, e = projects, criteria
    reasons = pd.Series("", index=p.index, dtype=object)

    def add(mask: pd.Series, text: pd.Series | str) -> None:
        mask = mask.fillna(False).astype(bool)
        reasons[mask] = reasons[mask] + "; " + (text[mask] if isinstance(text, pd.Series) else text)

    budget = p["budget"].astype("Float64")
    add(
        budget > e.budget_over,
        "budget $"
        + budget.map(lambda v: f"{v:,.0f}" if pd.notna(v) else "").astype(str)
        + f" over ${e.budget_over:,.0f}",
    )
    n_depts = p["departments"].map(lambda v: len(v) if isinstance(v, list) else 0)
    add(n_depts > e.departments_over, n_depts.astype(str) + " departments")
    start = pd.to_datetime(p["start_date"], errors="coerce")
    end = pd.to_datetime(p["target_end"], errors="coerce")
    days = (end - start).dt.days
    add(days > e.duration_days_over, "runs " + days.astype("Int64").astype(str) + " days")
    if e.high_profile:
        add(_flag(p["high_profile"]), "high profile")
    if e.custom_software:
        add(_flag(p["custom_software"]), "custom software")
    return reasons.str.removeprefix("; ")


def major_projects(projects: pd.DataFrame, criteria: MajorCriteria) -> pd.Series:
    """Projects meeting at least one engagement criterion."""
    return (major_project_reasons(projects, criteria) != "").astype(bool)


def subscriptions(kinds: pd.Series, subscription_kinds: Sequence[str]) -> pd.Series:
    """Assets bought as a subscription (SaaS): judged by renewal date, not end of support."""
    names = [k.casefold() for k in subscription_kinds]
    return _fold(kinds).isin(names).fillna(False).astype(bool)


def live_assets(stages: pd.Series) -> pd.Series:
    """Assets that still need looking after: anything not Retired (a blank stage included)."""
    return (_fold(stages) != RETIRED).fillna(True).astype(bool)


def _days_since(dates: pd.Series, today: date) -> pd.Series:
    parsed = pd.to_datetime(dates, errors="coerce")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return (pd.Timestamp(today) - parsed).dt.days.astype("Int64")


def review_overdue(
    stages: pd.Series, last_reviewed: pd.Series, today: date, interval_days: int
) -> pd.Series:
    """A live asset last reviewed more than ``interval_days`` ago, or never."""
    age = _days_since(last_reviewed, today)
    late = (age.isna() | (age > interval_days)).fillna(True).astype(bool)
    return live_assets(stages) & late


def as_date(value: Any) -> date | None:
    """A calendar day from a stored value (a date, a timestamp, ISO text); None if it is none."""
    if value is None or (not isinstance(value, list) and pd.isna(value)):
        return None
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        return None


def add_year(day: date) -> date:
    """The same day a year later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day + timedelta(days=365)


def support_status(stages: pd.Series, end_of_support: pd.Series, today: date) -> list[str]:
    """Per asset: Retired, no end-of-support date, past it, ending within 12 months, supported."""
    horizon = add_year(today)
    live = live_assets(stages).tolist()
    out = []
    for is_live, raw in zip(live, end_of_support.astype(object).tolist(), strict=True):
        eos = as_date(raw)
        if not is_live:
            out.append(RETIRED_LABEL)
        elif eos is None:
            out.append(NO_EOS)
        elif eos < today:
            out.append(PAST_EOS)
        elif eos <= horizon:
            out.append(ENDS_SOON)
        else:
            out.append(SUPPORTED)
    return out


def required_from(
    required_documents: Mapping[str, Sequence[str]], order: Sequence[str]
) -> dict[str, str]:
    """Document type -> the earliest phase (in ``order``) that requires it."""
    out: dict[str, str] = {}
    for phase in order:
        for t in required_documents.get(phase, []):
            out.setdefault(t, phase)
    return out


def requires_document(
    phases: pd.Series,
    doc_type: str,
    required_documents: Mapping[str, Sequence[str]],
    order: Sequence[str],
    states: pd.Series | None = None,
    state_documents: Mapping[str, Sequence[str]] | None = None,
) -> pd.Series:
    """Projects whose phase requires a ``doc_type`` document (required from a phase on).

    A project in one of the ``state_documents`` states (On hold, Cancelled) is judged by that
    state's own list instead: a cancelled project is asked for its lessons learned, never for
    an acceptance sign-off of a system nobody accepted.
    """
    start = required_from(required_documents, order).get(doc_type)
    if start is None:
        out = pd.Series(False, index=phases.index, dtype=bool)
    else:
        out = at_or_past(phases, start, order)
    if states is None or not state_documents:
        return out
    folded = _fold(states)
    for state, types in state_documents.items():
        in_state = (folded == state.casefold()).fillna(False).astype(bool)
        out = out.mask(in_state, doc_type in types)
    return out.astype(bool)


def asset_ppm(assets: pd.DataFrame, projects: pd.DataFrame) -> pd.Series:
    """The PPM answerable for each asset: its own PPM column, else its project's PPM.

    The inventory rarely names a PPM (the shipped mapping does not map one), so without the
    join on the project key the Assets sheet's PPM column was empty (issue 13). Keys are
    compared trimmed and case-insensitively, as the rules compare them.
    """
    p = projects.dropna(subset=["project_key"])
    keys = _fold(p["project_key"])
    by_key = dict(zip(keys, p["ppm"].astype("string"), strict=True))
    by_key = {k: v for k, v in by_key.items() if not pd.isna(v)}
    own = assets["ppm"].astype("string").str.strip().replace("", pd.NA)
    via_project = _fold(assets["project_key"]).map(by_key).astype("string")
    return own.fillna(via_project)

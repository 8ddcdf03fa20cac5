"""Project history for the rules that judge change over time: built from snapshots, passed in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pandas as pd

# Charter fields the roadmap calls budget, timeline and scope; a change after commitment
# sign-off needs a charter amendment. Scope is what the project list records of it: the
# departments it serves and whether it builds custom software.
CHARTER_FIELDS: dict[str, str] = {
    "budget": "budget",
    "start_date": "timeline",
    "target_end": "timeline",
    "departments": "scope",
    "custom_software": "scope",
}
# Phase and methodology: rec 3 asks whether the methodology was chosen before the project
# reached Procurement, which only the sequence of observations can tell (phase_when_set).
WATCHED = (*CHARTER_FIELDS, "key_vendor_staff", "vendor", "phase", "methodology")
HISTORY_COLUMNS = ("run_id", "seen_at", "project_key", *WATCHED)
CHANGE_COLUMNS = ("project_key", "field", "before", "after", "last_old_seen", "changed_at")


def _comparable(column: str, value: Any) -> Any:
    """One value in a form where equal means unchanged (lists as sorted, case-folded text)."""
    if isinstance(value, list | tuple):
        items = sorted({str(v).strip().casefold() for v in value if str(v).strip()})
        return "; ".join(items) if items else None
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if column == "budget":
        return round(float(value), 2)
    return value


def _comparable_all(column: str, values: list[Any]) -> list[Any]:
    """:func:`_comparable` of each value, worked out once per distinct value: a project's
    history repeats its values from one observation to the next."""
    done: dict[tuple[type, Any], Any] = {}
    texts: dict[str, Any] = {}  # the common case (phases, dates, names), keyed by the text
    out = []
    for value in values:
        if type(value) is str:
            if value not in texts:
                texts[value] = _comparable(column, value)
            out.append(texts[value])
            continue
        if not isinstance(value, _PLAIN):  # e.g. a Timestamp: equal across zones, not alike
            out.append(_comparable(column, value))
            continue
        key = (type(value), tuple(value) if isinstance(value, list) else value)
        try:
            out.append(done[key])
        except KeyError:
            done[key] = found = _comparable(column, value)
            out.append(found)
        except TypeError:  # unhashable (a list of lists): no shortcut
            out.append(_comparable(column, value))
    return out


_PLAIN = (str, int, float, list, type(None))


def project_history(snapshots: Iterable[tuple[int, datetime, pd.DataFrame]]) -> pd.DataFrame:
    """One row per (run, project) with the watched fields in comparable form.

    Args:
        snapshots: (run id, when the run saw the data, that run's PROJECTS frame), any order.
            The step that builds it reads the state store; the rules only ever see this frame.
    """
    parts = []
    for run_id, seen_at, projects in snapshots:
        cols = [c for c in ("project_key", *WATCHED) if c in projects.columns]
        part = projects[cols].copy()
        part.insert(0, "seen_at", pd.Timestamp(seen_at))
        part.insert(0, "run_id", int(run_id))
        parts.append(part)
    if not parts:
        return project_history_frame(pd.DataFrame(columns=list(HISTORY_COLUMNS)))
    return project_history_frame(pd.concat(parts, ignore_index=True))


def project_history_frame(observations: pd.DataFrame) -> pd.DataFrame:
    """:func:`project_history` of one frame holding ``run_id``, ``seen_at``, ``project_key``
    and the watched fields (missing ones are blank), e.g. the state store's change log."""
    obs = observations.reset_index(drop=True)
    key = obs["project_key"] if "project_key" in obs else pd.Series([], dtype=object)
    keep = key.map(lambda k: k is not None and (isinstance(k, str) or not pd.isna(k)))
    obs = obs[keep.astype(bool)]
    out = pd.DataFrame(
        {
            "run_id": obs["run_id"].astype("int64"),
            "seen_at": pd.to_datetime(obs["seen_at"], utc=True),
            "project_key": obs["project_key"].astype(object),
        }
    )
    for c in WATCHED:
        values = obs[c].astype(object).tolist() if c in obs else [None] * len(obs)
        out[c] = pd.Series(_comparable_all(c, values), index=obs.index, dtype=object)
    out = out.reindex(columns=list(HISTORY_COLUMNS))
    # A key duplicated across sites in one run: keep the first, as the rules do.
    out = out.drop_duplicates(["run_id", "project_key"], keep="first")
    return out.sort_values(["project_key", "run_id"], kind="stable").reset_index(drop=True)


def field_changes(history: pd.DataFrame | None, fields: Iterable[str]) -> pd.DataFrame:
    """Every change of ``fields`` between consecutive observations of a project.

    A value going from blank to set (data entry) or from set to blank (data loss, a
    data-quality matter) is not a change; only one known value replaced by another is.
    ``last_old_seen`` is the last run that saw the old value, ``changed_at`` the first that
    saw the new one: the change happened in between.
    """
    if history is None or history.empty:
        return pd.DataFrame(columns=list(CHANGE_COLUMNS))
    h = history.sort_values(["project_key", "run_id"], kind="stable")
    same = h["project_key"].eq(h["project_key"].shift())
    prev_seen = h["seen_at"].shift()
    parts = []
    for f in fields:
        before = h[f].shift()
        changed = same & before.notna() & h[f].notna() & before.ne(h[f])
        if not changed.any():
            continue
        parts.append(
            pd.DataFrame(
                {
                    "project_key": h.loc[changed, "project_key"],
                    "field": f,
                    "before": before[changed],
                    "after": h.loc[changed, f],
                    "last_old_seen": prev_seen[changed],
                    "changed_at": h.loc[changed, "seen_at"],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=list(CHANGE_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["project_key", "changed_at", "field"], kind="stable").reset_index(
        drop=True
    )


SIGHTING_COLUMNS = ("project_key", "seen_at", "phase", "value")


def sightings(history: pd.DataFrame | None, field: str) -> pd.DataFrame:
    """Every observation of one project field with the phase the project was in when seen,
    oldest first (SIGHTING_COLUMNS; value None when blank).

    This is all the rules read of history beside :func:`field_changes`: whatever stores the
    history (snapshots or a change log), it must be able to answer "which phase was the project
    in, and what did ``field`` hold, at each run that saw it".
    """
    if history is None or history.empty or field not in history.columns:
        return pd.DataFrame(columns=list(SIGHTING_COLUMNS))
    h = history.sort_values(["project_key", "seen_at", "run_id"], kind="stable")
    phase = h["phase"] if "phase" in h.columns else pd.Series(None, index=h.index)
    return pd.DataFrame(
        {
            "project_key": h["project_key"],
            "seen_at": h["seen_at"],
            "phase": phase,
            "value": h[field],
        }
    ).reset_index(drop=True)

"""Horizons: the next day a date-driven rule's verdict can change while the data stays the same.

A new day with no source change can flip only what the calendar decides: a status falls stale,
support ends, a review falls due, a council cycle closes (issue 16, "nights proportional to
change"). Each such rule declares (registry.DateDriven) per entity the first day after today on
which what it says may differ; the pipeline keeps the earliest per rule and, on a later quiet
day, re-checks only the rules whose horizon has come, carrying every other verdict.

The arithmetic mirrors the rules' own tests on whole days (``RuleContext.days_since``):
``(today - d).days > n`` first holds on ``d + n + 1``; ``d > today`` stops holding on ``d``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd

from c3po_sync.errors import C3POError
from c3po_sync.model.tables import TABLE_NAMES, CanonicalTables
from c3po_sync.rules.registry import Rule, RuleContext, all_rules


class TableNotReadError(C3POError, RuntimeError):
    """A date-driven rule read a table its declaration (DateDriven.reads) does not name."""


def dated_rules() -> list[Rule]:
    """The rules whose verdicts move with the day."""
    return [r for r in all_rules() if r.dated is not None]


def reads_of(rule_ids: Iterable[str]) -> tuple[str, ...]:
    """The tables a re-check of ``rule_ids`` must load (projects always: grandfathering)."""
    wanted = set(rule_ids)
    names = {"projects"}
    for r in dated_rules():
        if r.rule_id in wanted and r.dated is not None:
            names |= set(r.dated.reads)
    return tuple(sorted(names))


def days_after(dates: pd.Series, days: int, today: pd.Timestamp) -> pd.Series:
    """Per value, the day ``days`` after its date, where that is after ``today``; NaT else."""
    parsed = pd.to_datetime(dates, errors="coerce")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    due = parsed.dt.normalize() + pd.Timedelta(days=days)
    return due.where(due > today)


def earliest(*parts: pd.Series) -> pd.Series:
    """Row-wise earliest of aligned horizon series (NaT ignored)."""
    return pd.concat(list(parts), axis=1).min(axis=1)


def rule_horizons(ctx: RuleContext, rules: Iterable[Rule] | None = None) -> dict[str, str | None]:
    """Rule id -> the earliest horizon over its entities (ISO day), None when no day can change
    its verdicts. A horizon not after ``ctx.today`` (a rule's mistake) becomes tomorrow: a
    re-check too early is harmless, one too late is not."""
    out: dict[str, str | None] = {}
    tomorrow = ctx.today_ts + pd.Timedelta(days=1)
    for r in rules if rules is not None else dated_rules():
        if r.dated is None:
            continue
        h = pd.to_datetime(r.dated.horizon(ctx), errors="coerce")
        first = h.min() if len(h) else pd.NaT
        if pd.isna(first):
            out[r.rule_id] = None
            continue
        out[r.rule_id] = max(pd.Timestamp(first).normalize(), tomorrow).date().isoformat()
    return out


def due(horizons: dict[str, Any], today: date) -> list[str]:
    """The rules whose horizon has come by ``today``, sorted."""
    day = today.isoformat()
    return sorted(rid for rid, h in horizons.items() if h is not None and str(h) <= day)


class OnlyTables(CanonicalTables):
    """Canonical tables of which only ``loaded`` were read: any other raises when a rule
    touches it, so a re-check never judges over a table that merely looks empty."""

    def __init__(self, loaded: CanonicalTables, names: Iterable[str]) -> None:
        names = tuple(names)
        object.__setattr__(self, "_loaded", frozenset(names))
        # Only ``names`` are read from ``loaded`` (LazyTables load no other).
        super().__init__(**{name: getattr(loaded, name) for name in names})

    def __getattribute__(self, name: str) -> Any:
        if name in TABLE_NAMES and name not in object.__getattribute__(self, "_loaded"):
            raise TableNotReadError(
                f"table {name!r} read by a date-driven re-check that did not load it: "
                "add it to the rule's DateDriven(reads=...)"
            )
        return object.__getattribute__(self, name)

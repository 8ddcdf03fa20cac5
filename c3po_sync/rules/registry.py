"""The rule registry: every check registers here with its audit recommendation and severity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Literal

import pandas as pd

from c3po_sync.errors import C3POError
from c3po_sync.model import domain
from c3po_sync.model.tables import CanonicalTables

if TYPE_CHECKING:
    from c3po_sync.rules.config import RulesConfig

Severity = Literal["high", "medium", "low"]
EntityKind = Literal["project", "asset", "document", "ppm", "source", "council_report"]
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")

# Columns a rule function returns; the engine adds the identity and tagging columns.
HIT_COLUMNS = ("entity_key", "project_key", "ppm", "portfolio", "message", "source_url")


@dataclass
class RuleContext:
    """What a rule sees: the tables, the policy and the day it is judged on, plus shared helpers.

    Helpers are cached so twenty rules do not each re-parse the same date columns.
    """

    tables: CanonicalTables
    config: RulesConfig
    today: date
    # One row per (run, project) from the state store's snapshots, this run included
    # (rules.history.project_history); None when the caller has no history. Rules that judge
    # change over time read it; no rule touches the store.
    history: pd.DataFrame | None = None
    cache: dict = field(default_factory=dict, repr=False)  # rule helpers share work here

    @property
    def projects(self) -> pd.DataFrame:
        return self.tables.projects

    @cached_property
    def today_ts(self) -> pd.Timestamp:
        return pd.Timestamp(self.today)

    @cached_property
    def phase_rank(self) -> pd.Series:
        """Position of each project's phase in the configured order; NA when blank or unknown."""
        return domain.phase_rank(self.projects["phase"], self.config.phases)

    @cached_property
    def states(self) -> pd.Series | None:
        """Each project's state (Active, On hold, Cancelled), None for frames without one."""
        return self.projects["state"] if "state" in self.projects.columns else None

    @cached_property
    def active(self) -> pd.Series:
        """Projects whose phase is known and not inactive (Closed by default) and that are not
        halted (On hold, Cancelled): model.domain."""
        c = self.config
        return domain.active_projects(
            self.projects["phase"], c.phases, c.inactive_phases, self.states, c.state_documents
        )

    @cached_property
    def finished(self) -> pd.Series:
        """Projects that are over: Closed, or Cancelled (model.domain.finished_projects)."""
        c = self.config
        return domain.finished_projects(
            self.projects["phase"], c.phases, c.inactive_phases, self.states, c.finished_states
        )

    def unmapped(self, column: str) -> pd.Series:
        """Per project: True when no project of its source list has ``column`` filled in.

        The canonical tables do not say which fields a site's mapping reads; a field that no
        row of a list carries is taken as not read there, so a rule needing it says "not
        checked" for that list's projects instead of flagging every one of them (a Yes/No
        column, once mapped, is never blank in SharePoint)."""
        key = "unmapped:" + column
        if key not in self.cache:
            self.cache[key] = domain.unfilled_by_source(self.projects, column)
        return self.cache[key]

    def grandfathered(self, rule_id: str) -> pd.Series | None:
        """Per project, whether ``rule_id``'s policy postdates it (True), applies (False) or
        cannot be told (NA: finished on an unrecorded date); None when the rule has no
        effective date (policy_effective), so it applies to every project."""
        effective = self.config.policy_effective.get(rule_id)
        if effective is None:
            return None
        return domain.grandfathered(self.finished, self.projects["actual_end"], effective)

    def at_or_past(self, phase: str) -> pd.Series:
        """Projects whose phase is ``phase`` or later in the configured order."""
        return domain.at_or_past(self.projects["phase"], phase, self.config.phases)

    def days_since(self, dates: pd.Series) -> pd.Series:
        """Whole days from each date to today (negative when in the future); NA when missing."""
        parsed = pd.to_datetime(dates, errors="coerce")
        return (self.today_ts - parsed).dt.days.astype("Int64")


RuleFn = Callable[[RuleContext], pd.DataFrame]
Requirement = Callable[["RulesConfig"], "str | None"]
"""Why a rule cannot run under a policy (a setting it needs is absent), or None when it can."""
# What a rule judges: one row per entity (SCOPE_COLUMNS) saying whether the rule applies to it
# (True), does not (False) or cannot tell with the data or settings at hand (NA: "not checked").
ScopeFn = Callable[[RuleContext], pd.DataFrame]
SCOPE_COLUMNS = ("entity_key", "project_key", "applies", "note")
# When a rule's verdict on an entity may next change with the calendar alone (the data as it
# is): one date per entity (any index), the first day after ``ctx.today`` on which what the rule
# says of it (verdict, scope, note, message) may differ; NaT where no day can change it. Too
# early is harmless (a re-check that finds nothing new); too late would be a missed finding.
HorizonFn = Callable[[RuleContext], pd.Series]
TableName = Literal["projects", "documents", "status_reports", "assets", "quarantine"]


@dataclass(frozen=True)
class DateDriven:
    """A rule whose verdicts move with the day (rules.horizons): when its horizon comes, a new
    day with unchanged data re-checks it alone, over ``reads`` (the tables it and its scope
    read; any other table raises there rather than look empty)."""

    horizon: HorizonFn
    reads: tuple[TableName, ...] = ("projects", "quarantine")


@dataclass(frozen=True)
class Rule:
    """One registered check; ``near_miss`` documents the closest case that must not fire."""

    rule_id: str
    recommendation: int
    severity: Severity
    entity_kind: EntityKind
    description: str
    near_miss: str
    fn: RuleFn
    requires: Requirement | None = None  # the whole rule cannot run under a policy
    scope: ScopeFn | None = None  # rules.evaluation: which entities it applies to, or cannot judge
    dated: DateDriven | None = None  # its verdicts move with the day: when (rules.horizons)

    def cannot_run(self, config: RulesConfig) -> str | None:
        """Why this rule is "not checked" under ``config`` (None: it runs). A rule that cannot
        run must never make its recommendation look compliant (issue 13).

        This is the one place a setting makes a rule "not checked": the engine skips the
        rule, the evaluation table marks every entity it would judge "not checked" with this
        reason, and the scorecard, the run summary and `validate` list it. Scopes only say
        which entities the data lets the rule judge."""
        if self.rule_id in config.disabled:
            return DISABLED_REASON
        return self.requires(config) if self.requires else None


DISABLED_REASON = "disabled in the rules configuration (disabled)"
_REGISTRY: dict[str, Rule] = {}


class RuleRegistrationError(C3POError, ValueError):
    """A rule was registered twice or with tags outside the audit's range."""


def rule(
    rule_id: str,
    *,
    recommendation: int,
    severity: Severity,
    description: str,
    near_miss: str = "",
    entity: EntityKind = "project",
    requires: Requirement | None = None,
    scope: ScopeFn | None = None,
    dated: DateDriven | None = None,
) -> Callable[[RuleFn], RuleFn]:
    """Registers a rule function under ``rule_id`` with its audit tags.

    Args:
        rule_id: stable id; it is part of every finding id, so never rename a shipped rule.
        recommendation: audit recommendation 1-10, or 0 for data-quality checks.
        severity: default severity; config/rules.yaml may override it.
        description: one line saying what fires the rule.
        near_miss: the closest case that does not fire (documentation and test guide).
        entity: what the finding's entity_key identifies.
        requires: says why the rule cannot run under a policy (a setting it needs is unset);
            such a rule is skipped and reported "not checked", never "compliant".
        scope: the entities the rule judges and whether it applies to each (see ScopeFn);
            the compliance matrix needs it to tell "complies" from "not applicable" and
            "not checked".
        dated: for a rule whose verdict depends on ``ctx.today``, when it can next change
            (its horizon) and what it reads; a rule without it must judge the same on every
            day (tests/rules/test_horizons.py holds every rule to that).
    """
    if not 0 <= recommendation <= 10:
        raise RuleRegistrationError(f"{rule_id}: recommendation {recommendation} not in 0-10")
    if severity not in SEVERITIES:
        raise RuleRegistrationError(f"{rule_id}: severity {severity!r} not in {SEVERITIES}")

    def register(fn: RuleFn) -> RuleFn:
        if rule_id in _REGISTRY and _REGISTRY[rule_id].fn is not fn:
            raise RuleRegistrationError(f"rule id {rule_id!r} registered twice")
        _REGISTRY[rule_id] = Rule(
            rule_id, recommendation, severity, entity, description, near_miss, fn, requires, scope,
            dated,
        )  # fmt: skip
        return fn

    return register


def all_rules() -> list[Rule]:
    """Every registered rule, ordered by recommendation then id."""
    return sorted(_REGISTRY.values(), key=lambda r: (r.recommendation, r.rule_id))


def get_rule(rule_id: str) -> Rule:
    try:
        return _REGISTRY[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule id {rule_id!r}; known: {sorted(_REGISTRY)}") from None


def hits(frame: pd.DataFrame, entity_key: pd.Series | str, messages: pd.Series) -> pd.DataFrame:
    """Shapes the rows that failed a project check into the columns the engine expects.

    ``frame`` is the failing slice of the projects table (or any table with the same
    project_key/ppm/portfolio/source_url columns).
    """
    out = pd.DataFrame(index=frame.index)
    out["entity_key"] = entity_key if isinstance(entity_key, pd.Series) else frame[entity_key]
    for col in ("project_key", "ppm", "portfolio", "source_url"):
        out[col] = frame[col] if col in frame.columns else pd.NA
    out["message"] = messages
    return out.reset_index(drop=True)


def no_hits() -> pd.DataFrame:
    return pd.DataFrame(columns=list(HIT_COLUMNS))


def blank(series: pd.Series) -> pd.Series:
    """True where a text value is missing or only whitespace (SharePoint sends both)."""
    s = series.astype("string")
    return (s.isna() | s.str.strip().eq("")).fillna(True).astype(bool)


def flag(series: pd.Series) -> pd.Series:
    """A nullable boolean column as plain bools, unknown counting as False."""
    return series.astype("boolean").fillna(False).astype(bool)

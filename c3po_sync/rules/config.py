"""Typed policy for the rules (config/rules.yaml): thresholds, phase gates, overrides."""

from __future__ import annotations

import difflib
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from c3po_sync.config.errors import ConfigError
from c3po_sync.config.located import KeyPath, YamlSyntaxError, line_of, read_yaml
from c3po_sync.model import domain
from c3po_sync.model.schema import PHASES
from c3po_sync.rules.catalogue import known_rule_ids
from c3po_sync.rules.doc_types import DEFAULT_REQUIRED_DOCUMENTS, REQUIRABLE_DOC_TYPES
from c3po_sync.rules.intake import IntakePolicy
from c3po_sync.rules.registry import SEVERITIES, Severity

DEFAULT_PHASES = list(PHASES)


class RulesConfigError(ConfigError, ValueError):
    """config/rules.yaml is unreadable or invalid; the message names the file and the key."""

    def __init__(
        self,
        path: str,
        key: str,
        problem: str,
        line: int | None = None,
        more: list[RulesConfigError] | None = None,
    ) -> None:
        super().__init__(path, key, problem, line)
        # Every problem in the file, this one first, for `validate` to list at once.
        self.problems: list[RulesConfigError] = [self, *(more or [])]
        if more:
            self.args = (f"{self.located()} (and {len(more)} more)",)

    @property
    def path(self) -> str:
        return self.file


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EngagementCriteria(_Strict):
    """When the roadmap says a project must be managed by a C3PO PPM (any one suffices)."""

    budget_over: float = Field(500_000, description="budget strictly above this, in USD")
    departments_over: int = Field(1, description="more impacted departments than this")
    duration_days_over: int = Field(365, description="target_end - start_date above this")
    high_profile: bool = Field(True, description="high-profile or sensitive projects qualify")
    custom_software: bool = Field(True, description="custom or customized software qualifies")


class PhaseGates(_Strict):
    """The first phase from which each field must be filled in."""

    sponsor: str = Field("Procurement", description="sponsor named (past Chartering)")
    departments: str = Field("Procurement", description="impacted departments named")
    product_owner: str = Field("Chartering", description="product owner assigned")
    governance_body: str = Field("Chartering", description="governance body named")
    itd_liaison: str = Field("Chartering", description="ITD liaison named")
    methodology: str = Field("Procurement", description="Waterfall/Agile chosen")
    ppb_priority: str = Field("Procurement", description="PPB priority where a vendor is involved")
    key_vendor_staff: str = Field("Execution", description="key vendor staff listed")
    metrics: str = Field("Release", description="metric goals (OKRs) set")
    asset_inventory: str = Field("Release", description="delivered system is in the inventory")
    ppm: str = Field("Chartering", description="a PPM manages the project (past Initiation)")
    stakeholders: str = Field(
        "Procurement", description="each impacted department's stakeholders named"
    )
    progress: str = Field("Chartering", description="schedule and budget progress tracked")
    delivered: str = Field(
        "Sustain", description="the project has delivered: no schedule left to overrun"
    )
    vendor_review: str = Field("Execution", description="vendor performance reviewed")


class RulesConfig(_Strict):
    """Everything policy-shaped the rules read; nothing here is a secret."""

    phases: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PHASES), description="lifecycle phases in order"
    )
    inactive_phases: list[str] = Field(
        default_factory=lambda: ["Closed"],
        description="phases in which a project is no longer active",
    )
    reporting_window_days: int = Field(60, ge=1, description="status older than this is stale")
    engagement: EngagementCriteria = Field(default_factory=EngagementCriteria)
    max_active_projects_per_ppm: int = Field(4, ge=1)
    review_interval_days: int = Field(365, ge=1, description="asset inventory review interval")
    required_documents: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_REQUIRED_DOCUMENTS.items()},
        description="phase -> document types required from that phase on",
    )
    phase_gates: PhaseGates = Field(default_factory=PhaseGates)
    current_charter_template: str | None = Field(
        None, description="charter template version in force; null disables the check"
    )
    state_documents: dict[str, list[str]] = Field(
        default_factory=lambda: {"Cancelled": ["lessons_learned"], "On hold": []},
        description="halted state -> the documents a project in it must have (instead of "
        "its phase's); a project in one of these states is not active",
    )
    finished_states: list[str] = Field(
        default_factory=lambda: ["Cancelled"],
        description="states in which a project is over, like a Closed one (grandfathering)",
    )
    policy_effective: dict[str, date] = Field(
        default_factory=dict,
        description="rule id -> date its policy took effect; projects finished before it are "
        "grandfathered",
    )
    system_kinds: list[str] = Field(
        default_factory=lambda: ["System", "Upgrade"],
        description="project kinds that deliver a system (asset inventory rule)",
    )
    subscription_kinds: list[str] = Field(
        default_factory=lambda: ["Subscription", "Cloud Service"],
        description="asset kinds judged by renewal date rather than end of support",
    )
    major_project: EngagementCriteria = Field(
        default_factory=EngagementCriteria,
        description="what makes a project major for a PPM's load (default: the engagement "
        "criteria)",
    )
    load_phases: list[str] = Field(
        default_factory=lambda: ["Chartering", "Procurement", "Execution", "Release"],
        description="phases whose major projects count toward a PPM's load",
    )
    vendor_review_interval_days: int = Field(
        90, ge=1, description="vendor performance reviewed at least this often (days)"
    )
    council_report_cycle_days: int = Field(
        60, ge=1, description="a council report is due every this many days"
    )
    council_reports_from: date | None = Field(
        None, description="first day of the first council reporting cycle; null: not checked"
    )
    severities: dict[str, Severity] = Field(
        default_factory=dict, description="rule id -> severity override"
    )
    disabled: list[str] = Field(default_factory=list, description="rule ids not to run")
    intake: IntakePolicy = Field(
        default_factory=IntakePolicy, description="intake triage thresholds and portfolio areas"
    )

    @model_validator(mode="after")
    def _check_names(self) -> RulesConfig:
        problems: list[tuple[str, str]] = []
        phases = self.phases
        if len(set(phases)) != len(phases):
            problems.append(("phases", "phases must be unique"))

        def phase_ok(key: str, value: str) -> None:
            if value not in phases:
                problems.append((key, f"unknown phase {value!r}{_suggest(value, phases)}"))

        for p in self.inactive_phases:
            phase_ok("inactive_phases", p)
        for p in self.load_phases:
            phase_ok("load_phases", p)
        for state, doc_types in self.state_documents.items():
            for t in doc_types:
                if t not in REQUIRABLE_DOC_TYPES:
                    problems.append(
                        (
                            f"state_documents.{state}",
                            f"unknown document type {t!r}{_suggest(t, list(REQUIRABLE_DOC_TYPES))}",
                        )
                    )
        for st in self.finished_states:
            if st not in self.state_documents:
                problems.append(
                    (
                        "finished_states",
                        f"unknown state {st!r}; states: {list(self.state_documents)}",
                    )
                )
        for name, value in self.phase_gates.model_dump().items():
            phase_ok(f"phase_gates.{name}", value)
        for phase, doc_types in self.required_documents.items():
            phase_ok(f"required_documents.{phase}", phase)
            for t in doc_types:
                if t not in REQUIRABLE_DOC_TYPES:
                    problems.append(
                        (
                            f"required_documents.{phase}",
                            f"unknown document type {t!r}{_suggest(t, list(REQUIRABLE_DOC_TYPES))}",
                        )
                    )
        known = known_rule_ids()
        for rid in self.disabled:
            if rid not in known:
                problems.append(("disabled", f"unknown rule id {rid!r}{_suggest(rid, known)}"))
        for rid in self.policy_effective:
            if rid not in known:
                problems.append(
                    (f"policy_effective.{rid}", f"unknown rule id {rid!r}{_suggest(rid, known)}")
                )
        for rid in self.severities:
            if rid not in known:
                problems.append(
                    (f"severities.{rid}", f"unknown rule id {rid!r}{_suggest(rid, known)}")
                )
        if problems:
            # Raised as ValueError so pydantic reports it; load_rules_config re-locates it.
            raise ValueError("; ".join(f"{k}: {m}" for k, m in problems))
        return self

    def required_from(self) -> dict[str, str]:
        """Document type -> earliest phase that requires it."""
        return domain.required_from(self.required_documents, self.phases)

    def severity_of(self, rule_id: str, default: str) -> str:
        return self.severities.get(rule_id, default)


def _suggest(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=3, cutoff=0.6)
    if close:
        return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
    return f"; valid: {', '.join(choices)}" if len(choices) <= 12 else ""


def parse_rules_config(
    data: Any, path: str = "<rules config>", lines: dict[KeyPath, int] | None = None
) -> RulesConfig:
    """Validates an already-parsed mapping; errors name ``path`` and the dotted key."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        got = type(data).__name__
        raise RulesConfigError(path, "", f"expected a mapping at top level, got {got}")
    try:
        return RulesConfig.model_validate(data)
    except ValidationError as exc:
        found = [_located(err, path, lines or {}) for err in exc.errors()]
        raise RulesConfigError(
            path, found[0].key, found[0].problem, found[0].line, found[1:]
        ) from None


def _located(err: Any, path: str, lines: dict[KeyPath, int]) -> RulesConfigError:
    """One pydantic error as a located problem (key, line, message a person can act on)."""
    key = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if not key and ": " in msg:
        # Our own cross-field check: "key: problem; key: problem".
        key, _, msg = msg.partition(": ")
    if err["type"] == "extra_forbidden":
        field_names = _allowed_keys(err["loc"])
        msg = f"unknown key{_suggest(str(err['loc'][-1]), field_names)}"
    return RulesConfigError(path, key, msg, line_of(lines, key))


def _allowed_keys(loc: tuple) -> list[str]:
    model: type[BaseModel] = RulesConfig
    for part in loc[:-1]:
        ann = model.model_fields.get(str(part))
        sub = getattr(ann, "annotation", None) if ann else None
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            model = sub
        else:
            break
    return list(model.model_fields)


def load_rules_config(path: str | Path) -> RulesConfig:
    """Reads and validates config/rules.yaml, failing fast with the file and key at fault."""
    p = Path(path)
    try:
        data, lines = read_yaml(p)
    except OSError as exc:
        raise RulesConfigError(str(p), "", f"cannot read: {exc.strerror or exc}") from None
    except YamlSyntaxError as exc:
        raise RulesConfigError(str(p), "", exc.what, exc.line) from None
    return parse_rules_config(data, str(p), lines)


__all__ = [
    "EngagementCriteria",
    "PhaseGates",
    "REQUIRABLE_DOC_TYPES",
    "RulesConfig",
    "RulesConfigError",
    "SEVERITIES",
    "load_rules_config",
    "parse_rules_config",
]

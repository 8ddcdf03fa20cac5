"""Compliance rules: one small pure check per audit requirement, run by :func:`evaluate`."""

from __future__ import annotations

# Importing the catalogue registers the built-in rules.
from c3po_sync.rules import catalogue  # noqa: F401
from c3po_sync.rules.config import (
    RulesConfig,
    RulesConfigError,
    load_rules_config,
    parse_rules_config,
)
from c3po_sync.rules.engine import (
    RuleFailedError,
    evaluate,
    not_checked,
    recommendations_not_checked,
    rules_markdown,
    rules_table,
)
from c3po_sync.rules.registry import Rule, RuleContext, all_rules, get_rule, rule

__all__ = [
    "Rule",
    "RuleContext",
    "RuleFailedError",
    "RulesConfig",
    "RulesConfigError",
    "all_rules",
    "evaluate",
    "get_rule",
    "load_rules_config",
    "not_checked",
    "parse_rules_config",
    "recommendations_not_checked",
    "rule",
    "rules_markdown",
    "rules_table",
]

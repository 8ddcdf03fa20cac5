"""Runs the enabled rules over the canonical tables and renders the rule catalogue."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

import pandas as pd

from c3po_sync.errors import C3POError
from c3po_sync.model.schema import FINDINGS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules.config import RulesConfig
from c3po_sync.rules.fix_links import edit_form_links
from c3po_sync.rules.registry import HIT_COLUMNS, Rule, RuleContext, all_rules, get_rule

logger = logging.getLogger(__name__)


class RuleFailedError(C3POError, RuntimeError):
    """A rule raised; the message names the rule so the bug is findable."""


def enabled_rules(config: RulesConfig) -> list[Rule]:
    """The rules that run under ``config``: not disabled and with every setting they need."""
    return [r for r in all_rules() if r.cannot_run(config) is None]


def not_checked(config: RulesConfig) -> dict[str, str]:
    """Rule id -> why it does not run under ``config`` (disabled, or a setting it needs unset).

    Its absence of findings means nothing: sinks show these as "not checked", not compliant.
    """
    out = {}
    for r in all_rules():
        reason = r.cannot_run(config)
        if reason is not None:
            out[r.rule_id] = reason
    return out


def recommendations_not_checked(config: RulesConfig) -> dict[int, str]:
    """Audit recommendation -> why none of its checks runs under ``config``.

    A recommendation with at least one running check is checked (partly); one whose every
    check is skipped (e.g. recommendation 1 with no ``current_charter_template``) is not.
    """
    skipped = not_checked(config)
    by_rec: dict[int, list[Rule]] = {}
    for r in all_rules():
        by_rec.setdefault(r.recommendation, []).append(r)
    return {
        rec: "; ".join(dict.fromkeys(skipped[r.rule_id] for r in rules))
        for rec, rules in by_rec.items()
        if rec and all(r.rule_id in skipped for r in rules)
    }


def evaluate(
    tables: CanonicalTables,
    config: RulesConfig,
    today: date,
    only: Iterable[str] | None = None,
    history: pd.DataFrame | None = None,
    context: RuleContext | None = None,
) -> pd.DataFrame:
    """Runs every enabled rule and returns one FINDINGS frame sorted by finding_id.

    ``today`` is explicit so a rerun of an old day, and every test, is reproducible.
    ``only`` narrows the run to some rule ids (still minus the disabled ones), for
    explaining one rule or testing it; unknown ids raise KeyError.
    ``history`` is :func:`c3po_sync.rules.history.project_history` over the stored snapshots;
    without it the rules that judge change over time find nothing.
    A finding id is ``rule_id:entity_key``; when two rows collide (a project key duplicated
    across sites) the first is kept and the collision logged, because the history keys on it.
    ``context``: a RuleContext of these same inputs, handed on to
    :func:`c3po_sync.rules.evaluation.evaluation_table` so what the rules derive (phase ranks,
    upload folders, R3 verdicts) is derived once a run, not again for the scopes.
    """
    ctx = context or RuleContext(tables=tables, config=config, today=today, history=history)
    parts: list[pd.DataFrame] = []
    rules = enabled_rules(config)
    if only is not None:
        wanted = {get_rule(rid).rule_id for rid in only}
        rules = [r for r in rules if r.rule_id in wanted]
    for r in rules:
        try:
            found = r.fn(ctx)
        except Exception as exc:
            raise RuleFailedError(f"rule {r.rule_id} failed: {exc!r}") from exc
        if found is None or found.empty:
            continue
        found = found.reindex(columns=list(HIT_COLUMNS))
        found = found[found["entity_key"].notna()]
        found = _drop_grandfathered(ctx, r, found)
        if found.empty:
            continue
        found = found.assign(
            rule_id=r.rule_id,
            recommendation=r.recommendation,
            severity=config.severity_of(r.rule_id, r.severity),
            entity_kind=r.entity_kind,
            finding_id=r.rule_id + ":" + found["entity_key"].astype(str),
        )
        logger.debug("rule %s: %d finding(s)", r.rule_id, len(found))
        parts.append(found.astype(object))
    if not parts:
        return FINDINGS.empty()
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.where(rows.notna(), None)
    out = FINDINGS.frame(rows.to_dict("records"))
    dup = out["finding_id"].duplicated()
    if dup.any():
        logger.warning(
            "dropping %d duplicate finding id(s), e.g. %s",
            int(dup.sum()),
            out.loc[dup, "finding_id"].iloc[0],
        )
        out = out[~dup]
    out["source_url"] = edit_form_links(out["source_url"])
    return out.sort_values("finding_id", kind="stable").reset_index(drop=True)


def _drop_grandfathered(ctx: RuleContext, r: Rule, found: pd.DataFrame) -> pd.DataFrame:
    """Hits on projects the rule's policy does not reach: finished before its effective date
    (grandfathered) or on an unknown date (not checked). The evaluation table shows both."""
    gf = ctx.grandfathered(r.rule_id)
    if gf is None or found["project_key"].isna().all():
        return found
    spared = set(ctx.projects.loc[gf.fillna(True).astype(bool).to_numpy(), "project_key"])
    return found[~found["project_key"].isin(spared)]


def rules_table(config: RulesConfig | None = None) -> pd.DataFrame:
    """The rule catalogue, with effective severity and enablement under ``config``."""
    config = config or RulesConfig()
    disabled = set(config.disabled)
    rows = [
        {
            "rule_id": r.rule_id,
            "recommendation": r.recommendation,
            "severity": config.severity_of(r.rule_id, r.severity),
            "enabled": r.rule_id not in disabled,
            "entity_kind": r.entity_kind,
            "fires_when": r.description,
            "near_miss": r.near_miss,
        }
        for r in all_rules()
    ]
    return pd.DataFrame(rows)


def rules_markdown(config: RulesConfig | None = None) -> str:
    """The catalogue as a Markdown table (docs/rules.md is generated from it)."""
    table = rules_table(config)
    lines = [
        "| rule | rec | severity | enabled | entity | fires when | does not fire (near miss) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in table.itertuples(index=False):
        rec = str(row.recommendation) if row.recommendation else "DQ"
        cells = [
            f"`{row.rule_id}`",
            rec,
            row.severity,
            "yes" if row.enabled else "no",
            row.entity_kind,
            row.fires_when,
            row.near_miss,
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"

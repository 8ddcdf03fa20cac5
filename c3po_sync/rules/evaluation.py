"""The evaluation table: for every rule and every entity it judges, pass, fail, not applicable
or not checked.

Findings say only what fails. An auditor also needs to know what was checked and passed, what
the rule does not cover, and what could not be checked with the data or settings at hand — a
check that cannot run is "not checked", never "complies" (DESIGN.md). Each rule's scope
(registry.ScopeFn) supplies the last three; the findings supply "fail".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd

from c3po_sync.errors import C3POError
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules.config import RulesConfig
from c3po_sync.rules.registry import RuleContext, all_rules

PASS, FAIL, NOT_APPLICABLE, NOT_CHECKED = "pass", "fail", "not_applicable", "not_checked"
GRANDFATHERED = "grandfathered"
STATUSES = (PASS, FAIL, NOT_APPLICABLE, NOT_CHECKED, GRANDFATHERED)
EVALUATION_COLUMNS = (
    "rule_id", "recommendation", "entity_kind", "entity_key", "project_key", "status", "note",
)  # fmt: skip
DISABLED = "rule disabled in the rules configuration (disabled:)"
END_UNKNOWN = "finished on an unrecorded date (actual_end), so whether the policy applied "
NO_SCOPE = "the rule declares no scope"


class EvaluationError(C3POError, RuntimeError):
    """A rule's scope function raised; the message names the rule."""


def empty_evaluation() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in EVALUATION_COLUMNS}).astype(
        {"recommendation": "Int64"}
    )


def _grandfather(ctx: RuleContext, rule_id: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Projects finished before the rule's policy took effect are "grandfathered" (never
    "pass"); finished on an unrecorded date, "not checked"."""
    gf = ctx.grandfathered(rule_id)
    if gf is None or frame.empty:
        return frame
    effective = ctx.config.policy_effective[rule_id]
    p = ctx.projects
    keys = p["project_key"].astype("string")
    last = ~keys.duplicated(keep="last").to_numpy()  # a key listed twice: its last row decides
    by_key = pd.Series(gf.to_numpy()[last], index=keys[last].to_numpy(), dtype="boolean")
    ends = pd.Series(p["actual_end"].to_numpy()[last], index=keys[last].to_numpy())
    judged = frame["status"].isin([PASS, FAIL]) & frame["project_key"].notna()
    key = frame["project_key"].where(judged)
    known = key.isin(by_key.index).to_numpy() & judged.to_numpy()
    flag = pd.Series(pd.NA, index=frame.index, dtype="boolean")
    flag[known] = by_key.reindex(key[known]).to_numpy()
    unknown = known & flag.isna().to_numpy()
    spared = known & flag.fillna(False).to_numpy(dtype=bool)
    if unknown.any():
        frame.loc[unknown, "status"] = NOT_CHECKED
        frame.loc[unknown, "note"] = END_UNKNOWN + f"(from {effective:%Y-%m-%d}) cannot be told"
    if spared.any():
        frame.loc[spared, "status"] = GRANDFATHERED
        frame.loc[spared, "note"] = [
            f"finished {pd.Timestamp(end):%Y-%m-%d}, before the policy took effect "
            f"{effective:%Y-%m-%d}"
            for end in ends.reindex(key[spared]).tolist()
        ]
    return frame


def evaluation_table(
    tables: CanonicalTables,
    config: RulesConfig,
    today: date,
    findings: pd.DataFrame,
    history: pd.DataFrame | None = None,
    context: RuleContext | None = None,
    only: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per (rule, entity) with its status, from the rules' scopes and ``findings``.

    ``findings`` is :func:`evaluate`'s output for the same inputs; ``history`` is what was given
    to it (rules that judge change over time are "not checked" without it). A disabled rule is
    "not checked" wherever it would apply. A failing entity outside the rule's declared scope
    still counts as failing: a finding is never hidden by a scope. ``context``: the
    RuleContext :func:`evaluate` ran with, so the scopes reuse what the rules derived.
    ``only``: the rows of these rule ids alone (a date-driven re-check, rules.horizons).
    """
    ctx = context or RuleContext(tables=tables, config=config, today=today, history=history)
    disabled = set(config.disabled)
    failed: dict[str, pd.DataFrame] = {}
    if len(findings):
        for rid, group in findings.groupby("rule_id", sort=False):
            failed[str(rid)] = group
    parts: list[pd.DataFrame] = []
    wanted = set(only) if only is not None else None
    for r in all_rules():
        if wanted is not None and r.rule_id not in wanted:
            continue
        if r.scope is None:
            scope = pd.DataFrame(columns=["entity_key", "project_key", "applies", "note"])
        else:
            try:
                scope = r.scope(ctx)
            except Exception as exc:
                raise EvaluationError(f"scope of rule {r.rule_id} failed: {exc!r}") from exc
        scope = scope[scope["entity_key"].notna()].drop_duplicates("entity_key", keep="first")
        applies = scope["applies"].astype("boolean")
        status = pd.Series(NOT_APPLICABLE, index=scope.index, dtype="string")
        status[applies.fillna(False).astype(bool)] = PASS
        status[applies.isna()] = NOT_CHECKED
        note = scope["note"].astype("string")
        why = r.cannot_run(config)
        if why is not None:  # the one "not checked by configuration" path (Rule.cannot_run)
            status[status != NOT_APPLICABLE] = NOT_CHECKED
            note = note.where(status != NOT_CHECKED, DISABLED if r.rule_id in disabled else why)
        frame = pd.DataFrame(
            {
                "entity_key": scope["entity_key"].astype("string"),
                "project_key": scope["project_key"].astype("string"),
                "status": status,
                "note": note,
            }
        )
        hits = failed.get(r.rule_id)
        if hits is not None and len(hits):
            keys = hits["entity_key"].astype("string")
            inside = frame["entity_key"].isin(set(keys))
            frame.loc[inside, "status"] = FAIL
            frame.loc[inside, "note"] = pd.NA
            outside = hits[~keys.isin(set(frame["entity_key"]))]
            extra = pd.DataFrame(
                {
                    "entity_key": outside["entity_key"].astype("string"),
                    "project_key": outside["project_key"].astype("string"),
                    "status": FAIL,
                    "note": pd.NA if r.scope is not None else NO_SCOPE,
                }
            )
            frame = pd.concat([frame, extra], ignore_index=True) if len(extra) else frame
        frame = _grandfather(ctx, r.rule_id, frame)
        frame["rule_id"] = r.rule_id
        frame["recommendation"] = r.recommendation
        frame["entity_kind"] = r.entity_kind
        parts.append(frame)
    if not parts:
        return empty_evaluation()
    return joined_evaluation(parts)


def joined_evaluation(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """``parts`` (evaluation rows, EVALUATION_COLUMNS in any order and dtypes) as one table
    with the evaluation's columns and dtypes, in order; ``parts`` are emptied as they go.

    Column by column, each taken out of the parts as it is joined: the whole table exists
    once, not beside its parts and a reordered copy (issue 16, evaluate's peak memory).
    """
    if not parts:
        return empty_evaluation()
    columns = {
        col: pd.concat([part.pop(col) for part in parts], ignore_index=True).astype(
            "Int64" if col == "recommendation" else "string"
        )
        for col in EVALUATION_COLUMNS
    }
    return pd.DataFrame(columns, copy=False)

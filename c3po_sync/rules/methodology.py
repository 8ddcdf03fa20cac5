"""Audit recommendation 3, in time: "Identify Waterfall or Agile approach pre-procurement".

R3-methodology-missing says a project at or past Procurement has no methodology now. This rule
reads the project history (rules.history.sightings) to tell whether the methodology it has now
was already recorded when the project reached Procurement.
"""

from __future__ import annotations

import pandas as pd

from c3po_sync.model import domain
from c3po_sync.rules import scope as sc
from c3po_sync.rules.history import sightings
from c3po_sync.rules.registry import RuleContext, blank, hits, no_hits, rule

LATE, IN_TIME, UNKNOWN = "late", "in time", "unknown"
NO_HISTORY = "no history shows the project before it reached Procurement"


def verdicts(ctx: RuleContext) -> pd.Series:
    """Per project (projects index): LATE when the first run that saw it at or past the gate saw
    no methodology; IN_TIME when that run saw one and an earlier run saw the project before the
    gate; UNKNOWN otherwise (no history, or history starting after the gate); NA when the rule
    does not apply (before the gate, inactive, or no methodology now: R3-methodology-missing)."""
    if "r3_verdicts" in ctx.cache:
        return ctx.cache["r3_verdicts"]
    p = ctx.projects
    gate = ctx.config.phase_gates.methodology
    applies = ctx.active & ctx.at_or_past(gate) & ~blank(p["methodology"])
    out = pd.Series(pd.NA, index=p.index, dtype="string")
    out[applies] = UNKNOWN
    seen = sightings(ctx.history, "methodology")
    if len(seen):
        seen = seen.assign(
            past=domain.at_or_past(seen["phase"], gate, ctx.config.phases).to_numpy(),
            key=seen["project_key"].astype(str),
        )
        # Per project, the first sighting at or past the gate (sightings come in run order):
        # blank there is LATE; set there with an earlier sighting (before the gate) is IN_TIME.
        order = seen.groupby("key", sort=False).cumcount()
        first = seen[seen["past"].to_numpy(dtype=bool)].drop_duplicates("key", keep="first")
        late = first["value"].isna()
        in_time = ~late & (order[first.index] > 0)
        verdict = dict.fromkeys(first.loc[late, "key"], LATE)
        verdict.update(dict.fromkeys(first.loc[in_time, "key"], IN_TIME))
        found = p["project_key"].astype(str).map(verdict)
        out = out.where(~(applies & found.notna()), found)
    ctx.cache["r3_verdicts"] = out
    return out


def _scope(ctx: RuleContext) -> pd.DataFrame:
    v = verdicts(ctx)
    applies = pd.Series(False, index=v.index, dtype="boolean")
    applies[v.notna()] = True
    applies[(v == UNKNOWN).fillna(False)] = pd.NA
    applies = applies.mask(ctx.phase_rank.isna(), pd.NA)
    return sc.project_scope(ctx, applies, NO_HISTORY)


@rule(
    "R3-methodology-after-procurement",
    recommendation=3,
    severity="medium",
    description="an active project at or past Procurement has a methodology now, but the first "
    "sync that saw it at or past Procurement saw none (chosen after procurement began; needs "
    "the project history)",
    near_miss="a sync saw the methodology while the project was still in Chartering; without "
    "history from before Procurement the rule is not checked",
    scope=_scope,
)
def methodology_after_procurement(ctx: RuleContext) -> pd.DataFrame:
    p = ctx.projects
    mask = (verdicts(ctx) == LATE).fillna(False).astype(bool)
    bad = p[mask]
    if bad.empty:
        return no_hits()
    return hits(
        bad,
        "project_key",
        "Methodology chosen after procurement began: "
        + bad["project_key"]
        + " reached "
        + ctx.config.phase_gates.methodology
        + " before "
        + bad["methodology"]
        + " was recorded; record in the charter why the approach was chosen late",
    )

"""Where a rule applies: the helpers rules use to declare their scope (registry.ScopeFn).

A rule's function says which entities fail; its scope says which it judged at all. Together
they give every (rule, entity) a status — pass, fail, not applicable, or not checked — so the
compliance matrix never calls a project compliant with a check that could not run (a phase
nobody can place, a setting left empty, no history yet).
"""

from __future__ import annotations

import pandas as pd

from c3po_sync.rules.registry import SCOPE_COLUMNS, RuleContext, blank

PHASE_UNKNOWN = "phase unknown, so the phase gate cannot be judged"
UNMAPPED = "no project of its list records {field} (not mapped there), so it cannot be judged"


def scope_frame(
    frame: pd.DataFrame,
    entity_key: pd.Series | str,
    applies: pd.Series,
    note: pd.Series | str | None = None,
) -> pd.DataFrame:
    """Shapes a scope: ``applies`` is True, False or NA (cannot tell) per row of ``frame``."""
    out = pd.DataFrame(index=frame.index)
    out["entity_key"] = entity_key if isinstance(entity_key, pd.Series) else frame[entity_key]
    out["project_key"] = frame["project_key"] if "project_key" in frame.columns else pd.NA
    out["applies"] = applies.reindex(frame.index).astype("boolean")
    out["note"] = note if note is not None else pd.NA
    out["note"] = out["note"].astype("string")
    return out[list(SCOPE_COLUMNS)].reset_index(drop=True)


def gated(ctx: RuleContext, gate: str, active_only: bool = True) -> pd.Series:
    """Projects at or past ``gate`` (and active, unless ``active_only`` is False);
    NA where the phase is blank or unknown, because then nobody can tell."""
    rank = ctx.phase_rank
    applies = rank >= ctx.config.phases.index(gate)
    if active_only:
        applies &= ctx.active
    return applies.astype("boolean").mask(rank.isna(), pd.NA)


def active(ctx: RuleContext) -> pd.Series:
    """Active projects; NA where the phase is unknown."""
    return ctx.active.astype("boolean").mask(ctx.phase_rank.isna(), pd.NA)


def project_scope(
    ctx: RuleContext, applies: pd.Series, note: pd.Series | str | None = None
) -> pd.DataFrame:
    """A project rule's scope: projects with a key; phase-unknown ones say why they are NA."""
    p = ctx.projects
    keep = ~blank(p["project_key"])
    why = pd.Series(PHASE_UNKNOWN, index=p.index, dtype="string").where(
        ctx.phase_rank.isna(), pd.NA
    )
    if note is not None:
        given = note if isinstance(note, pd.Series) else pd.Series(note, index=p.index)
        why = given.astype("string").where(applies.isna() & given.notna(), why)
    why = why.where(applies.isna(), pd.NA)
    return scope_frame(p[keep], "project_key", applies[keep], why[keep])


def gate_scope(ctx: RuleContext, gate: str, active_only: bool = True) -> pd.DataFrame:
    return project_scope(ctx, gated(ctx, gate, active_only))


def with_vendor(ctx: RuleContext, applies: pd.Series) -> pd.Series:
    """Only projects that buy from a vendor (no vendor: not applicable)."""
    return applies & ~blank(ctx.projects["vendor"])


def asset_scope(ctx: RuleContext, applies: pd.Series) -> pd.DataFrame:
    """An asset rule's scope, linked to the project each asset names (if any)."""
    a = ctx.tables.assets
    return scope_frame(a, "asset_id", applies.astype("boolean"))


def not_checked(ctx: RuleContext, why: str) -> pd.DataFrame:
    """Every project, not checked for ``why`` (a setting missing, no history yet)."""
    p = ctx.projects
    na = pd.Series(pd.NA, index=p.index, dtype="boolean")
    return project_scope(ctx, na, why)


def unmapped_note(ctx: RuleContext, field: str) -> pd.Series:
    """Why a project is not judged for ``field``: its list records it nowhere (NA elsewhere)."""
    note = pd.Series(UNMAPPED.format(field=field), index=ctx.projects.index, dtype="string")
    return note.where(ctx.unmapped(field), pd.NA)

"""Rules that judge change over time (recs 7 and 8), from the project history they are given."""

from __future__ import annotations

import pandas as pd

from c3po_sync.rules import scope as sc
from c3po_sync.rules.documents import _upload_targets
from c3po_sync.rules.history import CHARTER_FIELDS, field_changes
from c3po_sync.rules.registry import RuleContext, hits, no_hits, rule

_LABELS = {
    "budget": "budget",
    "start_date": "start date",
    "target_end": "target end",
    "departments": "departments",
    "custom_software": "custom software",
    "key_vendor_staff": "key vendor staff",
}


def _doc_times(ctx: RuleContext, doc_type: str, how: str) -> pd.Series:
    """Per project key, the earliest (``min``) or latest (``max``) modified time of its
    documents of ``doc_type``."""
    docs = ctx.tables.documents
    d = docs[(docs["doc_type"] == doc_type).fillna(False) & docs["project_key"].notna()]
    when = pd.to_datetime(d["source_modified"], utc=True, errors="coerce")
    return when.groupby(d["project_key"].astype(str)).agg(how)


def _show(field: str, value: object) -> str:
    if field == "budget" and isinstance(value, int | float):
        return f"${value:,.0f}"
    return str(value)


def _describe(changes: pd.DataFrame) -> pd.Series:
    """Per project: "budget $1 -> $2 (seen 2026-05-01); target end ..." in change order."""
    text = [
        f"{_LABELS.get(f, f)} {_show(f, b)} -> {_show(f, a)} (seen {c:%Y-%m-%d})"
        for f, b, a, c in zip(
            changes["field"], changes["before"], changes["after"], changes["changed_at"],
            strict=True,
        )
    ]  # fmt: skip
    return pd.Series(text, index=changes.index).groupby(changes["project_key"]).agg("; ".join)


def _unexcused(
    ctx: RuleContext, fields: list[str], excuse_type: str, since: pd.Series | None
) -> pd.DataFrame:
    """Changes of ``fields`` on active projects that no ``excuse_type`` document covers.

    A change happened between ``last_old_seen`` and ``changed_at``; a covering document is one
    modified after ``last_old_seen`` (filed since the old value was last seen). With ``since``
    (per project), only changes whose old value was still seen at or after it count.
    """
    ch = field_changes(ctx.history, fields)
    if ch.empty:
        return ch
    p = ctx.projects
    active_keys = set(p.loc[ctx.active, "project_key"].dropna().astype(str))
    ch = ch[ch["project_key"].astype(str).isin(active_keys)]
    last_old = pd.to_datetime(ch["last_old_seen"], utc=True)
    if since is not None:
        start = ch["project_key"].astype(str).map(since)
        ch = ch[(last_old >= start).fillna(False).astype(bool)]
        last_old = last_old[ch.index]
    excused_from = ch["project_key"].astype(str).map(_doc_times(ctx, excuse_type, "max"))
    covered = (excused_from > last_old).fillna(False).astype(bool)
    return ch[~covered]


NO_HISTORY = "needs the state store's history of earlier syncs"


def _amendment_scope(ctx: RuleContext) -> pd.DataFrame:
    """Active projects with a commitment sign-off (none yet: nothing to amend)."""
    if ctx.history is None:
        return sc.not_checked(ctx, NO_HISTORY)
    signed = ctx.projects["project_key"].isin(
        list(_doc_times(ctx, "commitment_signoff", "min").index)
    )
    return sc.project_scope(ctx, sc.active(ctx) & signed.astype(bool))


def _staff_change_scope(ctx: RuleContext) -> pd.DataFrame:
    if ctx.history is None:
        return sc.not_checked(ctx, NO_HISTORY)
    return sc.project_scope(ctx, sc.active(ctx))


@rule(
    "R7-charter-changed-no-amendment",
    recommendation=7,
    severity="medium",
    description="an active project's budget, timeline (start, target end) or scope "
    "(departments, custom software) changed after its commitment sign-off and no "
    "charter_amendment document was filed after the change (needs the state store's history)",
    near_miss="the change was seen before the sign-off, a charter amendment modified after "
    "the last run that saw the old value, a blank value filled in, or no sign-off yet",
    scope=_amendment_scope,
)
def charter_changed_no_amendment(ctx: RuleContext) -> pd.DataFrame:
    signoff = _doc_times(ctx, "commitment_signoff", "min")
    bad_changes = _unexcused(ctx, list(CHARTER_FIELDS), "charter_amendment", signoff)
    if bad_changes.empty:
        return no_hits()
    detail = _describe(bad_changes)
    p = ctx.projects
    mask = p["project_key"].astype(str).isin(detail.index).astype(bool) & ctx.active
    mask &= ~p["project_key"].duplicated()
    bad = p[mask]
    target = _upload_targets(ctx)[mask]
    key = bad["project_key"].astype(str)
    return hits(
        bad,
        "project_key",
        "Charter changed without amendment: "
        + key
        + " changed after commitment sign-off ("
        + key.map(detail)
        + "); upload a signed charter amendment to "
        + target,
    )


@rule(
    "R8-key-vendor-staff-changed",
    recommendation=8,
    severity="medium",
    description="an active project's key vendor staff list changed between two syncs and no "
    "key_vendor_staff document (the approved list) was filed after the change",
    near_miss="a key_vendor_staff document modified after the last sync that saw the old list, "
    "the same names in another order or letter case, or the first list entered",
    scope=_staff_change_scope,
)
def key_vendor_staff_changed(ctx: RuleContext) -> pd.DataFrame:
    bad_changes = _unexcused(ctx, ["key_vendor_staff"], "key_vendor_staff", None)
    if bad_changes.empty:
        return no_hits()
    detail = _describe(bad_changes)
    p = ctx.projects
    mask = p["project_key"].astype(str).isin(detail.index).astype(bool) & ctx.active
    mask &= ~p["project_key"].duplicated()
    bad = p[mask]
    key = bad["project_key"].astype(str)
    return hits(
        bad,
        "project_key",
        "Key vendor staff changed without approval: "
        + key
        + " ("
        + key.map(detail)
        + "); archive the approved key vendor staff list for "
        + bad["vendor"].fillna("the vendor"),
    )

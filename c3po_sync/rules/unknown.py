"""Unknown is not absent: a value that was there but could not be read says so in findings.

When normalization quarantines a cell, the canonical field is NA, and a rule reading NA would
say "no status date recorded" or "never reviewed" about a project whose source has one. These
helpers find, per row, the raw value the quarantine holds for a field, so a rule can say
"status date unknown (could not read '31/31/2021')" and point the PPM at the data-quality sheet.
"""

from __future__ import annotations

import pandas as pd

from c3po_sync.rules.registry import RuleContext

# Quarantine problems where the value was kept as typed: the field is not NA, nothing to add.
_KEPT = ("unknown_value",)


def unread(ctx: RuleContext, frame: pd.DataFrame, field: str) -> pd.Series:
    """Per row of ``frame``: the quarantined raw value of ``field`` ("" when it was blank),
    NA where nothing was quarantined."""
    out = pd.Series(pd.NA, index=frame.index, dtype="string")
    q = ctx.tables.quarantine
    if q.empty or "field" not in q.columns or frame.empty:
        return out
    sel = q[(q["field"] == field).fillna(False).astype(bool) & ~q["problem"].isin(_KEPT)]
    if sel.empty:
        return out
    raw = dict(
        zip(
            zip(
                sel["source_site"],
                sel["source_list"],
                sel["source_item_id"].astype("Int64"),
                strict=True,
            ),
            sel["raw_value"].fillna(""),
            strict=True,
        )
    )
    site, lst, item = frame["source_site"], frame["source_list"], frame["source_item_id"]
    keys = zip(site, lst, item.astype("Int64"), strict=True)
    return pd.Series([raw.get(k, pd.NA) for k in keys], index=frame.index, dtype="string")


def unknown_note(raw: pd.Series, what: str) -> pd.Series:
    """``"<what> unknown: could not read '<raw>' (see Data quality)"`` where ``raw`` is set."""
    shown = raw.str.slice(0, 60)
    return what + " unknown: could not read '" + shown + "' (see the Data quality sheet)"

"""Issue 12: a value that is there but unreadable or unmapped is "unknown", never "missing"."""

from __future__ import annotations

from c3po_sync.model.schema import QUARANTINE

from . import asset, fired, messages, project, tenant


def _quarantined(tables, site, lst, item_id, field, raw, problem="invalid"):
    tables.quarantine = QUARANTINE.frame(
        [
            {
                "source_site": site,
                "source_list": lst,
                "source_item_id": item_id,
                "column": field,
                "raw_value": raw,
                "reason": f"{field}: not a date",
                "field": field,
                "problem": problem,
            }
        ]
    )
    return tables


def test_unknown_lifecycle_stage_is_reported_as_unknown_not_missing():
    t = tenant(assets=[asset("LOST", lifecycle_stage="Lost"), asset("OK")])
    [msg] = messages(t, "R10-asset-lifecycle-missing")
    assert "stage unknown" in msg and "'Lost'" in msg
    assert "without lifecycle stage" not in msg


def test_blank_lifecycle_stage_is_still_missing():
    t = tenant(assets=[asset("NONE", lifecycle_stage=None)])
    [msg] = messages(t, "R10-asset-lifecycle-missing")
    assert msg.startswith("Asset without lifecycle stage")


def test_an_unreadable_status_date_is_unknown_not_unrecorded():
    p = project(status_date=None, source_item_id=7)
    t = _quarantined(tenant([p]), p["source_site"], "Projects", 7, "status_date", "31/31/2026")
    [msg] = messages(t, "R9-status-stale")
    assert "status date unknown: could not read '31/31/2026'" in msg
    assert "no status date recorded" not in msg


def test_an_unreadable_review_date_is_unknown_not_never():
    a = asset("A1", last_reviewed=None, source_item_id=3)
    t = _quarantined(
        tenant(assets=[a]), "/sites/itd", "IT Asset Inventory", 3, "last_reviewed", "last spring"
    )
    [msg] = messages(t, "R10-asset-review-overdue")
    assert "last review date unknown" in msg and "never reviewed" not in msg
    assert fired(t, "R10-asset-review-overdue") == ["A1"]

"""Digests from tables: new findings, due and overdue projects, each item told once."""

from __future__ import annotations

from datetime import date

import pandas as pd

from c3po_sync.notify import render
from c3po_sync.notify.digest import build_digests

TODAY = date(2026, 11, 1)
PHASES = ["Initiation", "Execution", "Closed"]


def _projects() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "project_key": ["DUE", "LATE", "DONE", "FAR"],
            "title": ["Due soon", "Late one", "Closed one", "Far away"],
            "ppm": ["A@x.gov", "a@x.gov", "a@x.gov", "b@x.gov"],
            "ppm_name": ["Ann", "Ann", "Ann", "Bo"],
            "phase": ["Execution", "Execution", "Closed", "Execution"],
            "target_end": pd.to_datetime(["2026-11-20", "2026-10-01", "2026-10-01", "2027-06-01"]),
            "source_url": ["https://h/DispForm.aspx?ID=1", None, None, None],
        }
    )


def _history() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "finding_id": ["R9:DUE", "R4:FAR", "R5:OLD"],
            "ppm": ["a@x.gov", "b@x.gov", "a@x.gov"],
            "project_key": ["DUE", "FAR", "DUE"],
            "message": ["Status stale", "No governance body", "resolved one"],
            "source_url": ["https://h/EditForm.aspx?ID=1", None, None],
            "status": ["open", "open", "resolved"],
            "first_seen": pd.to_datetime(["2026-11-01", "2026-10-01", "2026-09-01"]),
            "reopened_at": [pd.NaT, pd.NaT, pd.NaT],
        }
    )


def _build(told=None, opted_out=frozenset()):
    return build_digests(
        _history(),
        _projects(),
        TODAY,
        told=told or {},
        opted_out=set(opted_out),
        phases=PHASES,
        inactive_phases=["Closed"],
        halted_states=["Cancelled", "On hold"],
    )


def test_one_digest_per_ppm_with_new_due_and_overdue_items() -> None:
    ann, bo = _build()

    assert ann.ppm == "a@x.gov" and ann.name == "Ann"
    assert [i.kind for i in ann.items] == ["overdue", "new", "due"]
    assert ann.counts == {"new": 1, "due": 1, "overdue": 1}
    assert [i.key for i in bo.items] == ["finding:R4:FAR:2026-10-01"]  # FAR is not due yet
    assert "resolved one" not in render.text(ann)
    assert render.subject(ann) == "C3PO digest: 1 new finding(s), 1 due, 1 overdue on your projects"


def test_what_was_told_is_not_told_again_and_opting_out_silences() -> None:
    first = _build()
    told = {d.ppm: {i.key for i in d.items} for d in first}

    assert _build(told=told) == []
    assert [d.ppm for d in _build(opted_out={"a@x.gov"})] == ["b@x.gov"]


def test_a_cancelled_or_halted_project_is_never_due_or_overdue() -> None:
    """Active as the rules count it: a cancelled project whose target end nears, or an on-hold
    one past it, is not "due to end" (seen in the demo: PARKCITE, cancelled in May)."""
    projects = _projects().assign(state=["Cancelled", "On hold", None, None])
    digests = build_digests(
        _history().iloc[0:0],
        projects,
        TODAY,
        told={},
        opted_out=set(),
        phases=PHASES,
        inactive_phases=["Closed"],
        halted_states=["Cancelled", "On hold"],
    )

    assert [d.ppm for d in digests] == []

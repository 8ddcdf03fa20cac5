"""Digests from tables: new findings, due and overdue projects, each item told once."""

from __future__ import annotations

from datetime import date

import pandas as pd

from c3po_sync.notify import render
from c3po_sync.notify.digest import build_digests, without_ppm

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


def test_only_a_ppm_told_before_reads_since_your_last_digest() -> None:
    """The first digest a PPM ever gets does not claim to follow an earlier one."""
    ann, bo = _build(told={"b@x.gov": {"finding:R4:OLD:2026-09-01"}})

    assert ann.first and not bo.first
    for body in (render.text(ann), render.html(ann), str(render.teams_payload(ann))):
        assert "since your last" not in body.lower()
        assert "your first C3PO digest" in body
    assert "Since your last C3PO digest:" in render.text(bo)
    assert "since your last c3po digest" in str(render.teams_payload(bo)).lower()


def _late_with_schedule_finding() -> pd.DataFrame:
    late = {
        "finding_id": "R6-schedule-overrun:LATE",
        "rule_id": "R6-schedule-overrun",
        "ppm": "a@x.gov",
        "project_key": "LATE",
        "message": "Behind schedule: LATE is in Execution but its target end was 2026-10-01; "
        "re-plan with a charter amendment or report the delay",
        "source_url": None,
        "status": "open",
        "first_seen": pd.Timestamp("2026-10-02"),
        "reopened_at": pd.NaT,
    }
    return pd.concat([_history().assign(rule_id=["R9", "R4", "R5"]), pd.DataFrame([late])])


def test_a_project_the_schedule_rule_flags_is_told_once_not_also_as_overdue() -> None:
    """LATE past its target end: the open "Behind schedule" finding tells it, with its advice;
    no second "overdue" item with other advice. Without that finding, the overdue item stays."""
    history = _late_with_schedule_finding()
    kw = {"phases": PHASES, "inactive_phases": ["Closed"], "halted_states": ["Cancelled"]}
    ann = build_digests(history, _projects(), TODAY, told={}, opted_out=set(), **kw)[0]

    late = [i for i in ann.items if i.project_key == "LATE"]
    assert [i.key for i in late] == ["finding:R6-schedule-overrun:LATE:2026-10-02"]
    assert ann.counts["overdue"] == 0 and "close it" not in render.text(ann)
    # told already: still no overdue item (the fact was told), nothing else new about LATE
    told = {"a@x.gov": {late[0].key}}
    again = build_digests(history, _projects(), TODAY, told=told, opted_out=set(), **kw)[0]
    assert all(i.project_key != "LATE" for i in again.items)
    # the finding resolved, or another PPM's: the overdue item is back, with its usual key
    resolved = history.assign(status=["open", "open", "resolved", "resolved"])
    back = build_digests(resolved, _projects(), TODAY, told={}, opted_out=set(), **kw)[0]
    assert [i.key for i in back.of_kind("overdue")] == ["overdue:LATE:2026-10-01"]
    other = history.assign(ppm=["a@x.gov", "b@x.gov", "a@x.gov", "c@x.gov"])
    ann2 = build_digests(other, _projects(), TODAY, told={}, opted_out=set(), **kw)[0]
    assert [i.key for i in ann2.of_kind("overdue")] == ["overdue:LATE:2026-10-01"]


def test_open_findings_without_a_ppm_are_counted_not_sent() -> None:
    history = _history().assign(ppm=["a@x.gov", None, "  "], status=["open", "open", "open"])

    assert without_ppm(history) == 2
    assert without_ppm(history.assign(status="resolved")) == 0
    kw = {"phases": PHASES, "inactive_phases": ["Closed"], "halted_states": ["Cancelled"]}
    digests = build_digests(history, _projects(), TODAY, told={}, opted_out=set(), **kw)
    assert {i.text for d in digests for i in d.items if i.kind == "new"} == {"Status stale"}

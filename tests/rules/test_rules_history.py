"""History rules (charter changed after sign-off, key vendor staff changed): fire, near-miss."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from c3po_sync.model.schema import PROJECTS
from c3po_sync.rules import RulesConfig, evaluate
from c3po_sync.rules.history import field_changes, project_history

from . import TODAY, document, fired, messages, project, tenant

SIGNED = datetime(2026, 9, 1, 12, tzinfo=UTC)
RUN1 = datetime(2026, 10, 30, 9, tzinfo=UTC)  # last run that saw the old value
RUN2 = datetime(2026, 10, 31, 9, tzinfo=UTC)  # first run that saw the new value
RUN3 = datetime(2026, 11, 1, 9, tzinfo=UTC)
CHARTER = "R7-charter-changed-no-amendment"
STAFF = "R8-key-vendor-staff-changed"


def history(*runs: tuple[datetime, dict]) -> pd.DataFrame:
    """One project row per run, run ids 1, 2, ..."""
    return project_history(
        (i, at, PROJECTS.frame([row])) for i, (at, row) in enumerate(runs, start=1)
    )


def docs(*extra: dict, signed: datetime | None = SIGNED) -> list[dict]:
    out = [document("P1", "charter", source_modified=SIGNED - timedelta(days=30))]
    if signed is not None:
        out.append(document("P1", "commitment_signoff", source_modified=signed))
    return out + list(extra)


def amendment(at: datetime) -> dict:
    return document("P1", "charter_amendment", source_modified=at, name="amend.pdf", path="/a")


def staff_doc(at: datetime) -> dict:
    return document("P1", "key_vendor_staff", source_modified=at, name="kvs.pdf", path="/k")


def charter_case(before: dict, after: dict, documents: list[dict], phase: str = "Execution"):
    now = project(phase=phase, **after)
    h = history((RUN1, project(**before)), (RUN2, project(**after)))
    return fired(tenant([now], documents), CHARTER, history=h)


# --- R7 charter changed after commitment sign-off -------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({"budget": 100_000.0}, {"budget": 150_000.0}),
        ({"target_end": date(2026, 6, 30)}, {"target_end": date(2026, 12, 31)}),
        ({"start_date": date(2026, 1, 1)}, {"start_date": date(2026, 2, 1)}),
        ({"departments": ["ITD"]}, {"departments": ["ITD", "Police"]}),
        ({"custom_software": False}, {"custom_software": True}),
    ],
)
def test_charter_change_after_signoff_fires(before, after):
    assert charter_case(before, after, docs()) == ["P1"]


@pytest.mark.parametrize(
    ("before", "after", "documents", "phase"),
    [
        # the same values, or the same departments in another order and case
        ({}, {}, docs(), "Execution"),
        ({"departments": ["ITD", "Police"]}, {"departments": ["police", "ITD"]}, docs(),
         "Execution"),
        # a blank budget filled in is data entry, not a change
        ({"budget": None}, {"budget": 150_000.0}, docs(), "Execution"),
        # no commitment sign-off yet: charters may change freely
        ({"budget": 1.0}, {"budget": 2.0}, docs(signed=None), "Execution"),
        # signed between the two runs: the change may predate the sign-off
        ({"budget": 1.0}, {"budget": 2.0}, docs(signed=RUN1 + timedelta(hours=1)), "Execution"),
        # amendment filed after the last run that saw the old value
        ({"budget": 1.0}, {"budget": 2.0}, docs(amendment(RUN1 + timedelta(seconds=1))),
         "Execution"),
        ({"budget": 1.0}, {"budget": 2.0}, docs(amendment(RUN3)), "Execution"),
        # a Closed project is no longer judged
        ({"budget": 1.0}, {"budget": 2.0}, docs(), "Closed"),
    ],
)  # fmt: skip
def test_charter_change_near_misses(before, after, documents, phase):
    assert charter_case(before, after, documents, phase) == []


@pytest.mark.parametrize(
    ("signed", "amended"),
    [
        (RUN1, None),  # signed exactly when the old value was last seen: change is after
        (SIGNED, RUN1),  # amendment exactly at the last old sighting does not cover the change
        (SIGNED, RUN1 - timedelta(days=1)),  # an older amendment covers an older change only
    ],
)
def test_charter_change_boundaries_fire(signed, amended):
    extra = [amendment(amended)] if amended else []
    assert charter_case({"budget": 1.0}, {"budget": 2.0}, docs(*extra, signed=signed)) == ["P1"]


def test_charter_message_lists_each_change_and_where_to_upload():
    h = history(
        (RUN1, project(budget=1_000_000.0, target_end=date(2026, 6, 30))),
        (RUN2, project(budget=1_250_000.0, target_end=date(2027, 3, 31))),
    )
    t = tenant([project(budget=1_250_000.0, target_end=date(2027, 3, 31))], docs())
    [msg] = messages(t, CHARTER, history=h)
    assert "budget $1,000,000 -> $1,250,000 (seen 2026-10-31)" in msg
    assert "target end 2026-06-30 -> 2027-03-31" in msg
    assert "charter amendment" in msg and "Project Documents/P1" in msg


def test_amendment_covers_the_first_change_but_not_a_later_one():
    h = history(
        (RUN1, project(budget=1.0)),
        (RUN2, project(budget=2.0)),
        (RUN3, project(budget=3.0)),
    )
    t = tenant([project(budget=3.0)], docs(amendment(RUN1 + timedelta(hours=2))))
    [msg] = messages(t, CHARTER, history=h)
    assert "$2 -> $3" in msg and "$1 -> $2" not in msg


def test_change_stays_a_finding_on_later_runs_until_amended():
    h = history(
        (RUN1, project(budget=1.0)), (RUN2, project(budget=2.0)), (RUN3, project(budget=2.0))
    )
    t = tenant([project(budget=2.0)], docs())
    assert fired(t, CHARTER, history=h) == ["P1"]
    t = tenant([project(budget=2.0)], docs(amendment(RUN3)))
    assert fired(t, CHARTER, history=h) == []


def test_without_history_history_rules_find_nothing():
    t = tenant([project()], docs())
    assert fired(t, CHARTER) == [] and fired(t, STAFF) == []
    one_run = history((RUN1, project()))
    assert fired(t, CHARTER, history=one_run) == [] and fired(t, STAFF, history=one_run) == []


# --- R8 key vendor staff changed without approval -------------------------------------------


def staff_case(before, after, documents, phase: str = "Execution") -> list[str]:
    h = history((RUN1, project(key_vendor_staff=before)), (RUN2, project(key_vendor_staff=after)))
    now = tenant([project(key_vendor_staff=after, phase=phase)], documents)
    return fired(now, STAFF, history=h)


def test_key_vendor_staff_change_fires_and_names_both_lists():
    assert staff_case(["Bo Vendor"], ["Al New"], docs()) == ["P1"]
    h = history(
        (RUN1, project(key_vendor_staff=["Bo Vendor"])),
        (RUN2, project(key_vendor_staff=["Al New"])),
    )
    [msg] = messages(tenant([project(key_vendor_staff=["Al New"])], docs()), STAFF, history=h)
    assert "bo vendor -> al new" in msg and "Acme" in msg


@pytest.mark.parametrize(
    ("before", "after", "documents", "phase", "fires"),
    [
        (["Bo Vendor", "Cy Lead"], ["cy lead", "BO VENDOR "], docs(), "Execution", False),
        (None, ["Al New"], docs(), "Execution", False),  # first list entered
        (["Bo Vendor"], ["Al New"], docs(staff_doc(RUN1 + timedelta(minutes=5))), "Execution",
         False),
        (["Bo Vendor"], ["Al New"], docs(staff_doc(RUN1)), "Execution", True),  # not after
        (["Bo Vendor"], ["Al New"], docs(staff_doc(SIGNED)), "Execution", True),  # old approval
        (["Bo Vendor"], ["Al New"], docs(), "Closed", False),
    ],
)  # fmt: skip
def test_key_vendor_staff_near_misses(before, after, documents, phase, fires):
    assert staff_case(before, after, documents, phase) == (["P1"] if fires else [])


# --- "met the criteria yesterday" -------------------------------------------------------------


def test_a_project_fixed_today_is_not_judged_on_yesterday():
    """Yesterday's snapshot broke several rules; today's tables are clean: nothing fires."""
    yesterday = project(ppm=None, high_profile=True, sponsor=None, status_date=date(2026, 1, 1))
    h = history((RUN2, yesterday), (RUN3, project()))
    out = evaluate(tenant([project()], docs()), RulesConfig(), TODAY, history=h)
    assert out.empty, out[["finding_id", "message"]].to_string()


def test_field_changes_ignores_blanks_and_other_projects():
    h = project_history(
        [
            (1, RUN1, PROJECTS.frame([project("A", budget=1.0), project("B", budget=5.0)])),
            (2, RUN2, PROJECTS.frame([project("A", budget=None), project("B", budget=6.0)])),
            (3, RUN3, PROJECTS.frame([project("A", budget=1.0)])),
        ]
    )
    ch = field_changes(h, ["budget"])
    assert ch[["project_key", "before", "after"]].values.tolist() == [["B", 5.0, 6.0]]
    assert ch["last_old_seen"].tolist() == [pd.Timestamp(RUN1)]
